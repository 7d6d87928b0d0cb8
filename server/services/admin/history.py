"""What managers and admins read about the past: the audit log of administrative changes
(who changed what, when) and one ticket's history, step by step. Reads only; each takes
the session of the page that shows it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    AuditEntry,
    Counter,
    Device,
    Site,
    Ticket,
    TicketEvent,
    User,
)
from server.domain.roles import Role
from server.services import audit

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
AUDIT_PAGE = 200
ENTITIES = ("site", "service", "counter", "user", "device", "api_token")


@dataclass(frozen=True)
class AuditFilter:
    """The audit log page's filters; None (or "") for any."""

    site_id: int | None = None
    entity: str = ""
    user_id: int | None = None
    first: date | None = None
    last: date | None = None


def visible_site_ids(session: Session, role: Role, managed: Iterable[int]) -> list[int]:
    """The sites whose audit, tickets and targets a user may see: every site for an admin,
    the sites they look after for a manager."""
    if role == Role.ADMIN:
        return list(session.scalars(select(Site.id).order_by(Site.id)))
    return sorted(managed)


def zone_of(session: Session, site_id: int | None) -> ZoneInfo:
    """The site's time zone (the first site's, or Vietnam's, when there is none)."""
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        site = session.scalars(select(Site).order_by(Site.id)).first()
    return ZoneInfo(site.timezone if site else DEFAULT_ZONE)


def detail_lines(detail: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """An audit entry's changed fields as (field, old, new) text."""

    def shown(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, list):
            return ", ".join(shown(v) for v in value) or "–"
        return str(value)

    lines = []
    for name, change in (detail or {}).items():
        if isinstance(change, list) and len(change) == 2:
            lines.append((name, shown(change[0]), shown(change[1])))
        else:
            lines.append((name, "", shown(change)))
    return lines


def audit_entries(
    session: Session, role: Role, allowed: list[int], wanted: AuditFilter, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """The latest AUDIT_PAGE entries that match, newest first, as the page shows them
    (days are local days in `zone`)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
    if role != Role.ADMIN:
        # A manager reads what was done at their sites, not the accounts of others.
        query = query.where(AuditEntry.site_id.in_(allowed))
    if wanted.site_id is not None:
        query = query.where(AuditEntry.site_id == wanted.site_id)
    if wanted.entity in ENTITIES:
        query = query.where(AuditEntry.entity == wanted.entity)
    if wanted.user_id is not None:
        query = query.where(AuditEntry.user_id == wanted.user_id)
    if wanted.first is not None:
        query = query.where(AuditEntry.at >= datetime.combine(wanted.first, time(0), zone))
    if wanted.last is not None:
        end = datetime.combine(wanted.last + timedelta(days=1), time(0), zone)
        query = query.where(AuditEntry.at < end)
    return audit.describe(session, list(session.scalars(query)), zone)


def people(session: Session, role: Role, allowed: Iterable[int]) -> list[User]:
    """The accounts a user may pick in the audit log's filter of who did it, by username:
    every account for an admin; for a manager, the staff of their sites (at a counter
    there, or managing it), never the accounts of other centres."""
    query = select(User).order_by(User.username)
    if role != Role.ADMIN:
        sites = list(allowed)
        query = query.where(
            or_(
                User.counters.any(Counter.site_id.in_(sites)),
                User.sites.any(Site.id.in_(sites)),
            )
        )
    return list(session.scalars(query))


def find_tickets(session: Session, site_id: int, day: date, number: str) -> list[Ticket]:
    """The tickets with this number at the site on that day (numbers restart every day;
    a transferred ticket keeps its number)."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.site_id == site_id, Ticket.day == day, Ticket.number == number)
            .order_by(Ticket.id)
        )
    )


def find_ticket(session: Session, ticket_id: int) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def ticket_steps(session: Session, ticket: Ticket, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Who did what to the ticket, step by step (its ticket_events), as the page shows it."""
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    users = {u.id: u for u in session.scalars(select(User))}
    counters = {c.id: c for c in session.scalars(select(Counter))}
    devices = {d.id: d for d in session.scalars(select(Device))}
    return [
        {
            "at": e.at.astimezone(zone).strftime("%H:%M:%S"),
            "kind": e.kind,
            "counter": counters.get(e.counter_id) if e.counter_id else None,
            "user": users.get(e.user_id) if e.user_id else None,
            "device": devices.get(e.device_id) if e.device_id else None,
            "detail": detail_lines({k: v for k, v in (e.detail or {}).items() if v is not None}),
        }
        for e in events
    ]


def related_tickets(session: Session, ticket: Ticket) -> list[Ticket]:
    """The ticket a transfer came from, and the one it went on to."""
    return list(
        session.scalars(
            select(Ticket).where(
                or_(
                    Ticket.transferred_from_id == ticket.id,
                    Ticket.id == ticket.transferred_from_id,
                )
            )
        )
    )
