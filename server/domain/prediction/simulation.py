"""One run of the forecast: a small discrete-event simulation of the rest of a site's day,
played from the hall as it is now (see forecast.py for the model in words).

`Day` holds what stays the same in every run of one forecast (the counters, the queues
with the tickets to quote, the citizens still to come, the habits in the form the runs
draw from); `Day.run` plays one possible rest of the day and returns each quoted ticket's
call time.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time

from server.domain.prediction.arrivals import Coming, streams
from server.domain.prediction.habits import SLOT_MINUTES, Habits
from server.domain.prediction.hall import AtCounter, CounterNow, Hall
from server.domain.prediction.sampling import (
    NORMAL,
    OVERRUN_SECONDS,
    Z_TABLE_SIZE,
    Uniform,
    Z,
    expected_events,
    rest,
    survival,
)
from server.domain.roles import CounterState
from server.domain.selection import Candidate, choose_next, queue_key

PAUSE_MINUTES = 15.0
PAUSE_LEFT_MINUTES = 3.0
PAUSE_GONE_MINUTES = 60.0
# How long a clerk with nobody to call takes to call a new number, without history.
DEFAULT_NOTICE_SECONDS = 10.0
DEFAULT_NO_SHOW_SECONDS = 60.0
DEFAULT_WALK_UP_SECONDS = 30.0
DEFAULT_TRANSFER_SECONDS = 120.0
_UNKNOWN = Candidate(0, 0, False, datetime.min)


@dataclass(eq=False)
class Counter:
    """A counter that calls (or will again), as the runs need it."""

    ranks: Mapping[int, int]
    services: tuple[int, ...]  # main services first
    streak: int
    paused_for: float | None  # seconds of pause so far (lunch not counted), if paused
    current: AtCounter | None
    queues: tuple[int, ...] = ()  # the queues it calls from (see Day.queue_of)
    elapsed: float = 0.0  # of the current ticket: since its start, or since its call
    done_share: float = 0.0  # serving: how much of the service-time distribution is behind
    mu: float = 0.0  # serving: the log-mean of its service time, for the hour it started in
    absent_odds: float = 0.0  # called: the chance the citizen will not come after all


class Day:
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
            expected_events(
                [n / SLOT_MINUTES for n in habits.pauses], self.midnight, self.opens, self.closes
            )
            if habits.pauses and habits.pause_seconds
            else None
        )
        # Citizens still to come get ids of their own across all runs (the choices above
        # are remembered by ticket id).
        self.arrival_ids = itertools.count(1 << 40)
        self.streams = streams(
            hall, habits, self.queue_of, self.servable, self.midnight, self.opens, self.closes
        )
        for counter in self.counters:
            self._prepare_current(counter)

    def _from_now(self, moment: time) -> float:
        return moment.hour * 3600 + moment.minute * 60 + moment.second - self.midnight

    # -- the counters ----------------------------------------------------------------------

    def _counter(self, counter: CounterNow) -> Counter | None:
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
        return Counter(
            ranks=ranks,
            services=tuple(sorted(ranks, key=lambda s: (ranks[s], s))),
            streak=counter.priority_streak,
            paused_for=paused,
            current=counter.current,
        )

    def _prepare_current(self, counter: Counter) -> None:
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
            counter.mu = times.mu_at(self.hall.hours.local(current.started_at).hour)
            z = (math.log(max(counter.elapsed, 1.0)) - counter.mu) / times.sigma
            counter.done_share = NORMAL.cdf(z)
            return
        counter.elapsed = elapsed = max(0.0, (now - current.called_at).total_seconds())
        share = self.habits.no_show_share
        absent = share * survival(self.no_show, elapsed)
        present = (1 - share) * survival(self.walk_up, elapsed)
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
        coming = Coming(self.streams, self.hall.now, self.arrival_ids, self.waited, rnd)
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
        no_shows, walk_ups, z_table = len(no_show), len(walk_up), Z
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
                insert(queues[queue], moved)
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
                first_leg = chosen.ticket_id not in sent_on  # sent on: in the hall already
                if first_leg and rnd() < no_show_share:
                    hold = no_show[int(rnd() * no_shows)]
                elif first_leg and rnd() < transfer_share:
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

    def _resume(self, counter: Counter, rnd: Uniform) -> float:
        """Seconds until a paused counter calls again (0 if it is open): the rest of a
        pause as long as the learned ones that lasted this long, or of a typical pause."""
        paused = counter.paused_for
        if paused is None:
            return 0.0
        pauses = self.habits.pause_seconds
        if pauses and paused < pauses[-1]:
            return rest(pauses, paused, rnd)
        return max(PAUSE_MINUTES * 60 - paused, PAUSE_LEFT_MINUTES * 60)

    def _service(self, service_id: int, rnd: Uniform) -> float:
        # The current ticket's service: it may be one the counter no longer calls.
        times = self.times[service_id]
        z = Z[int(rnd() * Z_TABLE_SIZE)]
        return math.exp(times.mu_at(int(self.midnight // 3600) % 24) + times.sigma * z)

    def _rest_of_current(self, counter: Counter, rnd: Uniform) -> float:
        """Seconds until the counter is done with the ticket it holds now."""
        current = counter.current
        assert current is not None
        if current.started_at is not None:
            if counter.done_share >= 0.999:
                return OVERRUN_SECONDS
            times = self.times[current.service_id]
            share = counter.done_share + (1 - counter.done_share) * rnd()
            total = math.exp(counter.mu + times.sigma * NORMAL.inv_cdf(min(share, 0.999999)))
            return max(total - counter.elapsed, 1.0)
        if rnd() < counter.absent_odds:
            return rest(self.no_show, counter.elapsed, rnd)
        walk = rest(self.walk_up, counter.elapsed, rnd)
        return walk + self._service(current.service_id, rnd)


def insert(queue: deque[Candidate], ticket: Candidate) -> None:
    """Put a transferred ticket at its place in a queue (by its first issue time)."""
    place = (ticket.queued_at, ticket.ticket_id)
    for position, other in enumerate(queue):
        if (other.queued_at, other.ticket_id) > place:
            queue.insert(position, ticket)
            return
    queue.append(ticket)
