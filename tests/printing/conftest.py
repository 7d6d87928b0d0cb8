"""Printing fixtures: the demo kiosk's printer settings, sample tickets, and a fake network
printer (a TCP server on 127.0.0.1 that answers ESC/POS status requests as told)."""

from __future__ import annotations

import queue
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import Device
from server.adapters.printing import spooler
from server.adapters.printing.ticket_layout import TicketContent
from server.cli.demo import DemoCredentials
from server.domain.printing import PrintMode
from server.services.printing import set_printer
from server.services.unit_of_work import UnitOfWork
from tests.printing.fake_printers import SocketPrinter

PAPER_STATUS = b"\x10\x04\x04"
PRINTER_STATUS = b"\x10\x04\x01"
# Answers of an Epson-like printer: bits 1 and 4 are always set.
PAPER_OK, PAPER_NEAR_END, PAPER_OUT = 0x12, 0x1E, 0x7E
ON_LINE = 0x12
CUT_PREFIX = b"\x1dVB"  # GS V 66 n: the end of every job

VIETNAMESE_LETTERS = (
    "aàảãáạăằẳẵắặâầẩẫấậbcdđeèẻẽéẹêềểễếệghiìỉĩíịklmnoòỏõóọôồổỗốộơờởỡớợpqrstuùủũúụưừửữứựvxyỳỷỹýỵ"
)
ALL_LETTERS = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()

SetPrinter = Callable[..., None]


@pytest.fixture(autouse=True)
def quick_agent_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A job handed to a print agent that never answers fails after 2 s, not after its
    link's deadline: no background task outlives its test by long (and speaks into the
    next one's rooms). Tests of the deadline itself put the real one back."""
    monkeypatch.setattr(spooler, "agent_deadline", lambda url, size: 2.0)


@pytest.fixture(autouse=True)
def printers_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts as a fresh server process: it knows nothing of how the printers
    it prints on were left (a fake printer's port may be one an earlier test used)."""
    monkeypatch.setattr(spooler, "_delivered_whole", {})


@pytest.fixture
def kiosk_id(database: Database, creds: DemoCredentials) -> int:
    with database.reading() as session:
        return session.scalars(
            select(Device.id).where(Device.site_id == creds.site_id, Device.kind == "kiosk")
        ).one()


@pytest.fixture
def give_printer(database: Database, kiosk_id: int) -> SetPrinter:
    """Set the demo kiosk's printer, as `xephang set-printer` would."""

    def give(url: str, width: int | None = None, mode: PrintMode | None = None) -> None:
        set_printer(UnitOfWork(database), kiosk_id, url, width, mode)

    return give


def sample(**changes: Any) -> TicketContent:
    """A priority ticket of the demo centre with the longest service name: the worst case
    for wrapping and for size."""
    fields: dict[str, Any] = {
        "centre": "Trung tâm Phục vụ hành chính công phường Tân Định",
        "service": "Lao động - Thương binh và Xã hội",
        "number": "D012",
        "issued_at": datetime(2026, 11, 26, 9, 5),
        "phone_url": "http://192.168.100.200:8000/t/AbCdEfGhIjKlMnOpQrStUv",
        "people_ahead": 3,
        "estimated_wait_minutes": 15,
        "priority": "Người có công với cách mạng",
    }
    return TicketContent(**{**fields, **changes})


class FakePrinter(SocketPrinter):
    """A network ESC/POS printer on 127.0.0.1: answers the status requests sent before a
    job and after it (as `paper` and `online` say, after `delay` seconds; `silent` answers
    nothing), and keeps the job in between (without the recovery a printer in an unknown
    state gets first: `recoveries` counts those). `connections` counts the connections it
    has finished with. For the faults of issue 19, see fake_printers.py."""

    timeout = 5

    def __init__(self, port: int | None = None) -> None:
        self.paper = PAPER_OK
        self.online = ON_LINE
        self.silent = False
        self.delay = 0.0
        self.jobs: queue.Queue[bytes] = queue.Queue()
        self.status_requests: list[bytes] = []
        self.recoveries = 0
        super().__init__(port)

    def _handle(self, connection: socket.socket) -> None:
        received = b""
        answered = 0  # status requests after the job, answered so far
        try:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += chunk
                # Real-time requests come first, each answered at once.
                while received[:3] in (PAPER_STATUS, PRINTER_STATUS):
                    self._answer(connection, received[:3])
                    received = received[3:]
                # And after the job, to confirm it: answered once the job is all in.
                cut = received.rfind(CUT_PREFIX)
                if cut >= 0:
                    after = received[cut + 4 :]
                    requests = [after[i : i + 3] for i in range(0, len(after) - 2, 3)]
                    for request in requests[answered:]:
                        self._answer(connection, request)
                    answered = len(requests)
        except OSError:
            pass
        cut = received.rfind(CUT_PREFIX)
        if cut >= 0:
            received = received[: cut + 4]
        if received.startswith(b"\x00"):
            # A printer in an unknown state is first brought back to a known one: zeros to
            # complete any image it waits for, ESC @, a cut (escpos.recovery).
            start = received.index(b"\x1b@")
            assert not received[:start].strip(b"\x00")
            received = received[start + 6 :]
            self.recoveries += 1
        if received:
            self.jobs.put(received)

    def _answer(self, connection: socket.socket, request: bytes) -> None:
        self.status_requests.append(request)
        if not self.silent:
            time.sleep(self.delay)
            answer = self.paper if request == PAPER_STATUS else self.online
            connection.sendall(bytes((answer,)))

    def next_job(self, timeout: float = 5.0) -> bytes:
        try:
            return self.jobs.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the printer received no job within {timeout}s") from None


@pytest.fixture
def fake_printer() -> Iterator[FakePrinter]:
    printer = FakePrinter()
    yield printer
    printer.close()
