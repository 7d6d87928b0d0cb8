"""Benchmark 6: the waits quoted to citizens, graded against the waits they had (issue 13).

    .venv/bin/python bench/eta.py                  # commune x2, ward x2, peak x1: 4-8 min
    .venv/bin/python bench/eta.py --quick          # one day each, a third of the peak: ~3 min
    .venv/bin/python bench/eta.py --profiles ward --days 3 --runs 60 --dump /tmp/ward.csv

For each profile (bench/days.py: a commune of ~120 citizens on 3 counters, a ward of ~300
on the demo centre's 6 counters with their shared services, a peak day of ~1,200 on 24):

1. a throwaway SQLite file gets `--history-days` days of past tickets from
   `bench.history.fill` (seed LEARN_SEED, ending the day before the graded day), its
   counters laid out as the profile says; the predictor learns its habits from those
   tickets (`server.domain.prediction.learn`), as a read model would from the table, and
   from a log of the clerks' pauses over those days, drawn as the replay's clerks pause
   (the database keeps no such log);
2. each graded day (`--days` of them, seeds `--seed`, +1, ...: 101, 102, ... by default;
   days the predictor has never seen) is replayed on a fresh copy of that file through
   the real use cases
   (server.services.tickets and .counters) with a simulated clock: clerks open their
   counters at 07:28, call the next citizen when free (`call_next`), recall, start,
   finish, mark no-shows and transfer as each citizen's drawn truth says, break for lunch
   (no calls 12:15-13:30), take a 10-20 minute pause now and then, and stop calling at
   17:30 (the sweeper expires what is left); citizens take numbers at the kiosk
   (07:30-11:30, 13:30-17:00) and some give up from the phone;
3. just before each number is issued, three predictors quote the wait for it:
   the new predictor (`predict` on a snapshot of the hall: the median and its P10-P90
   range), today's rule (`estimate_wait_minutes` with the inputs `issue_ticket` gave it
   before the predictor was wired in: computed here, see `rule_minutes`) and an
   M/M/c (Erlang C) mean wait for the service (arrivals of the last hour, the rule's
   service times, the open counters serving it);
4. each quote is graded against the real wait (number taken to first call).

`--seed` and `--learn-seed` choose other graded days and another history: tune on some,
check on others. Besides its errors, the new predictor's report gives the MAE it expected
of itself (the mean distance from each quote to its own runs' call times): when the real
MAE is no larger, what is left is the spread of the day, not the model's error.

`--every N` quotes and grades every Nth citizen only (the others just take a number);
`--quick` does so for the peak with N = 3.
Every `--phone-every`th issue, the forecast's quote of every waiting ticket (what the phone
page would show) is graded too, against today's rule for the same tickets.

Output: Markdown on stdout (a table per profile), progress on stderr. Times of the
predictor are CPU times of this process (the machine may be shared).
"""

from __future__ import annotations

import argparse
import csv
import heapq
import itertools
import math
import random
import shutil
import sys
import time as clock
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import log, md_table, percentile, print_header, workdir
from days import PROFILES, Citizen, Profile, citizens
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bench import history
from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import (
    Counter,
    CounterService,
    Service,
    Site,
    Ticket,
    User,
)
from server.domain.errors import QueueEmpty
from server.domain.estimate import average_service_seconds, estimate_wait_minutes
from server.domain.prediction import (
    Flag,
    Forecast,
    Habits,
    Hall,
    Hours,
    PastPause,
    PastTicket,
    Quote,
    learn,
)
from server.domain.prediction.forecast import play
from server.domain.selection import people_ahead
from server.domain.tickets import Priority, TicketStatus
from server.services import counters as counter_cases
from server.services import tickets as ticket_cases
from server.services import waits
from server.services.unit_of_work import UnitOfWork

ZONE = ZoneInfo(history.TIMEZONE)
DAY = date(2026, 11, 24)  # a Tuesday; the history ends on the Monday before
LEARN_SEED = 1
GRADE_SEEDS = 101  # the graded days' seeds: 101, 102, ...
LUNCH = (time(12, 15), time(13, 30))  # no calls (bench.history's counter hours)
CLOSES = time(17, 30)
OPEN_COUNTERS_AT = 7 * 3600 + 28 * 60
BREAK_SHARE = 0.4  # of a counter's half days with a pause
H = 3600


def seconds_of(moment: time) -> int:
    return moment.hour * H + moment.minute * 60 + moment.second


MIDNIGHT = datetime.combine(DAY, time(), tzinfo=ZONE).astimezone(UTC)


def at(seconds: float) -> datetime:
    return MIDNIGHT + timedelta(seconds=seconds)


