"""Synthetic history: sites and a past of realistic tickets, for demonstrations and
benchmarks. A development tool, not part of the server: run it from the project's folder on
the instance's database (XEPHANG_INSTANCE, XEPHANG_DATABASE_URL, as the server reads them),

    .venv/bin/python -m bench.history --sites 3 --days 365 --per-day 200 --manager quanly

or call `fill(db, ...)` (bench/stats.py, tests/integration/test_history.py).

Each site is a copy of the demo centre's layout (server/cli/demo.py: its six services, its
counters with their overlapping main and secondary services, a clerk per counter), built
once per 200 tickets a day, so that a busy site has 12 or 18 counters rather than six
overloaded ones. Its clerks share one unusable password (the hash of a random secret
nobody keeps) unless the caller asks for fresh ones to be printed.

The days, in the site's local time (Asia/Ho_Chi_Minh):
- working days are Monday to Friday, 07:30-11:30 and 13:30-17:00, plus Saturday morning
  (07:30-11:30): one-stop centres in many provinces receive citizens on Saturday mornings.
  The kiosk issues tickets only in those hours; the counters go on calling until 12:15 and
  17:30 (the site's closing time), and what is still waiting then expires, as the server's
  sweeper would do it. Closed on 1 January, 30 April, 1 May, 2 September and around Tết
  (approximate dates for 2023-2030);
- the volume of a day varies around `per_day`: Mondays busier (x1.2), Fridays quieter,
  Saturday mornings about 0.45 of a day, a seasonal swing of +-10 % (busiest in January),
  a rush in the two weeks before Tết, sites of different sizes (0.85 to 1.15 of the
  average), and Poisson-like noise;
- arrivals follow a rate that peaks around 09:15 (most citizens come 08:30-10:00), with a
  smaller peak around 14:45, and thins out in the last half hour before the kiosk stops;
- the service mix is weighted (civil status and certification about 30 % each, result
  collection 15 %, land and labour 9 % each, business 7 %); about 8 % of citizens declare
  a priority, spread over the five categories; 93 % of tickets come from the kiosk;
- a discrete-event simulation then runs the counters: each calls by the real rule
  (server.domain.selection: priority first, at most three in a row while a normal ticket
  waits, main services before secondary, then first come first served), so waits follow
  from the load. About 5 % of called citizens do not come (recalled up to twice, then
  marked no-show); some give up while waiting and cancel from the phone (6 % would after
  1-25 minutes, but most are called sooner: about 2 % on a busy day, none where nobody
  waits); about 2 %
  are transferred to another service (keeping their number, token and place: see
  server.services.tickets.transfer); service times are lognormal around each service's
  expected minutes; about 40 % of served citizens rate the service on the counter's
  tablet, mostly satisfied, less so after a wait beyond the target.

Numbers run per (site, service, local day) from 1 (service.number_format), and the
`ticket_sequences` rows hold the last one. Tickets and ratings are written with SQLAlchemy
Core in batches (executemany), with ids chosen here so that a transfer can point at its
first ticket. `ticket_events` are not written for history: the statistics and exports
read tickets and ratings, the board's recent calls only today's events, and the audit
trail would add four or five rows per ticket. Then `statistics.rebuild` computes the
roll-ups once. Everything is one transaction, holding the write lock: fill a demo or
benchmark database, not a centre at work. The same seed gives the same history (ticket
tokens included: every history ticket is finished, so its token only opens a past ticket's
phone page).
"""

from __future__ import annotations

import base64
import heapq
import itertools
import math
import random
import secrets
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from server.adapters.db.engine import Database
from server.adapters.db.models import (
    Counter,
    Device,
    Site,
    Ticket,
    TicketRating,
    TicketSequence,
    User,
)
from server.cli.demo import CLERKS, COUNTERS, SERVICES, add_services, new_counter
from server.domain.numbering import NumberFormat
from server.domain.roles import DeviceKind, Role
from server.domain.selection import Candidate, choose_next
from server.domain.statistics import Rating
from server.domain.tickets import Channel, Priority, TicketStatus
from server.services import statistics
from server.services.credentials import hash_password, new_device_token, token_hash

