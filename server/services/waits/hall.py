"""The hall and its history, from the database: a site now as the predictor sees it
(`read_hall`), and the habits learned from its recent past (`learn_habits`, from
`past_tickets` and `past_pauses`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from server.adapters.db.models import Counter, CounterPause, Service, Site, Ticket
from server.domain.numbering import local_day
from server.domain.prediction import (
    AtCounter,
    CounterNow,
    Habits,
    Hall,
    Hours,
    PastPause,
    PastTicket,
    learn,
)
from server.domain.roles import CounterState
from server.domain.selection import Candidate
from server.domain.tickets import TicketStatus
from server.services.access import site_zone

# Habits are learned from this many days of a site's history (tickets and pauses), and
# learned again as forecasts.py says.
HISTORY_DAYS = 56


def site_hours(site: Site) -> Hours:
    """The site's calling hours, with its lunch break when both ends are set."""
    lunch = (site.lunch_starts_at, site.lunch_ends_at)
    if None in lunch:
        lunch = (None, None)
    return Hours(site.opens_at, site.closes_at, site_zone(site), *lunch)


def read_hall(session: Session, site: Site, now: datetime) -> Hall:
    """The site now, for the predictor: today's waiting tickets, each counter with its
    state (a paused one since its pause began), services, streak and current ticket,
    the active services to quote, and how many citizens came today so far."""
    today = local_day(now, site_zone(site))
    waiting = [
        Candidate(r.id, r.service_id, r.priority is not None, r.queued_at)
        for r in session.execute(
            select(Ticket.id, Ticket.service_id, Ticket.priority, Ticket.queued_at).where(
                Ticket.site_id == site.id,
                Ticket.status == TicketStatus.WAITING,
                Ticket.day == today,
            )
        )
    ]
    current = {
        r.counter_id: AtCounter(r.service_id, r.first_called_at or r.called_at, r.started_at)
        for r in session.execute(
            select(
                Ticket.counter_id,
                Ticket.service_id,
                Ticket.first_called_at,
                Ticket.called_at,
                Ticket.started_at,
            ).where(
                Ticket.site_id == site.id,
                Ticket.status.in_([TicketStatus.CALLED, TicketStatus.SERVING]),
            )
        )
        if r.called_at is not None and r.counter_id is not None
    }
    paused_since = dict(
        session.execute(
            select(CounterPause.counter_id, func.max(CounterPause.started_at))
            .where(CounterPause.site_id == site.id, CounterPause.ended_at.is_(None))
            .group_by(CounterPause.counter_id)
        ).all()
    )
    counters = [
        CounterNow(
            counter_id=c.id,
            state=CounterState(c.state),
            service_rank=c.service_rank,
            priority_streak=c.priority_streak,
            current=current.get(c.id),
            state_since=paused_since.get(c.id, c.state_changed_at)
            if c.state == CounterState.PAUSED
            else c.state_changed_at,
        )
        for c in session.scalars(
            select(Counter)
            .where(Counter.site_id == site.id)
            .options(selectinload(Counter.service_links))
        )
    ]
    services = session.execute(
        select(Service.id, Service.expected_minutes).where(
            Service.site_id == site.id, Service.active.is_(True)
        )
    ).all()
    issued_today = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.site_id == site.id, Ticket.day == today, Ticket.transferred_from_id.is_(None)
        )
    )
    return Hall(
        now=now,
        hours=site_hours(site),
        max_priority_streak=site.max_priority_streak,
        waiting=waiting,
        counters=counters,
        quoted_services=[s.id for s in services],
        expected_minutes={s.id: s.expected_minutes for s in services},
        issued_today=issued_today or 0,
    )


def past_tickets(
    session: Session, site_id: int, since: date, until: date | None = None
) -> list[PastTicket]:
    """The site's tickets of the days from `since` (up to, not including, `until`), as
    the learner reads them."""
    query = select(
        Ticket.service_id,
        Ticket.priority,
        Ticket.issued_at,
        Ticket.status,
        Ticket.transferred_from_id,
        Ticket.counter_id,
        Ticket.first_called_at,
        Ticket.started_at,
        Ticket.ended_at,
    ).where(Ticket.site_id == site_id, Ticket.day >= since)
    if until is not None:
        query = query.where(Ticket.day < until)
    return [
        PastTicket(
            service_id=r.service_id,
            is_priority=r.priority is not None,
            issued_at=r.issued_at,
            status=TicketStatus(r.status),
            transferred_in=r.transferred_from_id is not None,
            counter_id=r.counter_id,
            first_called_at=r.first_called_at,
            started_at=r.started_at,
            ended_at=r.ended_at,
        )
        for r in session.execute(query)
    ]


def past_pauses(session: Session, site_id: int, since: datetime) -> list[PastPause]:
    """The site's counter pauses that began after `since` and have ended."""
    rows = session.execute(
        select(CounterPause.counter_id, CounterPause.started_at, CounterPause.ended_at).where(
            CounterPause.site_id == site_id,
            CounterPause.started_at >= since,
            CounterPause.ended_at.is_not(None),
        )
    )
    return [PastPause(r.counter_id, r.started_at, r.ended_at) for r in rows]


def learn_habits(session: Session, site: Site, now: datetime) -> Habits:
    """The site's habits from its last HISTORY_DAYS days of tickets and pauses."""
    today = local_day(now, site_zone(site))
    since = today - timedelta(days=HISTORY_DAYS)
    expected = {s.id: s.expected_minutes for s in site.services}
    return learn(
        past_tickets(session, site.id, since),
        expected,
        site_zone(site),
        past_pauses(session, site.id, now - timedelta(days=HISTORY_DAYS)),
    )
