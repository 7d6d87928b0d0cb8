"""Erlang C: the M/M/c queue that contact centres have staffed with for decades.

Citizens arrive at random (Poisson) at `arrivals_per_hour`; each takes `service_minutes`
on average at a counter; `counters` counters serve one queue. The offered load is
a = arrivals x service time (in erlangs: counters kept busy on average). With c > a:

    C(c, a) = probability that a citizen has to wait at all,
    P(wait <= t) = 1 - C(c, a) * exp(-(c - a) * t / service time),
    mean wait = C(c, a) * service time / (c - a).

C is computed from the Erlang B recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)) and
C = c B / (c - a (1 - B)), which never overflows (no factorials nor powers).
The model assumes exponential service times; ours are closer to lognormal, and counters
also serve secondary services, so the plan treats these figures as a seed, not a promise.
"""

from __future__ import annotations

import math

MAX_COUNTERS = 200


def offered_load(arrivals_per_hour: float, service_minutes: float) -> float:
    """Erlangs: how many counters the arrivals keep busy on average."""
    return max(0.0, arrivals_per_hour) * max(0.0, service_minutes) / 60.0


def erlang_b(counters: int, load: float) -> float:
    """Probability that all `counters` are busy in a loss system (Erlang B)."""
    blocking = 1.0
    for k in range(1, counters + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def probability_of_waiting(counters: int, load: float) -> float:
    """Erlang C: the share of citizens who find every counter busy and wait (1 when the
    counters cannot keep up, c <= a)."""
    if load <= 0:
        return 0.0
    if counters <= load:
        return 1.0
    blocking = erlang_b(counters, load)
    return counters * blocking / (counters - load * (1 - blocking))


def service_level(
    counters: int, arrivals_per_hour: float, service_minutes: float, within_minutes: float
) -> float:
    """The share of citizens called within `within_minutes` of arriving."""
    load = offered_load(arrivals_per_hour, service_minutes)
    if load <= 0:
        return 1.0
    if counters <= load:
        return 0.0
    waiting = probability_of_waiting(counters, load)
    return 1.0 - waiting * math.exp(-(counters - load) * within_minutes / service_minutes)


def mean_wait_minutes(counters: int, arrivals_per_hour: float, service_minutes: float) -> float:
    """Average wait before being called (infinite when the counters cannot keep up)."""
    load = offered_load(arrivals_per_hour, service_minutes)
    if load <= 0:
        return 0.0
    if counters <= load:
        return math.inf
    return probability_of_waiting(counters, load) * service_minutes / (counters - load)


def counters_needed(
    arrivals_per_hour: float,
    service_minutes: float,
    within_minutes: float,
    share: float,
    most: int = MAX_COUNTERS,
) -> int:
    """The fewest counters with which `share` of citizens are called within
    `within_minutes` (0 when nobody comes; `most` when even that many fall short)."""
    load = offered_load(arrivals_per_hour, service_minutes)
    if load <= 0:
        return 0
    counters = max(1, math.floor(load) + 1)
    while counters < most:
        if service_level(counters, arrivals_per_hour, service_minutes, within_minutes) >= share:
            return counters
        counters += 1
    return most
