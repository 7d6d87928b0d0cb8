"""Read models: the whole state of one view, as JSON-ready dicts.

A client fetches its snapshot when it connects, reconnects or sees a gap in the event
sequence. The site's sequence number is read first, so the data is at least as new as the
`seq` it is labelled with: a client that then ignores events up to `seq` misses nothing.

Over 400 lines on purpose: it is one read model per screen (board, kiosk, phone, counter,
manager) beside the small helpers they all share (the seq read first, a site's and a
service's shape, the queues with their waits), and a split would only send each screen
back here for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    Counter,
    Service,
    Site,
    Ticket,
    TicketEvent,
    TicketSequence,
    User,
)
from server.domain.errors import NotFound
from server.domain.issuing import not_issuing
from server.domain.numbering import local_day
from server.domain.selection import Candidate, calling_order, people_ahead
from server.domain.tickets import PRIORITY_LABELS, Action, Priority, TicketStatus
from server.services import printing, reception, waits
from server.services.access import active_ticket, get_site, open_ticket_by_token, site_zone
from server.services.counters import public_counter
from server.services.tickets import (
    candidate,
    open_counter_count,
    public_ticket,
    service_issuing_hours,
)

RECENT_CALLS = 10
# The hall warns of a citizen called this long ago who has not come to the counter.
CALLED_ALERT_MINUTES = 5
# Enough to count everyone past a target in a busy hall; the longest waits come first.
MANAGER_WAITING_LIST = 500
# The clerk's list: the next this many in call order, and how many wait in all. A longer
# list helps no clerk, and every change of the site sends it to each clerk's screen
# (2,000 rows per counter made the publisher most of a worker's time under load).
CLERK_LIST_LENGTH = 100


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


def _services_with_queue(
    session: Session, site: Site, active_only: bool, seq: int, now: datetime
) -> list[dict[str, Any]]:
    """Each service with its queue and the wait of a normal (`wait`) and a priority
    (`priority_wait`) ticket issued now, from the site's forecast at `seq`
    (server/services/waits/); `estimated_wait_minutes` is the normal one's median."""
    waiting = _waiting_by_service(session, site.id)
    forecast = waits.site_forecast(session, site, seq, now)
    result = []
    for service in site.services:
        if active_only and not service.active:
            continue
        normal, priority = waits.service_waits(forecast, site, service.id, now)
        result.append(
            {
                **_service_info(service),
                "active": service.active,
                "waiting": waiting.get(service.id, 0),
                "estimated_wait_minutes": normal.median,
                "wait": waits.wait_json(normal),
                "priority_wait": waits.wait_json(priority),
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
                # The ticket's state now: the board shows a call only while it is open.
                "status": str(ticket.status),
            }
            for event, ticket, counter in calls
        ],
        "services": _services_with_queue(session, site, True, seq, now),
    }


def _local_midnight(site: Site, now: datetime) -> datetime:
    return datetime.combine(local_day(now, site_zone(site)), time(0), tzinfo=site_zone(site))


def kiosk(session: Session, site_id: int, now: datetime) -> dict[str, Any]:
    """The kiosk's buttons: active services with their queue and whether they give a number
    now (by the centre's clock, `now`: a service full for the day, past its issuing hours or
    with the site closed says so on its button), and the priority categories.
    `next_change_at` is the next moment a button may change by the clock alone."""
    seq = _seq(session, site_id)
    site = get_site(session, site_id)
    zone = site_zone(site)
    local = now.astimezone(zone)
    issued = dict(
        session.execute(
            select(TicketSequence.service_id, TicketSequence.last_value).where(
                TicketSequence.site_id == site.id, TicketSequence.day == local.date()
            )
        ).all()
    )
    services = _services_with_queue(session, site, True, seq, now)
    by_id = {s.id: s for s in site.services}
    boundaries = {site.opens_at, site.closes_at}
    for entry in services:
        service = by_id[entry["id"]]
        hours = service_issuing_hours(site, service)
        boundaries |= {hours.start, hours.end}
        why = not_issuing(hours, local.time(), issued.get(service.id, 0), service.daily_cap)
        entry["issuing"] = {
            "open": why is None,
            "reason": None if why is None else str(why),
            "from": f"{hours.start:%H:%M}",
            "until": f"{hours.end:%H:%M}",
        }
    later = sorted(b for b in boundaries if b > local.time())
    next_change = (
        datetime.combine(local.date(), later[0], tzinfo=zone)
        if later
        else datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    )
    return {
        "seq": seq,
        "site": _site_info(site),
        "services": services,
        "next_change_at": iso(next_change),
        "priorities": [
            {"code": str(code), "name_vi": vi, "name_en": en}
            for code, (vi, en) in PRIORITY_LABELS.items()
        ],
    }


