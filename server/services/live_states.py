"""What each kind of screen is told after a batch of committed changes at one site.

The publisher (server/adapters/realtime.py) computes these once per site per batch, in one
read session, and pushes them into the screens' rooms, where they are applied as they are:
no screen asks the server again. Each state is exactly its screen's snapshot (the read
models of snapshots.py), labelled with the site's `seq` read before anything else, so that
its data is at least as new as its label, as with a snapshot fetched over HTTP. The phones'
queue of one service is new here: every waiting ticket's people ahead and wait, computed
in one pass, whatever the length of the queue.

The site's wait forecast (server/services/waits/) is computed here, once per batch:
every view of the batch reads the same one (pinned to the session), and this worker keeps
it for the snapshots fetched until the next change. The quotes whose promise moved are
stored then too (waits.record_moved_quotes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from server.adapters.db.models import Counter, Service, Site, Ticket
from server.domain.announce import announcement_clips
from server.domain.selection import Candidate, queue_key
from server.domain.tickets import TicketStatus
from server.services import snapshots, waits
from server.services.access import forget_active_tickets, get_site, hold_active_tickets
from server.services.admin.common import CONFIG_CHANGED
from server.services.changes import Change

log = logging.getLogger(__name__)

State = dict[str, Any]
T = TypeVar("T")

# A ticket issued in this batch and changed by nothing else in it gets no phone view: its
# page cannot have joined its room yet (its token was only just given out), and a page
# fetches its snapshot when it connects.
ISSUED = "ticket_issued"


@dataclass
class SiteStates:
    """The states of one site after a batch: the board's, the kiosks', the managers' hall,
    each concerned counter's (by id), each concerned service's queue (by id) and each
    concerned ticket's phone view (by phone token). A state whose read failed is missing."""

    site_id: int
    seq: int
    board: State | None = None
    kiosk: State | None = None
    manager: State | None = None
    counters: dict[int, State] = field(default_factory=dict)
    queues: dict[int, State] = field(default_factory=dict)
    tickets: dict[str, State] = field(default_factory=dict)


def board_state(session: Session, site_id: int, now: datetime) -> State:
    """The board's snapshot, with the clips its voice reads each recent call with: what
    GET /api/board/snapshot answers."""
    board = snapshots.board(session, site_id, now)
    for call in board["recent_calls"]:
        call["clips"] = _clips(call["number"], call["counter_number"])
    return board


def _clips(number: str, counter_number: int) -> list[str]:
    """The clips the board plays for a call; none (the call is only shown) for a number
    the voice cannot read."""
    try:
        return announcement_clips(number, counter_number)
    except ValueError:
        return []


def service_queue(session: Session, service: Service, seq: int, now: datetime) -> State:
    """Every waiting ticket of a service, by its number (public: the board shows it), as
    [people ahead, median, low, high] (minutes; high None: perhaps not before closing):
    the same figures as each ticket's phone snapshot, from one read of the queue and the
    site's forecast; and the wait of a ticket issued now, as on the kiosk."""
    rows = session.execute(
        select(Ticket.id, Ticket.number, Ticket.priority, Ticket.queued_at).where(
            Ticket.service_id == service.id, Ticket.status == TicketStatus.WAITING
        )
    ).all()
    # The queue's own order is total (the ticket id breaks ties), so a ticket's place in
    # it is the number of people ahead of it (server/domain/selection.py's people_ahead).
    ordered = sorted(
        rows,
        key=lambda row: queue_key(
            Candidate(row.id, service.id, row.priority is not None, row.queued_at)
        ),
    )
    site = service.site
    forecast = waits.site_forecast(session, site, seq, now)
    normal, priority = waits.service_waits(forecast, site, service.id, now)
    tickets = {}
    for ahead, row in enumerate(ordered):
        wait = waits.ticket_wait(forecast, site, row.id, service.id, row.priority is not None, now)
        tickets[row.number] = [ahead, wait.median, wait.low, wait.high]
    return {
        "seq": seq,
        "site_id": service.site_id,
        "service_id": service.id,
        "estimated_wait_minutes": normal.median,
        "wait": waits.wait_json(normal),
        "priority_wait": waits.wait_json(priority),
        "tickets": tickets,
    }


