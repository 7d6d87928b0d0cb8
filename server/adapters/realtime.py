"""Socket.IO rooms, and how committed changes become events (who may join which room is
decided in server/web/sockets.py).

Rooms, and what each hears (README, "Live events", has the payloads):
- ``board:<site>``    display boards: the board's ``state``
- ``kiosks:<site>``   kiosk screens: the kiosk's ``state``
- ``manager:<site>``  managers' live hall: the hall's ``state``
- ``counters:<site>`` every clerk screen of the site; ``counter:<id>`` one counter's clerk
  screens: that counter's ``state``
- ``rating:<counter>`` that counter's rating tablet: the counter's ``change`` events only
  (the counter's state holds the clerk's waiting list, not for a screen facing citizens)
- ``service:<id>``    phone pages of that service's tickets: the service's ``queue``
- ``ticket:<token>``  one citizen's phone page: its ``ticket``
- ``kiosk:<device>``  one kiosk's screen: how its print jobs went (``printing`` events)
- ``printer:<device>`` the print agent of that kiosk's USB or serial printer (``print`` jobs)

Every committed change is also sent as a ``change`` event, with the site's sequence number,
to the rooms of the site's screens (a phone's: only changes of its service); today's pages
refetch their snapshot on it, and every screen may use it to notice a gap.

A print agent connects with ``auth={"printer": <kiosk token>, "status": ...}``, receives
``print`` events ``{job_id, data}`` (the ESC/POS bytes), answers each with ``printed``
``{job_id, ok, status, detail, size}``, and reports ``printer_status`` ``{status, detail}``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from flask_socketio import SocketIO

from server.adapters.db.engine import Database
from server.services import live_states
from server.services.changes import Change
from server.services.unit_of_work import Clock

log = logging.getLogger(__name__)

socketio = SocketIO()


def board_room(site_id: int) -> str:
    return f"board:{site_id}"


def kiosks_room(site_id: int) -> str:
    return f"kiosks:{site_id}"


def manager_room(site_id: int) -> str:
    return f"manager:{site_id}"


def counters_room(site_id: int) -> str:
    return f"counters:{site_id}"


def counter_room(counter_id: int) -> str:
    return f"counter:{counter_id}"


def rating_room(counter_id: int) -> str:
    return f"rating:{counter_id}"


def service_room(service_id: int) -> str:
    return f"service:{service_id}"


def ticket_room(token: str) -> str:
    return f"ticket:{token}"


def kiosk_room(device_id: int) -> str:
    return f"kiosk:{device_id}"


def printer_room(device_id: int) -> str:
    return f"printer:{device_id}"


# -- publishing ---------------------------------------------------------------------------


class LivePublisher:
    """The app's publisher. `UnitOfWork.commit()` hands it what was committed, and it only
    queues it: nothing of the publishing happens in the request.

    One background task (socketio.start_background_task: a green thread under eventlet, a
    thread in threading mode) drains the queue: it starts when something is queued and ends
    when nothing is left, so there is never more than one, and sites are published in
    order. A round starts `window` seconds after the oldest change it takes was handed
    over (at once if that is already past) and takes everything queued by then, so the
    changes that arrive within the window, or while a round is being computed, are
    published in one computation per site: the states of its screens
    (server/services/live_states.py) read in one session: the citizens' screens' (board,
    queues, tickets' views) first, sent with the `change` events right before them, then
    the staff's (kiosks, hall, counters). With one kiosk issuing a ticket every few
    milliseconds, or a clerk's call landing with a kiosk's ticket, the states and the
    forecast are computed once.

    A failure is logged, never raised: the change is safe in the database, and a screen
    resyncs from its snapshot when it reconnects or sees a gap in the sequence.
    """

    def __init__(self, db: Database, clock: Clock, window: float = 0.0) -> None:
        self.db = db
        self.clock = clock
        self.window = window
        self._queue: list[Change] = []
        self._oldest = 0.0  # when the oldest change of the queue was handed over (monotonic)
        self._running = False
        self._idle = threading.Condition()
        _publishers.add(self)

    def __call__(self, changes: Sequence[Change]) -> None:
        with self._idle:
            if not self._queue:
                self._oldest = time.monotonic()
            self._queue.extend(changes)
            if self._running:
                return
            self._running = True
        try:
            socketio.start_background_task(self._drain)
        except Exception:
            log.exception("could not start publishing; screens resync from their snapshots")
            with self._idle:
                self._queue.clear()
                self._running = False
                self._idle.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over so far is published (what tests wait for);
        False if it took longer than `timeout` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def _drain(self) -> None:
        while True:
            # Let the requests in flight, and those of the window, commit theirs first:
            # they join this round.
            with self._idle:
                wait = self._oldest + self.window - time.monotonic() if self._queue else 0.0
            socketio.sleep(max(0.0, min(wait, self.window)))
            with self._idle:
                batch, self._queue = self._queue, []
                if not batch:
                    self._running = False
                    self._idle.notify_all()
                    return
            try:
                self._publish(batch)
            except Exception:  # never leave the task dead with the queue marked running
                log.exception("could not publish %d changes", len(batch))

    def _publish(self, batch: list[Change]) -> None:
        by_site: dict[int, list[Change]] = {}
        for change in batch:
            by_site.setdefault(change.site_id, []).append(change)
        for site_id, changes in by_site.items():
            sent_changes = False

            def hall_ready(states: live_states.SiteStates, changes: list[Change] = changes) -> None:
                # The changes right before the first states: a screen that hears of a
                # change waits for its state only as long as the reading of the staff's
                # screens and the sending take. The citizens' screens go first.
                nonlocal sent_changes
                for change in changes:
                    _send_change(change)
                sent_changes = True
                _send_states(states)

            states = None
            site_wide = [change for change in changes if change.site_wide]
            if site_wide:
                try:
                    with self.db.reading() as session:
                        states = live_states.site_states(
                            session,
                            site_id,
                            site_wide,
                            self.clock(),
                            pause=_pauser(),
                            hall_ready=hall_ready,
                        )
                except Exception:
                    log.exception("could not read the states of site %s", site_id)
            if not sent_changes:
                for change in changes:
                    _send_change(change)
            if states is not None:
                _send_states(states, staff_only=sent_changes)


# Reading a site's states takes tens of milliseconds; under eventlet, nothing else runs
# meanwhile (the database drivers block the process), so the reading lets the requests
# that wait go on at least this often.
PAUSE_EVERY_SECONDS = 0.02


def _pauser() -> Callable[[], None]:
    last = time.monotonic()

    def pause() -> None:
        nonlocal last
        if time.monotonic() - last >= PAUSE_EVERY_SECONDS:
            socketio.sleep(0)
            last = time.monotonic()

    return pause


_publishers: weakref.WeakSet[LivePublisher] = weakref.WeakSet()


def flush(timeout: float | None = 30.0) -> bool:
    """Wait until every publisher of this process has published what it was handed."""
    return all(publisher.flush(timeout) for publisher in list(_publishers))


def _emit(event: str, payload: dict[str, Any], to: str | list[str]) -> None:
    try:
        socketio.emit(event, payload, to=to)
    except Exception:  # the database holds the truth; clients resync
        log.exception("could not send %s to %s", event, to)


def _send_change(change: Change) -> None:
    if change.kiosk_id is not None and change.kiosk_message:
        _emit("printing", change.kiosk_message, kiosk_room(change.kiosk_id))
    if not change.site_wide:
        return
    rooms = [
        board_room(change.site_id),
        kiosks_room(change.site_id),
        manager_room(change.site_id),
        counters_room(change.site_id),
        *(service_room(service_id) for service_id in change.service_ids),
    ]
    if change.counter_id is not None:
        rooms += [counter_room(change.counter_id), rating_room(change.counter_id)]
    _emit("change", change.message(), rooms)


def _send_states(states: live_states.SiteStates, staff_only: bool = False) -> None:
    """Send the citizens' screens' states (board, queues, tickets' views) unless
    `staff_only` (they went out already), then the staff's (kiosks, hall, counters)."""
    if not staff_only:
        if states.board is not None:
            _emit("state", states.board, board_room(states.site_id))
        # The queue before the tickets: a phone may hold a ticket view at the same seq.
        for service_id, queue in states.queues.items():
            _emit("queue", queue, service_room(service_id))
        for token, view in states.tickets.items():
            _emit("ticket", view, ticket_room(token))
    if states.kiosk is not None:
        _emit("state", states.kiosk, kiosks_room(states.site_id))
    if states.manager is not None:
        _emit("state", states.manager, manager_room(states.site_id))
    for counter_id, counter in states.counters.items():
        _emit("state", counter, counter_room(counter_id))


# -- connected devices --------------------------------------------------------------------
# Which device each live Socket.IO session of this worker belongs to, so that a revoked
# device can be cut off (server/web/sockets.py fills it in and watches it).

_devices: dict[str, tuple[int, str]] = {}  # Socket.IO session -> (device id, token hash)
_devices_lock = threading.Lock()


def remember_device(sid: str, device_id: int, hashed_token: str) -> None:
    with _devices_lock:
        _devices[sid] = (device_id, hashed_token)


def forget_device(sid: str) -> None:
    with _devices_lock:
        _devices.pop(sid, None)


def connected_devices() -> dict[str, tuple[int, str]]:
    with _devices_lock:
        return dict(_devices)


def disconnect_device(device_id: int) -> None:
    """Close this worker's live connections of a device (after its revocation)."""
    with _devices_lock:
        sids = [sid for sid, (device, _) in _devices.items() if device == device_id]
    for sid in sids:
        socketio.server.disconnect(sid, namespace="/")


def move_rating_tablet(device_id: int, old_counter_id: int | None, counter_id: int) -> None:
    """A rating tablet given another counter follows that counter from now on (its
    connections on this worker; on another worker, from its next reconnection)."""
    with _devices_lock:
        sids = [sid for sid, (device, _) in _devices.items() if device == device_id]
    for sid in sids:
        if old_counter_id is not None:
            socketio.server.leave_room(sid, rating_room(old_counter_id), namespace="/")
        socketio.server.enter_room(sid, rating_room(counter_id), namespace="/")


# -- connected staff ----------------------------------------------------------------------
# Which account, at which session version, each live Socket.IO session of a clerk's or a
# manager's screen belongs to, so that a session that ends (sign-out, password reset,
# deactivation, a change of role or counters) is cut off at once.

_staff: dict[str, tuple[int, int]] = {}  # Socket.IO session -> (user id, session version)


def remember_staff(sid: str, user_id: int, session_version: int) -> None:
    with _devices_lock:
        _staff[sid] = (user_id, session_version)


def forget_staff(sid: str) -> None:
    with _devices_lock:
        _staff.pop(sid, None)


def connected_staff() -> dict[str, tuple[int, int]]:
    with _devices_lock:
        return dict(_staff)


def disconnect_staff(user_ids: set[int]) -> None:
    """Close this worker's live connections of these accounts (their sessions ended)."""
    with _devices_lock:
        sids = [sid for sid, (user, _) in _staff.items() if user in user_ids]
    for sid in sids:
        socketio.server.disconnect(sid, namespace="/")
