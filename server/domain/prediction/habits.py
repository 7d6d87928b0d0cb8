"""What the predictor learns from a site's past tickets: how long each service takes, how
many citizens come when, how many do not answer their call and what that costs the
counter, how long the walk to the counter and the clerk's turn between citizens take, how
many are sent on to another service, how patient citizens are before giving up; and from
the counters' past pauses, how often and how long clerks pause.

Learned once in a while (say each night, from the last few weeks), not per change.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from server.domain.tickets import TicketStatus

# Arrival rates are kept per half hour of the local day.
SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
# A service's configured minutes count as this many observed service times: with fewer
# real ones (a new service) the configured minutes dominate; with hundreds, the data does.
PRIOR_SAMPLES = 10
# The spread (sigma of the log) assumed for a service with no history: a service time is
# often half or twice its typical value.
PRIOR_SIGMA = 0.5
# An hour's own figure counts only with many times in it; otherwise its service's.
HOUR_PRIOR_SAMPLES = 30
# The share of priority citizens of a service shrinks to the site's with this many tickets.
PRIORITY_PRIOR_TICKETS = 50
# Gaps between a counter's tickets longer than this were idle time, not the clerk's turn.
BUSY_GAP_SECONDS = 120.0
DEFAULT_WALK_UP_SECONDS = 30.0
# A number called within this long of being taken found a counter free: how long the
# clerk took to notice it is learned from those.
PROMPT_CALL_SECONDS = 60.0
DEFAULT_TURNAROUND_SECONDS = 15.0
# Samples kept for each empirical distribution (evenly spaced quantiles of the data).
KEPT_SAMPLES = 400
# Patience is known minute by minute up to this long; beyond, as at its end.
PATIENCE_MINUTES = 240


@dataclass(frozen=True)
class PastTicket:
    """One ticket of the history, as the learner needs it."""

    service_id: int
    is_priority: bool
    issued_at: datetime
    status: TicketStatus
    transferred_in: bool = False  # a copy made by a transfer: not a citizen arriving
    counter_id: int | None = None
    first_called_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class PastPause:
    """A counter's pause (a break, a meeting), from the moment it paused to its reopening."""

    counter_id: int
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class ServiceTimes:
    """A service's time at the counter (start to end) as a lognormal: `mu` and `sigma` of
    the natural log of the seconds, with the log-mean of some local hours apart."""

    mu: float
    sigma: float
    samples: int
    mu_by_hour: Mapping[int, float] = field(default_factory=dict)

    @classmethod
    def configured(cls, minutes: float) -> ServiceTimes:
        """What a service with no history takes: its configured minutes on average."""
        return cls(mu=_prior_mu(minutes), sigma=PRIOR_SIGMA, samples=0)

    def mu_at(self, hour: int) -> float:
        return self.mu_by_hour.get(hour, self.mu)

    @property
    def mean_minutes(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2) / 60.0


@dataclass(frozen=True)
class Habits:
    """A site's habits, learned by `learn` (or none: `Habits()` predicts from the configured
    minutes alone, with no arrivals to come and no no-shows)."""

    service_times: Mapping[int, ServiceTimes] = field(default_factory=dict)
    # Per service: citizens per minute in each half hour of the local day (SLOTS values).
    arrivals: Mapping[int, Sequence[float]] = field(default_factory=dict)
    priority_share: Mapping[int, float] = field(default_factory=dict)
    no_show_share: float = 0.0  # of the citizens called on their own number (not sent on)
    no_show_seconds: Sequence[float] = ()  # sorted: first call to being marked absent
    walk_up_seconds: Sequence[float] = ()  # sorted: first call to the start of service
    notice_seconds: Sequence[float] = ()  # sorted: a free counter noticing a new number
    turnaround_seconds: float = DEFAULT_TURNAROUND_SECONDS
    # Of the citizens who came to a counter, the share sent on to another service, after
    # how long (sorted), and to which services (shares).
    transfer_share: float = 0.0
    transfer_seconds: Sequence[float] = ()
    transfer_to: Mapping[int, float] = field(default_factory=dict)
    # The share of citizens still waiting (not given up) after each minute of waiting, from
    # minute 0 (empty: nobody gives up).
    patience: Sequence[float] = ()
    # Pauses a counter starts in each half hour of the local day, per working day (SLOTS
    # values, or none), and how long they last (sorted).
    pauses: Sequence[float] = ()
    pause_seconds: Sequence[float] = ()
    days: int = 0

    def times(self, service_id: int, expected_minutes: float) -> ServiceTimes:
        found = self.service_times.get(service_id)
        return found if found is not None else ServiceTimes.configured(expected_minutes)

    def expected_arrivals(self, slot_from: float, slot_to: float) -> float:
        """Citizens expected between two moments given in slots since local midnight."""
        total = 0.0
        for rates in self.arrivals.values():
            total += _integrate(rates, slot_from, slot_to)
        return total


