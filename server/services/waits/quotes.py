"""The quotes stored (wait_quotes rows): the wait told at issue, and a ticket's quote
again when the promise its phone shows has moved (`moved`). The scorecard grades them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Site, Ticket, WaitQuote
from server.domain.numbering import local_day
from server.domain.prediction import Forecast
from server.domain.selection import Candidate, queue_key
from server.domain.tickets import TicketStatus
from server.services.access import site_zone
from server.services.waits.forecasts import _keep, _key, cache
from server.services.waits.shown import Wait, ticket_wait

# A phone's promise has moved when the moment it says the ticket will be called (the
# quote's time plus its median) moved by this much, or this share of the median if more.
UPDATE_MINUTES = 2
UPDATE_SHARE = 0.1

QUOTE_ISSUED = "issued"
QUOTE_UPDATE = "update"


def quote_row(
    ticket_id: int,
    site_id: int,
    service_id: int,
    kind: str,
    at: datetime,
    people_ahead: int,
    wait: Wait,
) -> dict[str, Any]:
    """A wait_quotes row (for a plain INSERT)."""
    return {
        "ticket_id": ticket_id,
        "site_id": site_id,
        "service_id": service_id,
        "kind": kind,
        "at": at,
        "people_ahead": people_ahead,
        "low_minutes": wait.low,
        "median_minutes": wait.median,
        "high_minutes": wait.high,
    }


INSERT_QUOTE = insert(WaitQuote.__table__)  # type: ignore[arg-type]


def moved(last: Mapping[str, Any], at: datetime, wait: Wait) -> bool:
    """Whether the promise a phone shows has moved since the `last` quote stored.

    Compared as moments on the clock, not as minutes from now: a quote of 20 minutes at
    10:00 and one of 15 at 10:05 are the same promise (called about 10:20), and storing
    it again would only grade the same promise twice. The promise moved when the moment
    of its median moved by UPDATE_MINUTES, or by UPDATE_SHARE of the earlier median if
    that is more, or when the range gained or lost its top (perhaps not before closing):
    that is what a citizen notices on the phone, and what the scorecard must grade again
    from then on. The ends of the range are not compared: P10 and P90 of 30 runs move by
    several minutes from one forecast to the next on long waits, as does a long median
    (hence the share), and would store noise.
    """
    shift = (at - last["at"]).total_seconds() / 60
    before = last["median_minutes"]
    if abs(wait.median + shift - before) >= max(UPDATE_MINUTES, UPDATE_SHARE * before):
        return True
    return (last["high_minutes"] is None) != (wait.high is None)


def moved_quotes(
    session: Session,
    site: Site,
    forecast: Forecast,
    waiting: Iterable[tuple[int, int, bool, int]],
) -> list[dict[str, Any]]:
    """The "update" rows to store for the site's waiting tickets whose promise moved
    (see `moved`) since their last stored quote. `waiting`: (ticket id, service id,
    priority, people ahead). A ticket with no stored quote (issued by another way, or
    before quotes were stored) gets none: only a promise shown at issue is followed."""
    tickets = {row[0]: row for row in waiting}
    if not tickets:
        return []
    latest = (
        select(func.max(WaitQuote.id))
        .where(WaitQuote.ticket_id.in_(list(tickets)))
        .group_by(WaitQuote.ticket_id)
    )
    rows = session.execute(
        select(
            WaitQuote.ticket_id,
            WaitQuote.at,
            WaitQuote.low_minutes,
            WaitQuote.median_minutes,
            WaitQuote.high_minutes,
        ).where(WaitQuote.id.in_(latest))
    ).all()
    now = forecast.at
    result = []
    for last in rows:
        ticket_id, service_id, is_priority, ahead = tickets[last.ticket_id]
        wait = ticket_wait(forecast, site, ticket_id, service_id, is_priority, now)
        if moved(dict(last._mapping), now, wait):
            result.append(quote_row(ticket_id, site.id, service_id, QUOTE_UPDATE, now, ahead, wait))
    return result


def record_moved_quotes(session: Session, site: Site, seq: int, forecast: Forecast) -> int:
    """Store the moved quotes of the site's waiting tickets once per seq and worker (the
    publisher calls it after each batch, off the request path): read in `session`,
    written in a short transaction of their own. Returns how many were stored."""
    key = _key(session, site.id)
    if cache.checked.get(key) == seq:
        return 0
    _keep(cache.checked, key, seq)
    today = local_day(forecast.at, site_zone(site))
    rows = session.execute(
        select(Ticket.id, Ticket.service_id, Ticket.priority, Ticket.queued_at).where(
            Ticket.site_id == site.id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.day == today,
        )
    ).all()
    ahead = _people_ahead(
        [Candidate(r.id, r.service_id, r.priority is not None, r.queued_at) for r in rows]
    )
    updates = moved_quotes(
        session,
        site,
        forecast,
        ((r.id, r.service_id, r.priority is not None, ahead[r.id]) for r in rows),
    )
    if updates:
        engine = session.get_bind().engine.execution_options(write=True)
        with Session(engine) as writer, writer.begin():
            writer.execute(INSERT_QUOTE, updates)
    return len(updates)


def _people_ahead(waiting: list[Candidate]) -> dict[int, int]:
    """Each waiting ticket's place in its own service's queue."""
    by_service: dict[int, list[Candidate]] = {}
    for candidate in waiting:
        by_service.setdefault(candidate.service_id, []).append(candidate)
    places = {}
    for queue in by_service.values():
        for ahead, candidate in enumerate(sorted(queue, key=queue_key)):
            places[candidate.ticket_id] = ahead
    return places
