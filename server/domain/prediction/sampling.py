"""The draws a run of the forecast makes, kept cheap: lognormal service times from a table
of normal quantiles, the rest of something that has lasted a while already, and the next
event of a Poisson process whose rate changes each half hour (arrivals, clerks' pauses).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from server.domain.prediction.habits import SLOT_MINUTES

Z_TABLE_SIZE = 512
# Standard normal quantiles: a lognormal draw is one table look-up and one exp().
Z = tuple(NormalDist().inv_cdf((i + 0.5) / Z_TABLE_SIZE) for i in range(Z_TABLE_SIZE))
NORMAL = NormalDist()
# What is left of a ticket that has lasted longer than nearly all of its kind.
OVERRUN_SECONDS = 30.0

Uniform = Callable[[], float]


def rest(sorted_samples: Sequence[float], elapsed: float, rnd: Uniform) -> float:
    """What is left of something that has lasted `elapsed` already: a draw among the
    samples longer than that, minus `elapsed`."""
    longer = bisect.bisect_right(sorted_samples, elapsed)
    if longer == len(sorted_samples):
        return OVERRUN_SECONDS
    return sorted_samples[longer + int(rnd() * (len(sorted_samples) - longer))] - elapsed


def survival(sorted_samples: Sequence[float], elapsed: float) -> float:
    """The share of samples longer than `elapsed`."""
    return 1.0 - bisect.bisect_right(sorted_samples, elapsed) / len(sorted_samples)


@dataclass(eq=False)
class Expected:
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


def expected_events(
    per_minute: Sequence[float], midnight: float, opens: float, closes: float, scale: float = 1.0
) -> Expected | None:
    """Events expected from now (or opening) until each half hour's edge to closing, at
    `per_minute` x `scale` in each half hour of the day; None if none are. `midnight` is
    the seconds since local midnight now; `opens` and `closes` are seconds from now."""
    slot_seconds = SLOT_MINUTES * 60
    start = max(0.0, opens)
    if start >= closes:
        return None
    first_slot = int((midnight + start) // slot_seconds)
    last_slot = math.ceil((midnight + closes) / slot_seconds)
    edges = [start] + [slot * slot_seconds - midnight for slot in range(first_slot + 1, last_slot)]
    edges.append(closes)
    values = [0.0]
    for slot, (left, right) in enumerate(itertools.pairwise(edges), first_slot):
        rate = per_minute[slot] if slot < len(per_minute) else 0.0
        values.append(values[-1] + rate * scale * (right - left) / 60)
    return Expected(edges, values) if values[-1] > 0 else None
