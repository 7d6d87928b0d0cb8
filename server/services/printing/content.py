"""What a ticket's paper says: its number, its place in the queue and estimate as of now,
its phone page's address; a sample for test prints; the preview staff see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Device, Site, Ticket
from server.adapters.printing.ticket_layout import TicketContent
from server.adapters.printing.ticket_wait import TicketWait
from server.domain.errors import Forbidden, NotFound
from server.domain.printing import WIDTH_80MM
from server.domain.selection import people_ahead
from server.domain.tickets import PRIORITY_LABELS, TicketStatus
from server.services import waits
from server.services.access import get_site, get_user, may_handle_ticket, site_zone
from server.services.tickets import candidate, estimate_for

Link = Callable[[str], str]  # a ticket's phone token -> the address its QR code encodes

TEST_NUMBER = "A000"
TEST_SERVICE = "IN THỬ – Test print"
TEST_CLOSING = "Bản in thử, không dùng để xếp hàng"


def ticket_content(session: Session, ticket: Ticket, link: Link) -> TicketContent:
    """What the paper of `ticket` says now: its queue position and estimate as of this
    moment, its issue time in the centre's clock, its phone page's address."""
    site = get_site(session, ticket.site_id)
    ahead = 0
    wait = None
    if ticket.status == TicketStatus.WAITING:
        waiting = session.scalars(
            select(Ticket).where(
                Ticket.service_id == ticket.service_id, Ticket.status == TicketStatus.WAITING
            )
        ).all()
        ahead = people_ahead(candidate(ticket), (candidate(t) for t in waiting))
        # The range its phone page shows now (server/services/snapshots.py's ticket).
        now = datetime.now(UTC)
        forecast = waits.site_forecast(session, site, site.event_seq, now)
        shown = waits.ticket_wait(
            forecast, site, ticket.id, ticket.service_id, ticket.priority is not None, now
        )
        wait = TicketWait.of(waits.wait_json(shown))
    return TicketContent(
        centre=site.name,
        service=ticket.service.name_vi,
        number=ticket.number,
        issued_at=ticket.issued_at.astimezone(site_zone(site)),
        phone_url=link(ticket.token),
        people_ahead=ahead,
        estimated_wait_minutes=estimate_for(session, ticket.service, ahead),
        priority=PRIORITY_LABELS[ticket.priority][0] if ticket.priority else None,
        wait=wait,
    )


def sample_content(site: Site, now: datetime, home_url: str) -> TicketContent:
    """A sample ticket for a test print: the real centre, an obviously unreal number."""
    return TicketContent(
        centre=site.name,
        service=TEST_SERVICE,
        number=TEST_NUMBER,
        issued_at=now.astimezone(site_zone(site)),
        phone_url=home_url,
        people_ahead=0,
        estimated_wait_minutes=0,
        priority=None,
        closing_line=TEST_CLOSING,
    )


def preview(
    session: Session, user_id: int, ticket_id: int, link: Link
) -> tuple[TicketContent, int]:
    """The content of a ticket's paper and the width of the printer that issued it (80 mm
    if none), for staff who may handle the ticket."""
    ticket = ticket_for(session, user_id, ticket_id)
    device = session.get(Device, ticket.device_id) if ticket.device_id else None
    width = device.printer_width if device is not None else WIDTH_80MM
    return ticket_content(session, ticket, link), width


def ticket_for(session: Session, user_id: int, ticket_id: int) -> Ticket:
    user = get_user(session, user_id)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"Không có số mã {ticket_id}.", f"There is no ticket {ticket_id}.")
    if not may_handle_ticket(user, ticket):
        raise Forbidden(
            f"Bạn không phụ trách lĩnh vực của số {ticket.number}.",
            f"You do not work for the service of ticket {ticket.number}.",
        )
    return ticket
