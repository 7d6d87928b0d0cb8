"""A second chance for a missed turn (issue 15): where a citizen goes back into the queue
when they rejoin after a no-show, or ask for more time. Pure rules.

A place in a queue is a `queued_at` (server/domain/selection.py orders by priority, then
`queued_at`, then ticket id). To stand right after another ticket, take its time plus one
microsecond: later than it, earlier than anyone who came after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from server.domain.selection import Candidate, queue_key

JUST_AFTER = timedelta(microseconds=1)


def place_after(
    waiting: Iterable[Candidate], service_id: int, is_priority: bool, places: int, now: datetime
) -> datetime:
    """The `queued_at` that puts a ticket behind the next `places` waiting tickets of its
    service and class (priority or normal); at the back (now) when fewer are waiting."""
    same = sorted(
        (c for c in waiting if c.service_id == service_id and c.is_priority == is_priority),
        key=queue_key,
    )
    if places <= 0:
        return same[0].queued_at - JUST_AFTER if same else now
    if len(same) < places:
        return max(now, same[-1].queued_at + JUST_AFTER) if same else now
    return same[places - 1].queued_at + JUST_AFTER


def moved_back(ticket: Candidate, waiting: Iterable[Candidate], places: int) -> datetime | None:
    """The new `queued_at` of a waiting ticket that lets `places` tickets of its service
    and class go first; None when nobody of them stands behind it."""
    mine = queue_key(ticket)
    behind = sorted(
        (
            c
            for c in waiting
            if c.service_id == ticket.service_id
            and c.is_priority == ticket.is_priority
            and c.ticket_id != ticket.ticket_id
            and queue_key(c) > mine
        ),
        key=queue_key,
    )
    if not behind:
        return None
    return behind[min(places, len(behind)) - 1].queued_at + JUST_AFTER
