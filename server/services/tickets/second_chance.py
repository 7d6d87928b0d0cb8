"""A second chance for a missed turn (issue 15): recalls are capped; a ticket recalled
the most times becomes a no-show by itself after a while (the sweeper); a no-show may
rejoin from the phone within a few minutes, behind the next few waiting; and a waiting
citizen may once ask for more time ("Tôi cần thêm thời gian"), letting a few go first.

A rejoin is a new ticket in the same service (like a transfer's: same number and token,
`transferred_from_id` the missed one), so the missed ticket keeps its no-show in the
statistics and the new one is not counted as issued twice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from server.adapters.db.models import Ticket, TicketEvent
from server.domain.errors import DomainError, WrongTicketState
from server.domain.second_chance import moved_back, place_after
from server.domain.tickets import Action, TicketStatus
from server.services import notifications, statistics
from server.services.access import get_site, open_ticket_by_token
from server.services.tickets.records import (
    TicketAtCounter,
    at_counter,
    candidate,
    log_event,
    record_change,
)
from server.services.unit_of_work import UnitOfWork

REJOIN = "rejoin"
MORE_TIME = "more_time"


class RecallsUsedUp(DomainError):
    code = "recalls_used_up"


class SecondChanceRefused(DomainError):
    code = "second_chance_refused"


def check_recall(ticket: Ticket, recall_cap: int) -> None:
    """A clerk may recall a ticket at most `recall_cap` times; then it waits for the
    citizen or becomes a no-show by itself."""
    if ticket.recall_count >= recall_cap:
        raise RecallsUsedUp(
            f"Số {ticket.number} đã được gọi lại {ticket.recall_count} lần (tối đa "
            f"{recall_cap}): hãy đánh dấu vắng mặt hoặc chờ công dân.",
            f"Ticket {ticket.number} has been recalled {ticket.recall_count} times (at most "
            f"{recall_cap}): mark it as no-show or wait for the citizen.",
        )


def _used(uow: UnitOfWork, token: str, kind: str) -> bool:
    return (
        uow.session.scalar(
            select(TicketEvent.id)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.token == token, TicketEvent.kind == kind)
            .limit(1)
        )
        is not None
    )


def _waiting(uow: UnitOfWork, ticket: Ticket) -> list[Ticket]:
    return list(
        uow.session.scalars(
            select(Ticket).where(
                Ticket.site_id == ticket.site_id,
                Ticket.service_id == ticket.service_id,
                Ticket.day == ticket.day,
                Ticket.status == TicketStatus.WAITING,
            )
        )
    )


def no_show_overdue(uow: UnitOfWork, site_id: int) -> int:
    """The sweeper's part: a called ticket recalled the most times and still not at the
    counter after the site's delay becomes a no-show (and its citizen is told, with the
    rejoin link). Returns how many."""
    with uow:
        session = uow.session
        site = get_site(session, site_id)
        settings = notifications.settings_for(session, site.id)
        now = uow.clock()
        overdue = session.scalars(
            select(Ticket)
            .where(
                Ticket.site_id == site.id,
                Ticket.status == TicketStatus.CALLED,
                Ticket.recall_count >= settings.recall_cap,
                Ticket.called_at <= now - timedelta(seconds=settings.no_show_after_seconds),
            )
            .with_for_update(key_share=True)
        ).all()
        for ticket in overdue:
            ticket.status = TicketStatus.NO_SHOW
            ticket.ended_at = now
            statistics.ticket_ended(session, uow.dialect, ticket)
            log_event(
                session,
                ticket,
                Action.NO_SHOW,
                now,
                counter_id=ticket.counter_id,
                detail={"automatic": True},
            )
            record_change(uow, "ticket_no_show", ticket, ticket.counter)
            notifications.on_missed(session, ticket, now)
        uow.commit()
    return len(overdue)


def rejoin(uow: UnitOfWork, token: str) -> TicketAtCounter:
    """A citizen marked no-show goes back in their service's queue, behind the next few
    waiting (the site's `rejoin_after`), if they ask within `rejoin_minutes`; once."""
    with uow:
        session = uow.session
        ticket = open_ticket_by_token(session, token, lock=True)
        if ticket.status != TicketStatus.NO_SHOW:
            raise WrongTicketState(
                f"Số {ticket.number} không bị lỡ lượt: không cần vào lại hàng.",
                f"Ticket {ticket.number} has not missed its turn: no need to rejoin.",
            )
        settings = notifications.settings_for(session, ticket.site_id)
        now = uow.clock()
        ended = ticket.ended_at or now
        if now - ended > timedelta(minutes=settings.rejoin_minutes) or _used(uow, token, REJOIN):
            raise SecondChanceRefused(
                f"Đã quá {settings.rejoin_minutes} phút hoặc số {ticket.number} đã vào lại "
                "hàng một lần: xin lấy số mới.",
                f"More than {settings.rejoin_minutes} minutes have passed, or ticket "
                f"{ticket.number} has rejoined once already: please take a new number.",
            )
        waiting = [candidate(t) for t in _waiting(uow, ticket)]
        back = Ticket(
            site_id=ticket.site_id,
            service_id=ticket.service_id,
            day=ticket.day,
            sequence=ticket.sequence,
            number=ticket.number,
            priority=ticket.priority,
            channel=ticket.channel,
            status=TicketStatus.WAITING,
            token=ticket.token,
            queued_at=place_after(
                waiting,
                ticket.service_id,
                ticket.priority is not None,
                settings.rejoin_after,
                now,
            ),
            issued_at=now,
            device_id=ticket.device_id,
            transferred_from_id=ticket.id,
        )
        session.add(back)
        session.flush()
        log_event(session, back, REJOIN, now, detail={"from_ticket_id": ticket.id})
        record_change(uow, "ticket_rejoined", back, None)
        result = at_counter(back, None)
        uow.commit()
    return result


def more_time(uow: UnitOfWork, token: str) -> TicketAtCounter:
    """ "Tôi cần thêm thời gian": a waiting citizen lets the next few (the site's
    `more_time_places`) go first; once per ticket."""
    with uow:
        session = uow.session
        ticket = open_ticket_by_token(session, token, lock=True)
        if ticket.status != TicketStatus.WAITING:
            raise WrongTicketState(
                f"Số {ticket.number} không còn đang chờ.",
                f"Ticket {ticket.number} is no longer waiting.",
            )
        if _used(uow, token, MORE_TIME):
            raise SecondChanceRefused(
                f"Số {ticket.number} đã xin thêm thời gian một lần rồi.",
                f"Ticket {ticket.number} has already asked for more time once.",
            )
        settings = notifications.settings_for(session, ticket.site_id)
        waiting = [candidate(t) for t in _waiting(uow, ticket)]
        later = moved_back(candidate(ticket), waiting, settings.more_time_places)
        if later is None:
            raise SecondChanceRefused(
                f"Không có ai đứng sau số {ticket.number}: số của quý khách vẫn giữ chỗ.",
                f"Nobody stands behind ticket {ticket.number}: it keeps its place.",
            )
        now = uow.clock()
        ticket.queued_at = later
        log_event(session, ticket, MORE_TIME, now, detail={"places": settings.more_time_places})
        record_change(uow, "ticket_moved_back", ticket, None)
        result = at_counter(ticket, None)
        uow.commit()
    return result
