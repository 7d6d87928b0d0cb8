"""How a ticket leaves its queue other than by being served: transferred to another
service, cancelled by the citizen or a clerk, expired with the day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.adapters.db.models import Counter, Site, Ticket
from server.domain.errors import CounterBusy, InvalidInput, ServiceUnavailable
from server.domain.tickets import OPEN_STATUSES, Action, TicketStatus, check_transition
from server.services import notifications, statistics
from server.services.access import (
    counter_for_user,
    get_service,
    get_site,
    open_ticket_by_token,
    require_active_ticket,
    site_zone,
)
from server.services.changes import Change
from server.services.tickets.records import (
    MAX_TRANSFER_NOTE,
    TicketAtCounter,
    at_counter,
    log_event,
    record_change,
)
from server.services.unit_of_work import UnitOfWork


def transfer(
    uow: UnitOfWork,
    counter_id: int,
    user_id: int,
    service_id: int,
    ticket_id: int | None = None,
    note: str = "",
) -> TicketAtCounter:
    """Send the counter's current citizen to another service's queue.

    The old ticket ends as TRANSFERRED; a new one waits in the target service with the same
    number, phone token and original issue time, so the citizen keeps their place. The
    clerk's `note` for the next counter is kept with the transfer's event.
    """
    note = " ".join(note.split())
    if len(note) > MAX_TRANSFER_NOTE:
        raise InvalidInput(
            f"Ghi chú chuyển dài quá {MAX_TRANSFER_NOTE} ký tự.",
            f"The transfer note is longer than {MAX_TRANSFER_NOTE} characters.",
        )
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        ticket = require_active_ticket(session, counter, ticket_id)
        check_transition(Action.TRANSFER, ticket.number, ticket.status)
        target = get_service(session, service_id, counter.site_id)
        if target.id == ticket.service_id:
            raise InvalidInput(
                "Hãy chọn một lĩnh vực khác với lĩnh vực hiện tại.",
                "Choose a service other than the current one.",
            )
        if not target.active:
            raise ServiceUnavailable(
                f"Lĩnh vực “{target.name_vi}” hiện không nhận hồ sơ.",
                f"The service “{target.name_en}” is not taking tickets now.",
            )
        now = uow.clock()
        ticket.status = TicketStatus.TRANSFERRED
        ticket.ended_at = now
        statistics.ticket_ended(session, uow.dialect, ticket)
        moved = Ticket(
            site_id=ticket.site_id,
            service_id=target.id,
            day=ticket.day,
            sequence=ticket.sequence,
            number=ticket.number,
            priority=ticket.priority,
            channel=ticket.channel,
            status=TicketStatus.WAITING,
            token=ticket.token,
            queued_at=ticket.queued_at,
            issued_at=now,
            device_id=ticket.device_id,
            transferred_from_id=ticket.id,
        )
        session.add(moved)
        session.flush()
        detail: dict[str, Any] = {"to_service_id": target.id, "to_ticket_id": moved.id}
        if note:
            detail["note"] = note
        log_event(
            session,
            ticket,
            Action.TRANSFER,
            now,
            counter_id=counter.id,
            user_id=user_id,
            detail=detail,
        )
        log_event(
            session,
            moved,
            "issued",
            now,
            counter_id=counter.id,
            user_id=user_id,
            detail={"transferred_from_id": ticket.id},
        )
        record_change(
            uow, "ticket_transferred", moved, counter, extra_services=(ticket.service_id,)
        )
        result = at_counter(moved, None)
        uow.commit()
    return result


def cancel_by_citizen(uow: UnitOfWork, token: str) -> TicketAtCounter:
    """The citizen gives up their place from the phone page."""
    with uow:
        session = uow.session
        ticket = open_ticket_by_token(session, token, lock=True)
        check_transition(Action.CANCEL, ticket.number, ticket.status)
        result = _cancel(uow, ticket, user_id=None)
        uow.commit()
    return result


def cancel_at_counter(
    uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int
) -> TicketAtCounter:
    """A clerk cancels a ticket of their counter's services (e.g. a duplicate)."""
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        ticket = session.get(
            Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True
        )
        if ticket is None or ticket.service_id not in counter.service_rank:
            raise InvalidInput(
                f"Quầy số {counter.number} không có số mã {ticket_id} để huỷ.",
                f"Counter {counter.number} has no ticket {ticket_id} to cancel.",
            )
        if ticket.status == TicketStatus.CALLED and ticket.counter_id != counter.id:
            raise CounterBusy(
                f"Số {ticket.number} đang được gọi ở quầy khác.",
                f"Ticket {ticket.number} is called at another counter.",
            )
        check_transition(Action.CANCEL, ticket.number, ticket.status)
        result = _cancel(uow, ticket, user_id=user_id, counter=counter)
        uow.commit()
    return result


def _cancel(
    uow: UnitOfWork, ticket: Ticket, user_id: int | None, counter: Counter | None = None
) -> TicketAtCounter:
    now = uow.clock()
    ticket.status = TicketStatus.CANCELLED
    ticket.ended_at = now
    statistics.ticket_ended(uow.session, uow.dialect, ticket)
    log_event(
        uow.session,
        ticket,
        Action.CANCEL,
        now,
        user_id=user_id,
        counter_id=counter.id if counter else None,
    )
    record_change(uow, "ticket_cancelled", ticket, counter)
    return at_counter(ticket, counter)


def expire_leftovers(uow: UnitOfWork, site_id: int, closing: bool | None = None) -> int:
    """Expire what the day left behind; returns how many tickets expired.

    Tickets of earlier local days that are still open always expire (called or in service
    too, so no counter stays stuck overnight). By default, once the site's closing time has
    passed, so do today's tickets that were already waiting at closing time; a ticket taken
    after closing (staff working late) is left to be served. `closing=True` expires all of
    today's waiting tickets now (the centre closes early). Expired tickets are kept, never
    deleted: statistics count them.
    """
    with uow:
        session = uow.session
        site = get_site(session, site_id)
        now = uow.clock()
        zone = site_zone(site)
        today = now.astimezone(zone).date()
        closes = datetime.combine(today, site.closes_at, tzinfo=zone)
        stale = Ticket.day < today
        waiting_today = (Ticket.day == today) & (Ticket.status == TicketStatus.WAITING)
        if closing:
            stale = stale | waiting_today
        elif closing is None and now >= closes:
            stale = stale | (waiting_today & (Ticket.queued_at < closes))
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.site_id == site.id, Ticket.status.in_(OPEN_STATUSES), stale)
            .with_for_update(key_share=True)
        ).all()
        for ticket in tickets:
            ticket.status = TicketStatus.EXPIRED
            ticket.ended_at = now
            statistics.ticket_ended(session, uow.dialect, ticket)
            log_event(session, ticket, Action.EXPIRE, now)
        notifications.forget_closed_day(session, site.id, today, bool(closing) or now >= closes)
        if tickets:
            uow.record(
                Change(
                    site_id=site.id,
                    kind="tickets_expired",
                    service_ids=tuple(sorted({t.service_id for t in tickets})),
                    public={"count": len(tickets)},
                    tokens=tuple(t.token for t in tickets),
                )
            )
        uow.commit()
    return len(tickets)


def all_site_ids(uow: UnitOfWork) -> list[int]:
    with uow.db.reading() as session:
        return list(session.scalars(select(Site.id).order_by(Site.id)))
