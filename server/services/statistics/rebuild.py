"""Rebuilding the roll-ups: recompute the `ticket_stats` rows of some sites from their
tickets and ratings (after an import, or to check the live upkeep; migration 0006 runs it).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, load_only

from server.adapters.db.models import STAT_MAXIMA, Service, Site, Ticket, TicketRating, ticket_stats
from server.domain.statistics import Rating
from server.services.statistics.periods import month_span
from server.services.statistics.rollups import (
    Figures,
    RowKey,
    end_figures,
    issued_figures,
    rating_figures,
    row_keys,
    upsert,
    wait_figures,
)

# What a rebuild reads of tickets and ratings: only the columns the figures need (anything
# else raises), so that migration 0006, which rebuilds with this code, still runs on the
# schema of its revision after later migrations add columns to these tables.
READ_TICKET = load_only(
    Ticket.site_id,
    Ticket.service_id,
    Ticket.day,
    Ticket.status,
    Ticket.issued_at,
    Ticket.first_called_at,
    Ticket.started_at,
    Ticket.ended_at,
    Ticket.transferred_from_id,
    Ticket.counter_id,
    Ticket.clerk_id,
    raiseload=True,
)
READ_RATING = load_only(
    TicketRating.rating, TicketRating.counter_id, TicketRating.clerk_id, raiseload=True
)


def rebuild(
    session: Session,
    dialect: str,
    site_ids: Sequence[int] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> int:
    """Recompute the roll-ups of some sites (default all) over whole months from their
    tickets and ratings; returns the number of tickets read. Runs in the caller's
    transaction."""
    if site_ids is None:
        site_ids = list(session.scalars(select(Site.id)))
    span = select(func.min(Ticket.day), func.max(Ticket.day)).where(Ticket.site_id.in_(site_ids))
    bounds: Any = session.execute(span).one()  # (None, None) when there are no tickets
    first = first or bounds[0]
    last = last or bounds[1]
    if first is None or last is None:
        return 0
    first, last = month_span(first, last)
    session.execute(
        delete(ticket_stats).where(
            ticket_stats.c.site_id.in_(site_ids),
            ticket_stats.c.start.between(first, last),
        )
    )
    zones = {id_: ZoneInfo(zone) for id_, zone in session.execute(select(Site.id, Site.timezone))}
    targets = dict(session.execute(select(Service.id, Service.target_minutes)).all())
    rows: dict[RowKey, Tally[str]] = {}
    maxima: dict[RowKey, dict[str, int]] = {}

    def collect(
        ticket: Ticket, figures: Figures, counter_id: int | None, clerk_id: int | None
    ) -> None:
        if not figures:  # as `add`: nothing to add makes no row
            return
        for key in row_keys(ticket, zones[ticket.site_id], counter_id, clerk_id):
            tally = rows.get(key)
            if tally is None:  # not setdefault: that would build a Counter on every call
                tally = rows[key] = Tally()
            for name, value in figures.items():
                if name in STAT_MAXIMA:
                    peaks = maxima.setdefault(key, {})
                    peaks[name] = max(peaks.get(name, 0), value)
                else:
                    tally[name] += value

    in_range = and_(Ticket.site_id.in_(site_ids), Ticket.day.between(first, last))
    count = 0
    tickets = select(Ticket).options(READ_TICKET).where(in_range)
    for ticket in session.scalars(tickets.execution_options(yield_per=2000)):
        count += 1
        collect(ticket, issued_figures(ticket), None, None)
        people = (ticket.counter_id, ticket.clerk_id)
        collect(ticket, wait_figures(ticket, targets[ticket.service_id]), *people)
        collect(ticket, end_figures(ticket), *people)
    rated = (
        select(Ticket, TicketRating)
        .options(READ_TICKET, READ_RATING)
        .join(TicketRating, TicketRating.ticket_id == Ticket.id)
    )
    for ticket, rating in session.execute(rated.where(in_range)):
        collect(ticket, rating_figures(Rating(rating.rating)), rating.counter_id, rating.clerk_id)
    session.expunge_all()

    batch: dict[RowKey, Figures] = {}
    for key, tally in rows.items():
        batch[key] = {**tally, **maxima.get(key, {})}
        if len(batch) >= 500:
            upsert(session, dialect, batch)
            batch = {}
    upsert(session, dialect, batch)
    return count
