"""Printing against a real `xephang serve` (eventlet) on 127.0.0.1: a fake network printer
fed by the server's background printing, and the kiosk print agent as a real process that
prints to a file printer, is killed with SIGKILL, and prints again once restarted."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from kiosk.printer_url import parse_printer_url
from server.adapters.db.engine import Database
from server.adapters.db.models import Device, PrintJob, Ticket
from server.adapters.printing.escpos import encode_ticket, recovery
from server.cli.demo import DemoCredentials
from server.services.printing import ticket_content
from tests.conftest import Centre
from tests.live import LiveServer, free_port, http_session, running
from tests.live import wait_until as wait_briefly
from tests.printing.conftest import FakePrinter, SetPrinter

pytestmark = pytest.mark.server

TIMEOUT = 10.0
# A real server and a real agent process: give them longer than in-process tests.
wait_until = partial(wait_briefly, timeout=TIMEOUT)
XEPHANG = Path(sys.executable).with_name("xephang")


@pytest.fixture
def server(instance: Path, database_url: str, creds: DemoCredentials) -> Iterator[LiveServer]:
    with running(instance, database_url) as live:
        yield live


def take(server: LiveServer, creds: DemoCredentials, centre: Centre) -> dict[str, Any]:
    with http_session() as http:
        response = http.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": centre.service["CT"]},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=TIMEOUT,
        )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def job_status(database: Database, job_id: int) -> str:
    with database.reading() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None
        return str(job.status)


def expected_bytes(database: Database, server: LiveServer, ticket_id: int, url: str) -> bytes:
    with database.reading() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        content = ticket_content(session, ticket, lambda token: f"{server.url}/t/{token}")
    return encode_ticket(content, parse_printer_url(url), 576)


def test_the_real_server_prints_on_a_network_printer_in_the_background(
    server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
) -> None:
    give_printer(fake_printer.url)
    body = take(server, creds, centre)
    assert body["printing"]["status"] in ("printing", "printed")
    received = fake_printer.next_job()
    assert received == expected_bytes(
        database, server, body["ticket"]["ticket_id"], fake_printer.url
    )
    wait_until(lambda: job_status(database, body["printing"]["job_id"]) == "printed")

    give_printer(f"tcp://127.0.0.1:{free_port()}")  # switched off
    failed = take(server, creds, centre)
    assert (failed["ticket"]["number"], failed["printing"]["status"]) == ("B002", "failed")
    assert failed["printing"]["printer_status"] == "offline"


class Agent:
    """`xephang agent` as a real process, with its log in the instance folder."""

    def __init__(self, server: LiveServer, token: str, paper: Path) -> None:
        self.command = [
            str(XEPHANG),
            "agent",
            "--server",
            server.url,
            "--printer",
            f"file://{paper}",
            "--status-seconds",
            "1",
        ]
        self.env = {"XEPHANG_DEVICE_TOKEN": token, "PATH": "/usr/bin:/bin"}
        self.log_path = server.instance / "agent.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no goodbye to the server
        self.process.wait(timeout=TIMEOUT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def agent_connected(database: Database, kiosk_id: int) -> bool:
    with database.reading() as session:
        device = session.get(Device, kiosk_id)
        return device is not None and device.agent_sid is not None


def test_the_print_agent_prints_acknowledges_and_comes_back_after_being_killed(
    server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    kiosk_id: int,
    tmp_path: Path,
) -> None:
    paper = tmp_path / "lp0"
    give_printer("file:///dev/usb/lp0")  # on the kiosk PC: the agent says where it prints
    agent = Agent(server, creds.device_tokens["kiosk"], paper)
    try:
        agent.start()
        wait_until(lambda: agent_connected(database, kiosk_id), what="agent connected")
        first = take(server, creds, centre)
        assert first["printing"]["status"] == "queued"
        wait_until(
            lambda: job_status(database, first["printing"]["job_id"]) == "printed",
            what=f"first job printed; agent log:\n{agent.log()}",
        )
        first_bytes = expected_bytes(database, server, first["ticket"]["ticket_id"], "file:///x")
        # The kiosk's printer never printed before: brought to a known state first.
        reset = recovery(parse_printer_url("file:///x"), 576)
        assert paper.read_bytes() == reset + first_bytes

        agent.kill()
        wait_until(lambda: not agent_connected(database, kiosk_id), what="server saw it go")
        gone = take(server, creds, centre)
        assert (gone["printing"]["status"], gone["printing"]["printer_status"]) == (
            "failed",
            "offline",
        )

        agent.start()
        wait_until(lambda: agent_connected(database, kiosk_id), what="agent reconnected")
        again = take(server, creds, centre)
        wait_until(
            lambda: job_status(database, again["printing"]["job_id"]) == "printed",
            what=f"job after restart printed; agent log:\n{agent.log()}",
        )
        again_bytes = expected_bytes(database, server, again["ticket"]["ticket_id"], "file:///x")
        # The job before failed (its agent was gone): the printer is reset again.
        assert paper.read_bytes() == reset + first_bytes + reset + again_bytes
        assert job_status(database, gone["printing"]["job_id"]) == "failed"
    finally:
        agent.stop()


def test_the_print_agent_waits_for_a_server_that_is_not_up_yet(
    instance: Path,
    database_url: str,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    kiosk_id: int,
    tmp_path: Path,
) -> None:
    give_printer("serial:///dev/ttyUSB0")
    server = LiveServer(instance, database_url)
    agent = Agent(server, creds.device_tokens["kiosk"], tmp_path / "lp0")
    try:
        agent.start()  # the server is not there yet
        time.sleep(1.5)
        server.start()
        wait_until(lambda: agent_connected(database, kiosk_id), timeout=20, what=agent.log())
        body = take(server, creds, centre)
        wait_until(lambda: job_status(database, body["printing"]["job_id"]) == "printed")
    finally:
        agent.stop()
        server.stop()