class SimClock:
    """The unit of work's clock: the replay moves it from event to event."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> datetime:
        return at(self.seconds)


def breaks(rng: random.Random) -> list[tuple[float, float]]:
    """A clerk's pauses in a day: (from, minutes), at most one a half day. Each is taken at
    the counter's first free moment after its time."""
    taken = []
    for start, end in ((9 * H, 11 * H), (14 * H + 1800, 16 * H)):
        if rng.random() < BREAK_SHARE:
            taken.append((rng.uniform(start, end), rng.uniform(10, 20)))
    return taken


# -- the site and its past -----------------------------------------------------------------


@dataclass
class Template:
    """A migrated SQLite file with the profile's site and its history."""

    path: Path
    site_id: int
    service_ids: dict[str, int]  # by code
    counters: dict[int, tuple[int, int]]  # number: (counter id, clerk id)
    habits: Habits
    history_tickets: int
    fill_seconds: float
    learn_seed: int = LEARN_SEED


def build_template(
    profile: Profile, folder: Path, history_days: int, learn_seed: int = LEARN_SEED
) -> Template:
    """Fill a fresh file with history (bench.history.fill), lay out the counters the
    profile uses (the others stay closed), and learn the site's habits from its tickets."""
    path = folder / f"{profile.name}-template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    started = clock.perf_counter()
    made = history.fill(
        db,
        sites=1,
        days=history_days,
        per_day=profile.citizens,
        seed=learn_seed,
        end=DAY - timedelta(days=1),
    )
    fill_seconds = clock.perf_counter() - started
    site_id, code = made.sites[0]
    with db.write_session() as session, session.begin():
        services = {
            s.code: s.id for s in session.scalars(select(Service).where(Service.site_id == site_id))
        }
        by_number = {
            c.number: c
            for c in session.scalars(
                select(Counter)
                .where(Counter.site_id == site_id)
                .options(selectinload(Counter.service_links))
            )
        }
        users = {u.username: u.id for u in session.scalars(select(User))}
        layout: dict[int, tuple[int, int]] = {}
        for number, (main, secondary) in profile.counters.items():
            counter = by_number[number]
            counter.service_links.clear()
            session.flush()
            for position, service in enumerate(main + secondary):
                counter.service_links.append(
                    CounterService(
                        service_id=services[service],
                        rank=0 if service in main else 1,
                        position=position,
                    )
                )
            # bench.history gives counter k of a site to its clerk k.
            layout[number] = (counter.id, users[f"{code}-canbo{number}"])
    with db.reading() as session:
        expected = {
            s.id: s.expected_minutes
            for s in session.scalars(select(Service).where(Service.site_id == site_id))
        }
        past = past_tickets(session, site_id)
        habits = learn(past, expected, ZONE, past_pauses(past, learn_seed))
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return Template(path, site_id, services, layout, habits, made.tickets, fill_seconds, learn_seed)


def past_tickets(session: Session, site_id: int) -> list[PastTicket]:
    """The site's tickets before the graded day, as the learner reads them (the server's
    read model: server.services.waits)."""
    return waits.past_tickets(session, site_id, date.min, until=DAY)


def past_pauses(past: list[PastTicket], learn_seed: int = LEARN_SEED) -> list[PastPause]:
    """The clerks' pauses over the history's days, drawn as the replay's clerks take them
    (the database keeps no log of counter states, and bench.history draws no pauses): one
    day of pauses for each counter that served someone that day."""
    rng = random.Random(f"eta-pauses:{learn_seed}")
    worked = sorted(
        {(t.counter_id, t.issued_at.astimezone(ZONE).date()) for t in past if t.counter_id},
        key=lambda pair: (pair[1], pair[0]),
    )
    pauses = []
    for counter_id, day in worked:
        midnight = datetime.combine(day, time(), tzinfo=ZONE)
        for start, minutes in breaks(rng):
            begins = midnight + timedelta(seconds=start)
            pauses.append(PastPause(counter_id, begins, begins + timedelta(minutes=minutes)))
    return pauses


# -- the hall now, as a read model would see it ----------------------------------------------


def hall_now(session: Session, site_id: int, now: datetime) -> Hall:
    """A snapshot of the site for the predictor, as the server reads it
    (server.services.waits.read_hall), with the replay's lunch break."""
    site = session.get(Site, site_id)
    assert site is not None
    hall = waits.read_hall(session, site, now)
    return replace(hall, hours=Hours(site.opens_at, site.closes_at, ZONE, *LUNCH))


# -- today's rule and the M/M/c figure -----------------------------------------------------


