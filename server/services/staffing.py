"""The staffing advisor's weekly plan for a site (issue 14): the demand forecast learned
from the weeks before, the counters each hour needs, who sits where, and, for days already
past, what actually happened beside it.

Reads only: the tickets of the site (their issue, call and service times, status and
service), its services with their wait targets, its counters with their services and ranks,
and the clerks assigned to them. The rules are pure, in server/domain/staffing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.adapters.db.models import Counter, Service, Ticket
from server.domain.errors import InvalidInput
from server.domain.staffing.forecast import Visit, WeekForecast, forecast_week
from server.domain.staffing.holidays import vietnam_holidays
from server.domain.staffing.plan import ClerkSpec, CounterSpec, DayPlan, Target, plan_day
from server.domain.tickets import TicketStatus
from server.services.access import get_site

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
CALLED = (TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.TRANSFERRED)


@dataclass(frozen=True)
class ServiceLine:
    service_id: int
    code: str
    name_vi: str
    name_en: str
    target_minutes: int
    target_share: float


@dataclass
class Actual:
    """What happened in one hour for one service: citizens who took a number, how many of
    those called were called within the target, and how many counters called them."""

    arrivals: int = 0
    called: int = 0
    within_target: int = 0
    counter_ids: set[int] = field(default_factory=set)

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.called if self.called else None


@dataclass(frozen=True)
class WeeklyPlan:
    site_id: int
    site_name: str
    week_start: date
    history_from: date
    services: tuple[ServiceLine, ...]
    counter_numbers: dict[int, int]
    forecast: WeekForecast
    days: tuple[DayPlan, ...]
    # (day, hour, service id) -> what happened, for the days of the week already over
    actual: dict[tuple[date, int, int], Actual]
    # (day, hour) -> counters that called someone
    actual_counters: dict[tuple[date, int], int]
    past_days: frozenset[date]

    @property
    def counter_hours(self) -> int:
        return sum(day.counter_hours for day in self.days)

    def as_dict(self) -> dict[str, Any]:
        """The plan as the JSON API gives it: shares 0..1, minutes, counts."""
        forecast_days = {d.day: d for d in self.forecast.days}
        days = []
        for day_plan in self.days:
            day = day_plan.day
            hours = []
            for hour in day_plan.hours:
                services = []
                for line in hour.services:
                    actual = self.actual.get((day, hour.hour, line.service_id))
                    services.append(
                        {
                            "service_id": line.service_id,
                            "expected_arrivals": round(line.arrivals, 2),
                            "load": round(line.load, 3),
                            "counters_needed_alone": line.needed,
                            "main_counters": line.main_counters,
                            "expected_within_target": round(line.level, 3),
                            "meets_target": line.meets_target,
                            "actual": None
                            if day not in self.past_days
                            else {
                                "arrivals": actual.arrivals if actual else 0,
                                "within_target": actual.share_within_target if actual else None,
                                "counters": len(actual.counter_ids) if actual else 0,
                            },
                        }
                    )
                hours.append(
                    {
                        "hour": hour.hour,
                        "counters": hour.counters,
                        "actual_counters": self.actual_counters.get((day, hour.hour))
                        if day in self.past_days
                        else None,
                        "seats": [
                            {
                                "counter_id": seat.counter_id,
                                "counter_number": seat.number,
                                "clerk_id": seat.clerk_id,
                                "clerk_name": seat.clerk_name,
                            }
                            for seat in hour.seats
                        ],
                        "services": services,
                    }
                )
            days.append(
                {
                    "day": day.isoformat(),
                    "kind": forecast_days[day].kind,
                    "expected_arrivals": round(forecast_days[day].total, 1),
                    "counter_hours": day_plan.counter_hours,
                    "hours": hours,
                }
            )
        return {
            "site_id": self.site_id,
            "site_name": self.site_name,
            "week_start": self.week_start.isoformat(),
            "history_from": self.history_from.isoformat(),
            "history_days": self.forecast.history_days,
            "trend_per_week": round(self.forecast.trend_per_week, 4),
            "near_holiday_factor": round(self.forecast.near_holiday_factor, 3),
            "counter_hours": self.counter_hours,
            "services": [
                {
                    "service_id": s.service_id,
                    "code": s.code,
                    "name_vi": s.name_vi,
                    "name_en": s.name_en,
                    "target_minutes": s.target_minutes,
                    "target_share": s.target_share,
                    "service_minutes": round(self.forecast.service_minutes.get(s.service_id, 0), 2),
                    "no_show_share": round(self.forecast.no_show_share.get(s.service_id, 0), 4),
                }
                for s in self.services
            ],
            "days": days,
        }


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _layout(session: Session, site_id: int) -> tuple[list[CounterSpec], list[ClerkSpec]]:
    counters = list(
        session.scalars(
            select(Counter)
            .where(Counter.site_id == site_id)
            .options(selectinload(Counter.service_links), selectinload(Counter.assigned_clerks))
            .order_by(Counter.number)
        )
    )
    specs = [CounterSpec(c.id, c.number, c.service_rank) for c in counters if c.service_links]
    seats: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for counter in counters:
        for clerk in counter.assigned_clerks:
            if clerk.active:
                seats[clerk.id].add(counter.id)
                names[clerk.id] = clerk.full_name or clerk.username
    clerks = [ClerkSpec(i, names[i], frozenset(seats[i])) for i in sorted(seats)]
    return specs, clerks


def _tickets(session: Session, site_id: int, first: date, last: date) -> Iterable[Any]:
    """The citizens who took a number on the local days first..last (a transfer's copy
    is the same citizen, not a new arrival)."""
    return session.execute(
        select(
            Ticket.service_id,
            Ticket.status,
            Ticket.issued_at,
            Ticket.first_called_at,
            Ticket.started_at,
            Ticket.ended_at,
            Ticket.counter_id,
        ).where(
            Ticket.site_id == site_id,
            Ticket.day >= first,
            Ticket.day <= last,
            Ticket.transferred_from_id.is_(None),
        )
    )


def _visit(row: Any, zone: ZoneInfo) -> Visit:
    local = row.issued_at.astimezone(zone)
    minutes = None
    if row.status == TicketStatus.DONE and row.started_at and row.ended_at:
        minutes = (row.ended_at - row.started_at).total_seconds() / 60
    return Visit(
        service_id=row.service_id,
        day=local.date(),
        minute=local.hour * 60 + local.minute,
        service_minutes=minutes,
        no_show=row.status == TicketStatus.NO_SHOW,
    )


def weekly_plan(
    session: Session,
    site_id: int,
    week_start: date,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    holidays: Iterable[date] | None = None,
    margin: float = 0.0,
    carry: bool = True,
) -> WeeklyPlan:
    """The plan of the week starting on `week_start` (moved back to its Monday), learned
    from the `weeks` weeks before it; with the actual figures of its days already over
    (before `now`'s local day). `holidays` default to Vietnam's public holidays
    (server.domain.staffing.holidays). `margin` plans for a higher share than the target
    (0.05: 85 % for a target of 80 %), buying safety against the model's optimism with
    counter-hours (bench/staffing.py draws the curve); `carry` plans each hour for at least
    the previous hour's arrivals (server.domain.staffing.plan.plan_day)."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(
            f"Số tuần lịch sử phải từ 1 đến {MAX_WEEKS}.",
            f"The weeks of history must be from 1 to {MAX_WEEKS}.",
        )
    site = get_site(session, site_id)
    zone = ZoneInfo(site.timezone)
    week_start = monday_of(week_start)
    history_from = week_start - timedelta(weeks=weeks)
    week_end = week_start + timedelta(days=6)
    if holidays is None:
        holidays = vietnam_holidays(history_from.year, week_end.year)
    services = list(
        session.scalars(
            select(Service)
            .where(Service.site_id == site_id, Service.active.is_(True))
            .order_by(Service.position, Service.id)
        )
    )
    lines = tuple(
        ServiceLine(s.id, s.code, s.name_vi, s.name_en, s.target_minutes, s.target_share)
        for s in services
    )
    targets = {
        line.service_id: Target(line.target_minutes, min(0.99, line.target_share + margin))
        for line in lines
    }
    known = set(targets)

    visits = [
        _visit(row, zone)
        for row in _tickets(session, site_id, history_from, week_start - timedelta(days=1))
        if row.service_id in known
    ]
    forecast = forecast_week(
        visits,
        week_start,
        holidays=holidays,
        expected_minutes={s.id: s.expected_minutes for s in services},
    )
    counters, clerks = _layout(session, site_id)
    days = tuple(
        plan_day(
            day.day,
            day.per_hour(),
            forecast.service_minutes,
            forecast.no_show_share,
            targets,
            counters,
            clerks,
            carry=carry,
        )
        for day in forecast.days
    )

    today = now.astimezone(zone).date()
    past = frozenset(d.day for d in forecast.days if d.day < today)
    actual: dict[tuple[date, int, int], Actual] = defaultdict(Actual)
    used: dict[tuple[date, int], set[int]] = defaultdict(set)
    if past:
        for row in _tickets(session, site_id, week_start, min(week_end, today - timedelta(days=1))):
            if row.service_id not in known:
                continue
            issued = row.issued_at.astimezone(zone)
            cell = actual[(issued.date(), issued.hour, row.service_id)]
            cell.arrivals += 1
            if row.first_called_at is not None and row.status in CALLED:
                cell.called += 1
                waited = (row.first_called_at - row.issued_at).total_seconds() / 60
                cell.within_target += waited <= targets[row.service_id].minutes
                called = row.first_called_at.astimezone(zone)
                if row.counter_id is not None:
                    actual[(called.date(), called.hour, row.service_id)].counter_ids.add(
                        row.counter_id
                    )
                    used[(called.date(), called.hour)].add(row.counter_id)
    return WeeklyPlan(
        site_id=site.id,
        site_name=site.name,
        week_start=week_start,
        history_from=history_from,
        services=lines,
        counter_numbers={c.counter_id: c.number for c in counters},
        forecast=forecast,
        days=days,
        actual=dict(actual),
        actual_counters={key: len(ids) for key, ids in used.items()},
        past_days=past,
    )
