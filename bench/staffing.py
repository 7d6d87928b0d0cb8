"""Benchmark: the staffing advisor's weekly plans, back-tested on a synthetic history
(issue 14).

    .venv/bin/python -m bench.staffing                      # 30 weeks, 150 a day: ~1 min
    .venv/bin/python -m bench.staffing --per-day 300 --weeks-back 6 --end 2027-03-27

1. A throwaway SQLite file gets `--days` days of history from `bench.history.fill` (one
   site laid out like the demo centre, a set of its six counters per 200 citizens a day;
   the days end on `--end`: the default's half year holds Tết 2027 and its rush).
2. For each week after the first `--weeks-back`, the plan is made by the real service
   (server.services.staffing.weekly_plan) from the weeks before it only.
3. The week's real citizens (their issue times, services, priority, and how long each kept
   a counter: first call to end, a no-show's recalls included; when they gave up) are
   replayed twice by the calling rule (server.domain.selection.choose_next):
   - with the plan's counters, hour by hour (a counter planned for an hour may call
     during it; the last hour of the morning and of the afternoon runs on to 12:15 and
     17:30, as the history's counters do);
   - with the schedule the history was generated with (every counter, 07:30-12:15 and
     13:30-17:30).
   A citizen never called (the counters stopped first) misses the target.
4. Per week and in total: the share of open hours in which every service met its target
   (the share of its citizens of that hour called within its target minutes), the share of
   service-hours meeting it, P90 of the wait, and counter-hours, plan against schedule.

The replay is trace-driven, not a replay through the real use cases with a simulated
clock (bench/eta.py does that for the wait predictor): that is left to do. Counter-hours
count the time a counter may call, whether or not someone is waiting.
Output: Markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
import sys
import tempfile
import time as clock
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bench import history
from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import Counter, Service, Site, Ticket
from server.domain.selection import Candidate, choose_next
from server.domain.staffing.plan import DayPlan
from server.domain.tickets import TicketStatus
from server.services import staffing

ZONE = ZoneInfo(history.TIMEZONE)
H = 3600
# When the history's counters may call (seconds after local midnight).
MORNING = (7 * H + 1800, 12 * H + 900)
AFTERNOON = (13 * H + 1800, 17 * H + 1800)
SATURDAY_WINDOWS = (MORNING,)
WEEKDAY_WINDOWS = (MORNING, AFTERNOON)


@dataclass
class Citizen:
    ticket_id: int
    service_id: int
    priority: bool
    arrives: float  # seconds after local midnight
    busy: float  # seconds a counter is kept: first call to end
    gives_up: float | None  # when they cancel if still waiting
    called: float | None = None


@dataclass
class Outcome:
    """Per (hour, service): citizens and those called within the target."""

    cells: dict[tuple[int, int], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0])
    )
    waits: list[float] = field(default_factory=list)
    counter_seconds: float = 0.0


def windows_of(day: date) -> tuple[tuple[int, int], ...]:
    return SATURDAY_WINDOWS if day.weekday() == 5 else WEEKDAY_WINDOWS


def plan_intervals(day_plan: DayPlan, day: date) -> dict[int, list[tuple[float, float]]]:
    """Counter id -> the intervals the plan lets it call in, clipped to the site's calling
    windows; a window's last planned hour runs on to the window's end."""
    spans: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for start, end in windows_of(day):
        hours = [h for h in day_plan.hours if start < (h.hour + 1) * H and h.hour * H < end]
        for index, hour in enumerate(hours):
            begin = max(start, hour.hour * H)
            finish = end if index == len(hours) - 1 else min(end, (hour.hour + 1) * H)
            for seat in hour.seats:
                spans[seat.counter_id].append((begin, finish))
    return spans


def schedule_intervals(
    counter_ids: Sequence[int], day: date
) -> dict[int, list[tuple[float, float]]]:
    return {c: [(float(s), float(e)) for s, e in windows_of(day)] for c in counter_ids}


def replay(
    citizens: list[Citizen],
    open_spans: dict[int, list[tuple[float, float]]],
    ranks: dict[int, dict[int, int]],
    targets: dict[int, float],
    max_streak: int,
) -> Outcome:
    """The day replayed by the calling rule with counters open in `open_spans`."""
    base = datetime(2000, 1, 1, tzinfo=UTC)
    out = Outcome()
    for spans in open_spans.values():
        out.counter_seconds += sum(end - start for start, end in spans)
    events: list[tuple[float, int, int]] = []  # (time, order, what): arrivals and wake-ups
    order = itertools.count()
    by_id = {c.ticket_id: c for c in citizens}
    for c in citizens:
        heapq.heappush(events, (c.arrives, next(order), c.ticket_id))
    for spans in open_spans.values():
        for start, _ in spans:
            heapq.heappush(events, (start, next(order), 0))
    free_at = {counter_id: 0.0 for counter_id in open_spans}
    streak = {counter_id: 0 for counter_id in open_spans}
    waiting: dict[int, Citizen] = {}

    def may_call(counter_id: int, now: float) -> bool:
        return free_at[counter_id] <= now and any(s <= now < e for s, e in open_spans[counter_id])

    while events:
        now, _, what = heapq.heappop(events)
        if what:
            waiting[what] = by_id[what]
        for ticket_id, c in list(waiting.items()):
            if c.gives_up is not None and c.gives_up <= now:
                del waiting[ticket_id]
        for counter_id in sorted(open_spans):
            if not waiting or not may_call(counter_id, now):
                continue
            chosen = choose_next(
                (
                    Candidate(
                        c.ticket_id, c.service_id, c.priority, base + timedelta(seconds=c.arrives)
                    )
                    for c in waiting.values()
                ),
                ranks[counter_id],
                streak[counter_id],
                max_streak,
            )
            if chosen is None:
                continue
            citizen = waiting.pop(chosen.ticket_id)
            citizen.called = now
            streak[counter_id] = streak[counter_id] + 1 if citizen.priority else 0
            free_at[counter_id] = now + citizen.busy
            heapq.heappush(events, (free_at[counter_id], next(order), 0))
    for c in citizens:
        if c.gives_up is not None and c.called is None:
            continue  # left by themselves: neither within nor outside the target
        cell = out.cells[(int(c.arrives // H), c.service_id)]
        cell[0] += 1
        if c.called is not None:
            waited = (c.called - c.arrives) / 60
            out.waits.append(waited)
            cell[1] += waited <= targets[c.service_id]
        else:
            out.waits.append(math.inf)
    return out


def citizens_of(db: Database, site_id: int, day: date, minutes: dict[int, float]) -> list[Citizen]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=ZONE)
    found: list[Citizen] = []
    with db.reading() as session:
        rows = session.execute(
            select(Ticket).where(
                Ticket.site_id == site_id, Ticket.day == day, Ticket.transferred_from_id.is_(None)
            )
        ).scalars()
        for t in rows:
            arrives = (t.issued_at - start).total_seconds()
            if t.first_called_at is not None and t.ended_at is not None:
                busy = (t.ended_at - t.first_called_at).total_seconds()
            else:
                busy = minutes[t.service_id] * 60
            gives_up = None
            if t.status == TicketStatus.CANCELLED and t.ended_at is not None:
                gives_up = (t.ended_at - start).total_seconds()
            found.append(
                Citizen(t.id, t.service_id, t.priority is not None, arrives, busy, gives_up)
            )
    return found


@dataclass
class Tally:
    hours: int = 0
    hours_met: int = 0
    service_hours: int = 0
    service_hours_met: int = 0
    counter_seconds: float = 0.0
    waits: list[float] = field(default_factory=list)

    def add(self, out: Outcome, shares: dict[int, float]) -> None:
        self.counter_seconds += out.counter_seconds
        self.waits += out.waits
        by_hour: dict[int, bool] = {}
        for (hour, service_id), (came, within) in out.cells.items():
            met = came == 0 or within / came >= shares[service_id] - 1e-9
            self.service_hours += 1
            self.service_hours_met += met
            by_hour[hour] = by_hour.get(hour, True) and met
        self.hours += len(by_hour)
        self.hours_met += sum(by_hour.values())

    def merge(self, other: Tally) -> None:
        self.hours += other.hours
        self.hours_met += other.hours_met
        self.service_hours += other.service_hours
        self.service_hours_met += other.service_hours_met
        self.counter_seconds += other.counter_seconds
        self.waits += other.waits

    def row(self) -> str:
        waits = sorted(self.waits)
        p90 = waits[int(0.9 * (len(waits) - 1))] if waits else 0.0
        p90_text = "∞" if math.isinf(p90) else f"{p90:.0f}"
        return (
            f"{100 * self.hours_met / max(1, self.hours):5.1f} % | "
            f"{100 * self.service_hours_met / max(1, self.service_hours):5.1f} % | "
            f"{p90_text:>4} | {self.counter_seconds / H:7.1f}"
        )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=210)
    parser.add_argument("--per-day", type=int, default=150)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2027, 3, 27))
    parser.add_argument("--weeks-back", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--share", type=float, default=None, help="Every service's target share (default 0.8)."
    )
    parser.add_argument(
        "--margins",
        default="0",
        help="Comma-separated margins to plan with above the target share (a trade-off curve).",
    )
    parser.add_argument(
        "--no-carry", action="store_true", help="Plan each hour for its own arrivals only."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'staffing.db'}"
        upgrade(url)
        db = Database(url)
        started = clock.perf_counter()
        made = history.fill(db, 1, args.days, args.per_day, seed=args.seed, end=args.end)
        say(f"history: {made.open_days} open days in {clock.perf_counter() - started:.0f} s")
        site_id = made.sites[0][0]
        if args.share is not None:
            with db.write_session() as session, session.begin():
                session.execute(
                    update(Service)
                    .where(Service.site_id == site_id)
                    .values(target_share=args.share)
                )
        with db.reading() as session:
            site = session.get(Site, site_id)
            assert site is not None
            max_streak = site.max_priority_streak
            services = list(session.scalars(select(Service).where(Service.site_id == site_id)))
            counters = list(session.scalars(select(Counter).where(Counter.site_id == site_id)))
            ranks = {c.id: c.service_rank for c in counters}
        targets = {s.id: float(s.target_minutes) for s in services}
        minutes = {s.id: s.expected_minutes for s in services}
        first_week = staffing.monday_of(made.first) + timedelta(weeks=args.weeks_back + 1)
        later = datetime.combine(args.end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        margins = [float(m) for m in args.margins.split(",")]
        weeks = []
        week = first_week
        while week + timedelta(days=5) <= args.end:
            weeks.append(week)
            week += timedelta(weeks=1)
        days = {
            day: citizens_of(db, site_id, day, minutes)
            for week in weeks
            for day in (week + timedelta(days=i) for i in range(6))
            if history.is_open(day)
        }
        print(
            f"## Staffing plans back-tested: {args.per_day} citizens a day, "
            f"{len(counters)} counters, {len(weeks)} weeks each planned from the "
            f"{args.weeks_back} weeks before it, target "
            f"{100 * services[0].target_share:.0f} % within each service's minutes\n"
        )
        shares = {s.id: s.target_share for s in services}
        schedule_weeks: dict[date, Tally] = {}
        total_schedule = Tally()
        for week in weeks:
            part = Tally()
            for day in (week + timedelta(days=i) for i in range(6)):
                if days.get(day):
                    for c in days[day]:
                        c.called = None
                    spans = schedule_intervals(list(ranks), day)
                    part.add(replay(days[day], spans, ranks, targets, max_streak), shares)
            schedule_weeks[week] = part
            total_schedule.merge(part)
        curve: list[tuple[float, Tally]] = []
        for margin in margins:
            say(f"planning with margin {margin}")
            total_plan = Tally()
            plan_seconds = 0.0
            lines = []
            for week in weeks:
                tick = clock.perf_counter()
                with db.reading() as session:
                    plan = staffing.weekly_plan(
                        session,
                        site_id,
                        week,
                        later,
                        weeks=args.weeks_back,
                        margin=margin,
                        carry=not args.no_carry,
                    )
                plan_seconds += clock.perf_counter() - tick
                part = Tally()
                for day_plan in plan.days:
                    if days.get(day_plan.day):
                        for c in days[day_plan.day]:
                            c.called = None
                        spans = plan_intervals(day_plan, day_plan.day)
                        part.add(
                            replay(days[day_plan.day], spans, ranks, targets, max_streak), shares
                        )
                total_plan.merge(part)
                lines.append(f"| {week:%d/%m/%Y} | {part.row()} | {schedule_weeks[week].row()} |")
            curve.append((margin, total_plan))
            if margin == margins[0]:
                print(f"### Week by week (margin {margin:.2f})\n")
                print(
                    "| week | hours met (plan) | service-hours met | P90 wait | counter-hours | "
                    "hours met (schedule) | service-hours met | P90 wait | counter-hours |"
                )
                print("|---|---|---|---|---|---|---|---|---|")
                print("\n".join(lines))
                print(f"| **all** | {total_plan.row()} | {total_schedule.row()} |")
                print(f"\nPlanning time: {plan_seconds:.1f} s for {len(weeks)} weeks.\n")
        print("### Trade-off: planning margin above the target share\n")
        print("| plan | hours met | service-hours met | P90 wait | counter-hours |")
        print("|---|---|---|---|---|")
        for margin, tally in curve:
            print(f"| margin {margin:.2f} | {tally.row()} |")
        print(f"| schedule of the history | {total_schedule.row()} |")
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
