"""Use cases of a ticket's life: issue, call, recall, start, finish, no-show, transfer,
cancel, expire. Each is one transaction through a UnitOfWork."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, Table, bindparam, exists, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    Counter,
    CounterService,
    Device,
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
    NotFound,
    QueueEmpty,
    ServiceUnavailable,
    Unauthorized,
)
from server.domain.estimate import estimate_wait_minutes
from server.domain.issuing import IssuingHours, NotIssuing, issuing_hours, not_issuing
from server.domain.numbering import NumberFormat, local_day
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
# A clerk's word to the next counter about a transferred citizen ("needs a certified copy").
MAX_TRANSFER_NOTE = 200


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


def _next_sequence(
    connection: Connection, dialect: str, site_id: int, service_id: int, day: date
) -> int:
    """The next number of (site, service, day), atomically and without gaps, in one
    statement: the counter row is created at 1 or incremented, with RETURNING, inside the
    caller's transaction, which holds its lock (SQLite: the write lock; PostgreSQL: the row
    lock, so a second kiosk of the service waits here until the first commits) until commit.
    Only SQLite (3.35+) and PostgreSQL are supported, both with INSERT ... ON CONFLICT."""
    return int(
        connection.execute(
            _NEXT_SEQUENCE[dialect == "postgresql"],
            {"site_id": site_id, "service_id": service_id, "day": day},
        ).scalar_one()
    )


def _next_sequence_statement(dialect_insert: Any) -> Any:
    table = TicketSequence.__table__
    statement = dialect_insert(table).values(
        site_id=bindparam("site_id"),
        service_id=bindparam("service_id"),
        day=bindparam("day"),
        last_value=1,
    )
    return statement.on_conflict_do_update(
        index_elements=[table.c.site_id, table.c.service_id, table.c.day],
        set_={"last_value": table.c.last_value + 1},
    ).returning(table.c.last_value)


# Built once, so that SQLAlchemy compiles each once (index: is it PostgreSQL).
_NEXT_SEQUENCE = (
    _next_sequence_statement(sqlite_insert),
    _next_sequence_statement(pg_insert),
)


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
    rows = session.connection().execute(_RECENT_SERVICE_TIMES, {"service_id": service_id})
    return [(end - start).total_seconds() for start, end in rows if start and end]


_RECENT_SERVICE_TIMES = (
    select(Ticket.started_at, Ticket.ended_at)
    .where(Ticket.service_id == bindparam("service_id"), Ticket.status == TicketStatus.DONE)
    .order_by(Ticket.ended_at.desc())
    .limit(RECENT_SERVICE_SAMPLES)
)


# A read session that computes many views at once (server/services/live_states.py) keeps
# each service's estimate inputs here, in `session.info`, for the session's life.
SHARED_ESTIMATES = "shared_estimates"


def wait_estimator(session: Session, service: Service) -> Callable[[int], int]:
    """The estimated wait in a service for any number of people ahead, its inputs read
    once (the phones' queue asks it for every waiting ticket)."""
    shared: dict[int, Callable[[int], int]] | None = session.info.get(SHARED_ESTIMATES)
    if shared is not None and service.id in shared:
        return shared[service.id]
    open_counters = open_counter_count(session, service.id)
    recent = recent_service_seconds(session, service.id)
    expected = service.expected_minutes

    def estimate(people_ahead: int) -> int:
        return estimate_wait_minutes(people_ahead, open_counters, recent, expected)

    if shared is not None:
        shared[service.id] = estimate
    return estimate


def estimate_for(session: Session, service: Service, people_ahead: int) -> int:
    return wait_estimator(session, service)(people_ahead)


# -- recording ----------------------------------------------------------------------------


def public_ticket(ticket: Ticket, counter_number: int | None = None) -> dict[str, Any]:
    """A ticket as the hall may see it: what the board shows, nothing more."""
    return _hall_view(ticket, ticket.service.name_vi, ticket.service.name_en, counter_number)


def _hall_view(
    ticket: Ticket, service_name_vi: str, service_name_en: str, counter_number: int | None
) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service_id": ticket.service_id,
        "service_name_vi": service_name_vi,
        "service_name_en": service_name_en,
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
    user_id: int | None = None,
    device_token_hash: str | None = None,
) -> IssuedTicket:
    """Give a citizen the next number of a service at a site (`user_id`: the staff member
    who issued it for them at reception, if it was not the citizen at a kiosk).

    The number is taken from the (site, service, local day) counter in the same transaction
    that stores the ticket, so concurrent kiosks never share a number and a failed issue
    leaves no gap. With `device_token_hash`, the kiosk `device_id` must still hold that
    token, active, at this site: checked in this transaction, so a kiosk revoked or paired
    again issues nothing more, on any worker, whatever its caller remembered of it.

    The kiosk's path, a ticket every few seconds at peak: one transaction of plain SQL
    statements (SQLAlchemy Core), the site, service and kiosk read in one of them.
    """
    with uow:
        connection = uow.session.connection()
        place = _issuing_place(connection, site_id, service_id, device_id, device_token_hash)
        if not place.active:
            raise ServiceUnavailable(
                f"Lĩnh vực “{place.name_vi}” hiện không nhận hồ sơ.",
                f"The service “{place.name_en}” is not taking tickets now.",
            )
        now = uow.clock()
        zone = ZoneInfo(place.timezone)
        hours = issuing_hours(place.opens_at, place.closes_at, place.issue_from, place.issue_until)
        _require_issuing_hours(hours, place.name_vi, place.name_en, now.astimezone(zone).time())
        day = local_day(now, zone)
        sequence = _next_sequence(connection, uow.dialect, site_id, service_id, day)
        if place.daily_cap is not None and sequence > place.daily_cap:
            # Raising rolls the sequence back: the cap counts tickets actually issued.
            raise ServiceUnavailable(
                f"Lĩnh vực “{place.name_vi}” đã hết số hôm nay "
                f"(tối đa {place.daily_cap} số). Mời quay lại ngày làm việc sau.",
                f"The service “{place.name_en}” has given all of today's "
                f"{place.daily_cap} numbers. Please come back on the next working day.",
            )
        number_format = NumberFormat(
            place.prefix, place.number_width, place.range_start, place.range_end
        )
        # Counted after numbering: an earlier ticket of the service is committed by now
        # (it held the number's lock until its commit), so none is missed.
        ahead, open_counters = connection.execute(
            _AHEAD_AND_OPEN_COUNTERS[priority is not None], {"service_id": service_id}
        ).one()
        ticket = Ticket(
            site_id=site_id,
            service_id=service_id,
            day=day,
            sequence=sequence,
            number=number_format.display(sequence),
            priority=priority,
            channel=channel,
            status=TicketStatus.WAITING,
            token=secrets.token_urlsafe(16),
            queued_at=now,
            issued_at=now,
            device_id=device_id,
            recall_count=0,
        )
        # Plain INSERTs: the ORM's unit of work costs more than the SQL for two rows.
        ticket.id = connection.execute(
            _INSERT_TICKET, _columns(ticket, _TICKET_COLUMNS)
        ).scalar_one()
        statistics.ticket_issued(uow.session, uow.dialect, ticket, zone)
        connection.execute(
            _INSERT_EVENT,
            {
                "ticket_id": ticket.id,
                "site_id": site_id,
                "kind": "issued",
                "at": now,
                "counter_id": None,
                "user_id": user_id,
                "device_id": device_id,
                "detail": {"priority": priority, "channel": channel},
            },
        )
        estimate = 0
        if ahead:
            recent = recent_service_seconds(uow.session, service_id)
            estimate = estimate_wait_minutes(ahead, open_counters, recent, place.expected_minutes)
        issued = IssuedTicket(
            ticket_id=ticket.id,
            number=ticket.number,
            token=ticket.token,
            service_id=service_id,
            service_name_vi=place.name_vi,
            service_name_en=place.name_en,
            priority=priority,
            issued_at=now,
            people_ahead=ahead,
            estimated_wait_minutes=estimate,
        )
        uow.record(
            Change(
                site_id=site_id,
                kind="ticket_issued",
                service_ids=(service_id,),
                public={
                    "ticket": _hall_view(ticket, place.name_vi, place.name_en, None),
                    "counter": None,
                },
                tokens=(ticket.token,),
            )
        )
        uow.commit()
    return issued