def rule_minutes(
    session: Session, hall: Hall, service: Service, priority: Priority | None
) -> float:
    """Today's rule for a ticket issued now (server.domain.estimate, as `issue_ticket` of
    commit bb96666 computed it just before the ticket's insert): the service's waiting
    tickets (priority ones only, for a priority ticket) x the mean of its last 20 service
    times / its open counters; 0 with nobody ahead. Computed here rather than read from
    `issue_ticket`, whose figure becomes the new predictor's once that is wired in."""
    ahead = sum(
        1
        for t in hall.waiting
        if t.service_id == service.id and (t.is_priority or priority is None)
    )
    if not ahead:
        return 0.0
    open_counters = ticket_cases.open_counter_count(session, service.id)
    recent = ticket_cases.recent_service_seconds(session, service.id)
    return float(estimate_wait_minutes(ahead, open_counters, recent, service.expected_minutes))


def erlang_c_wait(arrivals_per_second: float, service_seconds: float, servers: int) -> float:
    """Mean wait in queue (seconds) of an M/M/c queue, or math.inf when it is unstable."""
    offered = arrivals_per_second * service_seconds
    if servers < 1 or offered >= servers:
        return math.inf
    term, total = 1.0, 1.0  # a^k / k!, summed for k < c
    for k in range(1, servers):
        term *= offered / k
        total += term
    last = term * offered / servers / (1 - offered / servers)  # a^c / c! / (1 - rho)
    waiting_probability = last / (total + last)
    return waiting_probability * service_seconds / (servers - offered)


def mmc_minutes(session: Session, site_id: int, service: Service, now: datetime) -> float:
    """The M/M/c mean wait of a new ticket of `service`: arrivals of the last hour (or
    since opening), today's rule's service time, the open counters serving it; when the
    queue is unstable (arrivals beyond the counters' pace), the time to clear the people
    waiting at that pace."""
    since = max(now - timedelta(hours=1), at(seconds_of(time(7, 30))))
    window = max((now - since).total_seconds(), 15 * 60)
    arrived = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.site_id == site_id,
            Ticket.service_id == service.id,
            Ticket.issued_at >= since,
            Ticket.transferred_from_id.is_(None),
        )
    )
    mean = average_service_seconds(
        ticket_cases.recent_service_seconds(session, service.id), service.expected_minutes
    )
    servers = max(ticket_cases.open_counter_count(session, service.id), 1)
    wait = erlang_c_wait((arrived or 0) / window, mean, servers)
    if math.isinf(wait):
        ahead = session.scalar(
            select(func.count(Ticket.id)).where(
                Ticket.service_id == service.id, Ticket.status == TicketStatus.WAITING
            )
        )
        wait = ((ahead or 0) + 1) * mean / servers
    return wait / 60


# -- the replay ------------------------------------------------------------------------------


@dataclass
class Issued:
    """What each predictor quoted a citizen just before their number was issued."""

    citizen: Citizen
    ticket_id: int
    issued: float
    quote: Quote
    rule: float
    mmc: float
    waiting: int  # tickets waiting at the site then
    cpu_ms: float  # the forecast's CPU time
    own_error: float = math.nan  # the mean distance of the runs' call times to the quote


@dataclass
class PhoneQuote:
    """A waiting ticket's quote at some moment (what its phone page would show)."""

    ticket_id: int
    moment: float
    quote: Quote
    rule: float


@dataclass
class DayResult:
    issued: list[Issued] = field(default_factory=list)
    phone: list[PhoneQuote] = field(default_factory=list)
    first_called: dict[int, float] = field(default_factory=dict)  # ticket id: seconds
    statuses: dict[int, str] = field(default_factory=dict)
    predict_ms: list[tuple[float, int]] = field(default_factory=list)  # (CPU ms, waiting)
    replay_seconds: float = 0.0


_ARRIVE, _FREE, _STEP, _GIVE_UP, _CLOSE = range(5)


