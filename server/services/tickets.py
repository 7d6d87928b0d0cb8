"""Use cases of a ticket's life: issue, call, recall, start, finish, no-show, transfer,
cancel, expire. Each is one transaction through a UnitOfWork."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    Counter,
    CounterService,
    Service,
    Site,
    Ticket,
    TicketEvent,
    TicketSequence,
)
from server.domain.errors import (
    CounterBusy,
    CounterNotOpen,
    InvalidInput,
    QueueEmpty,
    ServiceUnavailable,
)
from server.domain.estimate import estimate_wait_minutes
from server.domain.numbering import local_day
from server.domain.roles import CounterState
from server.domain.selection import Candidate, choose_next
from server.domain.tickets import (
    OPEN_STATUSES,
    Action,
    Channel,
    Priority,
    TicketStatus,
    check_transition,
)
from server.services import statistics
from server.services.access import (
    active_ticket,
    counter_for_user,
    get_service,
    get_site,
    open_ticket_by_token,
    require_active_ticket,
    site_zone,
)
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

RECENT_SERVICE_SAMPLES = 20


@dataclass(frozen=True)
class IssuedTicket:
    """What the kiosk shows and prints. No personal data: none is asked for."""

    ticket_id: int
    number: str
    token: str
    service_id: int
    service_name_vi: str
    service_name_en: str
    priority: Priority | None
    issued_at: datetime
    people_ahead: int
    estimated_wait_minutes: int


@dataclass(frozen=True)
class TicketAtCounter:
    """A ticket as the counter screen needs it after an action."""

    ticket_id: int
    number: str
    status: TicketStatus
    service_id: int
    counter_number: int | None


# -- numbering ---------------------------------------------------------------------------


def _next_sequence(session: Session, dialect: str, site_id: int, service_id: int, day: date) -> int:
    """The next number of (site, service, day), atomically and without gaps: the counter row
    is created if missing, then incremented with RETURNING inside the caller's transaction,
    which holds its lock (SQLite: the write lock; PostgreSQL: the row lock) until commit.
    Only SQLite and PostgreSQL are supported, both with INSERT ... ON CONFLICT DO NOTHING."""
    values = {"site_id": site_id, "service_id": service_id, "day": day, "last_value": 0}
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(TicketSequence).values(values).on_conflict_do_nothing())
    return session.execute(
        update(TicketSequence)
        .where(
            TicketSequence.site_id == site_id,
            TicketSequence.service_id == service_id,
            TicketSequence.day == day,
        )
        .values(last_value=TicketSequence.last_value + 1)
        .returning(TicketSequence.last_value)
    ).scalar_one()


# -- reading the queue -------------------------------------------------------------------


def candidate(ticket: Ticket) -> Candidate:
    return Candidate(
        ticket_id=ticket.id,
        service_id=ticket.service_id,
        is_priority=ticket.priority is not None,
        queued_at=ticket.queued_at,
    )


def open_counter_count(session: Session, service_id: int) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(Counter.id)))
            .join(CounterService, CounterService.counter_id == Counter.id)
            .where(CounterService.service_id == service_id, Counter.state == CounterState.OPEN)
        )
        or 0
    )


def recent_service_seconds(session: Session, service_id: int) -> list[float]:
    rows = session.execute(
        select(Ticket.started_at, Ticket.ended_at)
        .where(Ticket.service_id == service_id, Ticket.status == TicketStatus.DONE)
        .order_by(Ticket.ended_at.desc())
        .limit(RECENT_SERVICE_SAMPLES)
    ).all()
    return [(end - start).total_seconds() for start, end in rows if start and end]


def estimate_for(session: Session, service: Service, people_ahead: int) -> int:
    return estimate_wait_minutes(
        people_ahead,
        open_counter_count(session, service.id),
        recent_service_seconds(session, service.id),
        service.expected_minutes,
    )


def _count_ahead_of_new(session: Session, service_id: int, is_priority: bool) -> int:
    """A new ticket is the latest of its class: every waiting ticket of the service is
    ahead of a normal one, and every waiting priority ticket is ahead of a priority one."""
    query = select(func.count(Ticket.id)).where(
        Ticket.service_id == service_id, Ticket.status == TicketStatus.WAITING
    )
    if is_priority:
        query = query.where(Ticket.priority.is_not(None))
    return session.scalar(query) or 0


# -- recording ----------------------------------------------------------------------------


def public_ticket(ticket: Ticket, counter_number: int | None = None) -> dict[str, Any]:
    """A ticket as the hall may see it: what the board shows, nothing more."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service_id": ticket.service_id,
        "service_name_vi": ticket.service.name_vi,
        "service_name_en": ticket.service.name_en,
        "status": str(ticket.status),
        "priority": ticket.priority is not None,
        "counter_number": counter_number,
        "recall_count": ticket.recall_count,
    }


