"""How a centre's figures are counted: pure rules, no database.

Every ticket adds to additive counters kept per (site, day or month, dimension, key) by
server.services.statistics, so a year's figures are a sum over a few thousand rows, not a
scan of a million tickets. What a ticket adds, and when:

- issued: when a citizen takes it (a transfer's new ticket is not a new citizen and is
  not counted as issued);
- one waiting time, from entering the service's queue to the first call, when first called;
- one outcome (served, no-show, cancelled, transferred, expired) when it ends, and for a
  served ticket one service time, from start to finish;
- one satisfaction rating, if the citizen gives one.

Each goes to the dimensions the ticket has at that moment: the whole site, its service,
the local hour it entered the queue, and the counter and clerk once it has been called.

Means, maxima, counts and the share within target are exact. The median and the 90th
percentile are read from a histogram of whole-minute bins (BIN_EDGES): one-minute bins up
to 30 minutes, then bins that grow in proportion, each at most RELATIVE_ERROR (7.5 %) wider
than its lower edge, up to 16 hours; only durations of 16 hours or more share the last,
open bin. The figure is the upper edge of the bin holding the nearest-rank value, capped
at the exact maximum, so it never flatters the centre: "p90 = 12" reads "nine citizens in
ten waited at most 12 minutes". The bound, for a true nearest-rank value v under 16 hours
(see reading_bound):

    v <= figure <= v + max(1 minute, 7.5 % of v)

(less the 0.05 minute of rounding to a tenth when the figure is the maximum). From 16
hours on, the figure is the maximum. A wait of 242.8 minutes reads 250, one of 421.0 reads
440; a wait of 7 minutes reads 8.

Why fixed bins and not a sketch (t-digest, DDSketch): a histogram with fixed edges is
additive, so the roll-ups stay one integer column per bin, kept by a plain upsert
(`n = n + excluded.n`) and summed by SQL over any range of days; a t-digest cannot be
merged by SQL, and these bins are DDSketch's idea (log-spaced buckets of a stated relative
error) with one-minute buckets where a minute is the clearer promise. The price is
columns, which a report sums over a few thousand rows: 82 bins per duration (164 in a row,
66 before), of which 7.5 % costs 51 between 30 minutes and 16 hours (measured: 1.05-1.3
times the CPU time of a report with 66). 5 % would cost 80 (111 bins), measured at
1.35-1.45 times (a year of 8 sites: an estimated ~450 ms where the goal is 500); 10 % would
cost 38 but make the common 30-60 minute waits coarser than the bins it replaces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.domain.tickets import TicketStatus


class Dimension(StrEnum):
    ALL = "all"
    SERVICE = "service"
    COUNTER = "counter"
    CLERK = "clerk"
    HOUR = "hour"


class Period(StrEnum):
    DAY = "d"
    MONTH = "m"


# The shape of the bins (the bound in the module docstring follows from these three).
EXACT_UP_TO_MINUTES = 30  # one-minute bins below this
RELATIVE_ERROR = 0.075  # above it, no bin is wider than this share of its lower edge
BOUNDED_UP_TO_MINUTES = 16 * 60  # from here on, one open bin


def _edges() -> tuple[int, ...]:
    minutes = list(range(1, EXACT_UP_TO_MINUTES + 1))
    while minutes[-1] < BOUNDED_UP_TO_MINUTES:
        # Rounded down to the minute, so a bin is never wider than the bound; at least a
        # minute wide, where 7.5 % is less than that.
        grown = max(minutes[-1] + 1, math.floor(minutes[-1] * (1 + RELATIVE_ERROR)))
        minutes.append(min(grown, BOUNDED_UP_TO_MINUTES))
    return tuple(m * 60 for m in minutes)


# Upper edges in seconds of every bin but the last, which holds everything longer.
BIN_EDGES: tuple[int, ...] = _edges()
BIN_COUNT = len(BIN_EDGES) + 1


def reading_bound(seconds: float) -> float:
    """The largest median or P90, in minutes, that a true nearest-rank value of `seconds`
    may be reported as (it is never reported below it): under 16 hours, its bin's upper
    edge is at most max(1 minute, 7.5 %) above it; from 16 hours on, only the maximum
    bounds it (infinity)."""
    if seconds >= BIN_EDGES[-1]:
        return math.inf
    minutes = seconds / 60
    return minutes + max(1.0, RELATIVE_ERROR * minutes)


def bin_index(seconds: int) -> int:
    """The bin of a duration: bin i holds BIN_EDGES[i-1] <= seconds < BIN_EDGES[i]."""
    low, high = 0, len(BIN_EDGES)
    while low < high:
        middle = (low + high) // 2
        if seconds < BIN_EDGES[middle]:
            high = middle
        else:
            low = middle + 1
    return low


class Outcome(StrEnum):
    SERVED = "served"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    EXPIRED = "expired"


OUTCOME_OF: dict[TicketStatus, Outcome] = {
    TicketStatus.DONE: Outcome.SERVED,
    TicketStatus.NO_SHOW: Outcome.NO_SHOW,
    TicketStatus.CANCELLED: Outcome.CANCELLED,
    TicketStatus.TRANSFERRED: Outcome.TRANSFERRED,
    TicketStatus.EXPIRED: Outcome.EXPIRED,
}


class Rating(StrEnum):
    """The four answers of the rating tablet, best first."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    VERY_UNSATISFIED = "very_unsatisfied"


RATING_LABELS: dict[Rating, tuple[str, str]] = {
    Rating.VERY_SATISFIED: ("Rất hài lòng", "Very satisfied"),
    Rating.SATISFIED: ("Hài lòng", "Satisfied"),
    Rating.UNSATISFIED: ("Chưa hài lòng", "Not satisfied"),
    Rating.VERY_UNSATISFIED: ("Không hài lòng", "Dissatisfied"),
}
SATISFIED_RATINGS = frozenset({Rating.VERY_SATISFIED, Rating.SATISFIED})


def percentile_minutes(
    bins: Sequence[int], count: int, max_seconds: int, fraction: float
) -> float | None:
    """The nearest-rank percentile, as the upper edge in minutes of the bin holding it,
    capped at the exact maximum. None without samples."""
    if count <= 0:
        return None
    rank = max(1, math.ceil(fraction * count))
    seen = 0
    for index, in_bin in enumerate(bins):
        seen += in_bin
        if seen >= rank:
            edge = BIN_EDGES[index] if index < len(BIN_EDGES) else max_seconds
            return round(min(edge, max_seconds) / 60, 1)
    return round(max_seconds / 60, 1)


@dataclass(frozen=True)
class Durations:
    """Summary of a set of durations (waiting or service times), in minutes."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None

    @classmethod
    def of(cls, count: int, total_seconds: int, max_seconds: int, bins: Sequence[int]) -> Durations:
        if count <= 0:
            return cls(0, None, None, None, None)
        return cls(
            count=count,
            mean=round(total_seconds / count / 60, 1),
            median=percentile_minutes(bins, count, max_seconds, 0.5),
            p90=percentile_minutes(bins, count, max_seconds, 0.9),
            max=round(max_seconds / 60, 1),
        )


def share(part: int, whole: int) -> float | None:
    """A proportion between 0 and 1, or None when there is nothing to divide."""
    return None if whole <= 0 else round(part / whole, 4)
