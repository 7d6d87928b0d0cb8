"""The hall as the predictor sees it: one site at one moment, as plain values.

A read model builds it once per change (the waiting tickets, each counter with its state,
services and current ticket, the site's hours) and hands it to `predict`; nothing here
knows about the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from server.domain.roles import CounterState
from server.domain.selection import Candidate


@dataclass(frozen=True)
class Hours:
    """When counters call, in the site's local time: from opening to closing, except a
    lunch break (no calls between `lunch_starts` and `lunch_ends`). After closing nobody is
    called."""

    opens_at: time
    closes_at: time
    zone: tzinfo
    lunch_starts: time | None = None
    lunch_ends: time | None = None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, moment: datetime, local_time: time) -> datetime:
        """`local_time` on the local day of `moment`, as an aware datetime."""
        return datetime.combine(self.local(moment).date(), local_time, tzinfo=self.zone)

    def lunch_overlap(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls in the lunch break of start's local day."""
        if self.lunch_starts is None or self.lunch_ends is None or end <= start:
            return timedelta(0)
        lunch_start = self.at(start, self.lunch_starts)
        lunch_end = self.at(start, self.lunch_ends)
        return max(timedelta(0), min(end, lunch_end) - max(start, lunch_start))


@dataclass(frozen=True)
class AtCounter:
    """The ticket a counter holds now: called and not come yet (`started_at` None), or in
    service since `started_at`."""

    service_id: int
    called_at: datetime  # the first call: recalls do not restart the walk to the counter
    started_at: datetime | None = None


@dataclass(frozen=True)
class CounterNow:
    """A counter as the hall shows it: open, paused (since `state_since`) or closed, the
    services it calls with their ranks (0 = main), its run of priority calls."""

    counter_id: int
    state: CounterState
    service_rank: Mapping[int, int]
    priority_streak: int = 0
    current: AtCounter | None = None
    state_since: datetime | None = None


@dataclass(frozen=True)
class Hall:
    """Everything the predictor reads about one site now.

    `waiting` are the site's waiting tickets of today, as the calling rule sees them
    (server.domain.selection.Candidate: a transferred citizen keeps their queued_at).
    `quoted_services` are the services to quote for a ticket issued now, with their
    configured minutes in `expected_minutes` (used for a service the history has not seen).
    `issued_today` counts the citizens who took a number today so far (transfers excluded):
    it tells a busy day from a quiet one.
    """

    now: datetime
    hours: Hours
    max_priority_streak: int
    waiting: Sequence[Candidate]
    counters: Sequence[CounterNow]
    quoted_services: Sequence[int] = ()
    expected_minutes: Mapping[int, float] = field(default_factory=dict)
    issued_today: int | None = None
