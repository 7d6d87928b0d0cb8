"""Use cases of a ticket's life, one transaction each through a UnitOfWork:

    issuing.py    issue a number (the kiosk's path)
    calling.py    call next, call one ticket, recall, start, finish, no-show
    endings.py    transfer to another service, cancel, expire with the day
    records.py    what they share: results, the event logged, the change published
    estimates.py  today's wait estimate, its inputs read from the database

Callers import from here: `from server.services.tickets import issue_ticket`.
"""

from server.services.tickets.calling import (
    call_next,
    call_ticket,
    finish,
    mark_no_show,
    recall,
    start_serving,
)
from server.services.tickets.endings import (
    all_site_ids,
    cancel_at_counter,
    cancel_by_citizen,
    expire_leftovers,
    transfer,
)
from server.services.tickets.estimates import (
    RECENT_SERVICE_SAMPLES,
    SHARED_ESTIMATES,
    estimate_for,
    open_counter_count,
    recent_service_seconds,
    wait_estimator,
)
from server.services.tickets.issuing import issue_ticket, service_issuing_hours
from server.services.tickets.records import (
    MAX_TRANSFER_NOTE,
    IssuedTicket,
    TicketAtCounter,
    candidate,
    public_ticket,
)

__all__ = [
    "MAX_TRANSFER_NOTE",
    "RECENT_SERVICE_SAMPLES",
    "SHARED_ESTIMATES",
    "IssuedTicket",
    "TicketAtCounter",
    "all_site_ids",
    "call_next",
    "call_ticket",
    "cancel_at_counter",
    "cancel_by_citizen",
    "candidate",
    "estimate_for",
    "expire_leftovers",
    "finish",
    "issue_ticket",
    "mark_no_show",
    "open_counter_count",
    "public_ticket",
    "recall",
    "recent_service_seconds",
    "service_issuing_hours",
    "start_serving",
    "transfer",
    "wait_estimator",
]