def _issuing_place(
    connection: Connection,
    site_id: int,
    service_id: int,
    device_id: int | None,
    device_token_hash: str | None,
) -> Row[Any]:
    """What issuing needs of the site, the service (and the kiosk), in one statement."""
    checked = device_token_hash is not None
    place = connection.execute(
        _PLACE[checked],
        {
            "site_id": site_id,
            "service_id": service_id,
            "device_id": device_id,
            "token_hash": device_token_hash,
        },
    ).first()
    if place is None:
        raise NotFound(
            f"Không có lĩnh vực số {service_id} ở điểm này.",
            f"There is no service {service_id} at this site.",
        )
    if checked and not place.device_ok:
        raise Unauthorized(
            "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.",
            "The device token is invalid or has been revoked.",
        )
    return place


def _place_statement(with_device: bool) -> Any:
    columns: list[Any] = [
        Site.timezone,
        Site.opens_at,
        Site.closes_at,
        Service.name_vi,
        Service.name_en,
        Service.active,
        Service.prefix,
        Service.number_width,
        Service.range_start,
        Service.range_end,
        Service.daily_cap,
        Service.issue_from,
        Service.issue_until,
        Service.expected_minutes,
    ]
    if with_device:
        columns.append(
            exists()
            .where(
                Device.id == bindparam("device_id"),
                Device.site_id == Site.id,
                Device.active.is_(True),
                Device.token_hash == bindparam("token_hash"),
            )
            .label("device_ok")
        )
    return (
        select(*columns)
        .join(Site, Site.id == Service.site_id)
        .where(Service.id == bindparam("service_id"), Service.site_id == bindparam("site_id"))
    )