def _integrate(rates: Sequence[float], slot_from: float, slot_to: float) -> float:
    total = 0.0
    slot = max(0, math.floor(slot_from))
    while slot < min(slot_to, len(rates)):
        overlap = min(slot + 1, slot_to) - max(slot, slot_from)
        total += rates[slot] * overlap * SLOT_MINUTES
        slot += 1
    return total


def _prior_mu(minutes: float) -> float:
    # The lognormal whose mean is the configured minutes.
    return math.log(max(minutes, 0.1) * 60.0) - PRIOR_SIGMA**2 / 2


def shrunk_service_times(
    seconds: Sequence[float], configured_minutes: float, hours: Sequence[int] = ()
) -> ServiceTimes:
    """Fit a lognormal to observed service times, pulled towards the configured minutes
    by PRIOR_SAMPLES pseudo-observations (a new service: the configured minutes; a busy
    one: its data). `hours` (the local hour each time started in, same order) gives hours
    with HOUR_PRIOR_SAMPLES or more times their own log-mean, shrunk to the service's."""
    logs = [math.log(max(s, 1.0)) for s in seconds]
    n = len(logs)
    mu0 = _prior_mu(configured_minutes)
    if n == 0:
        return ServiceTimes.configured(configured_minutes)
    mean = sum(logs) / n
    variance = sum((x - mean) ** 2 for x in logs) / n
    mu = (n * mean + PRIOR_SAMPLES * mu0) / (n + PRIOR_SAMPLES)
    sigma = math.sqrt((n * variance + PRIOR_SAMPLES * PRIOR_SIGMA**2) / (n + PRIOR_SAMPLES))
    by_hour: dict[int, list[float]] = defaultdict(list)
    for hour, x in zip(hours, logs, strict=False):
        by_hour[hour].append(x)
    mu_by_hour = {
        hour: (sum(xs) + HOUR_PRIOR_SAMPLES * mu) / (len(xs) + HOUR_PRIOR_SAMPLES)
        for hour, xs in by_hour.items()
        if len(xs) >= HOUR_PRIOR_SAMPLES
    }
    return ServiceTimes(mu=mu, sigma=sigma, samples=n, mu_by_hour=mu_by_hour)


def _kept(values: list[float]) -> tuple[float, ...]:
    values.sort()
    if len(values) <= KEPT_SAMPLES:
        return tuple(values)
    step = (len(values) - 1) / (KEPT_SAMPLES - 1)
    return tuple(values[round(i * step)] for i in range(KEPT_SAMPLES))


