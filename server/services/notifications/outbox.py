"""What a change writes to the outbox: the message rows of a call, a recall or a no-show,
written in that change's own transaction. Nothing here talks to a channel: the sender
(sender.py) does, later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    Counter,
    NotificationMessage,
    NotificationSubscription,
    Site,
    Ticket,
)
from server.domain.notifications import MessageKind, MessageStatus, render
from server.domain.selection import Candidate, people_ahead
from server.domain.tickets import TicketStatus
from server.services.notifications.consent import _subscription
from server.services.notifications.settings import _template, settings_for


def candidate(ticket: Ticket) -> Candidate:
    # As server/services/tickets/records.py says it; not imported from there: the tickets
    # package imports this one, and the services' packages stay without a cycle.
    return Candidate(ticket.id, ticket.service_id, ticket.priority is not None, ticket.queued_at)


def _enqueue(
    session: Session,
    ticket: Ticket,
    subscription: NotificationSubscription,
    kind: MessageKind,
    now: datetime,
    **fields: str,
) -> None:
    site = session.get(Site, ticket.site_id)
    params = {
        "number": ticket.number,
        "site": site.name if site is not None else "",
        "token": ticket.token,
        **fields,
    }
    template = _template(session, ticket.site_id, kind, subscription.language)
    # {link} is filled by the sender, which knows the address phones reach.
    body = render(template, {k: v for k, v in params.items() if k != "link"})
    session.add(
        NotificationMessage(
            site_id=ticket.site_id,
            ticket_id=ticket.id,
            day=ticket.day,
            kind=str(kind),
            language=subscription.language,
            recipient=subscription.phone,
            body=body[:500],
            params=params,
            status=MessageStatus.PENDING,
            attempts=0,
            created_at=now,
            next_attempt_at=now,
            cost=0,
        )
    )


def on_called(session: Session, ticket: Ticket, counter: Counter, now: datetime) -> None:
    """In a call's (or recall's) transaction: tell the called citizen, and those of the
    same service now a few places from the front who have not been told yet."""
    subscription = _subscription(session, ticket.token)
    if subscription is not None:
        _enqueue(
            session, ticket, subscription, MessageKind.CALLED, now, counter=str(counter.number)
        )
    _near_turn(session, ticket, now)


def on_missed(session: Session, ticket: Ticket, now: datetime) -> None:
    """In a no-show's transaction: tell the citizen, with the rejoin link and window."""
    subscription = _subscription(session, ticket.token)
    if subscription is not None:
        minutes = settings_for(session, ticket.site_id).rejoin_minutes
        _enqueue(session, ticket, subscription, MessageKind.MISSED, now, minutes=str(minutes))


def _near_turn(session: Session, called: Ticket, now: datetime) -> None:
    subscribed = session.scalars(
        select(Ticket)
        .join(NotificationSubscription, NotificationSubscription.token == Ticket.token)
        .where(
            Ticket.site_id == called.site_id,
            Ticket.service_id == called.service_id,
            Ticket.day == called.day,
            Ticket.status == TicketStatus.WAITING,
        )
    ).all()
    if not subscribed:
        return
    near = settings_for(session, called.site_id).near_ahead
    waiting = [
        candidate(t)
        for t in session.scalars(
            select(Ticket).where(
                Ticket.site_id == called.site_id,
                Ticket.service_id == called.service_id,
                Ticket.day == called.day,
                Ticket.status == TicketStatus.WAITING,
            )
        )
    ]
    told = set(
        session.scalars(
            select(NotificationMessage.ticket_id).where(
                NotificationMessage.ticket_id.in_([t.id for t in subscribed]),
                NotificationMessage.kind == MessageKind.NEAR,
            )
        )
    )
    for ticket in subscribed:
        if ticket.id in told:
            continue
        ahead = people_ahead(candidate(ticket), waiting)
        if ahead <= near:
            subscription = _subscription(session, ticket.token)
            if subscription is not None:
                _enqueue(session, ticket, subscription, MessageKind.NEAR, now, ahead=str(ahead))
