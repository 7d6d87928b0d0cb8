"""How a quote of the predictor is shown (whole minutes, a range, warnings), and when a
stored quote is stored again (server/services/waits/)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.domain.prediction import Flag, Hours, Quote
from server.services.waits import NO_WAIT, Wait, as_shown, moved, wait_json

HOURS = Hours(time(7, 30), time(17, 0), ZoneInfo("Asia/Ho_Chi_Minh"), time(11, 30), time(13, 0))
NINE = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City: 480 to closing


def test_the_range_is_rounded_outwards_and_the_median_to_the_nearest_minute() -> None:
    wait = as_shown(Quote(12.9, 17.5, 25.1), HOURS, NINE)
    assert wait == Wait(12, 18, 26, False, None)
    assert wait_json(wait) == {
        "low": 12,
        "median": 18,
        "high": 26,
        "no_counter": False,
        "warning": None,
    }


def test_minutes_since_the_forecast_are_taken_off_never_below_zero() -> None:
    assert as_shown(Quote(3.0, 10.0, 20.0), HOURS, NINE, elapsed=5.0) == Wait(0, 5, 15, False, None)


def test_a_quote_beyond_closing_has_no_top_and_names_closing() -> None:
    quote = Quote(400.0, math.inf, math.inf, frozenset({Flag.MAY_MISS_CLOSING}), time(17, 0))
    wait = as_shown(quote, HOURS, NINE)
    assert (wait.low, wait.median, wait.high) == (400, 480, None)
    assert wait_json(wait)["warning"] == {
        "vi": "Có thể không kịp trước 17:00",
        "en": "May not be called before 17:00",
        "until": "17:00",
    }


def test_a_quote_past_lunch_names_the_start_of_lunch() -> None:
    quote = Quote(120.0, 160.0, 250.0, frozenset({Flag.MAY_MISS_LUNCH}), time(11, 30))
    assert as_shown(quote, HOURS, NINE).warning == (
        "Có thể không kịp trước 11:30",
        "May not be called before 11:30",
        "11:30",
    )


def test_no_counter_is_a_flag_with_the_time_left_to_closing_and_no_top() -> None:
    quote = Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
    assert as_shown(quote, HOURS, NINE) == Wait(480, 480, None, True, None)
    after_closing = NINE + timedelta(hours=9)
    assert as_shown(quote, HOURS, after_closing) == Wait(0, 0, None, True, None)


def test_a_ticket_at_the_counter_waits_no_more() -> None:
    assert wait_json(NO_WAIT) == {
        "low": 0,
        "median": 0,
        "high": 0,
        "no_counter": False,
        "warning": None,
    }


def stored(at: datetime, low: int, median: int, high: int | None) -> dict[str, object]:
    return {"at": at, "low_minutes": low, "median_minutes": median, "high_minutes": high}


def test_the_same_promise_later_is_not_stored_again() -> None:
    last = stored(NINE, 10, 20, 30)
    five_later = NINE + timedelta(minutes=5)
    assert not moved(last, five_later, Wait(5, 15, 25, False, None))
    assert not moved(last, five_later, Wait(6, 16, 25, False, None))  # a minute: noise
    assert not moved(last, five_later, Wait(1, 15, 40, False, None))  # the ends: noise


def test_a_promise_that_moved_two_minutes_or_lost_its_top_is_stored_again() -> None:
    last = stored(NINE, 10, 20, 30)
    five_later = NINE + timedelta(minutes=5)
    assert moved(last, five_later, Wait(5, 17, 25, False, None))  # median 2 minutes later
    assert moved(last, five_later, Wait(3, 13, 25, False, None))  # 2 minutes earlier
    assert moved(last, five_later, Wait(5, 15, None, False, None))  # perhaps not before closing
    assert moved(stored(NINE, 10, 20, None), NINE, Wait(10, 20, 30, False, None))


def test_a_long_wait_moves_by_a_tenth_of_it() -> None:
    last = stored(NINE, 80, 100, 130)
    assert not moved(last, NINE, Wait(80, 109, 130, False, None))
    assert moved(last, NINE, Wait(80, 110, 130, False, None))
