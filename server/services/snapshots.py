"""Read models: the whole state of one view, as JSON-ready dicts.

A client fetches its snapshot when it connects, reconnects or sees a gap in the event
sequence. The site's sequence number is read first, so the data is at least as new as the
`seq` it is labelled with: a client that then ignores events up to `seq` misses nothing.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Service, Site, Ticket, TicketEvent, User
from server.domain.errors import NotFound
from server.domain.numbering import local_day
from server.domain.selection import calling_order, people_ahead
from server.domain.tickets import PRIORITY_LABELS, Action, TicketStatus
from server.services import printing
from server.services.access import active_ticket, get_site, open_ticket_by_token, site_zone
from server.services.counters import public_counter
from server.services.tickets import candidate, estimate_for, public_ticket

RECENT_CALLS = 10
# Enough to count everyone past a target in a busy hall; the longest waits come first.
MANAGER_WAITING_LIST = 500


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _seq(session: Session, site_id: int) -> int:
    return session.scalar(select(Site.event_seq).where(Site.id == site_id)) or 0


def _site_info(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "code": site.code,
        "name": site.name,
        "timezone": site.timezone,
        "notice": site.notice,
    }


def _service_info(service: Service) -> dict[str, Any]:
    return {
        "id": service.id,
        "code": service.code,
        "name_vi": service.name_vi,
        "name_en": service.name_en,
        "pictogram": service.pictogram,
    }


def _waiting_by_service(session: Session, site_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Ticket.service_id, func.count(Ticket.id))
        .where(Ticket.site_id == site_id, Ticket.status == TicketStatus.WAITING)
        .group_by(Ticket.service_id)
    ).all()
    return {service_id: count for service_id, count in rows}


def _services_with_queue(session: Session, site: Site, active_only: bool) -> list[dict[str, Any]]:
    waiting = _waiting_by_service(session, site.id)
    result = []
    for service in site.services:
        if active_only and not service.active:
            continue
        count = waiting.get(service.id, 0)
        result.append(
            {
                **_service_info(service),
                "active": service.active,
                "waiting": count,
                "estimated_wait_minutes": estimate_for(session, service, count),
            }
        )
    return result


def _current_at(session: Session, counter: Counter) -> dict[str, Any] | None:
    ticket = active_ticket(session, counter)
    if ticket is None:
        return None
    return {
        **public_ticket(ticket, counter.number),
        "called_at": iso(ticket.called_at),
        "started_at": iso(ticket.started_at),
        "queued_at": iso(ticket.queued_at),
    }


def board(session: Session, site_id: int, now: datetime) -> dict[str, Any]:
    """The waiting-room board: each counter's number, today's latest calls (by the centre's
    clock, `now`), and how many wait per service."""
    seq = _seq(session, site_id)
    site = get_site(session, site_id)
    today_start = _local_midnight(site, now)
    calls = session.execute(
        select(TicketEvent, Ticket, Counter)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Counter, Counter.id == TicketEvent.counter_id)
        .where(
            TicketEvent.site_id == site.id,
            TicketEvent.kind.in_([Action.CALL, Action.RECALL]),
            TicketEvent.at >= today_start,
        )
        .order_by(TicketEvent.id.desc())
        .limit(RECENT_CALLS)
    ).all()
    return {
        "seq": seq,
        "site": _site_info(site),
        "counters": [
            {**public_counter(c), "label": c.label, "current": _current_at(session, c)}
            for c in site.counters
        ],
        "recent_calls": [
            {
                "ticket_id": ticket.id,
                "number": ticket.number,
                "counter_number": counter.number,
                "service_name_vi": ticket.service.name_vi,
                "service_name_en": ticket.service.name_en,
                "at": iso(event.at),
                "recall": event.kind == Action.RECALL,
            }
            for event, ticket, counter in calls
        ],
        "services": _services_with_queue(session, site, active_only=True),
    }


def _local_midnight(site: Site, now: datetime) -> datetime:
    return datetime.combine(local_day(now, site_zone(site)), time(0), tzinfo=site_zone(site))


def kiosk(session: Session, site_id: int) -> dict[str, Any]:
    """The kiosk's buttons: active services with their queue, and the priority categories."""
    seq = _seq(session, site_id)
    site = get_site(session, site_id)
    return {
        "seq": seq,
        "site": _site_info(site),
        "services": _services_with_queue(session, site, active_only=True),
        "priorities": [
            {"code": str(code), "name_vi": vi, "name_en": en}
            for code, (vi, en) in PRIORITY_LABELS.items()
        ],
    }


