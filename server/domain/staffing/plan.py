"""A plan for one hour of a hall: which counters open and which clerk sits at each.

1. Erlang C, service by service: the counters each service would need on its own to call
   `share` of its citizens within its target minutes (`ServiceHour.needed`). This is the
   seed, and the figure managers know from contact centres.
2. Counters serve several services (server.domain.selection: main services, rank 0, before
   secondary ones), so a hall needs fewer counters than the sum of the seeds. The plan
   opens counters greedily: while a service falls short of its target, open the counter
   that helps the services falling short most, then close again any counter the targets
   do not need. A service's servers are estimated from the open counters: a counter is
   a fraction of a server for each of its main services (split by their load per main
   counter), and lends its idle time to its secondary services. Erlang C with that
   (fractional, interpolated) number of servers estimates the service's level.
3. Clerks: a counter opens only if a clerk who may sit at it is free (a maximum matching
   of clerks to counters; a clerk keeps last hour's counter when the plan allows). A
   clerk with no counters assigned may sit anywhere.

The estimate is an approximation (exponential service, a steady hour, even spreading);
the back-test (bench/staffing.py) replays the plans against real arrivals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from server.domain.staffing.erlang import counters_needed, offered_load, service_level


@dataclass(frozen=True)
class Target:
    """`share` of citizens called within `minutes`."""

    minutes: float
    share: float


@dataclass(frozen=True)
class CounterSpec:
    counter_id: int
    number: int
    service_rank: Mapping[int, int]  # service id -> rank, 0 = main


@dataclass(frozen=True)
class ClerkSpec:
    clerk_id: int
    name: str
    counter_ids: frozenset[int]  # where they may sit; empty: anywhere

    def may_sit(self, counter_id: int) -> bool:
        return not self.counter_ids or counter_id in self.counter_ids


@dataclass(frozen=True)
class Demand:
    """One service in one hour: citizens expected and minutes each takes."""

    arrivals: float
    service_minutes: float
    no_show_share: float = 0.0

    @property
    def served_per_hour(self) -> float:
        return self.arrivals * (1.0 - self.no_show_share)

    @property
    def load(self) -> float:
        return offered_load(self.served_per_hour, self.service_minutes)


@dataclass(frozen=True)
class ServiceHour:
    service_id: int
    arrivals: float
    load: float  # erlangs
    needed: int  # Erlang C on its own
    main_counters: int  # open counters where it is a main service
    servers: float  # estimated servers it gets from the open counters
    level: float  # estimated share called within its target
    meets_target: bool


@dataclass(frozen=True)
class Seat:
    counter_id: int
    number: int
    clerk_id: int | None
    clerk_name: str


@dataclass(frozen=True)
class HourPlan:
    hour: int
    services: tuple[ServiceHour, ...]
    seats: tuple[Seat, ...]

    @property
    def counters(self) -> int:
        return len(self.seats)

    @property
    def needed_alone(self) -> int:
        return sum(s.needed for s in self.services)

    @property
    def meets_targets(self) -> bool:
        return all(s.meets_target for s in self.services)


def level_with(servers: float, demand: Demand, target: Target) -> float:
    """Erlang C's service level for a fractional number of servers (interpolated between
    the whole numbers around it)."""
    if demand.load <= 0:
        return 1.0
    low = math.floor(servers)

    def at(n: int) -> float:
        if n <= 0:
            return 0.0
        return service_level(n, demand.served_per_hour, demand.service_minutes, target.minutes)

    return at(low) + (servers - low) * (at(low + 1) - at(low))


def servers_by_service(
    open_counters: Sequence[CounterSpec], demand: Mapping[int, Demand]
) -> dict[int, float]:
    """How many servers each service gets from the open counters (see the module's doc)."""
    mains: dict[int, int] = {}
    for counter in open_counters:
        for service_id, rank in counter.service_rank.items():
            if rank == 0:
                mains[service_id] = mains.get(service_id, 0) + 1
    servers = {service_id: 0.0 for service_id in demand}

    def load(service_id: int) -> float:
        d = demand.get(service_id)
        return d.load if d else 0.0

    for counter in open_counters:
        main = [s for s, rank in counter.service_rank.items() if rank == 0]
        side = [s for s, rank in counter.service_rank.items() if rank > 0 and load(s) > 0]
        per_main = {s: load(s) / mains[s] for s in main}
        busy = sum(per_main.values())
        for s in main:
            share = per_main[s] / busy if busy > 0 else 1.0 / len(main)
            if s in servers:
                servers[s] += share
        idle = max(0.0, 1.0 - busy)
        side_load = sum(load(s) for s in side)
        for s in side:
            servers[s] += idle * load(s) / side_load
    return servers


def _assign_clerks(
    counters: Sequence[CounterSpec],
    clerks: Sequence[ClerkSpec],
    previous: Mapping[int, int] | None = None,
) -> dict[int, int] | None:
    """Counter id -> clerk id for every counter, or None when the clerks cannot cover them
    (Kuhn's augmenting paths; last hour's clerk is tried first at each counter)."""
    if not clerks:
        return {}
    held: dict[int, int] = {}  # clerk id -> counter id
    by_id = {clerk.clerk_id: clerk for clerk in clerks}
    previous = previous or {}

    def candidates(counter_id: int) -> list[int]:
        ids = [c.clerk_id for c in clerks if c.may_sit(counter_id)]
        before = previous.get(counter_id)
        return sorted(ids, key=lambda clerk_id: clerk_id != before)

    def place(counter_id: int, tried: set[int]) -> bool:
        for clerk_id in candidates(counter_id):
            if clerk_id in tried:
                continue
            tried.add(clerk_id)
            if clerk_id not in held or place(held[clerk_id], tried):
                held[clerk_id] = counter_id
                return True
        return False

    for counter in counters:
        if not place(counter.counter_id, set()):
            return None
    assert all(clerk_id in by_id for clerk_id in held)
    return {counter_id: clerk_id for clerk_id, counter_id in held.items()}


def _shortfall(
    open_counters: Sequence[CounterSpec],
    demand: Mapping[int, Demand],
    targets: Mapping[int, Target],
) -> float:
    """How far the open counters are from every target: the share of citizens missing each
    target, plus the servers missing to keep up at all (so that a counter that does not yet
    lift an overloaded service above zero still counts as a step towards it)."""
    servers = servers_by_service(open_counters, demand)
    missed = 0.0
    for s, d in demand.items():
        missed += max(0.0, targets[s].share - level_with(servers[s], d, targets[s]))
        missed += max(0.0, d.load - servers[s])
    return missed


def plan_hour(
    hour: int,
    demand: Mapping[int, Demand],
    targets: Mapping[int, Target],
    counters: Sequence[CounterSpec],
    clerks: Sequence[ClerkSpec] = (),
    previous: Mapping[int, int] | None = None,
) -> HourPlan:
    """The counters to open in `hour` and who sits where. `previous` maps counter ids to
    last hour's clerks, for continuity. A service without a target is held to 80 % within
    30 minutes."""
    targets = {s: targets.get(s, Target(30, 0.8)) for s in demand}
    busy = {s: d for s, d in demand.items() if d.load > 0}
    opened: list[CounterSpec] = []
    missing = _shortfall(opened, busy, targets)
    while missing > 1e-9:
        # The biggest step towards the targets; among equal steps, a counter where the
        # services concerned are main rather than secondary, then the fewest main services
        # (a counter of its own rather than one shared with another service's queue).
        best: tuple[float, int, int, CounterSpec] | None = None
        for counter in counters:
            ranks = [rank for s, rank in counter.service_rank.items() if s in busy]
            if counter in opened or not ranks:
                continue
            trial = [*opened, counter]
            if _assign_clerks(trial, clerks) is None:
                continue
            gain = round(missing - _shortfall(trial, busy, targets), 9)
            mains = sum(1 for rank in counter.service_rank.values() if rank == 0)
            key = (gain, -min(ranks), -mains, counter)
            if best is None or key[:3] > best[:3]:
                best = key
        if best is None or best[0] <= 1e-9:
            break
        opened.append(best[3])
        missing = _shortfall(opened, busy, targets)
    for counter in reversed(list(opened)):
        trial = [c for c in opened if c is not counter]
        if _shortfall(trial, busy, targets) <= missing + 1e-9:
            opened = trial
            missing = _shortfall(opened, busy, targets)
    opened.sort(key=lambda c: c.number)
    seated = _assign_clerks(opened, clerks, previous) or {}
    names = {clerk.clerk_id: clerk.name for clerk in clerks}
    servers = servers_by_service(opened, busy)
    levels = {s: level_with(servers[s], d, targets[s]) for s, d in busy.items()}
    services = []
    for service_id in sorted(demand):
        d = demand[service_id]
        target = targets[service_id]
        level = levels.get(service_id, 1.0)
        services.append(
            ServiceHour(
                service_id=service_id,
                arrivals=d.arrivals,
                load=d.load,
                needed=counters_needed(
                    d.served_per_hour, d.service_minutes, target.minutes, target.share
                ),
                main_counters=sum(1 for c in opened if c.service_rank.get(service_id) == 0),
                servers=servers.get(service_id, 0.0),
                level=level,
                meets_target=level >= target.share - 1e-9,
            )
        )
    seats = tuple(
        Seat(
            c.counter_id,
            c.number,
            seated.get(c.counter_id),
            names.get(seated.get(c.counter_id, -1), ""),
        )
        for c in opened
    )
    return HourPlan(hour, tuple(services), seats)


@dataclass(frozen=True)
class DayPlan:
    day: date
    hours: tuple[HourPlan, ...]

    @property
    def counter_hours(self) -> int:
        return sum(hour.counters for hour in self.hours)


def plan_day(
    day: date,
    per_hour: Mapping[tuple[int, int], float],
    service_minutes: Mapping[int, float],
    no_show_share: Mapping[int, float],
    targets: Mapping[int, Target],
    counters: Sequence[CounterSpec],
    clerks: Sequence[ClerkSpec] = (),
    carry: bool = True,
) -> DayPlan:
    """Every hour of a day in which citizens are expected: `per_hour` maps (hour, service
    id) to citizens expected (DayForecast.per_hour).

    An hour is planned for the more of its own arrivals and the previous hour's (`carry`):
    Erlang C assumes a steady hour that starts with its own queue, but the citizens of a
    busy hour are still waiting in the quieter one after it."""
    hours: list[HourPlan] = []
    previous: dict[int, int] = {}
    services = {s for _, s in per_hour}
    for hour in sorted({h for h, _ in per_hour}):
        demand = {}
        for s in services:
            count = per_hour.get((hour, s), 0.0)
            if carry:
                count = max(count, per_hour.get((hour - 1, s), 0.0))
            demand[s] = Demand(count, service_minutes.get(s, 10.0), no_show_share.get(s, 0.0))
        planned = plan_hour(hour, demand, targets, counters, clerks, previous)
        previous = {seat.counter_id: seat.clerk_id for seat in planned.seats if seat.clerk_id}
        hours.append(planned)
    return DayPlan(day, tuple(hours))
