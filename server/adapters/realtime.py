"""Socket.IO rooms, and how committed changes become events (who may join which room is
decided in server/web/sockets.py).

Rooms:
- ``board:<site>``    display boards, kiosks and phone pages (what the hall may see)
- ``manager:<site>``  managers' live hall
- ``counters:<site>`` every clerk screen of the site; ``counter:<id>`` one counter (its
  clerk screens and its rating tablet)
- ``ticket:<token>``  one citizen's phone page
- ``kiosk:<device>``  one kiosk's screen: how its print jobs went (``printing`` events)
- ``printer:<device>`` the print agent of that kiosk's USB or serial printer (``print`` jobs)

Every committed change is sent as a ``change`` event to the site's board, manager and
counter rooms, with the site's sequence number; the ticket concerned also gets a
``ticket`` event in its own room. Clients fetch a snapshot over HTTP when they connect,
and again when they see a gap in the sequence, so a lost event never leaves a screen wrong.

A print agent connects with ``auth={"printer": <kiosk token>, "status": ...}``, receives
``print`` events ``{job_id, data}`` (the ESC/POS bytes), answers each with ``printed``
``{job_id, ok, status, detail, size}``, and reports ``printer_status`` ``{status, detail}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from flask_socketio import SocketIO

from server.services.changes import Change

log = logging.getLogger(__name__)

socketio = SocketIO()


def board_room(site_id: int) -> str:
    return f"board:{site_id}"


def manager_room(site_id: int) -> str:
    return f"manager:{site_id}"


def counters_room(site_id: int) -> str:
    return f"counters:{site_id}"


def counter_room(counter_id: int) -> str:
    return f"counter:{counter_id}"


def ticket_room(token: str) -> str:
    return f"ticket:{token}"


def kiosk_room(device_id: int) -> str:
    return f"kiosk:{device_id}"


def printer_room(device_id: int) -> str:
    return f"printer:{device_id}"


def publish(changes: Sequence[Change]) -> None:
    """Send committed changes to their rooms. Called by the UnitOfWork after commit; a
    failure here is logged, never raised: the change is already safe in the database and
    clients will resync."""
    for change in changes:
        try:
            if change.kiosk_id is not None and change.kiosk_message:
                socketio.emit("printing", change.kiosk_message, to=kiosk_room(change.kiosk_id))
            if not change.site_wide:
                continue
            message = change.message()
            rooms = [
                board_room(change.site_id),
                manager_room(change.site_id),
                counters_room(change.site_id),
            ]
            if change.counter_id is not None:
                rooms.append(counter_room(change.counter_id))
            socketio.emit("change", message, to=rooms)
            for token in change.tokens:
                socketio.emit(
                    "ticket", {"seq": change.seq, "kind": change.kind}, to=ticket_room(token)
                )
        except Exception:  # the database already holds the truth; clients resync
            log.exception("could not publish change %s", change.kind)


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
            socketio.server.leave_room(sid, counter_room(old_counter_id), namespace="/")
        socketio.server.enter_room(sid, counter_room(counter_id), namespace="/")
