"""The demand a week will bring, learned from a centre's own past weeks.

For each service: citizens arriving per quarter hour of each weekday, the minutes a citizen
takes at the counter, and the share who do not come when called. Three corrections on the
plain average of the past weeks:

- holidays, and the days around them, are set apart: a closed day teaches nothing about an
  ordinary Monday, and the days just before or after a holiday are busier or quieter than
  usual. They form their own factor (their volume over an ordinary day's of the same
  weekday), applied to the planned week's own days near a holiday. The holidays are an
  input: Tết follows the lunar calendar and the government fixes the days off each year;
- a trend: the ordinary days' volume over its weekday's average, fitted by least squares
  against the date and carried to the planned day (bounded, so that a short history does
  not run away);
- a closed day in the planned week (a holiday) gets no arrivals.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean

QUARTERS = 96  # quarter hours in a day
TREND_BOUNDS = (0.7, 1.4)
NEAR_BOUNDS = (0.5, 2.0)
MIN_TREND_DAYS = 10


@dataclass(frozen=True)
class Visit:
    """One citizen's past ticket as the forecast needs it, in the site's local time."""

    service_id: int
    day: date
    minute: int  # minutes after local midnight at which the ticket was issued
    service_minutes: float | None = None  # at the counter, for a served citizen
    no_show: bool = False


@dataclass(frozen=True)
class DayForecast:
    """The expected arrivals of one day: (quarter hour, service id) -> citizens."""

    day: date
    kind: str  # "ordinary", "near_holiday" or "holiday"
    factor: float  # the trend (and near-holiday factor) applied to the weekday's profile
    arrivals: Mapping[tuple[int, int], float] = field(default_factory=dict)

    def per_hour(self) -> dict[tuple[int, int], float]:
        """(local hour, service id) -> citizens expected in that hour."""
        hours: dict[tuple[int, int], float] = defaultdict(float)
        for (quarter, service_id), count in self.arrivals.items():
            hours[(quarter // 4, service_id)] += count
        return dict(hours)

    @property
    def total(self) -> float:
        return sum(self.arrivals.values())


@dataclass(frozen=True)
class WeekForecast:
    days: tuple[DayForecast, ...]
    service_minutes: Mapping[int, float]
    no_show_share: Mapping[int, float]
    trend_per_week: float  # the fitted change of volume per week, as a share (0.02 = +2 %)
    near_holiday_factor: float
    history_days: int  # ordinary days the profile was learned from


def day_kind(day: date, holidays: frozenset[date], around: int) -> str:
    if day in holidays:
        return "holiday"
    if any(day + timedelta(days=d) in holidays for d in range(-around, around + 1) if d):
        return "near_holiday"
    return "ordinary"


def _clip(value: float, bounds: tuple[float, float]) -> float:
    return min(bounds[1], max(bounds[0], value))


def _slope(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares line through (x, y): (mean of x, slope)."""
    mean_x = fmean(x for x, _ in points)
    mean_y = fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return mean_x, 0.0
    return mean_x, sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def forecast_week(
    visits: Iterable[Visit],
    week_start: date,
    holidays: Iterable[date] = (),
    expected_minutes: Mapping[int, float] | None = None,
    around: int = 2,
) -> WeekForecast:
    """The seven days from `week_start` (a Monday, usually), learned from `visits` of the
    days before it (later ones are ignored). `expected_minutes` (per service, as
    configured) stands in for a service the history has not seen served."""
    closed = frozenset(holidays)
    counts: dict[date, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    minutes: dict[int, list[float]] = defaultdict(list)
    seen: dict[int, int] = defaultdict(int)
    absent: dict[int, int] = defaultdict(int)
    for visit in visits:
        if visit.day >= week_start:
            continue
        counts[visit.day][(visit.minute // 15, visit.service_id)] += 1
        seen[visit.service_id] += 1
        absent[visit.service_id] += visit.no_show
        if visit.service_minutes is not None and visit.service_minutes > 0:
            minutes[visit.service_id].append(visit.service_minutes)

    ordinary = [d for d in counts if day_kind(d, closed, around) == "ordinary"]
    near = [d for d in counts if day_kind(d, closed, around) == "near_holiday"]
    by_weekday: dict[int, list[date]] = defaultdict(list)
    for day in ordinary:
        by_weekday[day.weekday()].append(day)
    profile: dict[int, dict[tuple[int, int], float]] = {}
    weekday_total: dict[int, float] = {}
    for weekday, days in by_weekday.items():
        summed: dict[tuple[int, int], float] = defaultdict(float)
        for day in days:
            for key, count in counts[day].items():
                summed[key] += count
        profile[weekday] = {key: total / len(days) for key, total in summed.items()}
        weekday_total[weekday] = sum(profile[weekday].values())

    def level(day: date) -> float:
        usual = weekday_total.get(day.weekday(), 0.0)
        return sum(counts[day].values()) / usual if usual else 1.0

    slope = 0.0
    mean_x = 0.0
    if len(ordinary) >= MIN_TREND_DAYS:
        mean_x, slope = _slope([(float(d.toordinal()), level(d)) for d in ordinary])
    near_levels = [level(d) for d in near if d.weekday() in weekday_total]
    near_factor = _clip(fmean(near_levels), NEAR_BOUNDS) if near_levels else 1.0

    planned: list[DayForecast] = []
    for offset in range(7):
        day = week_start + timedelta(days=offset)
        kind = day_kind(day, closed, around)
        if kind == "holiday" or day.weekday() not in profile:
            planned.append(DayForecast(day, kind, 0.0))
            continue
        factor = _clip(1.0 + slope * (day.toordinal() - mean_x), TREND_BOUNDS)
        if kind == "near_holiday":
            factor *= near_factor
        arrivals = {key: rate * factor for key, rate in profile[day.weekday()].items()}
        planned.append(DayForecast(day, kind, factor, arrivals))

    configured = dict(expected_minutes or {})
    service_ids = set(seen) | set(configured)
    return WeekForecast(
        days=tuple(planned),
        service_minutes={
            s: fmean(minutes[s]) if minutes[s] else configured.get(s, 10.0) for s in service_ids
        },
        no_show_share={s: absent[s] / seen[s] if seen[s] else 0.0 for s in service_ids},
        trend_per_week=slope * 7,
        near_holiday_factor=near_factor,
        history_days=len(ordinary),
    )
