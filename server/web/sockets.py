"""Socket.IO entry points: who joins which room on connect, and the print agents' messages.

The rooms and how committed changes reach them are in server/adapters/realtime.py.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy import select

from server.adapters.db.models import Device, User
from server.adapters.realtime import (
    board_room,
    connected_devices,
    connected_staff,
    counter_room,
    counters_room,
    disconnect_staff,
    forget_device,
    forget_staff,
    kiosk_room,
    kiosks_room,
    manager_room,
    printer_room,
    rating_room,
    remember_device,
    remember_staff,
    service_room,
    socketio,
    ticket_room,
)
from server.domain.errors import DomainError
from server.domain.printing import PrinterStatus
from server.domain.roles import DeviceKind
from server.runtime import runtime
from server.services import counters, devices, printing, ratings, sessions
from server.services.access import counter_for_user, open_ticket_by_token
from server.services.credentials import token_hash
from server.web.identity import StaffUser, device_by_token, may_manage_site
from server.web.input import MAX_ID
from server.web.request_guard import unstorable

log = logging.getLogger(__name__)

# The kiosk each connected print agent prints for, by Socket.IO session: the agent's events
# arrive on its own connection, so this worker always holds the entry.
_agents: dict[str, int] = {}
# The (counter, clerk) of each connected clerk's screen: the disconnect of the last one of a
# (counter, clerk) on this worker starts the absence clock of the counter
# (server.services.counters.clerk_left_screen); any connect stops it.
_clerks: dict[str, tuple[int, int]] = {}


def _refuse(message_vi: str, message_en: str) -> ConnectionRefusedError:
    """The refusal the client sees in its connect_error: `message` for the screen, and
    `data` with both languages."""
    return ConnectionRefusedError(message_vi, {"message": message_vi, "message_en": message_en})


def _join_as_device(token: str) -> None:
    device = device_by_token(token)
    if device.kind == DeviceKind.RATING:
        # A rating tablet follows only its own counter's changes: it asks after each
        # finish there (not the counter's state: that is the clerk's screen).
        with runtime().db.reading() as session:
            counter_id = ratings.tablet_counter(session, device.id)[1].id
        join_room(rating_room(counter_id))
    elif device.kind == DeviceKind.BOARD:
        join_room(board_room(device.site_id))
    elif device.kind == DeviceKind.KIOSK:
        join_room(kiosks_room(device.site_id))
        join_room(kiosk_room(device.id))
    else:
        raise _refuse("Thiết bị này không xem được bảng.", "This device cannot watch the board.")
    devices.device_seen(runtime().uow(), device.id)
    _track_device(device.id, token)


def _join_as_phone(token: str) -> None:
    # Its own ticket and its service's queue, not the whole site; a transferred ticket's
    # page reconnects to follow its new service.
    with runtime().db.reading() as session:
        service_id = open_ticket_by_token(session, token).service_id
    join_room(ticket_room(token))
    join_room(service_room(service_id))


def _join_as_counter(user: StaffUser, counter_id: int) -> None:
    with runtime().db.reading() as session:
        site_id = counter_for_user(session, counter_id, user.id).site_id
    join_room(counter_room(counter_id))
    join_room(counters_room(site_id))
    _clerks[request.sid] = (counter_id, user.id)  # type: ignore[attr-defined]
    counters.clerk_back(runtime().uow(), counter_id, user.id)


def _join_as_manager(user: StaffUser, site_id: int) -> None:
    if not may_manage_site(user, site_id):
        raise _refuse(
            "Chỉ quản lý của điểm này mới xem được trang này.",
            "Only the managers of this site may watch this.",
        )
    join_room(manager_room(site_id))


def _printer_status(value: object) -> PrinterStatus:
    if not isinstance(value, str):
        return PrinterStatus.UNKNOWN
    return {s.value: s for s in PrinterStatus}.get(value, PrinterStatus.UNKNOWN)


def _detail(value: object) -> str:
    return value[: printing.MAX_DETAIL] if isinstance(value, str) else ""


def _join_as_agent(token: str, auth: dict[str, Any]) -> None:
    device = device_by_token(token, DeviceKind.KIOSK)
    sid: str = request.sid  # type: ignore[attr-defined]
    replaced = printing.connect_agent(
        runtime().uow(),
        device.id,
        sid,
        _printer_status(auth.get("status")),
        _detail(auth.get("detail")),
    )
    _agents[sid] = device.id
    _track_device(device.id, token)
    join_room(printer_room(device.id))
    if replaced is not None:
        # The newest connection wins (the old one may be a dead link not yet noticed);
        # through the message queue, this reaches the worker that holds the old one.
        socketio.server.disconnect(replaced, namespace="/")


@socketio.on("connect")
def on_connect(auth: dict[str, Any] | None = None) -> None:
    """Join the rooms the client's credentials allow; refuse anything else."""
    auth = auth if isinstance(auth, dict) else {}
    try:
        if _is_token(auth.get("printer")):
            _join_as_agent(auth["printer"], auth)
        elif _is_token(auth.get("device")):
            _join_as_device(auth["device"])
        elif _is_token(auth.get("ticket")):
            _join_as_phone(auth["ticket"])
        elif current_user.is_authenticated and _is_id(auth.get("counter")):
            _join_as_counter(current_user, auth["counter"])
            _track_staff(current_user)
        elif current_user.is_authenticated and _is_id(auth.get("manager")):
            _join_as_manager(current_user, auth["manager"])
            _track_staff(current_user)
        else:
            raise _refuse("Không được phép kết nối.", "Connection not allowed.")
    except DomainError as error:
        raise _refuse(error.message_vi, error.message_en) from error
    except ConnectionRefusedError:
        raise
    except Exception as error:
        # Anything else must still answer the client (an exception here would leave it
        # waiting for its connect timeout), and be logged.
        log.exception("socket connect failed")
        raise _refuse(
            "Lỗi hệ thống khi kết nối, vui lòng thử lại.",
            "Internal error while connecting; please try again.",
        ) from error
    log.debug("socket %s joined", getattr(request, "sid", "?"))


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


