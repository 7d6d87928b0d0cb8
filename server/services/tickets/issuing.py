"""Issuing a number: the kiosk's path, a ticket every few seconds at peak."""

from __future__ import annotations

import secrets
from datetime import date, time
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, Table, bindparam, exists, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
from server.domain.errors import NotFound, ServiceUnavailable, Unauthorized
from server.domain.issuing import IssuingHours, NotIssuing, issuing_hours, not_issuing
from server.domain.numbering import NumberFormat, local_day
from server.domain.roles import CounterState
from server.domain.tickets import Channel, Priority, TicketStatus
from server.services import statistics, waits
from server.services.changes import Change
from server.services.tickets.records import IssuedTicket, hall_view
from server.services.unit_of_work import UnitOfWork


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
        ahead, _open_counters = connection.execute(
            _AHEAD_AND_OPEN_COUNTERS[priority is not None], {"service_id": service_id}
        ).one()
        row = _NO_TICKET | {
            "site_id": site_id,
            "service_id": service_id,
            "day": day,
            "sequence": sequence,
            "number": number_format.display(sequence),
            "priority": priority,
            "channel": channel,
            "status": TicketStatus.WAITING,
            "token": secrets.token_urlsafe(16),
            "queued_at": now,
            "issued_at": now,
            "device_id": device_id,
            "recall_count": 0,
        }
        # Plain INSERTs: the ORM's unit of work costs more than the SQL for two rows, and
        # even building a Ticket instance (its instrumented attributes, ~0.2 ms) costs more
        # than storing it. What reads the new ticket below (the statistics, the hall's
        # view) reads only its columns, all of them in this record.
        ticket_id = connection.execute(_INSERT_TICKET, row).scalar_one()
        ticket = cast(Ticket, SimpleNamespace(id=ticket_id, **row))
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
        # The wait told (screen, paper) is stored with the ticket, to be graded later.
        wait = waits.issued_wait(
            uow.session, site_id, ticket.id, service_id, priority is not None, now
        )
        connection.execute(
            waits.INSERT_QUOTE,
            waits.quote_row(ticket.id, site_id, service_id, waits.QUOTE_ISSUED, now, ahead, wait),
        )
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
            estimated_wait_minutes=wait.median,
            wait=waits.wait_json(wait),
        )
        uow.record(
            Change(
                site_id=site_id,
                kind="ticket_issued",
                service_ids=(service_id,),
                public={
                    "ticket": hall_view(ticket, place.name_vi, place.name_en, None),
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


# Every column of a new ticket, None unless issuing sets it (as an unset attribute of a
# Ticket instance would be).
_NO_TICKET: dict[str, Any] = {
    column.name: None for column in Ticket.__table__.columns if column.name != "id"
}
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