class Replay:
    """One graded day through the real use cases, with a simulated clock."""

    def __init__(
        self,
        template: Template,
        path: Path,
        day: list[Citizen],
        seed: int,
        runs: int,
        phone_every: int,
        every: int = 1,
    ) -> None:
        shutil.copyfile(template.path, path)
        self.db = Database(f"sqlite:///{path}")
        self.clock = SimClock()
        self.uow = UnitOfWork(self.db, clock=self.clock)
        self.template = template
        self.site_id = template.site_id
        self.day = day
        self.rng = random.Random(f"eta-clerks:{seed}")
        self.runs = runs
        self.phone_every = phone_every
        self.every = every
        self.events: list[tuple[float, int, int, Any]] = []
        self.order = itertools.count()
        self.codes = {v: k for k, v in template.service_ids.items()}
        self.counters = template.counters  # number: (id, clerk)
        with self.db.reading() as session:
            self.serves = {
                number: {
                    self.codes[link.service_id]
                    for link in session.get(Counter, counter_id).service_links  # type: ignore[union-attr]
                }
                for number, (counter_id, _) in self.counters.items()
            }
            self.services = {
                s.id: s
                for s in session.scalars(select(Service).where(Service.site_id == self.site_id))
            }
        self.idle: set[int] = set()
        self.paused: set[int] = set()
        self.breaks = self._breaks()
        self.closed = False
        self.by_ticket: dict[int, tuple[Citizen, int]] = {}  # ticket id: (citizen, leg)
        self.waiting_citizens: dict[int, int] = {}  # citizen order: ticket id, until called
        self.tokens: dict[int, str] = {}
        self.result = DayResult()

    def push(self, seconds: float, kind: int, what: Any) -> None:
        heapq.heappush(self.events, (seconds, next(self.order), kind, what))

    def _breaks(self) -> dict[int, list[tuple[float, float]]]:
        return {number: breaks(self.rng) for number in self.counters}

    def run(self) -> DayResult:
        started = clock.perf_counter()
        for number in self.counters:
            self.push(OPEN_COUNTERS_AT + self.rng.uniform(0, 120), _STEP, ("open", number))
        for citizen in self.day:
            self.push(citizen.arrives, _ARRIVE, citizen)
        self.push(seconds_of(CLOSES), _CLOSE, None)
        while self.events:
            now, _, kind, what = heapq.heappop(self.events)
            self.clock.seconds = now
            if kind == _ARRIVE:
                self.arrive(what, now)
            elif kind == _FREE:
                self.free(what, now)
            elif kind == _STEP:
                self.step(what, now)
            elif kind == _GIVE_UP:
                self.give_up(what)
            else:
                self.closed = True
                ticket_cases.expire_leftovers(self.uow, self.site_id)
        self._read_outcome()
        self.db.dispose()
        self.result.replay_seconds = clock.perf_counter() - started
        return self.result

    # -- citizens --------------------------------------------------------------------------

    def arrive(self, citizen: Citizen, now: float) -> None:
        service_id = self.template.service_ids[citizen.service]
        if citizen.order % self.every:  # not graded: just a number
            issued = ticket_cases.issue_ticket(self.uow, self.site_id, service_id, citizen.priority)
            self._issued(citizen, issued.ticket_id, issued.token, now)
            return
        moment = at(now)
        with self.db.reading() as session:
            hall = hall_now(session, self.site_id, moment)
            started = clock.thread_time()
            forecast, minutes = play(hall, self.template.habits, runs=self.runs)
            cpu_ms = (clock.thread_time() - started) * 1000
            self.result.predict_ms.append((cpu_ms, len(hall.waiting)))
            mmc = mmc_minutes(session, self.site_id, self.services[service_id], moment)
            rule = rule_minutes(session, hall, self.services[service_id], citizen.priority)
            if self.phone_every and citizen.order % (self.phone_every * self.every) == 0:
                self._phone(session, hall, forecast, now)
        quotes = forecast.priority_services if citizen.priority else forecast.services
        runs = minutes[("priority" if citizen.priority else "normal", service_id)]
        to_closing = (seconds_of(CLOSES) - now) / 60
        quoted = point(quotes[service_id], to_closing)
        own_error = sum(abs(min(m, to_closing) - quoted) for m in runs) / len(runs)
        issued = ticket_cases.issue_ticket(self.uow, self.site_id, service_id, citizen.priority)
        self._issued(citizen, issued.ticket_id, issued.token, now)
        self.result.issued.append(
            Issued(
                citizen,
                issued.ticket_id,
                now,
                quotes[service_id],
                rule,
                mmc,
                len(hall.waiting),
                cpu_ms,
                own_error,
            )
        )

    def _issued(self, citizen: Citizen, ticket_id: int, token: str, now: float) -> None:
        self.by_ticket[ticket_id] = (citizen, 1)
        self.waiting_citizens[citizen.order] = ticket_id
        self.tokens[citizen.order] = token
        if citizen.patience is not None:
            self.push(now + citizen.patience, _GIVE_UP, citizen)
        self._wake(citizen.service, now)

    def _phone(self, session: Session, hall: Hall, forecast: Forecast, now: float) -> None:
        """Every waiting ticket's quote now, and today's rule for it (people ahead in its
        service x recent service time / open counters)."""
        per_service: dict[int, tuple[int, list[float], float]] = {}
        for ticket in hall.waiting:
            if ticket.service_id not in per_service:
                service = self.services[ticket.service_id]
                per_service[ticket.service_id] = (
                    ticket_cases.open_counter_count(session, service.id),
                    ticket_cases.recent_service_seconds(session, service.id),
                    service.expected_minutes,
                )
            open_counters, recent, minutes = per_service[ticket.service_id]
            ahead = people_ahead(ticket, hall.waiting)
            rule = estimate_wait_minutes(ahead, open_counters, recent, minutes)
            self.result.phone.append(
                PhoneQuote(ticket.ticket_id, now, forecast.tickets[ticket.ticket_id], float(rule))
            )

    def give_up(self, citizen: Citizen) -> None:
        if citizen.order in self.waiting_citizens:
            del self.waiting_citizens[citizen.order]
            ticket_cases.cancel_by_citizen(self.uow, self.tokens[citizen.order])

    # -- clerks ----------------------------------------------------------------------------

    def _wake(self, service: str, now: float) -> None:
        """The first idle counter serving `service` notices the new ticket."""
        for number in sorted(self.idle):
            if service in self.serves[number]:
                self.idle.discard(number)
                self.push(now + self.rng.uniform(2, 20), _FREE, number)
                return

    def _calling(self, now: float) -> float | None:
        """When a counter free at `now` may call: now, after lunch, or never."""
        if self.closed or now >= seconds_of(CLOSES):
            return None
        if seconds_of(LUNCH[0]) <= now < seconds_of(LUNCH[1]):
            return seconds_of(LUNCH[1]) + self.rng.uniform(0, 180)
        return now

    def free(self, number: int, now: float) -> None:
        """A clerk with nobody at the counter: a pause if one is due, else call next."""
        when = self._calling(now)
        if when is None:
            return
        if when > now:
            self.push(when, _FREE, number)
            return
        counter_id, clerk_id = self.counters[number]
        due = self.breaks.get(number)
        if due and due[0][0] <= now:
            _, minutes = due.pop(0)
            counter_cases.pause_counter(self.uow, counter_id, clerk_id, "Nghỉ giải lao")
            self.push(now + minutes * 60, _STEP, ("open", number))
            return
        try:
            called = ticket_cases.call_next(self.uow, counter_id, clerk_id)
        except QueueEmpty:
            self.idle.add(number)
            return
        citizen, leg = self.by_ticket[called.ticket_id]
        self.waiting_citizens.pop(citizen.order, None)
        if leg == 2:
            self.push(now + citizen.second_walk_up, _STEP, ("start", number))
            return
        for k in range(1, citizen.recalls + 1):
            self.push(now + k * citizen.recall_gap, _STEP, ("recall", number))
        if citizen.absent:
            self.push(now + citizen.marked_absent_after, _STEP, ("no_show", number))
        else:
            self.push(now + citizen.walk_up, _STEP, ("start", number))

    def step(self, what: tuple[str, int], now: float) -> None:
        action, number = what
        counter_id, clerk_id = self.counters[number]
        uow = self.uow
        if action == "open":
            counter_cases.open_counter(uow, counter_id, clerk_id)
            self.push(now, _FREE, number)
        elif action == "recall":
            ticket_cases.recall(uow, counter_id, clerk_id)
        elif action == "no_show":
            ticket_cases.mark_no_show(uow, counter_id, clerk_id)
            self.push(now + self.rng.uniform(5, 30), _FREE, number)
        elif action == "start":
            ticket = ticket_cases.start_serving(uow, counter_id, clerk_id)
            citizen, leg = self.by_ticket[ticket.ticket_id]
            if leg == 1 and citizen.transfer_to is not None:
                self.push(now + citizen.transfer_after, _STEP, ("transfer", number))
            else:
                seconds = citizen.service_seconds if leg == 1 else citizen.second_service_seconds
                self.push(now + seconds, _STEP, ("finish", number))
        elif action == "finish":
            ticket_cases.finish(uow, counter_id, clerk_id)
            self.push(now + self.rng.uniform(5, 30), _FREE, number)
        elif action == "transfer":
            with self.db.reading() as session:
                current = session.scalars(
                    select(Ticket).where(
                        Ticket.counter_id == counter_id, Ticket.status == TicketStatus.SERVING
                    )
                ).one()
            citizen, _ = self.by_ticket[current.id]
            assert citizen.transfer_to is not None
            target = self.template.service_ids[citizen.transfer_to]
            moved = ticket_cases.transfer(uow, counter_id, clerk_id, target)
            self.by_ticket[moved.ticket_id] = (citizen, 2)
            self.push(now + self.rng.uniform(5, 30), _FREE, number)
            self._wake(citizen.transfer_to, now)

    def _read_outcome(self) -> None:
        with self.db.reading() as session:
            for ticket in session.scalars(
                select(Ticket).where(Ticket.site_id == self.site_id, Ticket.day == DAY)
            ):
                self.result.statuses[ticket.id] = str(ticket.status)
                if ticket.first_called_at is not None:
                    self.result.first_called[ticket.id] = (
                        ticket.first_called_at - MIDNIGHT
                    ).total_seconds()


