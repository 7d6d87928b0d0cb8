"""What every ticket use case shares: the results it returns, the event it logs and
the change it publishes, and a ticket as the selection rule and the hall see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Ticket, TicketEvent
from server.domain.selection import Candidate
from server.domain.tickets import Priority, TicketStatus
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

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
    estimated_wait_minutes: int  # the median of `wait`
    # The wait told at issue, as server.services.waits.wait_json shapes it.
    wait: dict[str, Any]


@dataclass(frozen=True)
class TicketAtCounter:
    """A ticket as the counter screen needs it after an action."""

    ticket_id: int
    number: str
    status: TicketStatus
    service_id: int
    counter_number: int | None


# -- numbering ---------------------------------------------------------------------------


def candidate(ticket: Ticket) -> Candidate:
    return Candidate(
        ticket_id=ticket.id,
        service_id=ticket.service_id,
        is_priority=ticket.priority is not None,
        queued_at=ticket.queued_at,
    )


def public_ticket(ticket: Ticket, counter_number: int | None = None) -> dict[str, Any]:
    """A ticket as the hall may see it: what the board shows, nothing more."""
    return hall_view(ticket, ticket.service.name_vi, ticket.service.name_en, counter_number)


def hall_view(
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


def log_event(
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


def record_change(
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


def at_counter(ticket: Ticket, counter: Counter | None) -> TicketAtCounter:
    return TicketAtCounter(
        ticket_id=ticket.id,
        number=ticket.number,
        status=ticket.status,
        service_id=ticket.service_id,
        counter_number=counter.number if counter else None,
    )


# -- use cases ----------------------------------------------------------------------------
