"""Loading the rows a use case acts on, and refusing what the actor may not do."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Service, Site, Ticket, User
from server.domain.errors import CounterBusy, Forbidden, NotFound, Unauthorized
from server.domain.roles import Role
from server.domain.tickets import TicketStatus


def get_site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"Không có điểm phục vụ số {site_id}.", f"There is no site {site_id}.")
    return site


def site_zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def get_service(session: Session, service_id: int, site_id: int | None = None) -> Service:
    service = session.get(Service, service_id)
    if service is None or (site_id is not None and service.site_id != site_id):
        raise NotFound(
            f"Không có lĩnh vực số {service_id} ở điểm này.",
            f"There is no service {service_id} at this site.",
        )
    return service


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise Unauthorized("Vui lòng đăng nhập lại.", "Please sign in again.")
    return user


def can_work_at(user: User, counter: Counter) -> bool:
    """Admins may act at any counter; a clerk only at the counters assigned to them."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.CLERK and any(c.id == counter.id for c in user.counters)


def counter_for_user(
    session: Session, counter_id: int, user_id: int, lock: bool = False
) -> Counter:
    """The counter, if the user may work at it; Forbidden otherwise.

    With `lock`, the counter's row stays locked until the transaction ends (PostgreSQL;
    SQLite's write transaction already excludes everyone): two screens of one counter act
    one after the other, so a double tap never calls two citizens to one desk.
    """
    counter = session.get(Counter, counter_id, with_for_update=lock, populate_existing=lock)
    if counter is None:
        raise NotFound(f"Không có quầy mã {counter_id}.", f"There is no counter {counter_id}.")
    user = get_user(session, user_id)
    if not can_work_at(user, counter):
        raise Forbidden(
            f"Bạn không được phân công làm việc ở quầy số {counter.number}.",
            f"You are not assigned to counter {counter.number}.",
        )
    return counter


ACTIVE_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING)
_HELD = "active_tickets"  # Session.info: (site id, {counter id: its current ticket})


def hold_active_tickets(session: Session, site_id: int) -> None:
    """Read the current ticket of every counter of a site in one query, for a read-only
    session that builds many views of that site (the live states, whose board, hall and
    clerks' screens each ask for every counter's): `active_ticket` then answers from it,
    without a query per counter, until `forget_active_tickets`. A session that changes
    tickets must never hold them: they are not read again."""
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.site_id == site_id,
            Ticket.status.in_(ACTIVE_STATUSES),
            Ticket.counter_id.is_not(None),
        )
    ).all()
    held: dict[int, Ticket] = {}
    for ticket in tickets:
        held.setdefault(ticket.counter_id or 0, ticket)
    session.info[_HELD] = (site_id, held)


def forget_active_tickets(session: Session) -> None:
    session.info.pop(_HELD, None)


def active_ticket(session: Session, counter: Counter, lock: bool = False) -> Ticket | None:
    """The ticket called to or being served at the counter, if any (there is at most one).

    With `lock`, its row is locked and read afresh, so a change committed meanwhile (the
    citizen cancelling from the phone) is seen, never overwritten. Without, from what
    `hold_active_tickets` read, if the session holds the counter's site.
    """
    if not lock:
        held: tuple[int, dict[int, Ticket]] | None = session.info.get(_HELD)
        if held is not None and held[0] == counter.site_id:
            return held[1].get(counter.id)
    query = select(Ticket).where(
        Ticket.counter_id == counter.id,
        Ticket.status.in_(ACTIVE_STATUSES),
    )
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    return session.scalars(query).first()


def require_active_ticket(session: Session, counter: Counter, ticket_id: int | None) -> Ticket:
    """The counter's current ticket, locked for the change to come; if the screen named
    one, it must be that one, so a stale screen never acts on a ticket it does not show."""
    ticket = active_ticket(session, counter, lock=True)
    if ticket is None:
        raise CounterBusy(
            f"Quầy số {counter.number} chưa gọi số nào.",
            f"Counter {counter.number} has no ticket called.",
        )
    if ticket_id is not None and ticket.id != ticket_id:
        raise CounterBusy(
            f"Số đang ở quầy số {counter.number} là {ticket.number}, không phải số bạn chọn.",
            f"The ticket at counter {counter.number} is {ticket.number}, not the one chosen.",
        )
    return ticket


def open_ticket_by_token(session: Session, token: str, lock: bool = False) -> Ticket:
    """The citizen's current ticket for a phone token (a transfer keeps the token); with
    `lock`, its row is locked and read afresh for a change."""
    query = select(Ticket).where(Ticket.token == token).order_by(Ticket.id.desc()).limit(1)
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    ticket = session.scalars(query).first()
    if ticket is None:
        raise NotFound("Không tìm thấy số thứ tự này.", "This ticket was not found.")
    return ticket


def may_handle_ticket(user: User, ticket: Ticket) -> bool:
    """Admins may see and reprint any ticket, managers those of their sites, a clerk those
    of the services of the counters they work at. (A ticket's paper carries its QR code,
    the citizen's phone token: another site's staff has no business with it.)"""
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.MANAGER:
        return any(site.id == ticket.site_id for site in user.sites)
    return any(
        link.service_id == ticket.service_id
        for counter in user.counters
        for link in counter.service_links
    )