# -- grading ---------------------------------------------------------------------------------


@dataclass
class Graded:
    """Predictions against real waits, in minutes."""

    predicted: list[float] = field(default_factory=list)
    real: list[float] = field(default_factory=list)
    low: list[float] = field(default_factory=list)  # P10 (new predictor only)
    high: list[float] = field(default_factory=list)  # P90

    def add(
        self, predicted: float, real: float, low: float = math.nan, high: float = math.nan
    ) -> None:
        self.predicted.append(predicted)
        self.real.append(real)
        self.low.append(low)
        self.high.append(high)

    def errors(self) -> list[float]:
        return [p - r for p, r in zip(self.predicted, self.real, strict=True)]

    def sse(self) -> float:
        return sum(e * e for e in self.errors())

    def row(self, name: str, baseline: Graded | None) -> list[Any]:
        errors = self.errors()
        n = len(errors)
        if n == 0:
            return [name, 0, *["-"] * 10]
        absolute = [abs(e) for e in errors]
        short = [abs(p - r) for p, r in zip(self.predicted, self.real, strict=True) if r < 30]
        close = sum(1 for e, r in zip(absolute, self.real, strict=True) if e <= max(0.2 * r, 2.0))
        reduction = "-" if baseline is None else f"{100 * (1 - self.sse() / baseline.sse()):.0f} %"
        ranged = [
            (lo, r, hi)
            for lo, r, hi in zip(self.low, self.real, self.high, strict=True)
            if not math.isnan(lo)
        ]
        inside = (
            f"{100 * sum(1 for lo, r, hi in ranged if lo <= r <= hi) / len(ranged):.0f} %"
            if ranged
            else "-"
        )
        later = (
            f"{100 * sum(1 for _, r, hi in ranged if r > hi) / len(ranged):.0f} %"
            if ranged
            else "-"
        )
        return [
            name,
            n,
            sum(absolute) / n,
            percentile(absolute, 50),
            sum(errors) / n,
            f"{100 * sum(1 for e in absolute if e <= 5) / n:.0f} %",
            f"{100 * close / n:.0f} %",
            sum(short) / len(short) if short else "-",
            reduction,
            inside,
            later,
        ]