TIMEZONE = "Asia/Ho_Chi_Minh"
CODE_PREFIX = "hist-"
TICKETS_PER_COUNTER_SET = 200  # one copy of the demo's six counters per this many a day
BATCH = 5000
# Core tables: executemany without the ORM's per-row bookkeeping.
TICKETS = cast(Table, Ticket.__table__)
RATINGS_TABLE = cast(Table, TicketRating.__table__)
SEQUENCES = cast(Table, TicketSequence.__table__)

# -- the calendar --------------------------------------------------------------------------

# Monday .. Sunday; Monday to Friday average 1.0.
WEEKDAY_FACTOR = (1.2, 1.0, 0.95, 0.95, 0.9, 0.45, 0.0)
FIXED_HOLIDAYS = {(1, 1), (4, 30), (5, 1), (9, 2)}
# The first day of the lunar year; offices close a few days either side.
TET = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
TET_CLOSED = (-3, 4)  # days around Tết, both included
TET_RUSH = (-14, -4)


def _days_from_tet(day: date) -> int | None:
    tet = TET.get(day.year)
    return None if tet is None else (day - tet).days


def is_open(day: date) -> bool:
    """Whether the centres receive citizens on `day`."""
    if day.weekday() == 6 or (day.month, day.day) in FIXED_HOLIDAYS:
        return False
    offset = _days_from_tet(day)
    return offset is None or not TET_CLOSED[0] <= offset <= TET_CLOSED[1]


def day_factor(day: date) -> float:
    """The expected volume of `day` as a share of an average weekday's (0 when closed)."""
    if not is_open(day):
        return 0.0
    season = 1 + 0.1 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25)
    offset = _days_from_tet(day)
    if offset is not None and TET_RUSH[0] <= offset <= TET_RUSH[1]:
        season *= 1.25
    return WEEKDAY_FACTOR[day.weekday()] * season


def site_factor(index: int, sites: int) -> float:
    """Sites differ in size, from 0.85 to 1.15 of the average, averaging exactly 1."""
    return 1.0 if sites <= 1 else 0.85 + 0.3 * index / (sites - 1)


def expected_tickets(sites: int, days: int, per_day: int, end: date) -> float:
    """About how many tickets `fill` makes (original tickets; transfers add ~2 %)."""
    first = end - timedelta(days=days - 1)
    return sites * per_day * sum(day_factor(first + timedelta(days=i)) for i in range(days))


def default_end() -> date:
    """Yesterday in Vietnam."""
    return datetime.now(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)


# -- arrivals ------------------------------------------------------------------------------

H = 3600
KIOSK_HOURS = ((7 * H + 1800, 11 * H + 1800), (13 * H + 1800, 17 * H))
COUNTER_HOURS = ((7 * H + 1800, 12 * H + 900), (13 * H + 1800, 17 * H + 1800))
CLOSES_AT = time(17, 30)


def _arrival_rate(minute: int, closes: int) -> float:
    """Relative arrival rate in the minute starting `minute` minutes after midnight."""
    hour = minute / 60
    rate = 0.55 + 1.6 * math.exp(-(((hour - 9.25) / 0.8) ** 2) / 2)
    rate += 0.45 + 0.6 * math.exp(-(((hour - 14.75) / 0.7) ** 2) / 2) if hour > 12 else 0.0
    return rate * min(1.0, max(0.35, (closes - minute) / 30))


