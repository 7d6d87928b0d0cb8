"""Use cases of the centre's screens: registering a kiosk, a board or a counter's rating
tablet by a one-time pairing code, editing it, revoking it, pairing it again.

An admin creates the device and is shown a pairing code (or its QR) once; the device sends
the code back within PAIRING_MINUTES, once, and receives its token once. Only hashes of
the code and of the token are stored. Revoking or re-pairing makes the old token worthless
at once: every request and every Socket.IO connection checks it against the database (the
view also cuts the device's live connections: see realtime.disconnect_device).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.printer_url import BadPrinterUrl, check_device_printer, parse_printer_url
from server.adapters.db.models import Counter, Device
from server.adapters.printing.escpos import check_printer_url
from server.domain.errors import InvalidInput, NotFound, Unauthorized
from server.domain.printing import PrinterStatus, PrintMode
from server.domain.roles import DeviceKind
from server.services import audit
from server.services.access import get_site
from server.services.admin.common import MAX_NAME, Actor, assign, config_change, require_admin
from server.services.credentials import new_device_token, token_hash
from server.services.unit_of_work import UnitOfWork

# No 0/O, 1/I/L: a code is read off one screen and typed on another.
PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PAIRING_LENGTH = 8
PAIRING_MINUTES = 15
MAX_PRINTER_URL = 300


@dataclass(frozen=True)
class PairingCode:
    """What the admin's screen shows once: the code (as "ABCD-EFGH") until `expires_at`."""

    device_id: int
    kind: DeviceKind
    name: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class PairedDevice:
    """What the device receives once: its token, and which screen it is."""

    device_id: int
    kind: DeviceKind
    token: str


@dataclass(frozen=True)
class DeviceSettings:
    name: str
    counter_id: int | None = None  # a rating tablet's counter; None for the others
    printer_url: str = ""  # a kiosk's ticket printer (kiosk/printer_url.py); "" for none


def normalized_code(text: str) -> str:
    """A code as typed: any case, with or without its dash and spaces."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _code_hash(code: str) -> str:
    return token_hash(f"pairing:{normalized_code(code)}")


def _shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _new_code(uow: UnitOfWork, device: Device) -> PairingCode:
    """Give the device a fresh pairing code and a token nobody knows, so that whatever
    token it had stops working now."""
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    expires_at = uow.clock() + timedelta(minutes=PAIRING_MINUTES)
    device.token_hash = token_hash(new_device_token())
    device.pairing_code_hash = _code_hash(code)
    device.pairing_expires_at = expires_at
    return PairingCode(device.id, DeviceKind(device.kind), device.name, _shown(code), expires_at)


def _get_device(session: Session, device_id: int, lock: bool = False) -> Device:
    device = session.get(Device, device_id, with_for_update=lock, populate_existing=lock)
    if device is None:
        raise NotFound(f"Không có thiết bị mã {device_id}.", f"There is no device {device_id}.")
    return device


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Hãy đặt tên cho thiết bị.", "The device needs a name.")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"Tên thiết bị dài quá {MAX_NAME} ký tự.",
            f"The device name is longer than {MAX_NAME} characters.",
        )
    return name


def _checked_counter(
    session: Session, kind: DeviceKind, site_id: int, counter_id: int | None
) -> int | None:
    if kind != DeviceKind.RATING:
        if counter_id is not None:
            raise InvalidInput(
                "Chỉ máy đánh giá mới gắn với một quầy.",
                "Only a rating tablet belongs to a counter.",
            )
        return None
    if counter_id is None:
        raise InvalidInput(
            "Máy đánh giá phải gắn với một quầy.", "A rating tablet must belong to a counter."
        )
    counter = session.get(Counter, counter_id)
    if counter is None or counter.site_id != site_id:
        raise NotFound(
            "Không có quầy này ở điểm phục vụ của thiết bị.",
            "There is no such counter at the device's site.",
        )
    return counter.id


def _checked_printer(kind: DeviceKind, printer_url: str, mode: PrintMode) -> str:
    printer_url = printer_url.strip()
    if not printer_url:
        return ""
    if kind != DeviceKind.KIOSK:
        raise InvalidInput("Chỉ kiosk mới có máy in vé.", "Only a kiosk has a ticket printer.")
    if len(printer_url) > MAX_PRINTER_URL:
        raise InvalidInput(
            f"Địa chỉ máy in dài quá {MAX_PRINTER_URL} ký tự.",
            f"The printer URL is longer than {MAX_PRINTER_URL} characters.",
        )
    try:
        url = parse_printer_url(printer_url)
        check_device_printer(url)  # issue 18: never /etc/passwd nor 169.254.169.254
        check_printer_url(url, mode)
    except BadPrinterUrl as error:
        raise InvalidInput(error.message_vi, error.message_en) from error
    return printer_url


def create_device(
    uow: UnitOfWork, actor_id: Actor, site_id: int, kind: DeviceKind, data: DeviceSettings
) -> PairingCode:
    """Register a screen and return its pairing code, shown once to the admin."""
    name = _name(data.name)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        get_site(session, site_id)
        counter_id = _checked_counter(session, kind, site_id, data.counter_id)
        printer_url = _checked_printer(kind, data.printer_url, PrintMode.IMAGE)
        device = Device(
            site_id=site_id,
            kind=kind,
            name=name,
            counter_id=counter_id,
            printer_url=printer_url,
            active=True,
            token_hash=token_hash(new_device_token()),
        )
        session.add(device)
        session.flush()
        code = _new_code(uow, device)
        detail: dict[str, Any] = {"kind": [None, kind.value], "name": [None, name]}
        if counter_id is not None:
            detail["counter_id"] = [None, counter_id]
        if printer_url:
            detail["printer_url"] = [None, printer_url]
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "device.create",
            "device",
            device.id,
            site_id=site_id,
            detail=detail,
        )
        config_change(uow, site_id, "device", device.id, counter_id=counter_id)
        uow.commit()
    return code


def update_device(
    uow: UnitOfWork, actor_id: Actor, device_id: int, data: DeviceSettings
) -> tuple[int | None, int | None]:
    """Rename a device, move a rating tablet to another counter, or change a kiosk's
    printer (whose status is then unknown until it prints or its agent reports). Returns
    the device's counter before and after (a moved tablet must follow its new counter)."""
    name = _name(data.name)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        device = _get_device(session, device_id, lock=True)
        kind = DeviceKind(device.kind)
        values: dict[str, Any] = {
            "name": name,
            "counter_id": _checked_counter(session, kind, device.site_id, data.counter_id),
            "printer_url": _checked_printer(kind, data.printer_url, PrintMode(device.printer_mode)),
        }
        old_counter = device.counter_id
        changed = assign(device, values)
        if "printer_url" in changed:
            device.printer_status = PrinterStatus.UNKNOWN
            device.printer_detail = ""
            device.printer_status_at = uow.clock()
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "device.update",
                "device",
                device.id,
                site_id=device.site_id,
                detail=changed,
            )
            config_change(uow, device.site_id, "device", device.id, counter_id=old_counter)
            if device.counter_id != old_counter:
                config_change(
                    uow, device.site_id, "device", device.id, counter_id=device.counter_id
                )
        moved = (old_counter, device.counter_id)
        uow.commit()
    return moved


