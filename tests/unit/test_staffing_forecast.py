"""The demand forecast: weekday profiles per quarter hour and service, the trend, holidays
and the days around them set apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from server.domain.staffing.forecast import Visit, day_kind, forecast_week
from server.domain.staffing.holidays import vietnam_holidays

LAND, CERTIFICATION = 3, 2
MONDAY = date(2026, 11, 30)


def _day(day: date, per_service: dict[int, int], minute: int = 9 * 60) -> list[Visit]:
    return [
        Visit(service_id, day, minute + i % 60, service_minutes=20.0 if service_id == LAND else 5.0)
        for service_id, count in per_service.items()
        for i in range(count)
    ]


def _weeks(weeks: int, volume: Callable[[date], int] = lambda day: 10) -> list[Visit]:
    visits: list[Visit] = []
    for d in range(weeks * 7):
        day = MONDAY - timedelta(days=weeks * 7 - d)
        if day.weekday() < 5:
            visits += _day(day, {LAND: volume(day), CERTIFICATION: 2 * volume(day)})
    return visits


def test_a_flat_history_forecasts_the_same_weekday_volume_in_the_same_quarter_hours() -> None:
    week = forecast_week(_weeks(6), MONDAY)
    monday = week.days[0]
    assert monday.kind == "ordinary"
    assert monday.total == pytest.approx(30)
    assert set(monday.per_hour()) == {(9, LAND), (9, CERTIFICATION)}
    assert monday.per_hour()[(9, LAND)] == pytest.approx(10)
    assert week.days[5].total == 0 and week.days[6].total == 0  # nobody came on weekends
    assert week.service_minutes[LAND] == pytest.approx(20)
    assert week.trend_per_week == pytest.approx(0, abs=1e-9)


def test_a_growing_centre_is_forecast_above_its_average() -> None:
    start = MONDAY - timedelta(weeks=8)
    history = _weeks(8, lambda day: 10 + (day - start).days // 7 * 2)  # +2 a week
    week = forecast_week(history, MONDAY)
    average = sum(10 + w * 2 for w in range(8)) / 8
    assert week.trend_per_week > 0.05
    assert week.days[0].per_hour()[(9, LAND)] > average * 1.2


def test_holidays_are_closed_and_the_days_around_them_get_their_own_factor() -> None:
    history = _weeks(8)
    holiday = MONDAY - timedelta(days=14)  # a Monday
    near = {holiday + timedelta(days=1), holiday + timedelta(days=2)}
    history = [v for v in history if v.day != holiday]
    # the Tuesday after the holiday is a third busier than usual
    history += [v for v in history if v.day in near and v.service_id == LAND][:10]
    planned_holiday = MONDAY + timedelta(days=4)  # the Friday of the planned week
    week = forecast_week(history, MONDAY, holidays={holiday, planned_holiday}, around=2)
    assert week.days[4].kind == "holiday" and week.days[4].total == 0
    assert [d.kind for d in week.days[:4]] == [
        "ordinary",
        "ordinary",
        "near_holiday",
        "near_holiday",
    ]
    assert week.near_holiday_factor == pytest.approx(35 / 30)
    assert week.days[2].total == pytest.approx(35)
    # the ordinary profile did not learn from the days around the holiday
    assert week.days[0].total == pytest.approx(30)
    assert week.days[1].total == pytest.approx(30)


def test_no_shows_and_service_minutes_per_service() -> None:
    day = MONDAY - timedelta(days=7)
    visits = [
        Visit(LAND, day, 600, 18.0),
        Visit(LAND, day, 601, 22.0),
        Visit(LAND, day, 602, None, True),
    ]
    week = forecast_week(visits, MONDAY, expected_minutes={LAND: 20.0, CERTIFICATION: 5.0})
    assert week.service_minutes[LAND] == pytest.approx(20)
    assert week.service_minutes[CERTIFICATION] == 5.0  # never seen: the configured minutes
    assert week.no_show_share[LAND] == pytest.approx(1 / 3)


def test_visits_of_the_planned_week_or_later_are_not_used() -> None:
    week = forecast_week(_day(MONDAY, {LAND: 50}), MONDAY)
    assert week.days[0].total == 0


def test_vietnam_holidays_include_the_fixed_days_and_tet() -> None:
    days = vietnam_holidays(2026, 2026)
    assert {date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 1), date(2026, 9, 2)} <= days
    assert date(2026, 2, 17) in days and date(2026, 2, 16) in days  # Tết and its eve
    assert date(2026, 2, 25) not in days
    assert day_kind(date(2026, 2, 13), days, around=3) == "near_holiday"