def learn(
    past: Iterable[PastTicket],
    expected_minutes: Mapping[int, float],
    zone: tzinfo,
    pauses: Iterable[PastPause] = (),
) -> Habits:
    """A site's habits from its past tickets (a few weeks of them is plenty), and from its
    counters' pauses over the same days if they are known.

    `expected_minutes` are the services' configured minutes, which the service times shrink
    to; `zone` is the site's time zone (arrival rates and hours are local).
    """
    durations: dict[int, list[float]] = defaultdict(list)
    duration_hours: dict[int, list[int]] = defaultdict(list)
    arrivals: dict[int, list[int]] = defaultdict(lambda: [0] * SLOTS)
    priority: dict[int, int] = defaultdict(int)
    citizens: dict[int, int] = defaultdict(int)
    slot_days: list[set[object]] = [set() for _ in range(SLOTS)]
    walk_up: list[float] = []
    notice: list[float] = []
    no_show_cost: list[float] = []
    called = no_shows = 0
    by_counter_day: dict[tuple[int, object], list[PastTicket]] = defaultdict(list)
    waits: list[tuple[float, bool]] = []  # (seconds waited, gave up)
    served = transferred = 0
    transfer_time: list[float] = []
    transferred_to: dict[int, int] = defaultdict(int)
    for ticket in past:
        if ticket.transferred_in:
            transferred_to[ticket.service_id] += 1
        else:
            local = ticket.issued_at.astimezone(zone)
            slot = (local.hour * 60 + local.minute) // SLOT_MINUTES
            arrivals[ticket.service_id][slot] += 1
            slot_days[slot].add(local.date())
            citizens[ticket.service_id] += 1
            priority[ticket.service_id] += ticket.is_priority
        first_called = ticket.first_called_at
        if first_called is None:
            if not ticket.transferred_in and ticket.ended_at is not None:
                gave_up = ticket.status == TicketStatus.CANCELLED
                waits.append(((ticket.ended_at - ticket.issued_at).total_seconds(), gave_up))
            continue
        waited = (first_called - ticket.issued_at).total_seconds()
        if not ticket.transferred_in:
            # A citizen sent on from another counter is in the hall already: no-shows are
            # counted among the citizens called on their own number.
            called += 1
            no_shows += ticket.status == TicketStatus.NO_SHOW
            waits.append((waited, False))
            if 0 <= waited <= PROMPT_CALL_SECONDS:
                notice.append(waited)
        if ticket.status == TicketStatus.NO_SHOW and ticket.ended_at is not None:
            no_show_cost.append((ticket.ended_at - first_called).total_seconds())
        if ticket.started_at is not None:
            walk_up.append((ticket.started_at - first_called).total_seconds())
            if ticket.ended_at is not None and ticket.status == TicketStatus.DONE:
                served += not ticket.transferred_in
                durations[ticket.service_id].append(
                    (ticket.ended_at - ticket.started_at).total_seconds()
                )
                duration_hours[ticket.service_id].append(ticket.started_at.astimezone(zone).hour)
            elif ticket.ended_at is not None and ticket.status == TicketStatus.TRANSFERRED:
                transferred += 1
                transfer_time.append((ticket.ended_at - ticket.started_at).total_seconds())
        if ticket.counter_id is not None and ticket.ended_at is not None:
            by_counter_day[(ticket.counter_id, first_called.astimezone(zone).date())].append(ticket)
    service_ids = set(expected_minutes) | set(durations)
    times = {
        s: shrunk_service_times(
            durations.get(s, []), expected_minutes.get(s, 10.0), duration_hours.get(s, [])
        )
        for s in service_ids
    }
    rates = {
        s: tuple(
            counts[slot] / (len(slot_days[slot]) * SLOT_MINUTES) if slot_days[slot] else 0.0
            for slot in range(SLOTS)
        )
        for s, counts in arrivals.items()
    }
    total = sum(citizens.values())
    site_share = sum(priority.values()) / total if total else 0.0
    shares = {
        s: (priority[s] + PRIORITY_PRIOR_TICKETS * site_share) / (n + PRIORITY_PRIOR_TICKETS)
        for s, n in citizens.items()
    }
    days = set().union(*slot_days)
    pause_list = list(pauses)
    pause_slots = [0] * SLOTS
    for pause in pause_list:
        local = pause.started_at.astimezone(zone)
        pause_slots[(local.hour * 60 + local.minute) // SLOT_MINUTES] += 1
    counter_days = len(by_counter_day)
    return Habits(
        service_times=times,
        arrivals=rates,
        priority_share=shares,
        no_show_share=no_shows / called if called else 0.0,
        no_show_seconds=_kept(no_show_cost),
        walk_up_seconds=_kept(walk_up),
        notice_seconds=_kept(notice),
        turnaround_seconds=_turnaround(by_counter_day.values()),
        patience=_patience(waits),
        transfer_share=transferred / (served + transferred) if transferred else 0.0,
        transfer_seconds=_kept(transfer_time),
        transfer_to={s: n / sum(transferred_to.values()) for s, n in transferred_to.items()},
        pauses=tuple(n / counter_days for n in pause_slots) if pause_list and counter_days else (),
        pause_seconds=_kept([(p.ended_at - p.started_at).total_seconds() for p in pause_list]),
        days=len(days),
    )


def _turnaround(days: Iterable[list[PastTicket]]) -> float:
    """The typical gap between a counter's ticket ending and its next call, when the next
    citizen was already there to call (gaps longer than BUSY_GAP_SECONDS were idle)."""
    gaps: list[float] = []
    for tickets in days:
        tickets.sort(key=lambda t: t.first_called_at or t.issued_at)
        for before, after in itertools.pairwise(tickets):
            if before.ended_at is None or after.first_called_at is None:
                continue
            gap = (after.first_called_at - before.ended_at).total_seconds()
            if 0 <= gap <= BUSY_GAP_SECONDS:
                gaps.append(gap)
    return statistics.median(gaps) if gaps else DEFAULT_TURNAROUND_SECONDS


def _patience(waits: list[tuple[float, bool]]) -> tuple[float, ...]:
    """The share still waiting after each minute (Kaplan-Meier: a citizen called, or still
    waiting at closing, would have waited at least that long), or () if nobody gave up."""
    if not any(gave_up for _, gave_up in waits):
        return ()
    gave_up_in = [0] * (PATIENCE_MINUTES + 1)
    left_in = [0] * (PATIENCE_MINUTES + 1)
    for seconds, gave_up in waits:
        minute = min(int(max(seconds, 0.0) // 60), PATIENCE_MINUTES)
        left_in[minute] += 1
        gave_up_in[minute] += gave_up
    still, at_risk = 1.0, len(waits)
    curve = []
    for minute in range(PATIENCE_MINUTES + 1):
        curve.append(still)
        if at_risk:
            still *= 1 - gave_up_in[minute] / at_risk
        at_risk -= left_in[minute]
    return tuple(curve)