# Device and ticket tokens are short; anything longer, or holding text no column can hold,
# is no credential of ours and never reaches the database.
MAX_TOKEN = 200


def _is_token(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_TOKEN and not unstorable(value)


@socketio.on("disconnect")
def on_disconnect(reason: object = None) -> None:
    """A print agent that leaves leaves its printer without a driver: a fault."""
    sid: str = request.sid  # type: ignore[attr-defined]
    forget_device(sid)
    forget_staff(sid)
    clerk = _clerks.pop(sid, None)
    # Another screen of this clerk at this counter still here (a second tab, or a reconnect
    # that arrived before the old socket dropped): they have not left.
    if clerk is not None and clerk not in _clerks.values():
        try:
            counters.clerk_left_screen(runtime().uow(), *clerk)
        except Exception:  # shutting down; the counter stays as it was
            log.exception("could not record the clerk of counter %s leaving", clerk[0])
    device_id = _agents.pop(sid, None)
    if device_id is not None:
        try:
            printing.disconnect_agent(runtime().uow(), device_id, sid)
        except Exception:  # the server may be shutting down; the agent's next connect fixes it
            log.exception("could not record the print agent of kiosk %s leaving", device_id)


@socketio.on("printed")
def on_printed(message: object) -> None:
    """A print agent's answer for one job."""
    device_id = _agents.get(request.sid)  # type: ignore[attr-defined]
    if device_id is None or not isinstance(message, dict) or not _is_id(message.get("job_id")):
        return
    size = message.get("size")
    if message.get("ok") is not True:
        # The detail (often a Python error's text) is for the log; screens show words.
        log.warning(
            "print job %s failed on kiosk %s: %s",
            message["job_id"],
            device_id,
            _detail(message.get("detail")),
        )
    try:
        printing.finish_print_job(
            runtime().uow(),
            message["job_id"],
            message.get("ok") is True,
            _printer_status(message.get("status")),
            _detail(message.get("detail")),
            size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
            device_id=device_id,
        )
    except DomainError as error:
        log.warning("print agent of kiosk %s: %s", device_id, error.message_en)


@socketio.on("printer_status")
def on_printer_status(message: object) -> None:
    """A print agent's report of its printer (a change, or its periodic heartbeat)."""
    device_id = _agents.get(request.sid)  # type: ignore[attr-defined]
    if device_id is None or not isinstance(message, dict):
        return
    printing.report_printer_status(
        runtime().uow(),
        device_id,
        _printer_status(message.get("status")),
        _detail(message.get("detail")),
    )


# -- revoked devices and ended sessions ---------------------------------------------------
# A device's credential, like a clerk's session, is checked when it connects; a board then
# only listens, so a revoked (or re-paired) device, or a staff session that ended, must
# also be cut off while connected. The worker where it happened does so at once
# (disconnect_device, disconnect_staff). With several workers (a message queue), each one
# also checks its own connections against the database every DEVICE_CHECK_SECONDS: the
# others learn of it that way.

DEVICE_CHECK_SECONDS = 1.0
_watching = False
_watching_lock = threading.Lock()


def _track_device(device_id: int, token: str) -> None:
    sid: str = request.sid  # type: ignore[attr-defined]
    remember_device(sid, device_id, token_hash(token))
    _keep_watch()


def _track_staff(user: StaffUser) -> None:
    sid: str = request.sid  # type: ignore[attr-defined]
    remember_staff(sid, user.id, user.session_version)
    _keep_watch()


def _keep_watch() -> None:
    """With several workers, make sure this one watches its connections."""
    global _watching
    if runtime().config.message_queue is None:
        return
    with _watching_lock:
        start = not _watching
        _watching = True
    if start:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio.start_background_task(_watch_devices, app)


# The worker where a session ends disconnects that account's sockets at once; the others
# find out in their watch.
sessions.on_sessions_ended(disconnect_staff)


def _watch_devices(app: Flask) -> None:
    """Runs while this worker has devices or staff connected; stops with the last one."""
    global _watching
    while True:
        socketio.sleep(DEVICE_CHECK_SECONDS)
        with _watching_lock:
            connected = connected_devices()
            staff = connected_staff()
            if not connected and not staff:
                _watching = False
                return
        try:
            with app.app_context(), runtime().db.reading() as session:
                valid = set()
                if connected:
                    rows = session.execute(
                        select(Device.id, Device.token_hash).where(
                            Device.id.in_({device for device, _ in connected.values()}),
                            Device.active.is_(True),
                        )
                    )
                    valid = {(device_id, hashed) for device_id, hashed in rows}
                current = set()
                if staff:
                    people = session.execute(
                        select(User.id, User.session_version).where(
                            User.id.in_({user for user, _ in staff.values()}),
                            User.active.is_(True),
                        )
                    )
                    current = {(user_id, version) for user_id, version in people}
            for sid, device in connected.items():
                if device not in valid:
                    socketio.server.disconnect(sid, namespace="/")
            for sid, held in staff.items():
                if held not in current:
                    socketio.server.disconnect(sid, namespace="/")
        except Exception:  # a database hiccup: try again at the next round
            log.exception("could not check the connected devices and staff")