def ticket(session: Session, token: str, now: datetime | None = None) -> dict[str, Any]:
    """The citizen's phone page: their ticket, its position and its wait (by the centre's
    clock, `now`): its own quote of the site's forecast, less the minutes since."""
    now = now or datetime.now(UTC)
    current = open_ticket_by_token(session, token)
    seq = _seq(session, current.site_id)
    session.refresh(current)  # read again after seq (PostgreSQL reads each statement afresh)
    site = get_site(session, current.site_id)
    ahead = 0
    wait = waits.NO_WAIT
    if current.status == TicketStatus.WAITING:
        waiting = session.scalars(
            select(Ticket).where(
                Ticket.service_id == current.service_id, Ticket.status == TicketStatus.WAITING
            )
        ).all()
        ahead = people_ahead(candidate(current), (candidate(t) for t in waiting))
        forecast = waits.site_forecast(session, site, seq, now)
        wait = waits.ticket_wait(
            forecast, site, current.id, current.service_id, current.priority is not None, now
        )
    counter_number = current.counter.number if current.counter is not None else None
    source = (
        session.get(Ticket, current.transferred_from_id) if current.transferred_from_id else None
    )
    return {
        "seq": seq,
        "site": _site_info(site),
        "ticket": {
            **public_ticket(current, counter_number),
            "issued_at": iso(current.queued_at),
            "people_ahead": ahead,
            "estimated_wait_minutes": wait.median,
            "wait": waits.wait_json(wait),
            # A transfer keeps the number: the page says to which service it moved from where.
            "transferred_from": None
            if source is None
            else {
                "service_name_vi": source.service.name_vi,
                "service_name_en": source.service.name_en,
            },
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
    waiting = session.execute(
        select(Ticket.id, Ticket.service_id, Ticket.priority, Ticket.queued_at).where(
            Ticket.site_id == row.site_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.service_id.in_(ranks),
        )
    ).all()
    candidates = (
        Candidate(t.id, t.service_id, t.priority is not None, t.queued_at) for t in waiting
    )
    shown = [c.ticket_id for c in calling_order(candidates, ranks)[:CLERK_LIST_LENGTH]]
    by_id = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(shown)))}
    ordered = [by_id[ticket_id] for ticket_id in shown]
    today = local_day(now, site_zone(row.site))
    served_today = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.counter_id == row.id, Ticket.status == TicketStatus.DONE, Ticket.day == today
        )
    )
    clerk = session.get(User, row.clerk_id) if row.clerk_id else None
    current = active_ticket(session, row)
    moves = _transfers(session, [*ordered, *([current] if current else [])])
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
        "current": None
        if current is None
        else {
            **public_ticket(current, row.number),
            "called_at": iso(current.called_at),
            "started_at": iso(current.started_at),
            **_for_clerk(current, moves),
        },
        "waiting": [{**public_ticket(t), **_for_clerk(t, moves)} for t in ordered],
        "waiting_count": len(waiting),
        "transfer_to": [_service_info(s) for s in row.site.services if s.active],
        "printers": reception.printer_list(session, row.site_id),
        # The clerk's own clock may be off: minutes waited are counted from the server's.
        "now": iso(now),
    }


def _for_clerk(ticket: Ticket, moves: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """What the clerk sees of a ticket beyond the hall's view: its priority category by
    name (as printed on the paper), and where it was transferred from, with the note."""
    names = PRIORITY_LABELS.get(Priority(ticket.priority)) if ticket.priority else None
    return {
        "queued_at": iso(ticket.queued_at),
        "priority_category": ticket.priority,
        "priority_name_vi": names[0] if names else None,
        "priority_name_en": names[1] if names else None,
        "device_id": ticket.device_id,
        "transferred_from": moves.get(ticket.transferred_from_id or 0),
    }


def _transfers(session: Session, tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """For each ticket these were transferred from (by its id): its service, the counter
    that transferred it, and the clerk's note, read from the transfer's event."""
    sources = [t.transferred_from_id for t in tickets if t.transferred_from_id is not None]
    if not sources:
        return {}
    rows = session.execute(
        select(Ticket, TicketEvent.detail, Counter.number)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .outerjoin(Counter, Counter.id == TicketEvent.counter_id)
        .where(Ticket.id.in_(sources), TicketEvent.kind == Action.TRANSFER)
    ).all()
    return {
        source.id: {
            "service_name_vi": source.service.name_vi,
            "service_name_en": source.service.name_en,
            "counter_number": counter_number,
            "note": (detail or {}).get("note", ""),
        }
        for source, detail, counter_number in rows
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
    services = _services_with_queue(session, site, False, seq, now)
    targets = {s.id: s.target_minutes for s in site.services}
    for service in services:
        since = waiting.get(service["id"], [])
        service["target_minutes"] = targets[service["id"]]
        service["oldest_queued_at"] = since[0] if since else None
        service["waiting_since"] = since[:MANAGER_WAITING_LIST]
        service["open_counters"] = open_counter_count(session, service["id"])
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
        "today": _day_totals(session, site, now),
        "called_alert_minutes": CALLED_ALERT_MINUTES,
    }


def _day_totals(session: Session, site: Site, now: datetime) -> dict[str, int | None]:
    """The site's day so far: numbers issued (a transfer is not a new one), citizens served,
    and the mean wait from taking the number to the first call, in whole seconds."""
    today = local_day(now, site_zone(site))
    rows = session.execute(
        select(
            Ticket.status, Ticket.queued_at, Ticket.first_called_at, Ticket.transferred_from_id
        ).where(Ticket.site_id == site.id, Ticket.day == today)
    ).all()
    waits = [
        (called - queued).total_seconds()
        for _, queued, called, moved_from in rows
        if called is not None and moved_from is None
    ]
    return {
        "issued": sum(1 for row in rows if row.transferred_from_id is None),
        "served": sum(1 for row in rows if row.status == TicketStatus.DONE),
        "mean_wait_seconds": round(sum(waits) / len(waits)) if waits else None,
    }
