"""The counting rules of statistics: histogram bins, percentiles, and which roll-up rows
add up to a date range."""

from __future__ import annotations

import math
from collections import Counter as Tally
from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from server.domain.statistics import (
    BIN_COUNT,
    BIN_EDGES,
    RELATIVE_ERROR,
    Durations,
    Period,
    bin_index,
    percentile_minutes,
    reading_bound,
    share,
)
from server.services.statistics import periods_covering, signed_periods


def test_bins_are_whole_minutes_up_to_half_an_hour_then_grow_by_at_most_7_5_percent() -> None:
    assert BIN_EDGES[:3] == (60, 120, 180)
    assert BIN_EDGES[29] == 30 * 60
    assert BIN_EDGES[30] == 32 * 60
    assert all(edge % 60 == 0 for edge in BIN_EDGES)
    for low, high in pairwise(BIN_EDGES[29:]):
        assert high - low <= max(60, RELATIVE_ERROR * low)
    assert BIN_EDGES[-1] == 16 * 3600  # only 16 hours or more share the open bin
    assert len(BIN_EDGES) + 1 == BIN_COUNT == 82


def test_a_duration_falls_in_the_bin_whose_edges_hold_it() -> None:
    assert bin_index(0) == 0
    assert bin_index(59) == 0
    assert bin_index(60) == 1
    assert bin_index(1799) == 29
    assert bin_index(1800) == 30
    assert bin_index(16 * 3600 - 1) == len(BIN_EDGES) - 1
    assert bin_index(16 * 3600) == len(BIN_EDGES)  # the open bin
    assert bin_index(30 * 3600) == len(BIN_EDGES)


@given(st.integers(min_value=0, max_value=20 * 3600))
def test_every_duration_lies_between_its_bins_edges(seconds: int) -> None:
    index = bin_index(seconds)
    low = BIN_EDGES[index - 1] if index else 0
    assert low <= seconds
    if index < len(BIN_EDGES):
        assert seconds < BIN_EDGES[index]


def _bins(*seconds: int) -> list[int]:
    bins = [0] * BIN_COUNT
    for value in seconds:
        bins[bin_index(value)] += 1
    return bins


def test_percentiles_are_the_upper_edge_of_the_nearest_ranks_bin_capped_at_the_max() -> None:
    waits = (120, 330, 540, 960, 1620, 1860)
    bins = _bins(*waits)
    # rank ceil(0.5 * 6) = 3: 540 s lies in [9, 10) minutes
    assert percentile_minutes(bins, 6, 1860, 0.5) == 10.0
    # rank 6: 1,860 s lies in [30, 32) minutes, capped at the maximum, 31 minutes
    assert percentile_minutes(bins, 6, 1860, 0.9) == 31.0
    assert percentile_minutes(bins, 0, 0, 0.5) is None


def test_durations_summarise_in_minutes() -> None:
    summary = Durations.of(4, 240 + 360 + 600 + 720, 720, _bins(240, 360, 600, 720))
    assert summary == Durations(count=4, mean=8.0, median=7.0, p90=12.0, max=12.0)
    assert Durations.of(0, 0, 0, _bins()) == Durations(0, None, None, None, None)


def test_four_hour_waits_are_not_read_as_the_maximum() -> None:
    # Result collection on the replayed peak day of issue 20: median 242.8 minutes and
    # maximum 505.1 were reported as 505.1 and 505.1 by bins that ended at 4 hours.
    waits = [int(m * 60) for m in (30, 120, 200, 242.8, 250, 300, 421.0, 505.1)]
    bins = _bins(*waits)
    assert percentile_minutes(bins, 8, waits[-1], 0.5) == 250.0  # in [233, 250)
    assert percentile_minutes(bins, 8, waits[-1], 0.9) == 505.1  # rank 8, the maximum


def _nearest_rank(values: list[int], fraction: float) -> int:
    return sorted(values)[max(1, math.ceil(fraction * len(values))) - 1]


@given(
    st.lists(st.integers(min_value=0, max_value=16 * 3600 - 1), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.9]),
)
def test_a_percentile_is_never_below_the_exact_value_nor_above_the_stated_bound(
    seconds: list[int], fraction: float
) -> None:
    exact = _nearest_rank(seconds, fraction)
    figure = percentile_minutes(_bins(*seconds), len(seconds), max(seconds), fraction)
    assert figure is not None
    assert exact / 60 - 0.05 <= figure <= reading_bound(exact) + 0.05  # rounded to a tenth
    assert reading_bound(exact) - exact / 60 <= max(1, RELATIVE_ERROR * exact / 60) + 1e-9


def test_from_sixteen_hours_on_the_figure_is_the_maximum() -> None:
    waits = [17 * 3600, 18 * 3600, 20 * 3600]
    assert percentile_minutes(_bins(*waits), 3, 20 * 3600, 0.5) == 1200.0
    assert reading_bound(17 * 3600) == math.inf


def test_a_share_is_none_without_a_whole() -> None:
    assert share(5, 6) == 0.8333
    assert share(0, 0) is None


def test_whole_months_come_from_month_rows_and_the_ends_from_day_rows() -> None:
    assert periods_covering(date(2026, 1, 15), date(2026, 4, 10)) == [
        (Period.MONTH, date(2026, 2, 1), date(2026, 3, 1)),
        (Period.DAY, date(2026, 1, 15), date(2026, 1, 31)),
        (Period.DAY, date(2026, 4, 1), date(2026, 4, 10)),
    ]
    assert periods_covering(date(2026, 1, 1), date(2026, 12, 31)) == [
        (Period.MONTH, date(2026, 1, 1), date(2026, 12, 1))
    ]
    assert periods_covering(date(2026, 2, 3), date(2026, 2, 20)) == [
        (Period.DAY, date(2026, 2, 3), date(2026, 2, 20))
    ]


def _days(pieces: list[tuple[Period, date, date]]) -> list[date]:
    covered = []
    for period, low, high in pieces:
        day = low
        while day <= high:
            if period == Period.DAY:
                covered.append(day)
                day += timedelta(days=1)
            else:
                assert day.day == 1
                following = (day + timedelta(days=32)).replace(day=1)
                while day < following:
                    covered.append(day)
                    day += timedelta(days=1)
    return sorted(covered)


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_the_rows_chosen_cover_every_day_of_the_range_exactly_once(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    assert _days(periods_covering(first, last)) == [
        first + timedelta(days=n) for n in range(span + 1)
    ]


@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_added_rows_minus_taken_rows_count_every_day_of_the_range_once(
    first: date, span: int
) -> None:
    last = first + timedelta(days=span)
    plus, minus = signed_periods(first, last)
    counted = Tally(_days(plus))
    counted.subtract(_days(minus))
    days = {first + timedelta(days=n) for n in range(span + 1)}
    assert {day for day, times in counted.items() if times} == days
    assert all(counted[day] == 1 for day in days)


def test_a_ragged_end_covering_most_of_its_month_is_its_month_minus_the_rest() -> None:
    plus, minus = signed_periods(date(2025, 11, 26), date(2026, 11, 25))
    assert plus == [
        (Period.MONTH, date(2025, 12, 1), date(2026, 10, 1)),
        (Period.DAY, date(2025, 11, 26), date(2025, 11, 30)),
        (Period.MONTH, date(2026, 11, 1), date(2026, 11, 1)),
    ]
    assert minus == [(Period.DAY, date(2026, 11, 26), date(2026, 11, 30))]
