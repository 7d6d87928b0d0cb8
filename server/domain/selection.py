"""Which waiting ticket a counter calls next, and how many people stand ahead of a ticket.

The order, in the words of the centre's rules:
1. priority tickets first, but never more than `max_priority_streak` of them in a row at a
   counter while a normal ticket waits, so normal tickets never starve;
2. the counter's main services before its secondary ones (lower rank first);
3. the one waiting longest (earliest original issue time; a transferred citizen keeps the
   place of their first ticket), and among equal times the earlier ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """What the rule needs to know about one waiting ticket."""

    ticket_id: int
    service_id: int
    is_priority: bool
    queued_at: datetime


def queue_key(candidate: Candidate) -> tuple[bool, datetime, int]:
    """Order inside one service's queue: priority first, then first come, first served."""
    return (not candidate.is_priority, candidate.queued_at, candidate.ticket_id)


def _calling_key(
    service_rank: Mapping[int, int], favour_priority: bool
) -> Callable[[Candidate], tuple[bool, int, datetime, int]]:
    def key(c: Candidate) -> tuple[bool, int, datetime, int]:
        priority_first = favour_priority and c.is_priority
        return (not priority_first, service_rank[c.service_id], c.queued_at, c.ticket_id)

    return key


def choose_next(
    candidates: Iterable[Candidate],
    service_rank: Mapping[int, int],
    priority_streak: int,
    max_priority_streak: int,
) -> Candidate | None:
    """The ticket a counter should call now, or None when nobody it serves is waiting.

    `service_rank` maps each service the counter serves to its rank (0 = main);
    candidates of other services are ignored. `priority_streak` is how many priority
    tickets this counter has called in a row most recently.
    """
    eligible = [c for c in candidates if c.service_id in service_rank]
    if not eligible:
        return None
    normal_waiting = any(not c.is_priority for c in eligible)
    favour_priority = priority_streak < max_priority_streak or not normal_waiting
    return min(eligible, key=_calling_key(service_rank, favour_priority))


def calling_order(
    candidates: Iterable[Candidate], service_rank: Mapping[int, int]
) -> list[Candidate]:
    """The counter's waiting list in the order it would call it (before the priority bound
    lets a normal ticket through): what the clerk's screen shows."""
    eligible = [c for c in candidates if c.service_id in service_rank]
    return sorted(eligible, key=_calling_key(service_rank, favour_priority=True))


def people_ahead(ticket: Candidate, waiting: Iterable[Candidate]) -> int:
    """How many tickets of the same service come before `ticket` in its queue."""
    mine = queue_key(ticket)
    return sum(
        1
        for other in waiting
        if other.service_id == ticket.service_id
        and other.ticket_id != ticket.ticket_id
        and queue_key(other) < mine
    )