def revoke_device(uow: UnitOfWork, actor_id: Actor, device_id: int) -> None:
    """Take a device out of service (stolen, broken, replaced): its token and any pending
    pairing code stop working at once. Re-pairing brings it back."""
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        device = _get_device(session, device_id, lock=True)
        changed = assign(device, {"active": False})
        device.pairing_code_hash = None
        device.pairing_expires_at = None
        device.agent_sid = None
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "device.revoke",
            "device",
            device.id,
            site_id=device.site_id,
            detail=changed or None,
        )
        config_change(uow, device.site_id, "device", device.id, counter_id=device.counter_id)
        uow.commit()


def repair_device(uow: UnitOfWork, actor_id: Actor, device_id: int) -> PairingCode:
    """A new pairing code for a device (a screen replaced, a browser reset, a revoked
    device brought back); its old token stops working at once."""
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        device = _get_device(session, device_id, lock=True)
        changed = assign(device, {"active": True})
        device.agent_sid = None
        code = _new_code(uow, device)
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "device.repair",
            "device",
            device.id,
            site_id=device.site_id,
            detail={**changed, "pairing_expires_at": [None, code.expires_at.isoformat()]},
        )
        config_change(uow, device.site_id, "device", device.id, counter_id=device.counter_id)
        uow.commit()
    return code


def pair_device(uow: UnitOfWork, code: str) -> PairedDevice:
    """The device's side: a valid, unexpired code gives its token, once."""
    normalized = normalized_code(code)
    refused = Unauthorized(
        "Mã ghép nối không đúng, đã dùng hoặc đã hết hạn. Hãy xin quản trị viên mã mới.",
        "The pairing code is wrong, used or expired. Ask an administrator for a new one.",
    )
    if len(normalized) != PAIRING_LENGTH or set(normalized) - set(PAIRING_ALPHABET):
        raise refused
    with uow:
        session = uow.session
        device = session.scalars(
            select(Device)
            .where(Device.pairing_code_hash == _code_hash(normalized))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        now = uow.clock()
        if (
            device is None
            or not device.active
            or device.pairing_expires_at is None
            or device.pairing_expires_at <= now
        ):
            raise refused
        token = new_device_token()
        device.token_hash = token_hash(token)
        device.pairing_code_hash = None
        device.pairing_expires_at = None
        device.last_seen_at = now
        audit.record(
            session, now, None, "device.paired", "device", device.id, site_id=device.site_id
        )
        paired = PairedDevice(device.id, DeviceKind(device.kind), token)
        config_change(uow, device.site_id, "device", device.id, counter_id=device.counter_id)
        uow.commit()
    return paired


def device_seen(uow: UnitOfWork, device_id: int) -> None:
    """Note that the device connected now (the admin's list shows when each screen was
    last seen). No audit entry and no change: it is the screen's own heartbeat."""
    with uow:
        uow.session.execute(
            update(Device).where(Device.id == device_id).values(last_seen_at=uow.clock())
        )
        uow.commit()


def all_devices(session: Session) -> list[Device]:
    """Every registered device, site by site."""
    return list(session.scalars(select(Device).order_by(Device.site_id, Device.id)))


def find_device(session: Session, device_id: int) -> Device | None:
    return session.get(Device, device_id)
