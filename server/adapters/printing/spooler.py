"""The server's side of printing: render and encode a queued job, then print it on a network
printer, or hand it to the kiosk's print agent over Socket.IO.

All of it runs in a background task (a greenlet under eventlet), never in the request. The
request waits for the printer's first answer at most XEPHANG_PRINT_WAIT_SECONDS (2 s): a
network printer on the LAN accepts or refuses in milliseconds (a closed port, a "paper out"
status), so the kiosk's answer already says whether the ticket prints; a printer that is
slower than that is reported "queued", and how the job ends reaches the kiosk as a
`printing` event in its own room. A job is printed only once the printer confirmed it
(kiosk/printers.py), within a deadline sized by its link; a job handed to an agent that
does not answer within that deadline plus XEPHANG_PRINT_ACK_SECONDS (3 s) has failed. The
kiosk is told how long that may take (`seconds`), and keeps its result screen up longer.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from kiosk.printer_url import PrinterUrl, parse_printer_url
from kiosk.printers import (
    CONNECT_TIMEOUT,
    STATUS_TIMEOUT,
    PrintResult,
    deliver,
    job_deadline,
    recovery,
)
from kiosk.printers import PrinterStatus as DeviceStatus
from server.adapters.printing.escpos import encode_ticket
from server.adapters.realtime import printer_room, socketio
from server.domain.printing import PrinterStatus, PrintJobStatus
from server.runtime import Runtime
from server.services.printing import (
    PrintOrder,
    expire_unanswered_job,
    finish_print_job,
    printer_message,
)

log = logging.getLogger(__name__)

WAIT_SECONDS = float(os.environ.get("XEPHANG_PRINT_WAIT_SECONDS", "2"))
# An agent's answer may come this long after its printer's own deadline (the link to the
# server, opening the printer and asking its status).
ACK_MARGIN = float(os.environ.get("XEPHANG_PRINT_ACK_SECONDS", "3"))


def agent_deadline(url: PrinterUrl, size: int) -> float:
    """Seconds the server waits for a print agent's answer to a job of `size` bytes: the
    printer's deadline (sized by its link: 9600 baud is 960 bytes a second) and a margin.
    Well under the kiosk's 15 s result screen for a USB printer; longer on a slow serial
    line, and then the kiosk is told."""
    return job_deadline(url, size) + ACK_MARGIN


def _outcome_seconds(url: PrinterUrl, size: int) -> float:
    """At the latest, when a job's outcome is known, counted from its start."""
    if url.printed_by_server:
        return CONNECT_TIMEOUT + 2 * STATUS_TIMEOUT + job_deadline(url, size)
    return agent_deadline(url, size)


@dataclass(frozen=True)
class PrintOutcome:
    """How printing went, as far as known when the kiosk (or staff) gets its answer:
    `none` (no printer), `queued` (on its way; the end comes as an event), `printing` (the
    printer accepted it), `printed`, or `failed`."""

    job_id: int | None
    status: str
    printer_status: PrinterStatus | None = None
    detail: str = ""  # for the log, never shown: a Python error's text means nothing there
    seconds: float | None = None  # while queued or printing: the outcome is known by then

    def json(self) -> dict[str, Any]:
        if self.printer_status is None:
            known: dict[str, Any] = {
                "printer_status": None,
                "fault": False,
                "message": "",
                "message_en": "",
            }
        else:
            known = printer_message(self.printer_status)
        # Rounded up: the kiosk must not give up before the outcome is due.
        seconds = None if self.seconds is None else math.ceil(self.seconds * 10) / 10
        return {"job_id": self.job_id, "status": self.status, **known, "seconds": seconds}


NO_PRINTER = PrintOutcome(None, "none")


class _Verdict:
    """The first outcome of a job, set once by the background task, awaited by the request
    (a green event under eventlet, which patches threading)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.outcome: PrintOutcome | None = None
        self.seconds: float | None = None  # known once the job is encoded

    def give(self, outcome: PrintOutcome) -> None:
        if self.outcome is None:
            self.outcome = outcome
            self._event.set()

    def wait(self, seconds: float) -> PrintOutcome | None:
        self._event.wait(seconds)
        return self.outcome


_printer_locks: dict[tuple[str, int], threading.Lock] = {}
_printer_locks_guard = threading.Lock()
# How the last delivery of this process to each network printer went (True: printed). A
# printer not in it (never printed by this process, or since a restart) is in an unknown
# state. Read and written under the printer's turn (_printer_turn).
_delivered_whole: dict[tuple[str, int], bool] = {}
# The first key of PostgreSQL's two-key advisory locks taken for a printer's turn (the
# second is the printer's address): apart from every other lock of the application.
PRINTER_LOCK_CLASS = 0x58_50_52  # "XPR"
LOCK_POLL_SECONDS = 0.05


def _lock_for(url: PrinterUrl) -> threading.Lock:
    """One job at a time per network printer in this process: most accept a single
    connection, and two tickets taken in the same second must not interleave."""
    with _printer_locks_guard:
        return _printer_locks.setdefault((url.host, url.port), threading.Lock())


def _printer_key(url: PrinterUrl) -> int:
    """The printer's address as a 31-bit number, the same in every process."""
    return zlib.crc32(f"{url.host}:{url.port}".encode()) & 0x7FFF_FFFF


