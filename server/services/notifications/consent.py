"""The citizen's consent: a phone number given for one ticket and one day, with an
explicit yes. It is deleted when the citizen takes it back, or with the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.adapters.db.models import NotificationMessage, NotificationSubscription, Ticket
from server.domain.errors import InvalidInput, WrongTicketState
from server.domain.notifications import CONSENT_PURPOSE, MessageStatus, masked, normalize_phone
from server.domain.tickets import TicketStatus
from server.services.access import open_ticket_by_token
from server.services.notifications.settings import LANGUAGES
from server.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Subscribed:
    number: str
    phone_masked: str
    language: str


def subscribe(uow: UnitOfWork, token: str, phone: str, consent: bool, language: str) -> Subscribed:
    """The citizen asks to be told about their turn on this phone number. Consent is an
    explicit yes (never assumed); the number is kept for this ticket and this day only."""
    if consent is not True:
        raise InvalidInput(
            "Hãy đánh dấu ô đồng ý để nhận tin nhắn: " + CONSENT_PURPOSE[0],
            "Tick the consent box to get messages: " + CONSENT_PURPOSE[1],
        )
    normalized = normalize_phone(phone)
    if language not in LANGUAGES:
        language = "vi"
    with uow:
        session = uow.session
        ticket = open_ticket_by_token(session, token, lock=True)
        if not TicketStatus(ticket.status).is_open and ticket.status != TicketStatus.NO_SHOW:
            raise WrongTicketState(
                f"Số {ticket.number} đã kết thúc: không còn tin nhắn nào để gửi.",
                f"Ticket {ticket.number} is over: there is nothing left to tell.",
            )
        row = session.scalar(
            select(NotificationSubscription).where(NotificationSubscription.token == token)
        )
        if row is None:
            row = NotificationSubscription(site_id=ticket.site_id, token=token, day=ticket.day)
            session.add(row)
        row.phone = normalized
        row.language = language
        row.consented_at = uow.clock()
        uow.commit()
    return Subscribed(number=ticket.number, phone_masked=masked(normalized), language=language)


def unsubscribe(uow: UnitOfWork, token: str) -> bool:
    """The citizen takes their number back: it is deleted now, with unsent messages."""
    with uow:
        session = uow.session
        open_ticket_by_token(session, token)  # 404 for an unknown token
        removed = _forget_tokens(session, [token])
        uow.commit()
    return removed > 0


def forget_closed_day(session: Session, site_id: int, today: date, day_over: bool) -> int:
    """Delete the phone numbers of tickets whose day is over: every earlier day's, and
    today's once closing time has passed and the ticket is closed. Runs inside the
    closing-time sweep's transaction (tickets.expire_leftovers). Returns how many."""
    subscriptions = session.scalars(
        select(NotificationSubscription).where(
            NotificationSubscription.site_id == site_id, NotificationSubscription.day <= today
        )
    ).all()
    tokens = []
    for row in subscriptions:
        if row.day < today:
            tokens.append(row.token)
        elif day_over:
            latest = session.scalar(
                select(Ticket.status)
                .where(Ticket.token == row.token)
                .order_by(Ticket.id.desc())
                .limit(1)
            )
            if latest is None or not TicketStatus(latest).is_open:
                tokens.append(row.token)
    return _forget_tokens(session, tokens)


def _forget_tokens(session: Session, tokens: list[str]) -> int:
    if not tokens:
        return 0
    ticket_ids = select(Ticket.id).where(Ticket.token.in_(tokens)).scalar_subquery()
    # Unsent messages go with the number; the rest keep their figures, not the number.
    session.execute(
        update(NotificationMessage)
        .where(
            NotificationMessage.ticket_id.in_(ticket_ids),
            NotificationMessage.status == MessageStatus.PENDING,
        )
        .values(status=MessageStatus.STALE)
    )
    session.execute(
        update(NotificationMessage)
        .where(NotificationMessage.ticket_id.in_(ticket_ids))
        .values(recipient=None)
    )
    done = session.execute(
        delete(NotificationSubscription).where(NotificationSubscription.token.in_(tokens))
    )
    return int(getattr(done, "rowcount", 0) or 0)


def _subscription(session: Session, token: str) -> NotificationSubscription | None:
    return session.scalar(
        select(NotificationSubscription).where(NotificationSubscription.token == token)
    )
