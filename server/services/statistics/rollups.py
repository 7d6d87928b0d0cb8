"""Keeping the roll-ups: what each use case that moves a ticket adds to the `ticket_stats`
rows of the ticket's local day and month, in the same transaction (one multi-row upsert), so
the figures are as correct as the tickets themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    SERVICE_BINS,
    STAT_MAXIMA,
    WAIT_BINS,
    Site,
    Ticket,
    TicketRating,
    ticket_stats,
)
from server.domain.statistics import OUTCOME_OF, Dimension, Period, Rating, bin_index
from server.domain.tickets import TicketStatus

Figures = dict[str, int]
RowKey = tuple[int, Period, date, Dimension, int]


# -- what a ticket adds -------------------------------------------------------------------


def issued_figures(ticket: Ticket) -> Figures:
    # A transfer's new ticket is the same citizen: not issued twice.
    return {} if ticket.transferred_from_id is not None else {"issued": 1}


def wait_figures(ticket: Ticket, target_minutes: int) -> Figures:
    if ticket.first_called_at is None:
        return {}
    seconds = max(0, int((ticket.first_called_at - ticket.issued_at).total_seconds()))
    return {
        "wait_count": 1,
        "wait_seconds": seconds,
        "wait_within_target": int(seconds <= target_minutes * 60),
        "wait_max": seconds,
        WAIT_BINS[bin_index(seconds)]: 1,
    }


def end_figures(ticket: Ticket) -> Figures:
    outcome = OUTCOME_OF.get(TicketStatus(ticket.status))
    if outcome is None:
        return {}
    figures = {outcome.value: 1}
    if ticket.status == TicketStatus.DONE and ticket.started_at and ticket.ended_at:
        seconds = max(0, int((ticket.ended_at - ticket.started_at).total_seconds()))
        figures |= {
            "service_count": 1,
            "service_seconds": seconds,
            "service_max": seconds,
            SERVICE_BINS[bin_index(seconds)]: 1,
        }
    return figures


def rating_figures(rating: Rating) -> Figures:
    return {f"rating_{rating.value}": 1}


def _dimensions(
    ticket: Ticket, zone: ZoneInfo, counter_id: int | None, clerk_id: int | None
) -> list[tuple[Dimension, int]]:
    keys = [
        (Dimension.ALL, 0),
        (Dimension.SERVICE, ticket.service_id),
        (Dimension.HOUR, ticket.issued_at.astimezone(zone).hour),
    ]
    if counter_id is not None:
        keys.append((Dimension.COUNTER, counter_id))
    if clerk_id is not None:
        keys.append((Dimension.CLERK, clerk_id))
    return keys


def row_keys(
    ticket: Ticket, zone: ZoneInfo, counter_id: int | None, clerk_id: int | None
) -> Iterator[RowKey]:
    for dimension, key in _dimensions(ticket, zone, counter_id, clerk_id):
        yield ticket.site_id, Period.DAY, ticket.day, dimension, key
        yield ticket.site_id, Period.MONTH, ticket.day.replace(day=1), dimension, key


# -- keeping the roll-ups -----------------------------------------------------------------


KEY_COLUMNS = tuple(c.name for c in ticket_stats.primary_key)


@lru_cache(maxsize=128)
def _upsert_statement(dialect: str, names: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding `names` to a roll-up row, built once per
    dialect and set of figures so SQLAlchemy compiles it once."""
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ticket_stats)
    greatest = func.greatest if dialect == "postgresql" else func.max
    updates = {
        name: greatest(ticket_stats.c[name], insert.excluded[name])
        if name in STAT_MAXIMA
        else ticket_stats.c[name] + insert.excluded[name]
        for name in names
    }
    return insert.on_conflict_do_update(index_elements=list(KEY_COLUMNS), set_=updates)


def upsert(session: Session, dialect: str, rows: Mapping[RowKey, Figures]) -> None:
    """Add figures to roll-up rows, creating them as needed."""
    if not rows:
        return
    names = tuple(sorted({name for figures in rows.values() for name in figures}))
    values = [
        {
            "site_id": site_id,
            "period": period.value,
            "start": start,
            "dimension": dimension.value,
            "key": key,
            **{name: figures.get(name, 0) for name in names},
        }
        for (site_id, period, start, dimension, key), figures in rows.items()
    ]
    session.execute(_upsert_statement(dialect, names), values)


def add(
    session: Session,
    dialect: str,
    ticket: Ticket,
    figures: Figures,
    counter_id: int | None = None,
    clerk_id: int | None = None,
    zone: ZoneInfo | None = None,
) -> None:
    """Add one ticket's figures to its site, service, hour (and counter and clerk); the
    site's time zone is read unless the caller knows it."""
    if not figures:
        return
    if zone is None:
        site = session.get(Site, ticket.site_id)
        assert site is not None
        zone = ZoneInfo(site.timezone)
    upsert(session, dialect, {key: figures for key in row_keys(ticket, zone, counter_id, clerk_id)})


def ticket_issued(
    session: Session, dialect: str, ticket: Ticket, zone: ZoneInfo | None = None
) -> None:
    add(session, dialect, ticket, issued_figures(ticket), zone=zone)


def ticket_first_called(session: Session, dialect: str, ticket: Ticket) -> None:
    figures = wait_figures(ticket, ticket.service.target_minutes)
    add(session, dialect, ticket, figures, ticket.counter_id, ticket.clerk_id)


def ticket_ended(session: Session, dialect: str, ticket: Ticket) -> None:
    add(session, dialect, ticket, end_figures(ticket), ticket.counter_id, ticket.clerk_id)


def ticket_rated(session: Session, dialect: str, ticket: Ticket, rating: TicketRating) -> None:
    figures = rating_figures(Rating(rating.rating))
    add(session, dialect, ticket, figures, rating.counter_id, rating.clerk_id)
