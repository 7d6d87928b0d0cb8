"""Print jobs: queue a ticket's paper on its kiosk's printer (after issuing, in a
transaction of its own), reprint, test print, and record how each job went.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.printer_url import BadPrinterUrl, parse_printer_url
from server.adapters.db.models import Device, PrintJob, Ticket
from server.adapters.printing.ticket_layout import TicketContent
from server.adapters.printing.ticket_wait import TicketWait
from server.domain.errors import Forbidden, InvalidInput, NoPrinter, NotFound, WrongTicketState
from server.domain.printing import PrinterStatus, PrintJobKind, PrintJobStatus, PrintMode
from server.domain.roles import Role
from server.domain.tickets import OPEN_STATUSES, PRIORITY_LABELS
from server.services.access import get_site, get_user, site_zone
from server.services.changes import Change
from server.services.printing.content import Link, sample_content, ticket_content, ticket_for
from server.services.printing.printer_status import (
    MAX_DETAIL,
    kiosk_device,
    printer_message,
    set_status,
)
from server.services.tickets import IssuedTicket
from server.services.unit_of_work import UnitOfWork


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
        set_status(uow, device, PrinterStatus.ERROR, error, now)
    else:
        if not url.printed_by_server:
            status = PrintJobStatus.SENT
            if device.agent_sid is None:
                # Nobody to print it: fail now, so the kiosk shows the number on its screen.
                status, error = PrintJobStatus.FAILED, "print agent not connected"
                set_status(uow, device, PrinterStatus.OFFLINE, error, now)
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
        device = kiosk_device(session, device_id)
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
            wait=TicketWait.of(issued.wait),
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
        ticket = ticket_for(session, user_id, ticket_id)
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
        device = kiosk_device(session, chosen, ticket.site_id)
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
        device = kiosk_device(session, device_id)
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
        device = kiosk_device(session, job.device_id)
        now = uow.clock()
        if job.status != PrintJobStatus.PRINTED:
            # A late "printed" from an agent overrides the timeout's "failed": it is the truth.
            job.status = PrintJobStatus.PRINTED if ok else PrintJobStatus.FAILED
            job.error = "" if ok else detail[:MAX_DETAIL]
            job.size = size
            job.finished_at = now
        set_status(uow, device, status, "" if ok else detail, now)
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
        device = kiosk_device(session, job.device_id)
        now = uow.clock()
        job.status = PrintJobStatus.FAILED
        job.error = "no answer from the print agent"
        job.finished_at = now
        if device.agent_sid is None:
            set_status(uow, device, PrinterStatus.OFFLINE, job.error, now)
        # Otherwise the agent is there and will say how its printer is (its own deadline
        # is shorter than this one): no false "offline" meanwhile.
        ticket = session.get(Ticket, job.ticket_id) if job.ticket_id else None
        _job_change(uow, job, device, ticket.number if ticket else None)
        uow.commit()
    return True
