"""The wait a citizen can trust: play the hall forward from now, many times, and read the
range of call times off those runs.

Each run is a small discrete-event simulation of the rest of the day:
- the counters call by the centre's own rule (server.domain.selection.choose_next, over the
  head of each queue a counter serves: priority first within the streak bound, main
  services before secondary ones, then the longest waiting), one ticket per counter;
- a counter busy now finishes after the rest of its current ticket: a service time drawn
  knowing it has lasted so long already; a called citizen who has not come yet either
  comes (the rest of a walk-up time, then a service time) or is marked absent (the rest
  of a no-show's cost), in proportion to how likely each is after that long;
- a paused counter comes back: after the rest of a pause like the site's past ones that
  lasted as long (without such a history, or when it lasted longer than them all, after
  PAUSE_MINUTES from its start or PAUSE_LEFT_MINUTES from now, whichever is later), unless
  it has been paused for PAUSE_GONE_MINUTES (lunch not counted): then its clerk has left
  and it is not expected back; a closed counter does not open; and an open counter pauses
  now and then, as often and as long as the site's counters did;
- nobody is called during the lunch break, nor after closing;
- every call holds the counter for a walk-up and a service time (lognormal, per service and
  hour, learned: see habits.py), or for a no-show's cost, then the clerk's turnaround;
  some citizens are sent on to another service after a while, and wait there at the place
  their first number gave them (a counter idle meanwhile notices them at its next look);
- a citizen may have given up before their turn comes, as patient as the site's citizens
  were: their call takes no time (and a quoted ticket is still quoted as if it stayed);
- citizens keep coming: a Poisson process per service and half hour, learned, scaled by
  how busy today has been so far; priority ones overtake the waiting normal tickets.

A ticket issued now is quoted by a marker at the back of its service's queue (normal and
priority apart): when a counter's rule reaches it, its call time is noted and the counter
calls on at once, so the markers hold nobody up.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from statistics import NormalDist

from server.domain.prediction.habits import SLOT_MINUTES, Habits
from server.domain.prediction.hall import AtCounter, CounterNow, Hall
from server.domain.roles import CounterState
from server.domain.selection import Candidate, choose_next, queue_key

# Runs per forecast: a busy ward (about 50 waiting, 6 counters) costs about 0.5 ms of CPU
# per run on the shared benchmark machine, so 30 runs take about 15 ms; P10 and P90 are
# read between ranks (see _quantile), which keeps the range honest with few runs (30 and
# 50 runs grade alike: docs/BENCHMARKS.md, section 6).
RUNS = 30
PAUSE_MINUTES = 15.0
PAUSE_LEFT_MINUTES = 3.0
PAUSE_GONE_MINUTES = 60.0
# How long a clerk with nobody to call takes to call a new number, without history.
DEFAULT_NOTICE_SECONDS = 10.0
# What is left of a ticket that has lasted longer than nearly all of its kind.
OVERRUN_SECONDS = 30.0
DEFAULT_NO_SHOW_SECONDS = 60.0
DEFAULT_WALK_UP_SECONDS = 30.0
DEFAULT_TRANSFER_SECONDS = 120.0
# Today's arrivals so far against the usual: trust the usual as much as this many citizens,
# and never scale it by more than BUSY_MAX either way.
BUSY_PRIOR_CITIZENS = 30.0
BUSY_MAX = 3.0
Z_TABLE_SIZE = 512
# Standard normal quantiles: a lognormal draw is one table look-up and one exp().
_Z = tuple(NormalDist().inv_cdf((i + 0.5) / Z_TABLE_SIZE) for i in range(Z_TABLE_SIZE))
_NORMAL = NormalDist()
_Uniform = Callable[[], float]
_UNKNOWN = Candidate(0, 0, False, datetime.min)


class Flag(StrEnum):
    NO_COUNTER = "no_counter"  # no counter open or coming back serves the service
    MAY_MISS_LUNCH = "may_miss_lunch"  # may be called only after the lunch break
    MAY_MISS_CLOSING = "may_miss_closing"  # may not be called before closing


@dataclass(frozen=True)
class Quote:
    """Minutes from now until the ticket is called: P10, median and P90 of the runs
    (`math.inf`: not called before closing in that share of runs), and what to warn of."""

    p10: float
    median: float
    p90: float
    flags: frozenset[Flag] = frozenset()
    deadline: time | None = None  # local time the MAY_MISS_* warning names

    @property
    def warning(self) -> tuple[str, str] | None:
        """The warning to show with the range (Vietnamese, English), if any."""
        if Flag.NO_COUNTER in self.flags:
            return ("Chưa có quầy phục vụ", "No counter serves this now")
        if self.deadline is not None:
            return (
                f"Có thể không kịp trước {self.deadline:%H:%M}",
                f"May not be called before {self.deadline:%H:%M}",
            )
        return None


@dataclass(frozen=True)
class Forecast:
    """One forecast of a whole site: per waiting ticket, and per service for a normal and
    a priority ticket issued now."""

    at: datetime
    runs: int
    tickets: Mapping[int, Quote]
    services: Mapping[int, Quote]
    priority_services: Mapping[int, Quote]


@dataclass(eq=False)
class _Counter:
    """A counter that calls (or will again), as the runs need it."""

    ranks: Mapping[int, int]
    services: tuple[int, ...]  # main services first
    streak: int
    paused_for: float | None  # seconds of pause so far (lunch not counted), if paused
    current: AtCounter | None
    queues: tuple[int, ...] = ()  # the queues it calls from (see _Day.queue_of)
    elapsed: float = 0.0  # of the current ticket: since its start, or since its call
    done_share: float = 0.0  # serving: how much of the service-time distribution is behind
    absent_odds: float = 0.0  # called: the chance the citizen will not come after all


@dataclass(eq=False)
class _Expected:
    """How many events (arrivals, pauses) are expected from now until each edge of the
    half hours to closing (seconds from now), the rate changing from one to the next. The
    next event of such a Poisson process is where this grows by an exponential draw."""

    edges: list[float]
    values: list[float]

    def until(self, moment: float) -> float:
        """Events expected from now until `moment`."""
        edges, values = self.edges, self.values
        slot = bisect.bisect_right(edges, moment)
        if slot == 0:
            return 0.0
        if slot >= len(edges):
            return values[-1]
        left, right = edges[slot - 1], edges[slot]
        return values[slot - 1] + (values[slot] - values[slot - 1]) * (moment - left) / (
            right - left
        )

    def moment(self, expected: float) -> float:
        """When `expected` events will have been expected (math.inf: not before closing)."""
        values = self.values
        slot = bisect.bisect_left(values, expected)
        if slot >= len(values):
            return math.inf
        if slot == 0:
            return self.edges[0]
        low, high = values[slot - 1], values[slot]
        left, right = self.edges[slot - 1], self.edges[slot]
        return left + (right - left) * (expected - low) / (high - low)


@dataclass(eq=False)
class _Stream:
    """Citizens of one queue still to come."""

    service_id: int
    is_priority: bool
    expected: _Expected


class _Day:
    """What stays the same in every run of one forecast.

    Each service has two queues, priority and normal (`queue_of[service] + 0` and `+ 1`),
    each a list in calling order (its waiting tickets, then the marker of a new ticket)
    followed by the citizens still to come, who are drawn only when the list is empty
    and a counter looks at that queue: a busy queue's newcomers, who cannot pass anyone
    in it, cost nothing.
    """

    def __init__(self, hall: Hall, habits: Habits) -> None:
        self.hall = hall
        self.habits = habits
        hours = hall.hours
        local = hours.local(hall.now)
        self.midnight = (
            local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        )
        self.opens = self._from_now(hours.opens_at)
        self.closes = self._from_now(hours.closes_at)
        if hours.lunch_starts is not None and hours.lunch_ends is not None:
            self.lunch = (self._from_now(hours.lunch_starts), self._from_now(hours.lunch_ends))
        else:
            self.lunch = (math.inf, math.inf)
        self.counters = [c for c in (self._counter(c) for c in hall.counters) if c is not None]
        self.servable = {s for c in self.counters for s in c.services}
        service_ids = sorted(
            {c.service_id for c in hall.waiting} | set(hall.quoted_services) | self.servable
        )
        self.queue_of = {s: 2 * k for k, s in enumerate(service_ids)}
        for counter in self.counters:
            counter.queues = tuple(
                self.queue_of[s] + kind for s in counter.services for kind in (0, 1)
            )
        self.times = {s: habits.times(s, hall.expected_minutes.get(s, 10.0)) for s in service_ids}
        self.mu = {s: [t.mu_at(h) for h in range(24)] for s, t in self.times.items()}
        self.sigma = {s: t.sigma for s, t in self.times.items()}
        self.walk_up = tuple(habits.walk_up_seconds) or (DEFAULT_WALK_UP_SECONDS,)
        self.notice = tuple(habits.notice_seconds) or (DEFAULT_NOTICE_SECONDS,)
        self.no_show = tuple(habits.no_show_seconds) or (DEFAULT_NO_SHOW_SECONDS,)
        self._queues_and_targets(service_ids)
        self.choices: dict[tuple[object, ...], Candidate | None] = {}
        # Minute by minute over two days, so that a wait never runs off its end.
        patience = list(habits.patience)
        self.patience = tuple(patience + patience[-1:] * (2 * 24 * 60 - len(patience)))
        self.waited: dict[int, tuple[float, float]] = {}
        for ticket in hall.waiting:
            waited = max((hall.now - ticket.queued_at).total_seconds(), 0.0)
            minute = min(int(waited // 60), len(self.patience) - 1)
            there = self.patience[minute] if self.patience else 1.0
            self.waited[ticket.ticket_id] = (waited, there)
        self.transfers = tuple(habits.transfer_seconds) or (DEFAULT_TRANSFER_SECONDS,)
        self.transfer_to = list(habits.transfer_to)
        self.transfer_weights = list(itertools.accumulate(habits.transfer_to.values()))
        self.pauses = (
            self._expected([n / SLOT_MINUTES for n in habits.pauses])
            if habits.pauses and habits.pause_seconds
            else None
        )
        # Citizens still to come get ids of their own across all runs (the choices above
        # are remembered by ticket id).
        self.arrival_ids = itertools.count(1 << 40)
        self.streams = self._streams(service_ids)
        for counter in self.counters:
            self._prepare_current(counter)

    def _from_now(self, moment: time) -> float:
        return moment.hour * 3600 + moment.minute * 60 + moment.second - self.midnight

    # -- the counters ----------------------------------------------------------------------

    def _counter(self, counter: CounterNow) -> _Counter | None:
        if counter.state == CounterState.CLOSED or not counter.service_rank:
            return None
        paused = None
        if counter.state == CounterState.PAUSED:
            now = self.hall.now
            since = counter.state_since or now
            paused = (now - since - self.hall.hours.lunch_overlap(since, now)).total_seconds()
            if paused >= PAUSE_GONE_MINUTES * 60:
                return None
        ranks = dict(counter.service_rank)
        return _Counter(
            ranks=ranks,
            services=tuple(sorted(ranks, key=lambda s: (ranks[s], s))),
            streak=counter.priority_streak,
            paused_for=paused,
            current=counter.current,
        )

    def _prepare_current(self, counter: _Counter) -> None:
        current = counter.current
        if current is None:
            return
        now = self.hall.now
        if current.service_id not in self.times:
            expected = self.hall.expected_minutes.get(current.service_id, 10.0)
            self.times[current.service_id] = self.habits.times(current.service_id, expected)
        if current.started_at is not None:
            counter.elapsed = max(0.0, (now - current.started_at).total_seconds())
            times = self.times[current.service_id]
            z = (math.log(max(counter.elapsed, 1.0)) - times.mu) / times.sigma
            counter.done_share = _NORMAL.cdf(z)
            return
        counter.elapsed = elapsed = max(0.0, (now - current.called_at).total_seconds())
        share = self.habits.no_show_share
        absent = share * _survival(self.no_show, elapsed)
        present = (1 - share) * _survival(self.walk_up, elapsed)
        # Longer than anyone ever took to come: they are about to be marked absent.
        counter.absent_odds = absent / (absent + present) if absent + present > 0 else 1.0

    # -- the queues and what is quoted -----------------------------------------------------

    def _queues_and_targets(self, service_ids: list[int]) -> None:
        hall = self.hall
        self.base: list[list[Candidate]] = [[] for _ in range(2 * len(service_ids))]
        for ticket in sorted(hall.waiting, key=queue_key):
            self.base[self.queue_of[ticket.service_id] + (not ticket.is_priority)].append(ticket)
        self.target_of: dict[int, int] = {}
        self.target_names: list[tuple[str, int]] = []  # ("ticket" | "normal" | "priority", id)
        self.target_services: list[int] = []
        for ticket in hall.waiting:
            self._target(ticket.ticket_id, ("ticket", ticket.ticket_id), ticket.service_id)
        marker_id = itertools.count(-1, -1)
        for service_id in hall.quoted_services:
            for kind, is_priority in (("normal", False), ("priority", True)):
                marker = Candidate(next(marker_id), service_id, is_priority, hall.now)
                self.base[self.queue_of[service_id] + (not is_priority)].append(marker)
                self._target(marker.ticket_id, (kind, service_id), service_id)
        self.servable_targets = sum(1 for s in self.target_services if s in self.servable)

    def _target(self, candidate_id: int, name: tuple[str, int], service_id: int) -> None:
        self.target_of[candidate_id] = len(self.target_names)
        self.target_names.append(name)
        self.target_services.append(service_id)

    # -- citizens still to come ------------------------------------------------------------

    def _streams(self, service_ids: list[int]) -> list[_Stream | None]:
        """Per queue, its arrivals from now (or from opening) to closing."""
        habits = self.habits
        streams: list[_Stream | None] = [None] * (2 * len(service_ids))
        scale = self._busy_today()
        for service_id in service_ids:
            rates = habits.arrivals.get(service_id)
            if rates is None or service_id not in self.servable:
                continue  # nobody would call them: they change no one's wait
            share = habits.priority_share.get(service_id, 0.0)
            for kind, part in ((0, share), (1, 1.0 - share)):
                expected = self._expected(rates, part * scale)
                if expected is not None:
                    queue = self.queue_of[service_id] + kind
                    streams[queue] = _Stream(service_id, kind == 0, expected)
        return streams

    def _expected(self, per_minute: Sequence[float], scale: float = 1.0) -> _Expected | None:
        """Events expected from now (or opening) until each half hour's edge to closing, at
        `per_minute` x `scale` in each half hour of the day; None if none are."""
        slot_seconds = SLOT_MINUTES * 60
        start = max(0.0, self.opens)
        if start >= self.closes:
            return None
        first_slot = int((self.midnight + start) // slot_seconds)
        last_slot = math.ceil((self.midnight + self.closes) / slot_seconds)
        edges = [start] + [
            slot * slot_seconds - self.midnight for slot in range(first_slot + 1, last_slot)
        ]
        edges.append(self.closes)
        values = [0.0]
        for slot, (left, right) in enumerate(itertools.pairwise(edges), first_slot):
            rate = per_minute[slot] if slot < len(per_minute) else 0.0
            values.append(values[-1] + rate * scale * (right - left) / 60)
        return _Expected(edges, values) if values[-1] > 0 else None

    def _busy_today(self) -> float:
        """How much busier than usual today is, from the citizens who came so far: the
        usual rates, scaled, with BUSY_PRIOR_CITIZENS' worth of trust in the usual."""
        issued = self.hall.issued_today
        if issued is None:
            return 1.0
        slot_seconds = SLOT_MINUTES * 60
        opened = (self.midnight + self.opens) / slot_seconds
        expected = self.habits.expected_arrivals(opened, self.midnight / slot_seconds)
        scale = (issued + BUSY_PRIOR_CITIZENS) / (expected + BUSY_PRIOR_CITIZENS)
        return min(BUSY_MAX, max(1 / BUSY_MAX, scale))

    # -- one run ---------------------------------------------------------------------------

    def run(self, rng: random.Random) -> list[float]:
        """One possible rest of the day: each target's call time in seconds from now
        (math.inf: not called before closing)."""
        rnd = rng.random
        calls = [math.inf] * len(self.target_names)
        remaining = self.servable_targets
        if remaining == 0:
            return calls
        queues = [deque(tickets) for tickets in self.base]
        # The next citizen still to come of each queue, and when.
        coming = _Coming(self, rnd)
        counters = self.counters
        streaks = [c.streak for c in counters]
        turnaround = self.habits.turnaround_seconds
        heap: list[tuple[float, int]] = []
        for index, counter in enumerate(counters):
            free = self._resume(counter, rnd)
            if counter.current is not None:
                free = max(free, self._rest_of_current(counter, rnd) + turnaround)
            elif free == 0:  # free now, so nobody it could call was waiting: it notices
                free = self.notice[int(rnd() * len(self.notice))]
            heap.append((free, index))
        heapq.heapify(heap)
        push, pop, exp = heapq.heappush, heapq.heappop, math.exp
        opens, closes = self.opens, self.closes
        lunch_starts, lunch_ends = self.lunch
        target_of, queue_of = self.target_of, self.queue_of
        max_streak = self.hall.max_priority_streak
        no_show_share, no_show, walk_up = self.habits.no_show_share, self.no_show, self.walk_up
        no_shows, walk_ups, z_table = len(no_show), len(walk_up), _Z
        mu, sigma, midnight = self.mu, self.sigma, self.midnight
        notice, choices = self.notice, self.choices
        next_at, next_citizen = coming.at, coming.citizen
        patience, since = self.patience, coming.since
        transfer_share, transfers = self.habits.transfer_share, self.transfers
        transfer_to, transfer_weights = self.transfer_to, self.transfer_weights
        transfer_total = transfer_weights[-1] if transfer_weights else 0.0
        # When each counter's next pause falls due (a Poisson process, learned by half hour).
        pause_times, expected_pauses = self.habits.pause_seconds, self.pauses
        due = [
            expected_pauses.moment(-math.log(1.0 - rnd())) if expected_pauses else math.inf
            for _ in counters
        ]
        moving: list[tuple[int, Candidate]] = []  # (queue, ticket) of transfers under way
        sent_on: set[int] = set()
        while heap:
            t, index = pop(heap)
            if t >= closes:
                break
            if index < 0:  # a transfer: the citizen joins the other queue, at their place
                queue, moved = moving[-index - 1]
                _insert(queues[queue], moved)
                continue
            if t < opens:
                push(heap, (opens, index))
                continue
            if lunch_starts <= t < lunch_ends:
                push(heap, (lunch_ends, index))
                continue
            if t >= due[index]:  # the clerk pauses before calling again
                assert expected_pauses is not None
                pause = pause_times[int(rnd() * len(pause_times))]
                after = expected_pauses.until(t + pause) - math.log(1.0 - rnd())
                due[index] = expected_pauses.moment(after)
                push(heap, (t + pause, index))
                continue
            counter = counters[index]
            while True:
                heads: list[Candidate] = []
                ids: list[object] = [index, streaks[index] < max_streak]
                for queue in counter.queues:
                    waiting = queues[queue]
                    if waiting:
                        head = waiting[0]
                    elif next_at[queue] <= t:
                        head = next_citizen[queue]  # type: ignore[assignment]
                    else:
                        continue
                    heads.append(head)
                    ids.append(head.ticket_id)
                chosen: Candidate | None
                if len(heads) == 1:  # nothing to choose
                    chosen = heads[0]
                else:
                    # The rule's answer depends on nothing but these: runs meet the same
                    # choices again and again (the tickets waiting now), so each is asked
                    # once.
                    key = tuple(ids)
                    chosen = choices.get(key, _UNKNOWN)
                    if chosen is _UNKNOWN:
                        chosen = choose_next(heads, counter.ranks, streaks[index], max_streak)
                        choices[key] = chosen
                if chosen is None:  # nobody to call: look again when someone comes
                    wake = min(next_at[queue] for queue in counter.queues)
                    if wake < closes:
                        push(heap, (wake + notice[int(rnd() * len(notice))], index))
                    break
                queue = queue_of[chosen.service_id] + (not chosen.is_priority)
                if queues[queue]:
                    queues[queue].popleft()
                else:
                    coming.draw(queue)
                target = target_of.get(chosen.ticket_id)
                if target is not None:
                    calls[target] = t
                    remaining -= 1
                    if remaining == 0:
                        return calls
                if chosen.ticket_id < 0:
                    continue  # a marker holds nobody up: the counter calls on
                if patience:
                    # Still there when it came or now, and still there at t?
                    offset, there = since[chosen.ticket_id]
                    if rnd() * there > patience[int((t + offset) // 60)]:
                        continue  # gave up meanwhile: nobody answers, the counter calls on
                streaks[index] = streaks[index] + 1 if chosen.is_priority else 0
                if rnd() < no_show_share:
                    hold = no_show[int(rnd() * no_shows)]
                elif chosen.ticket_id not in sent_on and rnd() < transfer_share:
                    hold = walk_up[int(rnd() * walk_ups)] + transfers[int(rnd() * len(transfers))]
                    goes_to = transfer_to[bisect.bisect(transfer_weights, rnd() * transfer_total)]
                    if goes_to in queue_of and goes_to != chosen.service_id:
                        moved = Candidate(
                            next(self.arrival_ids), goes_to, chosen.is_priority, chosen.queued_at
                        )
                        since[moved.ticket_id] = (0.0, 0.0)  # served once: they stay
                        sent_on.add(moved.ticket_id)  # and are not sent on again
                        moving.append((queue_of[goes_to] + (not moved.is_priority), moved))
                        push(heap, (t + hold, -len(moving)))
                else:
                    hour = int((midnight + t) // 3600) % 24
                    z = z_table[int(rnd() * Z_TABLE_SIZE)]
                    service = exp(mu[chosen.service_id][hour] + sigma[chosen.service_id] * z)
                    hold = walk_up[int(rnd() * walk_ups)] + service
                push(heap, (t + hold + turnaround, index))
                break
        return calls

    def _resume(self, counter: _Counter, rnd: _Uniform) -> float:
        """Seconds until a paused counter calls again (0 if it is open): the rest of a
        pause as long as the learned ones that lasted this long, or of a typical pause."""
        paused = counter.paused_for
        if paused is None:
            return 0.0
        pauses = self.habits.pause_seconds
        if pauses and paused < pauses[-1]:
            return _rest(pauses, paused, rnd)
        return max(PAUSE_MINUTES * 60 - paused, PAUSE_LEFT_MINUTES * 60)

    def _service(self, service_id: int, rnd: _Uniform) -> float:
        hour = int(self.midnight // 3600) % 24
        z = _Z[int(rnd() * Z_TABLE_SIZE)]
        return math.exp(self.mu[service_id][hour] + self.sigma[service_id] * z)

    def _rest_of_current(self, counter: _Counter, rnd: _Uniform) -> float:
        """Seconds until the counter is done with the ticket it holds now."""
        current = counter.current
        assert current is not None
        if current.started_at is not None:
            if counter.done_share >= 0.999:
                return OVERRUN_SECONDS
            times = self.times[current.service_id]
            share = counter.done_share + (1 - counter.done_share) * rnd()
            total = math.exp(times.mu + times.sigma * _NORMAL.inv_cdf(min(share, 0.999999)))
            return max(total - counter.elapsed, 1.0)
        if rnd() < counter.absent_odds:
            return _rest(self.no_show, counter.elapsed, rnd)
        walk = _rest(self.walk_up, counter.elapsed, rnd)
        return walk + self._service(current.service_id, rnd)

    # -- reading the runs ------------------------------------------------------------------

    def quotes(self, runs: list[list[float]]) -> Forecast:
        hall = self.hall
        tickets: dict[int, Quote] = {}
        services: dict[int, Quote] = {}
        priority_services: dict[int, Quote] = {}
        for target, (kind, key) in enumerate(self.target_names):
            quote = self._quote(target, sorted(run[target] for run in runs))
            if kind == "ticket":
                tickets[key] = quote
            elif kind == "normal":
                services[key] = quote
            else:
                priority_services[key] = quote
        return Forecast(hall.now, len(runs), tickets, services, priority_services)

    def _quote(self, target: int, seconds: list[float]) -> Quote:
        if self.target_services[target] not in self.servable:
            return Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
        p10, median, p90 = (_quantile(seconds, q) for q in (0.1, 0.5, 0.9))
        hours = self.hall.hours
        if p90 == math.inf:
            return Quote(
                p10 / 60, median / 60, p90 / 60, frozenset({Flag.MAY_MISS_CLOSING}), hours.closes_at
            )
        if hours.lunch_starts is not None and 0 < self.lunch[0] <= p90:
            flags = frozenset({Flag.MAY_MISS_LUNCH})
            return Quote(p10 / 60, median / 60, p90 / 60, flags, hours.lunch_starts)
        return Quote(p10 / 60, median / 60, p90 / 60)


class _Coming:
    """The next citizen still to come of each queue of one run, drawn one at a time: the
    moment a queue's cumulative expected arrivals grow by an exponential draw (a Poisson
    process whose rate changes each half hour)."""

    def __init__(self, day: _Day, rnd: _Uniform) -> None:
        self.day = day
        self.rnd = rnd
        size = len(day.streams)
        self.at = [math.inf] * size
        # Per ticket id: how long it has waited now (negative: it comes that much later),
        # and the share of citizens still waiting after so long.
        self.since = dict(day.waited)
        self.citizen: list[Candidate | None] = [None] * size
        self.expected = [0.0] * size
        for queue, stream in enumerate(day.streams):
            if stream is not None:
                self.draw(queue)

    def draw(self, queue: int) -> None:
        """The one after the queue's current next citizen."""
        stream = self.day.streams[queue]
        assert stream is not None
        goal = self.expected[queue] - math.log(1.0 - self.rnd())
        at = stream.expected.moment(goal)
        if at == math.inf:
            self.at[queue], self.citizen[queue] = math.inf, None
            return
        self.expected[queue] = goal
        queued_at = self.day.hall.now + timedelta(seconds=at)
        citizen = Candidate(
            next(self.day.arrival_ids), stream.service_id, stream.is_priority, queued_at
        )
        self.at[queue], self.citizen[queue] = at, citizen
        self.since[citizen.ticket_id] = (-at, 1.0)


def predict(hall: Hall, habits: Habits, runs: int = RUNS, seed: int = 0) -> Forecast:
    """Quote every waiting ticket of the hall, and a new ticket of each quoted service,
    from `runs` plays of the rest of the day. The same hall, habits and seed give the same
    forecast (so a screen does not flicker between two changes)."""
    if runs < 1:
        raise ValueError("at least one run")
    day = _Day(hall, habits)
    rng = random.Random(seed)
    return day.quotes([day.run(rng) for _ in range(runs)])


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted runs, between the ranks q(n+1) (so that P10-P90 of n runs
    holds a further run 80 % of the time, even for small n); math.inf stays infinite."""
    rank = q * (len(ordered) + 1) - 1
    if rank <= 0:
        return ordered[0]
    if rank >= len(ordered) - 1:
        return ordered[-1]
    low = int(rank)
    below, above = ordered[low], ordered[low + 1]
    if rank == low or below == above:
        return below
    return below + (above - below) * (rank - low)


def _insert(queue: deque[Candidate], ticket: Candidate) -> None:
    """Put a transferred ticket at its place in a queue (by its first issue time)."""
    place = (ticket.queued_at, ticket.ticket_id)
    for position, other in enumerate(queue):
        if (other.queued_at, other.ticket_id) > place:
            queue.insert(position, ticket)
            return
    queue.append(ticket)


def _rest(sorted_samples: Sequence[float], elapsed: float, rnd: _Uniform) -> float:
    """What is left of something that has lasted `elapsed` already: a draw among the
    samples longer than that, minus `elapsed`."""
    longer = bisect.bisect_right(sorted_samples, elapsed)
    if longer == len(sorted_samples):
        return OVERRUN_SECONDS
    return sorted_samples[longer + int(rnd() * (len(sorted_samples) - longer))] - elapsed


def _survival(sorted_samples: Sequence[float], elapsed: float) -> float:
    """The share of samples longer than `elapsed`."""
    return 1.0 - bisect.bisect_right(sorted_samples, elapsed) / len(sorted_samples)
