"""A kiosk printer's status: what the print agent or the spooler last said of it (a fault
appearing or clearing is published to the site), the agent coming and going, and the
manager's list of the site's printers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.printer_url import BadPrinterUrl, parse_printer_url
from server.adapters.db.models import Device, PrintJob
from server.domain.errors import NotFound
from server.domain.printing import PRINTER_STATUS_LABELS, PrinterStatus
from server.domain.roles import DeviceKind
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

MAX_DETAIL = 300


def printer_message(status: PrinterStatus) -> dict[str, Any]:
    """What a kiosk and the hall are told of a printer: its status in words, in both
    languages. The technical detail (a Python error's text) stays in the log and the
    database: it means nothing to a citizen or a manager."""
    vi, en = PRINTER_STATUS_LABELS[status]
    return {
        "printer_status": status.value,
        "fault": status.is_fault,
        "message": vi,
        "message_en": en,
    }


def printers(session: Session, site_id: int) -> list[dict[str, Any]]:
    """The site's kiosk printers for the manager: each one's status (a fault stays until it
    clears), since when, its print agent, and its last job."""
    devices = session.scalars(
        select(Device)
        .where(Device.site_id == site_id, Device.kind == DeviceKind.KIOSK, Device.printer_url != "")
        .order_by(Device.id)
    ).all()
    result = []
    for device in devices:
        last = session.scalars(
            select(PrintJob).where(PrintJob.device_id == device.id).order_by(PrintJob.id.desc())
        ).first()
        by_server = _printed_by_server(device.printer_url)
        result.append(
            {
                "device_id": device.id,
                "name": device.name,
                "printer_url": device.printer_url,
                "mode": device.printer_mode,
                "width": device.printer_width,
                "printed_by": "server" if by_server else "agent",
                "agent_connected": None if by_server else device.agent_sid is not None,
                **printer_message(PrinterStatus(device.printer_status)),
                "since": _iso(device.printer_status_at),
                "last_job": None
                if last is None
                else {
                    "id": last.id,
                    "kind": last.kind,
                    "status": last.status,
                    "error": last.error,
                    "at": _iso(last.finished_at or last.created_at),
                },
            }
        )
    return result


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _printed_by_server(printer_url: str) -> bool:
    try:
        return parse_printer_url(printer_url).printed_by_server
    except BadPrinterUrl:
        return True


def set_status(
    uow: UnitOfWork, device: Device, status: PrinterStatus, detail: str, now: datetime
) -> None:
    """Record what is known of the printer now. A fault appearing or clearing is published
    to the whole site (the manager's screen shows it); anything else stays quiet, so a
    printer that keeps printing does not make every screen fetch a snapshot."""
    before = PrinterStatus(device.printer_status)
    if before != status:
        device.printer_status_at = now
    device.printer_status = status
    device.printer_detail = detail[:MAX_DETAIL]
    if before.is_fault != status.is_fault:
        uow.record(
            Change(
                site_id=device.site_id,
                kind="printer_changed",
                public={
                    "printer": {
                        "device_id": device.id,
                        "name": device.name,
                        "status": status.value,
                        "fault": status.is_fault,
                    }
                },
            )
        )


def kiosk_device(
    session: Session, device_id: int, site_id: int | None = None, lock: bool = True
) -> Device:
    """A kiosk device. In a writing use case its row is locked (PostgreSQL; SQLite's write
    transaction holds the lock already): two reports of one printer at once must not both
    announce, or both miss, a fault appearing or clearing."""
    device = session.get(Device, device_id, with_for_update=lock)
    if (
        device is None
        or device.kind != DeviceKind.KIOSK
        or (site_id is not None and device.site_id != site_id)
    ):
        raise NotFound(
            f"Không có ki-ốt mã {device_id} ở điểm này.", f"There is no kiosk {device_id} here."
        )
    return device


def report_printer_status(
    uow: UnitOfWork, device_id: int, status: PrinterStatus, detail: str = ""
) -> None:
    """The print agent says how its printer is (on connect, on every change, and now and
    then to show it is alive)."""
    with uow.db.reading() as session:
        device = kiosk_device(session, device_id, lock=False)
        if (device.printer_status, device.printer_detail) == (status, detail[:MAX_DETAIL]):
            return  # the heartbeat of a printer that is as it was: no write
    with uow:
        device = kiosk_device(uow.session, device_id)
        set_status(uow, device, status, detail, uow.clock())
        uow.commit()


def connect_agent(
    uow: UnitOfWork, device_id: int, sid: str, status: PrinterStatus, detail: str = ""
) -> str | None:
    """A kiosk's print agent connected (or reconnected): jobs of the kiosk go to it now.
    Returns the connection it replaces, if any, for the caller to close: two agents of
    one kiosk would print every ticket twice."""
    with uow:
        device = kiosk_device(uow.session, device_id)
        replaced = device.agent_sid if device.agent_sid != sid else None
        device.agent_sid = sid
        set_status(uow, device, status, detail, uow.clock())
        uow.commit()
    return replaced


def disconnect_agent(uow: UnitOfWork, device_id: int, sid: str) -> None:
    """The print agent's connection is gone: its printer is a fault until it comes back.
    A connection that was already replaced (the agent restarted faster than the old one
    timed out) changes nothing."""
    with uow:
        device = kiosk_device(uow.session, device_id)
        if device.agent_sid == sid:
            device.agent_sid = None
            set_status(
                uow,
                device,
                PrinterStatus.OFFLINE,
                "print agent disconnected / mất kết nối với phần mềm in",
                uow.clock(),
            )
        uow.commit()
