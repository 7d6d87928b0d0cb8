"""A counter's calls and steps: call next, call one ticket, recall, start, finish,
no-show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Ticket
from server.domain.errors import CounterBusy, CounterNotOpen, InvalidInput, QueueEmpty
from server.domain.numbering import local_day
from server.domain.roles import CounterState
from server.domain.selection import choose_next
from server.domain.tickets import Action, TicketStatus, check_transition
from server.services import notifications, statistics
from server.services.access import active_ticket, counter_for_user, require_active_ticket, site_zone
from server.services.tickets.records import (
    TicketAtCounter,
    at_counter,
    candidate,
    log_event,
    record_change,
)
from server.services.tickets.second_chance import check_recall
from server.services.unit_of_work import UnitOfWork


def _require_open(counter: Counter) -> None:
    if counter.state != CounterState.OPEN:
        raise CounterNotOpen(
            f"Quầy số {counter.number} đang không mở: hãy mở quầy trước khi gọi số.",
            f"Counter {counter.number} is not open: open it before calling.",
        )


def _require_free(session: Session, counter: Counter) -> None:
    current = active_ticket(session, counter)
    if current is not None:
        raise CounterBusy(
            f"Quầy số {counter.number} đang có số {current.number}: "
            "hãy hoàn thành, chuyển hoặc đánh dấu vắng mặt trước.",
            f"Counter {counter.number} still has ticket {current.number}: "
            "finish, transfer or mark it as no-show first.",
        )


def _call(
    uow: UnitOfWork, ticket: Ticket, counter: Counter, user_id: int, now: datetime
) -> TicketAtCounter:
    check_transition(Action.CALL, ticket.number, ticket.status)
    ticket.status = TicketStatus.CALLED
    ticket.counter_id = counter.id
    ticket.clerk_id = user_id
    ticket.called_at = now
    counter.priority_streak = counter.priority_streak + 1 if ticket.priority else 0
    if ticket.first_called_at is None:
        ticket.first_called_at = now
        statistics.ticket_first_called(uow.session, uow.dialect, ticket)
    log_event(uow.session, ticket, Action.CALL, now, counter_id=counter.id, user_id=user_id)
    record_change(uow, "ticket_called", ticket, counter)
    notifications.on_called(uow.session, ticket, counter, now)
    return at_counter(ticket, counter)


def call_next(uow: UnitOfWork, counter_id: int, user_id: int) -> TicketAtCounter:
    """Call the next citizen to a counter, by the rules of server.domain.selection.

    Atomic: on SQLite the transaction holds the write lock from its first statement. On
    PostgreSQL the chosen ticket is locked with FOR NO KEY UPDATE SKIP LOCKED; if another
    clerk holds it (or has just taken it), the rule picks again without it. Only the one
    row is locked, so a clerk never finds the queue falsely empty while another is calling.
    NO KEY: a row that only refers to the ticket (a wait quote, an event, a message being
    inserted by another transaction) holds KEY SHARE on it, which FOR UPDATE would take for
    a clerk's lock and skip.
    """
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        _require_open(counter)
        _require_free(session, counter)
        now = uow.clock()
        ranks = counter.service_rank
        waiting = session.scalars(
            select(Ticket).where(
                Ticket.site_id == counter.site_id,
                Ticket.status == TicketStatus.WAITING,
                Ticket.service_id.in_(ranks),
                Ticket.day == local_day(now, site_zone(counter.site)),
            )
        ).all()
        candidates = {t.id: candidate(t) for t in waiting}
        while True:
            chosen = choose_next(
                candidates.values(),
                ranks,
                counter.priority_streak,
                counter.site.max_priority_streak,
            )
            if chosen is None:
                raise QueueEmpty(
                    f"Không còn ai chờ ở các lĩnh vực của quầy số {counter.number}.",
                    f"Nobody is waiting for the services of counter {counter.number}.",
                )
            ticket = session.scalars(
                select(Ticket)
                .where(Ticket.id == chosen.ticket_id, Ticket.status == TicketStatus.WAITING)
                .with_for_update(skip_locked=True, key_share=True)
                .execution_options(populate_existing=True)
            ).first()
            if ticket is not None:
                break
            del candidates[chosen.ticket_id]
        result = _call(uow, ticket, counter, user_id, now)
        uow.commit()
    return result


def call_ticket(uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int) -> TicketAtCounter:
    """Call one particular waiting ticket out of turn (a clerk's choice, e.g. a result
    ready for collection), if the counter serves its service."""
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        _require_open(counter)
        _require_free(session, counter)
        ticket = session.get(
            Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True
        )
        if ticket is None or ticket.site_id != counter.site_id:
            raise InvalidInput(
                f"Không có số mã {ticket_id} ở điểm này.",
                f"There is no ticket {ticket_id} at this site.",
            )
        if ticket.service_id not in counter.service_rank:
            raise InvalidInput(
                f"Quầy số {counter.number} không phục vụ lĩnh vực của số {ticket.number}.",
                f"Counter {counter.number} does not serve the service of ticket {ticket.number}.",
            )
        result = _call(uow, ticket, counter, user_id, uow.clock())
        uow.commit()
    return result


def recall(
    uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int | None = None
) -> TicketAtCounter:
    """Call the counter's current ticket again (the board announces it once more)."""
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        ticket = require_active_ticket(session, counter, ticket_id)
        check_transition(Action.RECALL, ticket.number, ticket.status)
        check_recall(ticket, notifications.settings_for(session, ticket.site_id).recall_cap)
        now = uow.clock()
        ticket.recall_count += 1
        ticket.called_at = now
        log_event(session, ticket, Action.RECALL, now, counter_id=counter.id, user_id=user_id)
        record_change(uow, "ticket_recalled", ticket, counter)
        notifications.on_called(session, ticket, counter, now)
        result = at_counter(ticket, counter)
        uow.commit()
    return result


def _step(
    uow: UnitOfWork,
    counter_id: int,
    user_id: int,
    ticket_id: int | None,
    action: Action,
    status: TicketStatus,
    kind: str,
) -> TicketAtCounter:
    """Start, finish or no-show: move the counter's current ticket to `status`."""
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        ticket = require_active_ticket(session, counter, ticket_id)
        check_transition(action, ticket.number, ticket.status)
        now = uow.clock()
        ticket.status = status
        if status == TicketStatus.SERVING:
            ticket.started_at = now
            ticket.clerk_id = user_id
        else:
            ticket.ended_at = now
            statistics.ticket_ended(session, uow.dialect, ticket)
        log_event(session, ticket, action, now, counter_id=counter.id, user_id=user_id)
        record_change(uow, kind, ticket, counter)
        if status == TicketStatus.NO_SHOW:
            notifications.on_missed(session, ticket, now)
        result = at_counter(ticket, counter)
        uow.commit()
    return result


def start_serving(
    uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int | None = None
) -> TicketAtCounter:
    """The called citizen has arrived at the counter: service time starts now."""
    return _step(
        uow, counter_id, user_id, ticket_id, Action.START, TicketStatus.SERVING, "ticket_started"
    )


def finish(
    uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int | None = None
) -> TicketAtCounter:
    """The citizen has been served."""
    return _step(
        uow, counter_id, user_id, ticket_id, Action.FINISH, TicketStatus.DONE, "ticket_finished"
    )


def mark_no_show(
    uow: UnitOfWork, counter_id: int, user_id: int, ticket_id: int | None = None
) -> TicketAtCounter:
    """The called citizen did not come."""
    return _step(
        uow, counter_id, user_id, ticket_id, Action.NO_SHOW, TicketStatus.NO_SHOW, "ticket_no_show"
    )
