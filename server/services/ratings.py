"""Satisfaction ratings: a citizen's answer on the rating tablet of the counter that served
them, and what that tablet shows.

A rating tablet is a device of kind RATING that belongs to one counter. When the counter
finishes a ticket, the tablet asks that citizen for one of four answers (see
server.domain.statistics.Rating). The answer is stored against the ticket (one per ticket),
the counter and the clerk who served, never anything about the citizen, and counted into
the statistics in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Device, Site, Ticket, TicketRating
from server.domain.errors import (
    AlreadyRated,
    Forbidden,
    NotFound,
    RatingClosed,
    Unauthorized,
    WrongTicketState,
)
from server.domain.numbering import local_day
from server.domain.roles import DeviceKind
from server.domain.statistics import Rating
from server.domain.tickets import TicketStatus
from server.services import statistics
from server.services.access import site_zone
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

# How long after its finish a ticket can still be rated: see rate_ticket.
RATING_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class RatedTicket:
    """What the tablet hears back after a tap."""

    ticket_id: int
    number: str
    rating: Rating
    counter_number: int
    at: datetime


def tablet_counter(session: Session, device_id: int) -> tuple[Device, Counter]:
    """The rating tablet and the counter it belongs to; Unauthorized for a revoked device,
    Forbidden for a device that is not a rating tablet of a counter of its own site."""
    device = session.get(Device, device_id)
    if device is None or not device.active:
        raise Unauthorized(
            "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.",
            "The device token is invalid or has been revoked.",
        )
    if device.kind != DeviceKind.RATING:
        raise Forbidden(
            "Thiết bị này không phải máy đánh giá mức độ hài lòng.",
            "This device is not a rating tablet.",
        )
    counter = session.get(Counter, device.counter_id) if device.counter_id is not None else None
    if counter is None or counter.site_id != device.site_id:
        raise Forbidden(
            "Máy đánh giá này chưa được gắn với quầy nào của điểm phục vụ.",
            "This rating tablet belongs to no counter of its site.",
        )
    return device, counter


def _within_window(ticket: Ticket, now: datetime) -> bool:
    return ticket.ended_at is not None and now - ticket.ended_at <= RATING_WINDOW


def _is_rated(session: Session, ticket_id: int) -> bool:
    return (
        session.scalar(select(TicketRating.id).where(TicketRating.ticket_id == ticket_id))
        is not None
    )


def rate_ticket(uow: UnitOfWork, device_id: int, ticket_id: int, rating: Rating) -> RatedTicket:
    """Store a citizen's rating of the ticket just served at the tablet's counter.

    The ticket must be done, at this tablet's counter, not rated yet, and finished at most
    RATING_WINDOW (15 minutes) ago. The tablet asks right after the finish and gives up
    after a minute, so a real answer comes within a minute or two; 15 minutes leaves room
    for a citizen who lingers and for a tablet that resyncs after a short network outage,
    while a tablet (or a leaked token) cannot fill in ratings for the day's earlier
    tickets, nor a clerk "catch up" on their own figures at the end of the day.

    The ticket's row is locked first, so two taps for one ticket (two tablets, a double
    tap) are one after the other: the second sees the first rating and is refused.
    """
    with uow:
        session = uow.session
        device, counter = tablet_counter(session, device_id)
        ticket = session.get(
            Ticket, ticket_id, with_for_update={"key_share": True}, populate_existing=True
        )
        if ticket is None or ticket.site_id != counter.site_id:
            raise NotFound(
                f"Không có số mã {ticket_id} ở điểm này.",
                f"There is no ticket {ticket_id} at this site.",
            )
        if ticket.counter_id != counter.id:
            raise Forbidden(
                f"Số {ticket.number} không được phục vụ ở quầy số {counter.number}.",
                f"Ticket {ticket.number} was not served at counter {counter.number}.",
            )
        if ticket.status != TicketStatus.DONE:
            raise WrongTicketState(
                f"Số {ticket.number} chưa được phục vụ xong: chỉ đánh giá được sau khi hoàn thành.",
                f"Ticket {ticket.number} has not been finished: it can be rated once served.",
            )
        if _is_rated(session, ticket.id):
            raise AlreadyRated(
                f"Số {ticket.number} đã được đánh giá: mỗi lượt chỉ đánh giá một lần.",
                f"Ticket {ticket.number} has already been rated: one rating per ticket.",
            )
        now = uow.clock()
        if not _within_window(ticket, now):
            minutes = int(RATING_WINDOW.total_seconds() // 60)
            raise RatingClosed(
                f"Số {ticket.number} đã xong hơn {minutes} phút trước: không thể đánh giá nữa.",
                f"Ticket {ticket.number} was finished over {minutes} minutes ago: "
                "it can no longer be rated.",
            )
        row = TicketRating(
            ticket_id=ticket.id,
            site_id=ticket.site_id,
            counter_id=counter.id,
            clerk_id=ticket.clerk_id,
            device_id=device.id,
            rating=rating,
            at=now,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError as error:  # the unique ticket_id, should a lock ever be missed
            raise AlreadyRated(
                f"Số {ticket.number} đã được đánh giá: mỗi lượt chỉ đánh giá một lần.",
                f"Ticket {ticket.number} has already been rated: one rating per ticket.",
            ) from error
        statistics.ticket_rated(session, uow.dialect, ticket, row)
        # Site-wide, so the managers' screens hear it; the answer itself is not public.
        uow.record(
            Change(
                site_id=ticket.site_id,
                kind="ticket_rated",
                counter_id=counter.id,
                public={"counter": {"id": counter.id, "number": counter.number}},
            )
        )
        result = RatedTicket(ticket.id, ticket.number, rating, counter.number, now)
        uow.commit()
    return result


def tablet_state(session: Session, device_id: int, now: datetime) -> dict[str, Any]:
    """The rating tablet's snapshot: its counter, and the ticket to ask about, if any: the
    counter's last finished ticket, if it was finished within RATING_WINDOW and is not
    rated yet. `finished_seconds_ago` lets the tablet ask only for the first minute."""
    _, counter = tablet_counter(session, device_id)
    site = counter.site
    seq = session.scalar(select(Site.event_seq).where(Site.id == site.id)) or 0
    earliest_day = local_day(now - RATING_WINDOW, site_zone(site))
    last = session.scalars(
        select(Ticket)
        .where(
            Ticket.site_id == site.id,
            Ticket.day >= earliest_day,
            Ticket.counter_id == counter.id,
            Ticket.status == TicketStatus.DONE,
        )
        .order_by(Ticket.ended_at.desc(), Ticket.id.desc())
        .limit(1)
    ).first()
    ticket = None
    if (
        last is not None
        and last.ended_at is not None
        and _within_window(last, now)
        and not _is_rated(session, last.id)
    ):
        ticket = {
            "id": last.id,
            "number": last.number,
            "service_name_vi": last.service.name_vi,
            "service_name_en": last.service.name_en,
            "finished_at": last.ended_at.isoformat(),
            "finished_seconds_ago": max(0, int((now - last.ended_at).total_seconds())),
        }
    return {
        "seq": seq,
        "site": {"id": site.id, "name": site.name, "timezone": site.timezone},
        "counter": {"id": counter.id, "number": counter.number, "label": counter.label},
        "window_minutes": int(RATING_WINDOW.total_seconds() // 60),
        "ticket": ticket,
    }