def site_states(
    session: Session,
    site_id: int,
    changes: Sequence[Change],
    now: datetime,
    pause: Callable[[], object] = lambda: None,
    hall_ready: Callable[[SiteStates], object] = lambda states: None,
) -> SiteStates:
    """The states a batch of committed site-wide changes at one site calls for (by the
    centre's clock, `now`): the board's, the kiosks' and the hall's always; those of the
    counters and queues of the services the changes name, and of the counters they name;
    every counter's and queue after an administrator's change, or one that names neither
    (a notice, a printer); the phone view of every ticket they concern, but for one they
    only issued (`ISSUED`). `pause` is called between two reads: the publisher lets the
    requests waiting for the process go on there. The citizens' screens are read first
    (the board, the queues, the tickets' views) and handed to `hall_ready` as soon as they
    are, so the publisher sends them before it reads the staff's (kiosks, hall, counters).

    The views are read in one session, all with the site's forecast at `seq`, computed
    once here (unless this worker has it already), and the counters' current tickets
    read once for all of them; then the quotes that moved are stored."""
    waits.pin(session)
    seq = session.scalar(select(Site.event_seq).where(Site.id == site_id)) or 0
    # The site with every counter's services, in two queries, not one per counter: which
    # counters a change concerns, and each counter's view, read them.
    site = session.scalars(
        select(Site)
        .where(Site.id == site_id)
        .options(selectinload(Site.counters).selectinload(Counter.service_links))
    ).first() or get_site(session, site_id)
    services, counter_ids = _concerned(site, changes)
    tokens = dict.fromkeys(
        token for change in changes if change.kind != ISSUED for token in change.tokens
    )
    hold_active_tickets(session, site_id)

    def read(what: str, state: Callable[..., T], *args: Any) -> T | None:
        pause()
        try:
            return state(session, *args)
        except Exception:  # that screen resyncs by itself; the others still get theirs
            log.exception("could not read the %s state of site %s", what, site_id)
            # A new transaction may see newer rows: the held tickets would be older.
            forget_active_tickets(session)
            session.rollback()
            return None

    states = SiteStates(site_id, seq)
    read("forecast", _forecast_and_moved_quotes, site, seq, now)
    states.board = read("board", board_state, site_id, now)
    for service in services:
        queue = read("queue", service_queue, service, seq, now)
        if queue is not None:
            states.queues[service.id] = queue
    for token in tokens:
        view = read("ticket", snapshots.ticket, token, now)
        if view is not None:
            states.tickets[token] = view
    _at_seq(seq, states.board, *states.tickets.values())
    hall_ready(states)
    states.kiosk = read("kiosk", snapshots.kiosk, site_id, now)
    states.manager = read("hall", snapshots.manager, site_id, now)
    for counter_id in counter_ids:
        counter = read("counter", snapshots.counter, counter_id, now)
        if counter is not None:
            states.counters[counter_id] = counter
    forget_active_tickets(session)
    _at_seq(seq, states.kiosk, states.manager, *states.counters.values())
    return states


def _at_seq(seq: int, *views: State | None) -> None:
    # Each read model read `seq` again; the first reading is the one all the data is at
    # least as new as (one session: later reads may reuse rows loaded since).
    for view in views:
        if view is not None:
            view["seq"] = seq


def _forecast_and_moved_quotes(session: Session, site: Site, seq: int, now: datetime) -> int:
    """The site's forecast at `seq` (pinned for the batch's views), and the moved quotes
    stored (how many)."""
    forecast = waits.site_forecast(session, site, seq, now, waits.HABITS_MAX_AGE)
    return waits.record_moved_quotes(session, site, seq, forecast)


def _concerned(site: Site, changes: Sequence[Change]) -> tuple[list[Service], list[int]]:
    """The services whose queues, and the counters whose screens, the changes may alter.
    An administrator's change may alter any of them (a renamed service is in every
    counter's list of services to transfer to)."""
    if any(
        change.kind == CONFIG_CHANGED or (not change.service_ids and change.counter_id is None)
        for change in changes
    ):
        return list(site.services), sorted(counter.id for counter in site.counters)
    service_ids = {service_id for change in changes for service_id in change.service_ids}
    counter_ids = {change.counter_id for change in changes if change.counter_id is not None}
    counter_ids |= {
        counter.id for counter in site.counters if service_ids & counter.service_rank.keys()
    }
    return [s for s in site.services if s.id in service_ids], sorted(counter_ids)
