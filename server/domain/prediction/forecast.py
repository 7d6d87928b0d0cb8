"""The wait a citizen can trust: play the hall forward from now, many times, and read the
range of call times off those runs.

Each run is a small discrete-event simulation of the rest of the day:
- the counters call by the centre's own rule (server.domain.selection.choose_next, over the
  head of each queue a counter serves: priority first within the streak bound, main
  services before secondary ones, then the longest waiting), one ticket per counter;
- a counter busy now finishes after the rest of its current ticket: a service time (of the
  hour it started in) drawn knowing it has lasted so long already; a called citizen who
  has not come yet either comes (the rest of a walk-up time, then a service time) or is
  marked absent (the rest of a no-show's cost), in proportion to how likely each is after
  that long;
- a paused counter comes back: after the rest of a pause like the site's past ones that
  lasted as long (without such a history, or when it lasted longer than them all, after
  PAUSE_MINUTES from its start or PAUSE_LEFT_MINUTES from now, whichever is later: see
  simulation.py), unless it has been paused for PAUSE_GONE_MINUTES (lunch not counted):
  then its clerk has left and it is not expected back; a closed counter does not open;
  and an open counter pauses now and then, as often and as long as the site's counters
  did;
- nobody is called during the lunch break, nor after closing;
- every call holds the counter for a walk-up and a service time (lognormal, per service and
  hour, learned: see habits.py), or for a no-show's cost, then the clerk's turnaround;
  some citizens are sent on to another service after a while, and wait there at the place
  their first number gave them (a counter idle meanwhile notices them at its next look),
  and, being in the hall already, answer that call;
- a citizen may have given up before their turn comes, as patient as the site's citizens
  were: their call takes no time (and a quoted ticket is still quoted as if it stayed);
- citizens keep coming: a Poisson process per service and half hour, learned, scaled by
  how busy today has been so far; priority ones overtake the waiting normal tickets.

A ticket issued now is quoted by a marker at the back of its service's queue (normal and
priority apart): when a counter's rule reaches it, its call time is noted and the counter
calls on at once, so the markers hold nobody up.

The model is in four modules: simulation.py plays one run (the counters, the queues, the
calls), arrivals.py draws the citizens still to come, sampling.py the other draws, and
this one plays the runs and reads the quotes off them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from server.domain.prediction.habits import Habits
from server.domain.prediction.hall import Hall
from server.domain.prediction.simulation import Day

# Runs per forecast: a busy ward (about 50 waiting, 6 counters) costs about 0.5 ms of CPU
# per run on the shared benchmark machine, so 30 runs take about 15 ms; P10 and P90 are
# read between ranks (see _quantile), which keeps the range honest with few runs (30 and
# 50 runs grade alike: docs/BENCHMARKS.md, section 6).
RUNS = 30


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


def predict(hall: Hall, habits: Habits, runs: int = RUNS, seed: int = 0) -> Forecast:
    """Quote every waiting ticket of the hall, and a new ticket of each quoted service,
    from `runs` plays of the rest of the day. The same hall, habits and seed give the same
    forecast (so a screen does not flicker between two changes)."""
    return play(hall, habits, runs, seed)[0]


def play(
    hall: Hall, habits: Habits, runs: int = RUNS, seed: int = 0
) -> tuple[Forecast, dict[tuple[str, int], tuple[float, ...]]]:
    """`predict`, with the minutes until the call each run gave each quoted ticket, sorted
    (math.inf: not called before closing), by ("ticket", ticket id), ("normal", service
    id) or ("priority", service id): for grading the forecast's spread."""
    if runs < 1:
        raise ValueError("at least one run")
    day = Day(hall, habits)
    rng = random.Random(seed)
    played = [day.run(rng) for _ in range(runs)]
    tickets: dict[int, Quote] = {}
    services: dict[int, Quote] = {}
    priority_services: dict[int, Quote] = {}
    minutes: dict[tuple[str, int], tuple[float, ...]] = {}
    for target, (kind, key) in enumerate(day.target_names):
        seconds = sorted(run[target] for run in played)
        quote = _quote(day, target, seconds)
        minutes[(kind, key)] = tuple(s / 60 for s in seconds)
        if kind == "ticket":
            tickets[key] = quote
        elif kind == "normal":
            services[key] = quote
        else:
            priority_services[key] = quote
    return Forecast(hall.now, runs, tickets, services, priority_services), minutes


def _quote(day: Day, target: int, seconds: list[float]) -> Quote:
    if day.target_services[target] not in day.servable:
        return Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
    p10, median, p90 = (_quantile(seconds, q) for q in (0.1, 0.5, 0.9))
    hours = day.hall.hours
    if p90 == math.inf:
        return Quote(
            p10 / 60, median / 60, p90 / 60, frozenset({Flag.MAY_MISS_CLOSING}), hours.closes_at
        )
    if hours.lunch_starts is not None and 0 < day.lunch[0] <= p90:
        flags = frozenset({Flag.MAY_MISS_LUNCH})
        return Quote(p10 / 60, median / 60, p90 / 60, flags, hours.lunch_starts)
    return Quote(p10 / 60, median / 60, p90 / 60)


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