def _ahead_statement(priority_only: bool) -> Any:
    waiting = select(func.count(Ticket.id)).where(
        Ticket.service_id == bindparam("service_id"), Ticket.status == TicketStatus.WAITING
    )
    if priority_only:
        waiting = waiting.where(Ticket.priority.is_not(None))
    open_counters = (
        select(func.count(func.distinct(Counter.id)))
        .join(CounterService, CounterService.counter_id == Counter.id)
        .where(
            CounterService.service_id == bindparam("service_id"),
            Counter.state == CounterState.OPEN,
        )
    )
    return select(waiting.scalar_subquery(), open_counters.scalar_subquery())


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in names}


_TICKET_COLUMNS = tuple(column.name for column in Ticket.__table__.columns if column.name != "id")
# Built once, so that SQLAlchemy compiles each once (index: with the kiosk's check; a
# priority ticket).
_PLACE = (_place_statement(False), _place_statement(True))
_AHEAD_AND_OPEN_COUNTERS = (_ahead_statement(False), _ahead_statement(True))
_INSERT_TICKET = insert(cast(Table, Ticket.__table__)).returning(Ticket.__table__.c.id)
_INSERT_EVENT = insert(cast(Table, TicketEvent.__table__))


def _require_issuing_hours(
    hours: IssuingHours, name_vi: str, name_en: str, local_time: time
) -> None:
    """A service takes tickets only between its issuing hours (e.g. land dossiers until
    16:00, so that they can be handled before closing); without them, between the site's
    opening hours: a number taken at night is one nobody would call."""
    why = not_issuing(hours, local_time, 0, None)
    if why is None:
        return
    window_vi = f"từ {hours.start:%H:%M} đến {hours.end:%H:%M}"
    window_en = f"from {hours.start:%H:%M} until {hours.end:%H:%M}"
    if why == NotIssuing.CLOSED:
        raise ServiceUnavailable(
            f"Ngoài giờ làm việc: lĩnh vực “{name_vi}” chỉ cấp số {window_vi}. "
            "Mời quay lại trong giờ làm việc.",
            f"Outside opening hours: the service “{name_en}” gives numbers only "
            f"{window_en}. Please come back during opening hours.",
        )
    raise ServiceUnavailable(
        f"Lĩnh vực “{name_vi}” chỉ cấp số {window_vi}.",
        f"The service “{name_en}” gives numbers only {window_en}.",
    )


def service_issuing_hours(site: Site, service: Service) -> IssuingHours:
    return issuing_hours(site.opens_at, site.closes_at, service.issue_from, service.issue_until)


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