@contextmanager
def _printer_turn(rt: Runtime, url: PrinterUrl, seconds: float) -> Iterator[bool]:
    """Wait at most `seconds` for the printer's turn; yields whether it came. In this
    process, a lock per printer; on PostgreSQL (several workers) also an advisory lock on
    the printer's address, held in a connection of its own for the time of the delivery:
    two workers never print to one printer at once. SQLite means one process: the lock in
    memory is enough."""
    end = time.monotonic() + seconds
    lock = _lock_for(url)
    if not lock.acquire(timeout=seconds):
        yield False
        return
    try:
        if rt.db.dialect != "postgresql":
            yield True
            return
        keys = {"kind": PRINTER_LOCK_CLASS, "printer": _printer_key(url)}
        with rt.db.engine.connect() as connection:
            held = False
            try:
                while True:
                    held = bool(
                        connection.execute(
                            text("SELECT pg_try_advisory_lock(:kind, :printer)"), keys
                        ).scalar()
                    )
                    connection.commit()
                    if held or time.monotonic() >= end:
                        break
                    time.sleep(LOCK_POLL_SECONDS)
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:kind, :printer)"), keys)
                    connection.commit()
    finally:
        lock.release()


def dispatch(rt: Runtime, order: PrintOrder | None, wait: float | None = None) -> PrintOutcome:
    """Start printing `order` in the background and return what is known after at most
    `wait` seconds (WAIT_SECONDS by default)."""
    if order is None:
        return NO_PRINTER
    if order.status == PrintJobStatus.FAILED:
        return PrintOutcome(order.job_id, "failed", order.printer_status, order.error)
    verdict = _Verdict()
    socketio.start_background_task(_run, rt, order, verdict)
    found = verdict.wait(WAIT_SECONDS if wait is None else wait)
    return found or PrintOutcome(
        order.job_id, "queued", order.printer_status, seconds=verdict.seconds
    )


def _status(result: PrintResult) -> PrinterStatus:
    """The printer's word (kiosk/printers.py, shared with the print agent) as the server's."""
    return PrinterStatus(result.status.value)


def _finish(rt: Runtime, order: PrintOrder, result: PrintResult, size: int) -> None:
    try:
        finish_print_job(
            rt.uow(), order.job_id, result.ok, _status(result), result.detail, size=size
        )
    except Exception:  # the database may be gone (shutdown); the job stays unfinished
        log.exception("could not record the end of print job %s", order.job_id)


def _run(rt: Runtime, order: PrintOrder, verdict: _Verdict) -> None:
    try:
        url = parse_printer_url(order.printer_url)
        data = encode_ticket(order.content, url, order.width, order.mode)
        # The job may be preceded by a recovery (_print_here, and the agent's own), and a
        # job printed by the server may first wait for the one before it.
        longest = len(data) + len(recovery(url, order.width))
        verdict.seconds = _outcome_seconds(url, longest) * (2 if url.printed_by_server else 1)
    except Exception as error:  # a missing font, a bad profile: the ticket must not be lost
        log.exception("could not encode print job %s", order.job_id)
        detail = " ".join(f"{type(error).__name__}: {error}".split())
        result = PrintResult(False, DeviceStatus.ERROR, detail)
        _finish(rt, order, result, 0)
        verdict.give(PrintOutcome(order.job_id, "failed", _status(result), result.detail))
        return
    if url.printed_by_server:
        _print_here(rt, order, url, data, verdict)
    else:
        _hand_to_agent(rt, order, url, data, verdict)


def _print_here(
    rt: Runtime, order: PrintOrder, url: PrinterUrl, data: bytes, verdict: _Verdict
) -> None:
    def accepted(status: DeviceStatus) -> None:
        verdict.give(
            PrintOutcome(
                order.job_id, "printing", PrinterStatus(status.value), seconds=verdict.seconds
            )
        )

    # One job at a time per printer; a job behind another waits at most its own time (the
    # one before has a deadline too), so its outcome is known within twice that, which is
    # what the kiosk was told: a ticket never comes out after its kiosk gave up on it.
    own = _outcome_seconds(url, len(data) + len(recovery(url, order.width)))
    with _printer_turn(rt, url, own) as turn:
        if not turn:
            result = PrintResult(False, DeviceStatus.ERROR, "the printer is still busy with a job")
        else:
            # Decided now, not when the job was queued: the job before it on this printer
            # may have been cut short inside an image since (escpos.recovery).
            key = (url.host, url.port)
            if url.scheme != "dummy" and not _delivered_whole.get(key, False):
                data = recovery(url, order.width) + data
            # A dummy printer is done at once: no "printing" step to report.
            result = deliver(url, data, on_accepted=None if url.scheme == "dummy" else accepted)
            _delivered_whole[key] = result.ok
    if not result.ok:
        log.warning("print job %s failed on %s: %s", order.job_id, url, result.detail)
    # Recorded before the verdict is given: when the kiosk hears "failed", the manager's
    # screen already shows the fault.
    _finish(rt, order, result, len(data) if result.ok else 0)
    verdict.give(
        PrintOutcome(
            order.job_id, "printed" if result.ok else "failed", _status(result), result.detail
        )
    )


def _hand_to_agent(
    rt: Runtime, order: PrintOrder, url: PrinterUrl, data: bytes, verdict: _Verdict
) -> None:
    socketio.emit(
        "print",
        # The width tells the agent the recovery its printer needs after a job cut short.
        {"job_id": order.job_id, "data": data, "kind": order.kind.value, "width": order.width},
        to=printer_room(order.device_id),
    )
    deadline = agent_deadline(url, len(data) + len(recovery(url, order.width)))
    verdict.give(PrintOutcome(order.job_id, "queued", order.printer_status, seconds=deadline))
    socketio.sleep(deadline)
    try:
        if expire_unanswered_job(rt.uow(), order.job_id):
            log.warning("print job %s: no answer from the print agent", order.job_id)
    except Exception:
        log.exception("could not expire print job %s", order.job_id)