def _minute_table(windows: Iterable[tuple[int, int]]) -> tuple[list[int], list[float]]:
    minutes: list[int] = []
    weights: list[float] = []
    for start, end in windows:
        for minute in range(start // 60, end // 60):
            minutes.append(minute)
            weights.append(_arrival_rate(minute, end // 60))
    return minutes, list(itertools.accumulate(weights))


WEEKDAY_MINUTES = _minute_table(KIOSK_HOURS)
SATURDAY_MINUTES = _minute_table(KIOSK_HOURS[:1])

# Per demo service code: share of citizens; the rest of SERVICES gives expected minutes.
SERVICE_MIX = {"HT": 0.30, "CT": 0.30, "DD": 0.09, "LD": 0.09, "KD": 0.07, "TKQ": 0.15}
PRIORITY_SHARE = 0.08
PRIORITY_MIX = {
    Priority.ELDERLY: 0.45,
    Priority.SMALL_CHILD: 0.20,
    Priority.MERIT: 0.13,
    Priority.PREGNANT: 0.12,
    Priority.DISABILITY: 0.10,
}
NO_SHOW_SHARE = 0.05
GIVE_UP_SHARE = 0.06  # would give up; those called sooner stay: 1-3 % cancel
TRANSFER_SHARE = 0.02
RATED_SHARE = 0.40
RATINGS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.UNSATISFIED, Rating.VERY_UNSATISFIED)
RATING_WEIGHTS = ((0.55, 0.35, 0.07, 0.03), (0.30, 0.42, 0.19, 0.09))  # waited within target, not
SERVICE_SIGMA = 0.5  # of the lognormal service time
MAX_PRIORITY_STREAK = 3


# -- the sites -----------------------------------------------------------------------------

WARDS = [
    "Sài Gòn",
    "Bến Thành",
    "Cầu Ông Lãnh",
    "Bàn Cờ",
    "Xuân Hòa",
    "Nhiêu Lộc",
    "Gia Định",
    "Bình Thạnh",
    "Thạnh Mỹ Tây",
    "Phú Nhuận",
    "Đức Nhuận",
    "Cầu Kiệu",
    "Gò Vấp",
    "Hạnh Thông",
    "An Nhơn",
    "Thông Tây Hội",
]
# Synthetic clerks' names: family, middle and given names drawn at random.
FAMILY_NAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()  # noqa: SIM905
MIDDLE_NAMES = "Thị Văn Minh Ngọc Thanh Quốc Hữu Thu Đức Kim Hoài Gia".split()  # noqa: SIM905
GIVEN_NAMES = (  # noqa: SIM905
    "Anh Bình Châu Dung Giang Hà Hạnh Hiếu Hùng Huy Khánh Lan Linh Long Mai Nam Nga Phong "
    "Phương Quân Sơn Tâm Thảo Trang Trung Tú Tuấn Vy Yến Hải Hòa Loan Nhung Phúc Thắng"
).split()


@dataclass(eq=False)
class _Counter:
    """A counter as the simulation sees it."""

    id: int
    number: int
    clerk_id: int
    tablet_id: int
    ranks: list[tuple[int, int]]  # (service index, rank), main services first
    streak: int = 0


@dataclass
class _Hall:
    """One site's rows that tickets refer to."""

    site_id: int
    code: str
    service_ids: list[int]
    service_codes: list[str]
    formats: list[NumberFormat]
    expected_seconds: list[float]
    target_seconds: list[int]
    kiosk_id: int
    counters: list[_Counter]
    volume: float  # the site's average weekday tickets
    callers: list[list[_Counter]] = field(default_factory=list)  # per service, in rank order

    def __post_init__(self) -> None:
        self.callers = [
            sorted(
                (c for c in self.counters if any(s == service for s, _ in c.ranks)),
                key=lambda c: (dict(c.ranks)[service], c.number),
            )
            for service in range(len(self.service_ids))
        ]


def _next_code_index(session: Session) -> int:
    codes = session.scalars(select(Site.code).where(Site.code.like(f"{CODE_PREFIX}%")))
    numbers = [int(c[len(CODE_PREFIX) :]) for c in codes if c[len(CODE_PREFIX) :].isdigit()]
    return max(numbers, default=0) + 1


def _device(site_id: int, kind: DeviceKind, name: str, counter_id: int | None = None) -> Device:
    """A device whose token nobody is given: the site looks equipped, nothing can sign in."""
    token = token_hash(new_device_token())
    return Device(site_id=site_id, kind=kind, name=name, token_hash=token, counter_id=counter_id)


def _build_site(
    session: Session, number: int, volume: float, rng: random.Random, password_hash: str
) -> _Hall:
    """A site laid out like the demo centre, with one set of its counters per
    TICKETS_PER_COUNTER_SET tickets a day, and one clerk per counter."""
    code = f"{CODE_PREFIX}{number:02d}"
    ward = WARDS[(number - 1) % len(WARDS)]
    if number > len(WARDS):
        ward += f" {(number - 1) // len(WARDS) + 1}"
    site = Site(
        code=code,
        name=f"Trung tâm Phục vụ hành chính công phường {ward}",
        address=f"Phường {ward}, Thành phố Hồ Chí Minh (dữ liệu mẫu / synthetic)",
        timezone=TIMEZONE,
        closes_at=CLOSES_AT,
        max_priority_streak=MAX_PRIORITY_STREAK,
    )
    session.add(site)
    session.flush()
    services = add_services(session, site)
    codes = [c for c, *_ in SERVICES]
    sets = max(1, math.ceil(volume / TICKETS_PER_COUNTER_SET))
    counters: list[Counter] = []
    for set_index in range(sets):
        for number_in_set, (label, main, secondary) in COUNTERS.items():
            number = set_index * len(COUNTERS) + number_in_set
            counters.append(new_counter(site, number, label, main, secondary, services))
    session.add_all(counters)
    session.flush()
    by_number = {c.number: c for c in counters}
    clerks: list[User] = []
    for set_index in range(sets):
        for index, (_, _, numbers) in enumerate(CLERKS):
            clerk_number = set_index * len(CLERKS) + index + 1
            full_name = " ".join(
                rng.choice(names) for names in (FAMILY_NAMES, MIDDLE_NAMES, GIVEN_NAMES)
            )
            clerks.append(
                User(
                    username=f"{code}-canbo{clerk_number}",
                    full_name=full_name,
                    role=Role.CLERK,
                    password_hash=password_hash,
                    counters=[by_number[set_index * len(COUNTERS) + n] for n in numbers],
                )
            )
    session.add_all(clerks)
    kiosk = _device(site.id, DeviceKind.KIOSK, "Kiosk sảnh chính")
    board = _device(site.id, DeviceKind.BOARD, "Màn hình sảnh chính")
    tablets = [
        _device(site.id, DeviceKind.RATING, f"Máy đánh giá quầy {c.number}", c.id) for c in counters
    ]
    session.add_all([kiosk, board, *tablets])
    session.flush()
    index_of = {services[c].id: i for i, c in enumerate(codes)}
    sim_counters = [
        _Counter(
            id=counter.id,
            number=counter.number,
            clerk_id=clerk.id,  # counter k's clerk is canbo k (the demo's main assignment)
            tablet_id=tablet.id,
            ranks=[(index_of[link.service_id], link.rank) for link in counter.service_links],
        )
        for counter, clerk, tablet in zip(counters, clerks, tablets, strict=True)
    ]
    ordered = [services[c] for c in codes]
    return _Hall(
        site_id=site.id,
        code=code,
        service_ids=[s.id for s in ordered],
        service_codes=codes,
        formats=[s.number_format for s in ordered],
        expected_seconds=[s.expected_minutes * 60 for s in ordered],
        target_seconds=[s.target_minutes * 60 for s in ordered],
        kiosk_id=kiosk.id,
        counters=sim_counters,
        volume=volume,
    )


# -- one day at one site -------------------------------------------------------------------


class _Ticket:
    """A ticket in the simulation; times in seconds after local midnight."""

    __slots__ = (
        "called",
        "channel",
        "counter",
        "ended",
        "first_called",
        "gives_up",
        "id",
        "issued",
        "moved_from",
        "number",
        "order",
        "priority",
        "queued",
        "rated_at",
        "rating",
        "recalls",
        "sequence",
        "service",
        "started",
        "status",
        "token",
    )

    def __init__(
        self,
        order: int,
        service: int,
        issued: float,
        queued: float,
        priority: Priority | None,
        channel: Channel,
        token: str,
        sequence: int,
        number: str,
        moved_from: _Ticket | None = None,
    ) -> None:
        self.order = order
        self.service = service
        self.issued = issued
        self.queued = queued
        self.priority = priority
        self.channel = channel
        self.token = token
        self.sequence = sequence
        self.number = number
        self.moved_from = moved_from
        self.gives_up: float | None = None
        self.status = TicketStatus.WAITING
        self.counter: _Counter | None = None
        self.first_called: float | None = None
        self.called: float | None = None
        self.started: float | None = None
        self.ended: float | None = None
        self.recalls = 0
        self.rating: Rating | None = None
        self.rated_at: float | None = None
        self.id = 0


_ARRIVE, _FREE = 0, 1
# The rule compares moments; the simulation counts seconds after local midnight.
_MIDNIGHT = datetime(2000, 1, 1, tzinfo=UTC)
Queue = list[tuple[float, int, _Ticket]]  # a heap by (queued, order)


class _Day:
    """The discrete-event simulation of one site's day."""

    def __init__(self, hall: _Hall, rng: random.Random, saturday: bool) -> None:
        self.hall = hall
        self.rng = rng
        self.saturday = saturday
        self.orders = itertools.count()
        self.events: list[tuple[float, int, int, Any]] = []
        # per service index: (priority heap, normal heap)
        self.queues: list[tuple[Queue, Queue]] = [([], []) for _ in hall.service_ids]
        self.idle: set[_Counter] = set()
        self.tickets: list[_Ticket] = []
        self.mix = list(itertools.accumulate(SERVICE_MIX[c] for c in hall.service_codes))

    def token(self) -> str:
        raw = self.rng.getrandbits(128).to_bytes(16, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def arrivals(self, count: int) -> None:
        rng = self.rng
        minutes, weights = SATURDAY_MINUTES if self.saturday else WEEKDAY_MINUTES
        moments = sorted(
            m * 60 + rng.random() * 60 for m in rng.choices(minutes, cum_weights=weights, k=count)
        )
        services = rng.choices(range(len(self.mix)), cum_weights=self.mix, k=count)
        sequences = [0] * len(self.mix)
        categories, category_weights = list(PRIORITY_MIX), list(PRIORITY_MIX.values())
        for moment, service in zip(moments, services, strict=True):
            sequences[service] += 1
            priority = (
                rng.choices(categories, category_weights)[0]
                if rng.random() < PRIORITY_SHARE
                else None
            )
            draw = rng.random()
            channel = (
                Channel.KIOSK if draw < 0.93 else Channel.STAFF if draw < 0.98 else Channel.PHONE
            )
            ticket = _Ticket(
                next(self.orders),
                service,
                moment,
                moment,
                priority,
                channel,
                self.token(),
                sequences[service],
                self.hall.formats[service].display(sequences[service]),
            )
            if rng.random() < GIVE_UP_SHARE:
                ticket.gives_up = moment + rng.uniform(1, 25) * 60
            self.push(moment, _ARRIVE, ticket)

    def push(self, at: float, kind: int, what: Any) -> None:
        heapq.heappush(self.events, (at, next(self.orders), kind, what))

    def working(self, now: float) -> float | None:
        """When a counter free at `now` may call: now, later (lunch), or never (evening)."""
        morning, afternoon = COUNTER_HOURS
        if now < morning[0]:
            return morning[0]
        if now < morning[1]:
            return now
        if self.saturday:
            return None
        if now < afternoon[0]:
            return afternoon[0]
        return now if now < afternoon[1] else None

    def run(self) -> list[_Ticket]:
        for counter in self.hall.counters:
            self.push(COUNTER_HOURS[0][0], _FREE, counter)
        while self.events:
            now, _, kind, what = heapq.heappop(self.events)
            if kind == _ARRIVE:
                self.arrive(what, now)
                continue
            start = self.working(now)
            if start is None:
                continue
            if start > now:
                self.push(start, _FREE, what)
                continue
            ticket = self.choose(what, now)
            if ticket is None:
                self.idle.add(what)
            else:
                done = self.serve(what, ticket, now)
                self.push(done + self.rng.uniform(5, 30), _FREE, what)
        self.close_day()
        return self.tickets

    def arrive(self, ticket: _Ticket, now: float) -> None:
        self.tickets.append(ticket)
        heap = self.queues[ticket.service][0 if ticket.priority else 1]
        heapq.heappush(heap, (ticket.queued, ticket.order, ticket))
        for counter in self.hall.callers[ticket.service]:
            if counter in self.idle:  # the first idle counter serving it calls at once
                self.idle.remove(counter)
                self.push(now + self.rng.uniform(2, 20), _FREE, counter)
                break

    def _head(self, heap: Queue, now: float) -> _Ticket | None:
        """The first ticket of a queue still there at `now`: those whose patience ran out
        before are cancelled at that moment."""
        while heap:
            ticket = heap[0][2]
            if ticket.gives_up is None or ticket.gives_up > now:
                return ticket
            heapq.heappop(heap)
            ticket.status, ticket.ended = TicketStatus.CANCELLED, ticket.gives_up
        return None

    def choose(self, counter: _Counter, now: float) -> _Ticket | None:
        """The ticket the counter calls now, by the server's own rule
        (server.domain.selection.choose_next) over the heads of the counter's queues: the
        head of each queue is the only one of it the rule could pick."""
        heads: dict[int, _Ticket] = {}
        for service, _ in counter.ranks:
            for heap in self.queues[service]:
                head = self._head(heap, now)
                if head is not None:
                    heads[head.order] = head
        chosen = choose_next(
            (
                Candidate(
                    t.order,
                    t.service,
                    t.priority is not None,
                    _MIDNIGHT + timedelta(seconds=t.queued),
                )
                for t in heads.values()
            ),
            dict(counter.ranks),
            counter.streak,
            MAX_PRIORITY_STREAK,
        )
        if chosen is None:
            return None
        ticket = heads[chosen.ticket_id]
        heapq.heappop(self.queues[ticket.service][0 if ticket.priority else 1])
        counter.streak = counter.streak + 1 if ticket.priority else 0
        return ticket

    def serve(self, counter: _Counter, ticket: _Ticket, now: float) -> float:
        """Call `ticket` at `now`; returns when the counter is done with it."""
        rng = self.rng
        ticket.counter = counter
        ticket.status = TicketStatus.CALLED
        if ticket.first_called is None:
            ticket.first_called = now
        ticket.called = now
        first_ticket = ticket.moved_from is None
        if first_ticket and rng.random() < NO_SHOW_SHARE:
            ticket.recalls = rng.choice((0, 1, 1, 2))
            ticket.called = now + ticket.recalls * rng.uniform(40, 90)
            ticket.status = TicketStatus.NO_SHOW
            ticket.ended = ticket.called + rng.uniform(20, 60)
            return ticket.ended
        if rng.random() < 0.08:  # not heard the first time
            ticket.recalls = 1
            ticket.called = now + rng.uniform(30, 60)
        ticket.started = ticket.called + rng.uniform(15, 60)
        if first_ticket and rng.random() < TRANSFER_SHARE:
            ticket.status = TicketStatus.TRANSFERRED
            ticket.ended = ticket.started + rng.uniform(60, 240)
            others = [s for s in range(len(self.mix)) if s != ticket.service]
            moved = _Ticket(
                next(self.orders),
                rng.choice(others),
                ticket.ended,
                ticket.queued,
                ticket.priority,
                ticket.channel,
                ticket.token,
                ticket.sequence,
                ticket.number,
                moved_from=ticket,
            )
            self.push(ticket.ended, _ARRIVE, moved)
            return ticket.ended
        expected = self.hall.expected_seconds[ticket.service]
        mu = math.log(expected) - SERVICE_SIGMA**2 / 2  # mean = expected
        ticket.status = TicketStatus.DONE
        duration = rng.lognormvariate(mu, SERVICE_SIGMA)
        ticket.ended = ticket.started + min(5 * expected, max(30.0, duration))
        if rng.random() < RATED_SHARE:
            waited = ticket.first_called - ticket.issued
            late = waited > self.hall.target_seconds[ticket.service]
            ticket.rating = rng.choices(RATINGS, RATING_WEIGHTS[1 if late else 0])[0]
            ticket.rated_at = ticket.ended + rng.uniform(5, 120)
        return ticket.ended

    def close_day(self) -> None:
        """What still waits at closing time: given up by then, or expired by the sweeper."""
        sweep = COUNTER_HOURS[1][1] + self.rng.uniform(0, 60)
        for priority_heap, normal_heap in self.queues:
            for _, _, ticket in priority_heap + normal_heap:
                if ticket.gives_up is not None and ticket.gives_up <= sweep:
                    ticket.status, ticket.ended = TicketStatus.CANCELLED, ticket.gives_up
                else:
                    # The sweeper runs every minute: a ticket transferred after closing
                    # expires at the next sweep.
                    later = ticket.issued + self.rng.uniform(0, 60)
                    ticket.status, ticket.ended = TicketStatus.EXPIRED, max(sweep, later)


def day_volume(hall: _Hall, day: date, rng: random.Random) -> int:
    """A day's tickets: around the site's volume times the day's factor, with noise."""
    mean = hall.volume * day_factor(day)
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, math.sqrt(mean + (0.08 * mean) ** 2))))