HEADERS = [
    "predictor",
    "citizens",
    "MAE (min)",
    "median abs. error",
    "bias",
    "within ±5 min",
    "within ±20 % or ±2 min",
    "MAE, waits < 30 min",
    "squared error vs today",
    "inside P10-P90",
    "later than P90",
]


def point(quote: Quote, minutes_to_closing: float) -> float:
    """The new predictor's figure: its median, or the time to closing when it says the
    ticket may not be called today at all."""
    return min(quote.median, max(minutes_to_closing, 0.0))


def grade(results: list[DayResult]) -> dict[str, Any]:
    new, rule, mmc = Graded(), Graded(), Graded()
    phone_new, phone_rule = Graded(), Graded()
    long_new, long_rule = Graded(), Graded()  # phone: 30-60 minutes still to wait
    flags: dict[str, int] = defaultdict(int)
    own: list[float] = []  # the error each quote expected of itself (its runs' spread)
    closing = seconds_of(CLOSES)
    for result in results:
        for issue in result.issued:
            status = result.statuses.get(issue.ticket_id)
            called = result.first_called.get(issue.ticket_id)
            flagged = Flag.MAY_MISS_CLOSING in issue.quote.flags
            if called is None:
                if status == TicketStatus.EXPIRED:
                    flags["expired"] += 1
                    flags["expired, flagged"] += flagged
                continue
            flags["called, flagged may miss closing"] += flagged
            flags["no counter"] += Flag.NO_COUNTER in issue.quote.flags
            flags["may miss lunch"] += Flag.MAY_MISS_LUNCH in issue.quote.flags
            real = (called - issue.issued) / 60
            to_closing = (closing - issue.issued) / 60
            quote = issue.quote
            new.add(point(quote, to_closing), real, min(quote.p10, to_closing), quote.p90)
            own.append(issue.own_error)
            rule.add(issue.rule, real)
            mmc.add(min(issue.mmc, to_closing), real)
        for seen in result.phone:
            called = result.first_called.get(seen.ticket_id)
            if called is None:
                continue
            real = (called - seen.moment) / 60
            to_closing = (closing - seen.moment) / 60
            quote = seen.quote
            phone_new.add(point(quote, to_closing), real, min(quote.p10, to_closing), quote.p90)
            phone_rule.add(seen.rule, real)
            if 30 <= real < 60:
                long_new.add(point(quote, to_closing), real)
                long_rule.add(seen.rule, real)
    return {
        "issue": [
            new.row("new predictor (median, P10-P90)", rule),
            rule.row("today's rule", None),
            mmc.row("M/M/c (Erlang C) mean", rule),
        ],
        "phone": [
            phone_new.row("new predictor (phone page)", phone_rule),
            phone_rule.row("today's rule (phone page)", None),
        ],
        "long": (long_new, long_rule),
        "flags": dict(flags),
        "own": (sum(own) / len(own) if own else math.nan, len(own)),
        "goals": goals(new, rule),
    }