def _log(
    session: Session,
    ticket: Ticket,
    kind: str,
    at: datetime,
    *,
    counter_id: int | None = None,
    user_id: int | None = None,
    device_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            site_id=ticket.site_id,
            kind=kind,
            at=at,
            counter_id=counter_id,
            user_id=user_id,
            device_id=device_id,
            detail=detail,
        )
    )


def _record(
    uow: UnitOfWork,
    kind: str,
    ticket: Ticket,
    counter: Counter | None,
    extra_services: tuple[int, ...] = (),
) -> None:
    counter_number = counter.number if counter is not None else None
    uow.record(
        Change(
            site_id=ticket.site_id,
            kind=kind,
            service_ids=(ticket.service_id, *extra_services),
            counter_id=counter.id if counter is not None else None,
            public={
                "ticket": public_ticket(ticket, counter_number),
                "counter": None
                if counter is None
                else {"id": counter.id, "number": counter.number},
            },
            tokens=(ticket.token,),
        )
    )


def _at_counter(ticket: Ticket, counter: Counter | None) -> TicketAtCounter:
    return TicketAtCounter(
        ticket_id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        service_id=ticket.service_id,
        counter_number=counter.number if counter else None,
    )


# -- use cases ----------------------------------------------------------------------------


def issue_ticket(
    uow: UnitOfWork,
    site_id: int,
    service_id: int,
    priority: Priority | None = None,
    channel: Channel = Channel.KIOSK,
    device_id: int | None = None,
) -> IssuedTicket:
    """Give a citizen the next number of a service at a site.

    The number is taken from the (site, service, local day) counter in the same transaction
    that stores the ticket, so concurrent kiosks never share a number and a failed issue
    leaves no gap.
    """
    with uow:
        session = uow.session
        site = get_site(session, site_id)
        service = get_service(session, service_id, site_id)
        if not service.active:
            raise ServiceUnavailable(
                f"Lĩnh vực “{service.name_vi}” hiện không nhận hồ sơ.",
                f"The service “{service.name_en}” is not taking tickets now.",
            )
        now = uow.clock()
        _require_issuing_hours(service, now.astimezone(site_zone(site)).time())
        day = local_day(now, site_zone(site))
        sequence = _next_sequence(session, uow.dialect, site.id, service.id, day)
        if service.daily_cap is not None and sequence > service.daily_cap:
            # Raising rolls the sequence back: the cap counts tickets actually issued.
            raise ServiceUnavailable(
                f"Lĩnh vực “{service.name_vi}” đã hết số hôm nay "
                f"(tối đa {service.daily_cap} số). Mời quay lại ngày làm việc sau.",
                f"The service “{service.name_en}” has given all of today's "
                f"{service.daily_cap} numbers. Please come back on the next working day.",
            )
        number = service.number_format.display(sequence)
        ahead = _count_ahead_of_new(session, service.id, priority is not None)
        ticket = Ticket(
            site_id=site.id,
            service_id=service.id,
            day=day,
            sequence=sequence,
            number=number,
            priority=priority,
            channel=channel,
            status=TicketStatus.WAITING,
            token=secrets.token_urlsafe(16),
            queued_at=now,
            issued_at=now,
            device_id=device_id,
        )
        session.add(ticket)
        session.flush()
        statistics.ticket_issued(session, uow.dialect, ticket)
        _log(
            session,
            ticket,
            "issued",
            now,
            device_id=device_id,
            detail={"priority": priority, "channel": channel},
        )
        issued = IssuedTicket(
            ticket_id=ticket.id,
            number=number,
            token=ticket.token,
            service_id=service.id,
            service_name_vi=service.name_vi,
            service_name_en=service.name_en,
            priority=priority,
            issued_at=now,
            people_ahead=ahead,
            estimated_wait_minutes=estimate_for(session, service, ahead),
        )
        _record(uow, "ticket_issued", ticket, None)
        uow.commit()
    return issued


