"""The former wait estimate (server/domain/estimate.py: people ahead x mean of the last 20
service times / open counters), its inputs read from the database, once per service and
read session. The screens show the predictor's waits now (server/services/waits/); this
stays for the benchmark's "today's rule" (bench/eta.py) and a reprinted paper ticket
(server/services/printing/content.py), and `open_counter_count` for the managers' hall."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, CounterService, Service, Ticket
from server.domain.estimate import estimate_wait_minutes
from server.domain.roles import CounterState
from server.domain.tickets import TicketStatus

RECENT_SERVICE_SAMPLES = 20


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