def ticket(session: Session, token: str) -> dict[str, Any]:
    """The citizen's phone page: their ticket, its position and estimated wait."""
    current = open_ticket_by_token(session, token)
    seq = _seq(session, current.site_id)
    session.refresh(current)  # read again after seq (PostgreSQL reads each statement afresh)
    site = get_site(session, current.site_id)
    ahead = 0
    estimate = 0
    if current.status == TicketStatus.WAITING:
        waiting = session.scalars(
            select(Ticket).where(
                Ticket.service_id == current.service_id, Ticket.status == TicketStatus.WAITING
            )
        ).all()
        ahead = people_ahead(candidate(current), (candidate(t) for t in waiting))
        estimate = estimate_for(session, current.service, ahead)
    counter_number = current.counter.number if current.counter is not None else None
    return {
        "seq": seq,
        "site": _site_info(site),
        "ticket": {
            **public_ticket(current, counter_number),
            "issued_at": iso(current.queued_at),
            "people_ahead": ahead,
            "estimated_wait_minutes": estimate,
        },
    }


def counter(session: Session, counter_id: int, now: datetime) -> dict[str, Any]:
    """The clerk's screen: the counter, its current ticket, the waiting list of its
    services in the order they would be called, and the services to transfer to."""
    row = session.get(Counter, counter_id)
    if row is None:
        raise NotFound(f"Không có quầy mã {counter_id}.", f"There is no counter {counter_id}.")
    seq = _seq(session, row.site_id)
    session.refresh(row)  # read again after seq, as in ticket()
    ranks = row.service_rank
    waiting = session.scalars(
        select(Ticket).where(
            Ticket.site_id == row.site_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.service_id.in_(ranks),
        )
    ).all()
    by_id = {t.id: t for t in waiting}
    ordered = [by_id[c.ticket_id] for c in calling_order(map(candidate, waiting), ranks)]
    today = local_day(now, site_zone(row.site))
    served_today = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.counter_id == row.id, Ticket.status == TicketStatus.DONE, Ticket.day == today
        )
    )
    clerk = session.get(User, row.clerk_id) if row.clerk_id else None
    return {
        "seq": seq,
        "site": _site_info(row.site),
        "counter": {
            **public_counter(row),
            "label": row.label,
            "clerk": None if clerk is None else {"id": clerk.id, "name": clerk.full_name},
            "services": [
                {**_service_info(link.service), "rank": link.rank} for link in row.service_links
            ],
            "served_today": served_today or 0,
        },
        "current": _current_at(session, row),
        "waiting": [
            {
                **public_ticket(t),
                "queued_at": iso(t.queued_at),
                "priority_category": t.priority,
            }
            for t in ordered
        ],
        "transfer_to": [_service_info(s) for s in row.site.services if s.active],
    }


def manager(session: Session, site_id: int, now: datetime) -> dict[str, Any]:
    """The live hall: every counter with its clerk and current ticket, every queue with its
    length, longest wait and target, every kiosk printer with its status (a fault shows
    until it clears). `waiting_since` lists when each waiting citizen took their number
    (oldest first), so the screen can raise an alert the moment one passes the target
    without asking the server again; `now` lets it correct its own clock."""
    seq = _seq(session, site_id)
    site = get_site(session, site_id)
    waiting: dict[int, list[str | None]] = {}
    for service_id, queued_at in session.execute(
        select(Ticket.service_id, Ticket.queued_at)
        .where(Ticket.site_id == site.id, Ticket.status == TicketStatus.WAITING)
        .order_by(Ticket.queued_at)
    ):
        waiting.setdefault(service_id, []).append(iso(queued_at))
    services = _services_with_queue(session, site, active_only=False)
    targets = {s.id: s.target_minutes for s in site.services}
    for service in services:
        since = waiting.get(service["id"], [])
        service["target_minutes"] = targets[service["id"]]
        service["oldest_queued_at"] = since[0] if since else None
        service["waiting_since"] = since[:MANAGER_WAITING_LIST]
    counters = []
    for c in site.counters:
        clerk = session.get(User, c.clerk_id) if c.clerk_id else None
        counters.append(
            {
                **public_counter(c),
                "label": c.label,
                "clerk": None if clerk is None else clerk.full_name,
                "state_changed_at": iso(c.state_changed_at),
                "current": _current_at(session, c),
            }
        )
    return {
        "seq": seq,
        "now": iso(now),
        "site": _site_info(site),
        "counters": counters,
        "services": services,
        "printers": printing.printers(session, site.id),
    }
