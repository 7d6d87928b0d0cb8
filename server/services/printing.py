"""Use cases of ticket printing: queue a ticket for the kiosk's printer, record how the job
went, keep the printer's status (and publish when a fault appears or clears), reprint, test
print, and the kiosk's print agent coming and going.

Printing is never part of issuing: the ticket is committed first, then its print job is
created in a transaction of its own, so a printer fault can never roll a ticket back. The
delivery itself (rendering, ESC/POS, the network or the agent) is
server/adapters/printing/spooler.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.printer_url import BadPrinterUrl, PrinterUrl, check_device_printer, parse_printer_url
from kiosk.printers import profile_width
from server.adapters.db.models import Device, PrintJob, Site, Ticket
from server.adapters.printing.escpos import check_printer_url
from server.adapters.printing.ticket_layout import TicketContent
from server.domain.errors import Forbidden, InvalidInput, NoPrinter, NotFound, WrongTicketState
from server.domain.printing import (
    PRINTER_STATUS_LABELS,
    WIDTH_80MM,
    PrinterStatus,
    PrintJobKind,
    PrintJobStatus,
    PrintMode,
    valid_width,
)
from server.domain.roles import DeviceKind, Role
from server.domain.selection import people_ahead
from server.domain.tickets import OPEN_STATUSES, PRIORITY_LABELS, TicketStatus
from server.services.access import get_site, get_user, may_handle_ticket, site_zone
from server.services.changes import Change
from server.services.tickets import IssuedTicket, candidate, estimate_for
from server.services.unit_of_work import UnitOfWork

Link = Callable[[str], str]  # a ticket's phone token -> the address its QR code encodes

MAX_DETAIL = 300
TEST_NUMBER = "A000"
TEST_SERVICE = "IN THỬ – Test print"
TEST_CLOSING = "Bản in thử, không dùng để xếp hàng"


@dataclass(frozen=True)
class PrintOrder:
    """A print job as the spooler needs it. `status` is QUEUED for a printer the server
    drives, SENT for one driven by the kiosk's print agent, FAILED if it cannot be tried
    at all (the agent is not connected). Whether the job first brings its printer back to a
    known state is decided when it is delivered, not here: the job before it may be cut
    short meanwhile (spooler.py, kiosk/agent.py)."""

    job_id: int
    device_id: int
    site_id: int
    kind: PrintJobKind
    printer_url: str
    mode: PrintMode
    width: int
    content: TicketContent
    status: PrintJobStatus
    printer_status: PrinterStatus
    error: str = ""


@dataclass(frozen=True)
class PrinterSettings:
    device_id: int
    name: str
    printer_url: str
    mode: PrintMode
    width: int
    warnings: tuple[str, ...] = ()


# -- reading ------------------------------------------------------------------------------


def ticket_content(session: Session, ticket: Ticket, link: Link) -> TicketContent:
    """What the paper of `ticket` says now: its queue position and estimate as of this
    moment, its issue time in the centre's clock, its phone page's address."""
    site = get_site(session, ticket.site_id)
    ahead = 0
    if ticket.status == TicketStatus.WAITING:
        waiting = session.scalars(
            select(Ticket).where(
                Ticket.service_id == ticket.service_id, Ticket.status == TicketStatus.WAITING
            )
        ).all()
        ahead = people_ahead(candidate(ticket), (candidate(t) for t in waiting))
    return TicketContent(
        centre=site.name,
        service=ticket.service.name_vi,
        number=ticket.number,
        issued_at=ticket.issued_at.astimezone(site_zone(site)),
        phone_url=link(ticket.token),
        people_ahead=ahead,
        estimated_wait_minutes=estimate_for(session, ticket.service, ahead),
        priority=PRIORITY_LABELS[ticket.priority][0] if ticket.priority else None,
    )


def sample_content(site: Site, now: datetime, home_url: str) -> TicketContent:
    """A sample ticket for a test print: the real centre, an obviously unreal number."""
    return TicketContent(
        centre=site.name,
        service=TEST_SERVICE,
        number=TEST_NUMBER,
        issued_at=now.astimezone(site_zone(site)),
        phone_url=home_url,
        people_ahead=0,
        estimated_wait_minutes=0,
        priority=None,
        closing_line=TEST_CLOSING,
    )


def preview(
    session: Session, user_id: int, ticket_id: int, link: Link
) -> tuple[TicketContent, int]:
    """The content of a ticket's paper and the width of the printer that issued it (80 mm
    if none), for staff who may handle the ticket."""
    ticket = _ticket_for(session, user_id, ticket_id)
    device = session.get(Device, ticket.device_id) if ticket.device_id else None
    width = device.printer_width if device is not None else WIDTH_80MM
    return ticket_content(session, ticket, link), width


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


def _ticket_for(session: Session, user_id: int, ticket_id: int) -> Ticket:
    user = get_user(session, user_id)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"Không có số mã {ticket_id}.", f"There is no ticket {ticket_id}.")
    if not may_handle_ticket(user, ticket):
        raise Forbidden(
            f"Bạn không phụ trách lĩnh vực của số {ticket.number}.",
            f"You do not work for the service of ticket {ticket.number}.",
        )
    return ticket


# -- the printer's status ------------------------------------------------------------------


def _set_status(
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


def _job_change(uow: UnitOfWork, job: PrintJob, device: Device, number: str | None) -> None:
    """Tell the kiosk how its job went: if it failed after the kiosk answered, the kiosk
    shows the number on its screen instead."""
    uow.record(
        Change(
            site_id=job.site_id,
            kind="print_job",
            site_wide=False,
            kiosk_id=job.device_id,
            kiosk_message={
                "job_id": job.id,
                "ticket_id": job.ticket_id,
                "number": number,
                "status": job.status,
                **printer_message(PrinterStatus(device.printer_status)),
            },
        )
    )


def _kiosk(
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
        device = _kiosk(session, device_id, lock=False)
        if (device.printer_status, device.printer_detail) == (status, detail[:MAX_DETAIL]):
            return  # the heartbeat of a printer that is as it was: no write
    with uow:
        device = _kiosk(uow.session, device_id)
        _set_status(uow, device, status, detail, uow.clock())
        uow.commit()


def connect_agent(
    uow: UnitOfWork, device_id: int, sid: str, status: PrinterStatus, detail: str = ""
) -> str | None:
    """A kiosk's print agent connected (or reconnected): jobs of the kiosk go to it now.
    Returns the connection it replaces, if any, for the caller to close: two agents of
    one kiosk would print every ticket twice."""
    with uow:
        device = _kiosk(uow.session, device_id)
        replaced = device.agent_sid if device.agent_sid != sid else None
        device.agent_sid = sid
        _set_status(uow, device, status, detail, uow.clock())
        uow.commit()
    return replaced


def disconnect_agent(uow: UnitOfWork, device_id: int, sid: str) -> None:
    """The print agent's connection is gone: its printer is a fault until it comes back.
    A connection that was already replaced (the agent restarted faster than the old one
    timed out) changes nothing."""
    with uow:
        device = _kiosk(uow.session, device_id)
        if device.agent_sid == sid:
            device.agent_sid = None
            _set_status(
                uow,
                device,
                PrinterStatus.OFFLINE,
                "print agent disconnected / mất kết nối với phần mềm in",
                uow.clock(),
            )
        uow.commit()


# -- print jobs ---------------------------------------------------------------------------


def _queue(
    uow: UnitOfWork,
    device: Device,
    content: TicketContent,
    kind: PrintJobKind,
    ticket_id: int | None,
    user_id: int | None,
) -> PrintOrder:
    now = uow.clock()
    status, error = PrintJobStatus.QUEUED, ""
    try:
        url = parse_printer_url(device.printer_url)
    except BadPrinterUrl as bad:  # written to the database by hand: fail the job, not the ticket
        status, error = PrintJobStatus.FAILED, bad.message_en
        _set_status(uow, device, PrinterStatus.ERROR, error, now)
    else:
        if not url.printed_by_server:
            status = PrintJobStatus.SENT
            if device.agent_sid is None:
                # Nobody to print it: fail now, so the kiosk shows the number on its screen.
                status, error = PrintJobStatus.FAILED, "print agent not connected"
                _set_status(uow, device, PrinterStatus.OFFLINE, error, now)
    job = PrintJob(
        site_id=device.site_id,
        device_id=device.id,
        ticket_id=ticket_id,
        kind=kind,
        status=status,
        error=error,
        size=0,
        requested_by=user_id,
        created_at=now,
        finished_at=now if status == PrintJobStatus.FAILED else None,
    )
    uow.session.add(job)
    uow.session.flush()
    return PrintOrder(
        job_id=job.id,
        device_id=device.id,
        site_id=device.site_id,
        kind=kind,
        printer_url=device.printer_url,
        mode=PrintMode(device.printer_mode),
        width=device.printer_width,
        content=content,
        status=status,
        printer_status=PrinterStatus(device.printer_status),
        error=error,
    )


def print_ticket(
    uow: UnitOfWork, device_id: int, issued: IssuedTicket, link: Link
) -> PrintOrder | None:
    """Queue the paper of a ticket just issued at a kiosk; None if the kiosk has no printer
    (its screen shows the number, as always). Callers that already know the kiosk has no
    printer (its token says so) need not call it: issuing stays as fast as without
    printing. The paper says what issuing computed a moment ago (people ahead, estimate):
    the queue is not read again."""
    with uow:
        session = uow.session
        device = _kiosk(session, device_id)
        if not device.printer_url:
            return None
        site = get_site(session, device.site_id)
        content = TicketContent(
            centre=site.name,
            service=issued.service_name_vi,
            number=issued.number,
            issued_at=issued.issued_at.astimezone(site_zone(site)),
            phone_url=link(issued.token),
            people_ahead=issued.people_ahead,
            estimated_wait_minutes=issued.estimated_wait_minutes,
            priority=PRIORITY_LABELS[issued.priority][0] if issued.priority else None,
        )
        order = _queue(uow, device, content, PrintJobKind.TICKET, issued.ticket_id, None)
        uow.commit()
    return order


def reprint_ticket(
    uow: UnitOfWork, user_id: int, ticket_id: int, link: Link, device_id: int | None = None
) -> PrintOrder:
    """Staff print a ticket again (the paper jammed, the citizen lost it), on the kiosk
    that issued it or on another kiosk of the site. Only a ticket still in the queue or at
    a counter: a finished one has nothing left to wait for."""
    with uow:
        session = uow.session
        ticket = _ticket_for(session, user_id, ticket_id)
        if ticket.status not in OPEN_STATUSES:
            raise WrongTicketState(
                f"Số {ticket.number} đã kết thúc: không in lại.",
                f"Ticket {ticket.number} is closed: it is not reprinted.",
            )
        chosen = device_id or ticket.device_id
        if chosen is None:
            raise InvalidInput(
                "Số này không lấy ở ki-ốt: hãy chọn ki-ốt để in.",
                "This ticket was not taken at a kiosk: choose the kiosk to print on.",
            )
        device = _kiosk(session, chosen, ticket.site_id)
        _require_printer(device)
        order = _queue(
            uow,
            device,
            ticket_content(session, ticket, link),
            PrintJobKind.REPRINT,
            ticket.id,
            user_id,
        )
        uow.commit()
    return order


def print_test_ticket(uow: UnitOfWork, user_id: int, device_id: int, home_url: str) -> PrintOrder:
    """An administrator prints a sample ticket on a kiosk's printer (after installing it,
    or to check the fix of a fault)."""
    with uow:
        session = uow.session
        if get_user(session, user_id).role != Role.ADMIN:
            raise Forbidden(
                "Chỉ quản trị viên mới in thử được.", "Only administrators may print tests."
            )
        device = _kiosk(session, device_id)
        _require_printer(device)
        content = sample_content(get_site(session, device.site_id), uow.clock(), home_url)
        order = _queue(uow, device, content, PrintJobKind.TEST, None, user_id)
        uow.commit()
    return order


def _require_printer(device: Device) -> None:
    if not device.printer_url:
        raise NoPrinter(
            f"Ki-ốt “{device.name}” chưa có máy in.", f"The kiosk “{device.name}” has no printer."
        )


def finish_print_job(
    uow: UnitOfWork,
    job_id: int,
    ok: bool,
    status: PrinterStatus,
    detail: str = "",
    size: int = 0,
    device_id: int | None = None,
) -> PrintJobStatus:
    """Record how a job went (from the spooler, or from the agent that printed it; an agent
    may only answer for its own kiosk's jobs) and what the printer said of itself."""
    with uow:
        session = uow.session
        job = session.get(PrintJob, job_id)
        if job is None or (device_id is not None and job.device_id != device_id):
            raise NotFound(f"Không có lệnh in mã {job_id}.", f"There is no print job {job_id}.")
        device = _kiosk(session, job.device_id)
        now = uow.clock()
        if job.status != PrintJobStatus.PRINTED:
            # A late "printed" from an agent overrides the timeout's "failed": it is the truth.
            job.status = PrintJobStatus.PRINTED if ok else PrintJobStatus.FAILED
            job.error = "" if ok else detail[:MAX_DETAIL]
            job.size = size
            job.finished_at = now
        _set_status(uow, device, status, "" if ok else detail, now)
        ticket = session.get(Ticket, job.ticket_id) if job.ticket_id else None
        _job_change(uow, job, device, ticket.number if ticket else None)
        result = PrintJobStatus(job.status)
        uow.commit()
    return result


def expire_unanswered_job(uow: UnitOfWork, job_id: int) -> bool:
    """A job handed to a print agent that never answered has failed (the agent or its link
    died without the server noticing yet). True if it was still waiting."""
    with uow:
        session = uow.session
        job = session.get(PrintJob, job_id)
        if job is None or job.status != PrintJobStatus.SENT:
            return False
        device = _kiosk(session, job.device_id)
        now = uow.clock()
        job.status = PrintJobStatus.FAILED
        job.error = "no answer from the print agent"
        job.finished_at = now
        if device.agent_sid is None:
            _set_status(uow, device, PrinterStatus.OFFLINE, job.error, now)
        # Otherwise the agent is there and will say how its printer is (its own deadline
        # is shorter than this one): no false "offline" meanwhile.
        ticket = session.get(Ticket, job.ticket_id) if job.ticket_id else None
        _job_change(uow, job, device, ticket.number if ticket else None)
        uow.commit()
    return True


# -- settings -----------------------------------------------------------------------------


def set_printer(
    uow: UnitOfWork,
    device_id: int,
    printer_url: str,
    width: int | None = None,
    mode: PrintMode | None = None,
) -> PrinterSettings:
    """Give a kiosk its printer (an empty URL: none). A new printer's status is unknown
    until it prints or its agent reports. Without a width, a printer profile that knows
    its printer's (TM-T88V: 512 dots) gives it; a width that disagrees with the profile is
    kept (the installer may know better) with a warning."""
    printer_url = printer_url.strip()
    if width is not None and not valid_width(width):
        raise InvalidInput(
            "Khổ in phải là bội số của 8, từ 256 đến 832 điểm (576: giấy 80 mm, 384: 58 mm).",
            "The width must be a multiple of 8 from 256 to 832 dots (576: 80 mm, 384: 58 mm).",
        )
    with uow:
        device = _kiosk(uow.session, device_id)
        mode = mode or PrintMode(device.printer_mode)
        profile_dots = _check_url(printer_url, mode) if printer_url else None
        device.printer_url = printer_url
        device.printer_mode = mode
        if width is not None:
            device.printer_width = width
        elif profile_dots is not None and valid_width(profile_dots):
            device.printer_width = profile_dots
        warnings: tuple[str, ...] = ()
        if profile_dots is not None and device.printer_width != profile_dots:
            warnings = (_width_warning(printer_url, profile_dots, device.printer_width),)
        _set_status(uow, device, PrinterStatus.UNKNOWN, "", uow.clock())
        result = PrinterSettings(
            device.id, device.name, device.printer_url, mode, device.printer_width, warnings
        )
        uow.commit()
    return result


def _check_url(text: str, mode: PrintMode) -> int | None:
    """Check a printer URL; the width in dots its profile knows, if it knows one."""
    try:
        url: PrinterUrl = parse_printer_url(text)
        check_device_printer(url)  # issue 18: never /etc/passwd nor 169.254.169.254
        check_printer_url(url, mode)
    except BadPrinterUrl as error:
        raise InvalidInput(error.message_vi, error.message_en) from error
    return profile_width(url)


def _width_warning(printer_url: str, profile_dots: int, width: int) -> str:
    profile = parse_printer_url(printer_url).profile
    return (
        f"Hồ sơ máy in {profile} in {profile_dots} điểm mỗi dòng, khổ đã đặt là {width}: "
        f"phần bên phải vé có thể bị mất. / The printer profile {profile} prints "
        f"{profile_dots} dots a line, the width set is {width}: the right of the ticket "
        "may be lost."
    )