def goals(new: Graded, rule: Graded) -> list[tuple[str, bool, str]]:
    errors = [abs(e) for e in new.errors()]
    if not errors:
        return []
    short = [abs(p - r) for p, r in zip(new.predicted, new.real, strict=True) if r < 30]
    mae = sum(errors) / len(errors)
    mae_short = sum(short) / len(short) if short else 0.0
    reduction = 1 - new.sse() / rule.sse() if rule.sse() else 0.0
    triples = list(zip(new.low, new.real, new.high, strict=True))
    inside = sum(1 for lo, r, hi in triples if lo <= r <= hi) / len(triples)
    later = sum(1 for _, r, hi in triples if r > hi) / len(triples)
    return [
        ("MAE ≤ 5 min", mae <= 5, f"{mae:.1f}"),
        ("MAE ≤ 3 min on waits < 30 min", mae_short <= 3, f"{mae_short:.1f}"),
        ("≥ 30 % less squared error than today", reduction >= 0.3, f"{100 * reduction:.0f} %"),
        ("P10-P90 holds 75-85 %", 0.75 <= inside <= 0.85, f"{100 * inside:.0f} %"),
        ("< 15 % later than P90", later < 0.15, f"{100 * later:.0f} %"),
    ]


# -- the report ------------------------------------------------------------------------------


def report(
    profile: Profile,
    template: Template,
    results: list[DayResult],
    seeds: Sequence[int],
    runs: int,
) -> bool:
    graded = grade(results)
    citizens_count = sum(len(r.issued) for r in results)
    print(f"### {profile.title}\n")
    print(
        f"History: {template.history_tickets:,} tickets (bench.history.fill,"
        f" seed {template.learn_seed}, filled in {template.fill_seconds:.0f} s). Graded days: seeds"
        f" {', '.join(map(str, seeds))}, {citizens_count:,} citizens, replayed in"
        f" {sum(r.replay_seconds for r in results):.0f} s. Runs per forecast: {runs}.\n"
    )
    print(md_table(HEADERS, graded["issue"]))
    print()
    own, count = graded["own"]
    if count:
        print(
            f"The MAE the new predictor expected of itself (mean distance from its quote to the"
            f" call times of its own runs, capped at closing, over the same {count:,} citizens):"
            f" {own:.2f} min.\n"
        )
    timings = [ms for r in results for ms, _ in r.predict_ms]
    busiest = max((w for r in results for _, w in r.predict_ms), default=0)
    at_busiest = [ms for r in results for ms, w in r.predict_ms if w >= 0.8 * busiest]
    print(
        f"Predictor CPU time per forecast (the whole site): median {percentile(timings, 50):.1f}"
        f" ms, P95 {percentile(timings, 95):.1f} ms, max {max(timings, default=0):.1f} ms;"
        f" with {int(0.8 * busiest)}-{busiest} tickets waiting: median"
        f" {percentile(at_busiest, 50):.1f} ms, max {max(at_busiest, default=0):.1f} ms.\n"
    )
    flags = graded["flags"]
    print(
        f"Flags at issue: {flags.get('expired', 0)} citizens were still waiting at closing"
        f' (expired), {flags.get("expired, flagged", 0)} of them warned "may not be called'
        f' before closing"; {flags.get("called, flagged may miss closing", 0)} warned were'
        f" called after all; {flags.get('may miss lunch', 0)} warned they may wait past"
        f" lunch; {flags.get('no counter', 0)} told no counter serves their service.\n"
    )
    print(md_table(HEADERS, graded["phone"]))
    long_new, long_rule = graded["long"]
    if long_new.real:
        print(
            f"\nPhone page, tickets with 30-60 minutes still to wait ({len(long_new.real)}"
            f" quotes): bias {sum(long_new.errors()) / len(long_new.real):+.1f} min (new),"
            f" {sum(long_rule.errors()) / len(long_rule.real):+.1f} min (today's rule)."
        )
    print("\nGoals (new predictor, at issue):\n")
    print(
        md_table(
            ["goal", "met", "figure"],
            [(g, "yes" if ok else "no", v) for g, ok, v in graded["goals"]],
        )
    )
    print(flush=True)
    return all(ok for _, ok, _ in graded["goals"])