# -- writing -------------------------------------------------------------------------------


@dataclass
class History:
    """What `fill` made."""

    sites: list[tuple[int, str]]  # (id, code)
    first: date
    last: date
    open_days: int
    tickets: int = 0
    ratings: int = 0
    insert_seconds: float = 0.0
    rebuild_seconds: float = 0.0
    passwords: dict[str, str] = field(default_factory=dict)


class _Writer:
    """Rows in batches of BATCH, by Core executemany; ratings after their tickets."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.tickets: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.ticket_count = 0
        self.rating_count = 0

    def add_day(self, hall: _Hall, day: date, tickets: list[_Ticket], next_id: int) -> int:
        midnight = datetime.combine(day, time(), tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)

        def at(seconds: float | None) -> datetime | None:
            return None if seconds is None else midnight + timedelta(seconds=seconds)

        tickets.sort(key=lambda t: (t.issued, t.order))  # ids in issue order, as live
        for ticket in tickets:
            ticket.id = next_id
            next_id += 1
        for ticket in tickets:
            counter = ticket.counter
            self.tickets.append(
                {
                    "id": ticket.id,
                    "site_id": hall.site_id,
                    "service_id": hall.service_ids[ticket.service],
                    "day": day,
                    "sequence": ticket.sequence,
                    "number": ticket.number,
                    "priority": ticket.priority,
                    "channel": ticket.channel,
                    "status": ticket.status,
                    "token": ticket.token,
                    "queued_at": at(ticket.queued),
                    "issued_at": at(ticket.issued),
                    "first_called_at": at(ticket.first_called),
                    "called_at": at(ticket.called),
                    "started_at": at(ticket.started),
                    "ended_at": at(ticket.ended),
                    "recall_count": ticket.recalls,
                    "counter_id": counter.id if counter else None,
                    "clerk_id": counter.clerk_id if counter else None,
                    "device_id": hall.kiosk_id if ticket.channel == Channel.KIOSK else None,
                    "transferred_from_id": ticket.moved_from.id if ticket.moved_from else None,
                }
            )
            if ticket.rating is not None and counter is not None:
                self.ratings.append(
                    {
                        "ticket_id": ticket.id,
                        "site_id": hall.site_id,
                        "counter_id": counter.id,
                        "clerk_id": counter.clerk_id,
                        "device_id": counter.tablet_id,
                        "rating": ticket.rating,
                        "at": at(ticket.rated_at),
                    }
                )
        if len(self.tickets) >= BATCH:
            self.flush()
        return next_id

    def flush(self) -> None:
        if self.tickets:
            self.session.execute(insert(TICKETS), self.tickets)
            self.ticket_count += len(self.tickets)
            self.tickets = []
        if self.ratings:
            self.session.execute(insert(RATINGS_TABLE), self.ratings)
            self.rating_count += len(self.ratings)
            self.ratings = []


def fill(
    db: Database,
    sites: int,
    days: int,
    per_day: int,
    seed: int = 1,
    end: date | None = None,
    passwords: bool = False,
    progress: Callable[[str], None] | None = None,
    manager: str | None = None,
) -> History:
    """Create `sites` new sites and `days` local days of their history ending on `end`
    (default yesterday), about `per_day` tickets on an average weekday at each; then
    rebuild their statistics. One transaction. `manager` (a username) is given the new
    sites to look after; `passwords` gives their clerks fresh passwords, returned."""
    if sites < 1 or days < 1 or per_day < 1:
        raise ValueError("sites, days and per_day must be at least 1")
    end = end or default_end()
    first = end - timedelta(days=days - 1)
    calendar = [first + timedelta(days=i) for i in range(days)]
    say = progress or (lambda _message: None)
    started = clock.perf_counter()
    with db.write_session() as session, session.begin():
        if db.dialect == "postgresql":
            # Ids are chosen here: no other writer may take one meanwhile.
            session.execute(text("LOCK TABLE tickets, ticket_ratings IN EXCLUSIVE MODE"))
        number = _next_code_index(session)
        password_hash = hash_password(secrets.token_urlsafe(32))  # never kept
        halls = []
        for index in range(sites):
            rng = random.Random(f"{seed}:site:{number + index}")
            volume = per_day * site_factor(index, sites)
            halls.append(_build_site(session, number + index, volume, rng, password_hash))
        if manager is not None:
            _give_sites(session, manager, [h.site_id for h in halls])
        history = History([(h.site_id, h.code) for h in halls], first, end, 0)
        history.open_days = sum(1 for day in calendar if is_open(day))
        if passwords:
            history.passwords = _fresh_passwords(session, [h.site_id for h in halls])
        next_id = (session.scalar(select(func.max(Ticket.id))) or 0) + 1
        writer = _Writer(session)
        sequences: list[dict[str, Any]] = []
        for hall in halls:
            for day in calendar:
                if not is_open(day):
                    continue
                rng = random.Random(f"{seed}:{hall.code}:{day.isoformat()}")
                simulation = _Day(hall, rng, saturday=day.weekday() == 5)
                simulation.arrivals(day_volume(hall, day, rng))
                tickets = simulation.run()
                next_id = writer.add_day(hall, day, tickets, next_id)
                last: dict[int, int] = {}
                for ticket in tickets:
                    if ticket.moved_from is None:
                        last[ticket.service] = max(last.get(ticket.service, 0), ticket.sequence)
                sequences += [
                    {
                        "site_id": hall.site_id,
                        "service_id": hall.service_ids[service],
                        "day": day,
                        "last_value": value,
                    }
                    for service, value in sorted(last.items())
                ]
            writer.flush()
            say(f"{hall.code}: {writer.ticket_count:,} tickets so far")
        for start in range(0, len(sequences), BATCH):
            session.execute(insert(SEQUENCES), sequences[start : start + BATCH])
        if db.dialect == "postgresql":
            for table in ("tickets", "ticket_ratings"):
                session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
                )
        history.tickets, history.ratings = writer.ticket_count, writer.rating_count
        history.insert_seconds = clock.perf_counter() - started
        say("statistics: rebuilding the roll-ups")
        statistics.rebuild(session, db.dialect, [h.site_id for h in halls], first, end)
        history.rebuild_seconds = clock.perf_counter() - started - history.insert_seconds
    if db.dialect == "postgresql":
        with db.engine.connect() as connection:  # fresh planner statistics after a bulk load
            connection.execute(text("ANALYZE tickets, ticket_ratings, ticket_stats"))
            connection.commit()
    return history


def _give_sites(session: Session, username: str, site_ids: list[int]) -> None:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or user.role != Role.MANAGER:
        raise ValueError(f"no manager {username!r}")
    user.sites.extend(session.scalars(select(Site).where(Site.id.in_(site_ids))))


def _fresh_passwords(session: Session, site_ids: list[int]) -> dict[str, str]:
    """A new password for every clerk of these sites, to sign in as one in a demo."""
    fresh: dict[str, str] = {}
    clerks = session.scalars(
        select(User)
        .join(User.counters)
        .where(Counter.site_id.in_(site_ids))
        .distinct()
        .order_by(User.id)
    )
    for user in clerks:
        password = secrets.token_urlsafe(9)
        user.password_hash = hash_password(password)
        fresh[user.username] = password
    return fresh


@click.command()
@click.option("--sites", type=click.IntRange(1, 99), default=1, show_default=True)
@click.option("--days", type=click.IntRange(1, 3660), default=90, show_default=True)
@click.option(
    "--per-day",
    type=click.IntRange(1, 5000),
    default=150,
    show_default=True,
    help="Tickets on an average weekday at an average site.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same history.")
@click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD); default yesterday."
)
@click.option("--passwords", is_flag=True, help="Give the new clerks passwords and print them.")
@click.option("--manager", help="A manager's username: they get the new sites to look after.")
def main(
    sites: int,
    days: int,
    per_day: int,
    seed: int,
    end: datetime | None,
    passwords: bool,
    manager: str | None,
) -> None:
    """Create sites hist-NN with a synthetic past of tickets and ratings (for demos and
    benchmarks). One transaction; not for a centre at work."""
    from server.cli.instance import open_database

    _, db = open_database()

    def progress(message: str) -> None:
        click.echo(message, err=True)

    last = end.date() if end else None
    try:
        made = fill(db, sites, days, per_day, seed, last, passwords, progress, manager)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    finally:
        db.dispose()
    codes = ", ".join(code for _, code in made.sites)
    click.echo(
        f"Lịch sử mẫu / synthetic history: {codes}, {made.first} to {made.last}"
        f" ({made.open_days} working days): {made.tickets:,} tickets, {made.ratings:,}"
        f" ratings in {made.insert_seconds:.1f} s, statistics rebuilt in"
        f" {made.rebuild_seconds:.1f} s."
    )
    for username, password in made.passwords.items():
        click.echo(f"  {username:<16} {password}")


if __name__ == "__main__":
    main(prog_name="python -m bench.history")