def _require_issuing_hours(service: Service, local_time: time) -> None:
    """A service may take tickets only between its issuing hours, where it has them (e.g.
    land dossiers accepted until 16:00, so that they can be handled before closing)."""
    start, end = service.issue_from, service.issue_until
    if (start is not None and local_time < start) or (end is not None and local_time >= end):
        hours_vi = f"từ {start:%H:%M}" if start else ""
        hours_vi += f" đến {end:%H:%M}" if end else ""
        hours_en = f"from {start:%H:%M}" if start else ""
        hours_en += f" until {end:%H:%M}" if end else ""
        raise ServiceUnavailable(
            f"Lĩnh vực “{service.name_vi}” chỉ cấp số {hours_vi.strip()}.",
            f"The service “{service.name_en}” gives numbers only {hours_en.strip()}.",
        )


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
    _log(uow.session, ticket, Action.CALL, now, counter_id=counter.id, user_id=user_id)
    _record(uow, "ticket_called", ticket, counter)
    return _at_counter(ticket, counter)


def call_next(uow: UnitOfWork, counter_id: int, user_id: int) -> TicketAtCounter:
    """Call the next citizen to a counter, by the rules of server.domain.selection.

    Atomic: on SQLite the transaction holds the write lock from its first statement. On
    PostgreSQL the chosen ticket is locked with FOR UPDATE SKIP LOCKED; if another clerk
    holds it (or has just taken it), the rule picks again without it. Only the one row is
    locked, so a clerk never finds the queue falsely empty while another is calling.
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
                .with_for_update(skip_locked=True)
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
        ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
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
        now = uow.clock()
        ticket.recall_count += 1
        ticket.called_at = now
        _log(session, ticket, Action.RECALL, now, counter_id=counter.id, user_id=user_id)
        _record(uow, "ticket_recalled", ticket, counter)
        result = _at_counter(ticket, counter)
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
        _log(session, ticket, action, now, counter_id=counter.id, user_id=user_id)
        _record(uow, kind, ticket, counter)
        result = _at_counter(ticket, counter)
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


def transfer(
    uow: UnitOfWork,
    counter_id: int,
    user_id: int,
    service_id: int,
    ticket_id: int | None = None,
) -> TicketAtCounter:
    """Send the counter's current citizen to another service's queue.

    The old ticket ends as TRANSFERRED; a new one waits in the target service with the same
    number, phone token and original issue time, so the citizen keeps their place.
    """
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
        detail = {"to_service_id": target.id, "to_ticket_id": moved.id}
        _log(
            session,
            ticket,
            Action.TRANSFER,
            now,
            counter_id=counter.id,
            user_id=user_id,
            detail=detail,
        )
        _log(
            session,
            moved,
            "issued",
            now,
            counter_id=counter.id,
            user_id=user_id,
            detail={"transferred_from_id": ticket.id},
        )
        _record(uow, "ticket_transferred", moved, counter, extra_services=(ticket.service_id,))
        result = _at_counter(moved, None)
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
        ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
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
    _log(
        uow.session,
        ticket,
        Action.CANCEL,
        now,
        user_id=user_id,
        counter_id=counter.id if counter else None,
    )
    _record(uow, "ticket_cancelled", ticket, counter)
    return _at_counter(ticket, counter)


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
            .with_for_update()
        ).all()
        for ticket in tickets:
            ticket.status = TicketStatus.EXPIRED
            ticket.ended_at = now
            statistics.ticket_ended(session, uow.dialect, ticket)
            _log(session, ticket, Action.EXPIRE, now)
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