def dump(path: Path, profile: Profile, results: list[DayResult], append: bool) -> None:
    """Every quote at issue, one CSV line each, to look into the errors."""
    with path.open("a" if append else "w", newline="") as file:
        out = csv.writer(file)
        if not append:
            out.writerow(
                [
                    "profile",
                    "day",
                    "issued",
                    "service",
                    "priority",
                    "waiting",
                    "p10",
                    "median",
                    "p90",
                    "flags",
                    "rule",
                    "mmc",
                    "real",
                    "status",
                    "cpu_ms",
                    "own_error",
                ]
            )
        for day, result in enumerate(results):
            for issue in result.issued:
                called = result.first_called.get(issue.ticket_id)
                quote = issue.quote
                out.writerow(
                    [
                        profile.name,
                        day,
                        f"{issue.issued / H:.3f}",
                        issue.citizen.service,
                        int(issue.citizen.priority is not None),
                        issue.waiting,
                        f"{quote.p10:.1f}",
                        f"{quote.median:.1f}",
                        f"{quote.p90:.1f}",
                        " ".join(sorted(quote.flags)),
                        issue.rule,
                        f"{issue.mmc:.1f}",
                        "" if called is None else f"{(called - issue.issued) / 60:.1f}",
                        result.statuses.get(issue.ticket_id, ""),
                        f"{issue.cpu_ms:.1f}",
                        f"{issue.own_error:.2f}",
                    ]
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profiles", default="commune,ward,peak", help="Comma-separated: commune, ward, peak."
    )
    parser.add_argument("--days", type=int, default=2, help="Graded days per profile.")
    parser.add_argument("--peak-days", type=int, default=1, help="Graded days of the peak profile.")
    parser.add_argument("--history-days", type=int, default=28, help="Calendar days learned from.")
    parser.add_argument("--runs", type=int, default=0, help="Runs per forecast (0: RUNS).")
    parser.add_argument(
        "--seed",
        type=int,
        default=GRADE_SEEDS,
        help="Seed of the first graded day (then +1, +2...).",
    )
    parser.add_argument(
        "--learn-seed", type=int, default=LEARN_SEED, help="Seed of the history learned from."
    )
    parser.add_argument(
        "--phone-every", type=int, default=5, help="Grade phone quotes every Nth issue (0: never)."
    )
    parser.add_argument(
        "--every", type=int, default=1, help="Quote and grade every Nth citizen (all: 1)."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="One day each, 14 days of history, every 3rd citizen of the peak graded.",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the SQLite files.")
    parser.add_argument("--dump", type=Path, help="Write every quote at issue to this CSV file.")
    args = parser.parse_args(argv)
    from server.domain.prediction import RUNS

    runs = args.runs or RUNS
    peak_every = args.every
    if args.quick:
        args.days, args.peak_days, args.history_days = 1, 1, 14
        peak_every = max(args.every, 3)
    names = [n.strip() for n in args.profiles.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        parser.error(f"unknown profiles: {', '.join(unknown)}")
    print_header(
        "Waits quoted and waits had (bench/eta.py)",
        argv=[__file__, *sys.argv[1:]] if argv is None else [__file__, *argv],
    )
    met = True
    with workdir(args.keep) as folder:
        for name in names:
            profile = PROFILES[name]
            log(f"{name}: filling {args.history_days} days of history")
            template = build_template(profile, folder, args.history_days, args.learn_seed)
            count = args.peak_days if name == "peak" else args.days
            seeds = [args.seed + i for i in range(count)]
            results = []
            for seed in seeds:
                day = citizens(profile, seed)
                log(f"{name}: replaying day {seed} ({len(day)} citizens)")
                every = peak_every if name == "peak" else args.every
                replay = Replay(
                    template, folder / f"{name}-{seed}.db", day, seed, runs, args.phone_every, every
                )
                results.append(replay.run())
            met = report(profile, template, results, seeds, runs) and met
            if args.dump:
                dump(args.dump, profile, results, append=name != names[0])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
