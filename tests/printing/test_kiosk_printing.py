"""A ticket taken at a kiosk with a printer, in-process (Flask's test client, threading
mode): a network printer gets exactly the ticket's bytes; a closed port, no paper or a
missing print agent never lose the ticket, the kiosk's answer says printing failed, and
the manager sees the fault until it clears; the print agent's side over Socket.IO."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.printer_url import parse_printer_url
from server.adapters.db.engine import Database
from server.adapters.db.models import Device, PrintJob, Ticket
from server.adapters.printing import spooler
from server.adapters.printing.escpos import encode_ticket, recovery
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.domain.printing import PrinterStatus, PrintJobStatus
from server.services import printing
from server.services.credentials import new_device_token, token_hash
from server.services.printing import ticket_content
from server.services.unit_of_work import UnitOfWork
from tests.conftest import AppFactory, Centre, Published, Staff, kiosk_headers
from tests.live import free_port, wait_until
from tests.printing.conftest import (
    PAPER_NEAR_END,
    PAPER_OUT,
    PAPER_STATUS,
    PRINTER_STATUS,
    FakePrinter,
    SetPrinter,
)

# Runs once, in the SQLite pass (printers and the spooler; the print-job rows are plain writes).
pytestmark = pytest.mark.anydb

TIMEOUT = 5.0


def take(client: FlaskClient, creds: DemoCredentials, centre: Centre, code: str = "HT") -> Any:
    body = {"service_id": centre.service[code]}
    response = client.post("/api/kiosk/tickets", json=body, headers=kiosk_headers(creds))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def job(database: Database, job_id: int) -> PrintJob:
    with database.reading() as session:
        found = session.get(PrintJob, job_id)
        assert found is not None
        return found


def finished(database: Database, job_id: int) -> PrintJob:
    return wait_until(lambda: (j := job(database, job_id)).status in ("printed", "failed") and j)  # type: ignore[no-any-return]


def expected_bytes(database: Database, ticket_id: int, printer_url: str) -> bytes:
    """The ticket encoded independently of the request, from what the database holds."""
    with database.reading() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        content = ticket_content(session, ticket, lambda token: f"http://localhost/t/{token}")
    return encode_ticket(content, parse_printer_url(printer_url), 576)


def printers(manager: Staff, centre: Centre) -> list[dict[str, Any]]:
    overview = manager.get(f"/api/sites/{centre.site_id}/overview").get_json()
    found: list[dict[str, Any]] = overview["printers"]
    return found


# -- a network printer --------------------------------------------------------------------


def test_a_network_printer_receives_exactly_the_bytes_of_the_ticket(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
) -> None:
    give_printer(fake_printer.url)
    body = take(client, creds, centre, "LD")
    assert body["printing"]["status"] in ("printing", "printed")
    assert body["printing"]["fault"] is False
    received = fake_printer.next_job()
    assert received == expected_bytes(database, body["ticket"]["ticket_id"], fake_printer.url)
    # Asked before the job, and after it to confirm it was all taken.
    assert fake_printer.status_requests == [PAPER_STATUS, PRINTER_STATUS] * 2
    printed = finished(database, body["printing"]["job_id"])
    reset = recovery(parse_printer_url(fake_printer.url), 576)  # a printer new to the kiosk
    assert fake_printer.recoveries == 1
    assert (printed.status, printed.size, printed.kind) == (
        "printed",
        len(reset) + len(received),
        "ticket",
    )


def test_with_the_printers_port_closed_the_ticket_is_issued_and_the_fault_shows_until_it_clears(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    login: Callable[[str], Staff],
    published: Published,
) -> None:
    port = free_port()
    give_printer(f"tcp://127.0.0.1:{port}")
    body = take(client, creds, centre)
    assert body["ticket"]["number"] == "A001"
    printing = body["printing"]
    assert (printing["status"], printing["printer_status"], printing["fault"]) == (
        "failed",
        "offline",
        True,
    )
    assert printing["message"] == "Máy in không kết nối được"
    # The technical detail is for the log and the job's record, never for the screen.
    assert "detail" not in printing
    assert "Connection refused" in finished(database, printing["job_id"]).error
    # The ticket is there all the same, in the queue and on the phone page.
    phone = client.get(f"/api/tickets/{body['ticket']['token']}").get_json()
    assert phone["ticket"]["status"] == "waiting"
    manager = login("quanly")
    [printer] = printers(manager, centre)
    assert (printer["printer_status"], printer["fault"], printer["printed_by"]) == (
        "offline",
        True,
        "server",
    )
    assert printer["last_job"]["status"] == "failed" and printer["since"]
    assert published.kinds().count("printer_changed") == 1

    # The printer is switched on: the next ticket prints and the fault clears.
    back = FakePrinter(port)
    try:
        again = take(client, creds, centre)
        assert again["printing"]["status"] in ("printing", "printed")
        back.next_job()
        finished(database, again["printing"]["job_id"])
    finally:
        back.close()
    [printer] = printers(manager, centre)
    assert (printer["printer_status"], printer["fault"]) == ("online", False)
    assert published.kinds().count("printer_changed") == 2
    # A printer that keeps printing makes no further noise on the hall's screens.
    changes = [c for c in published.changes if c.site_wide]
    assert [c.kind for c in changes].count("printer_changed") == 2


def test_a_printer_out_of_paper_gets_no_job_and_the_kiosk_says_printing_failed(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
    login: Callable[[str], Staff],
) -> None:
    fake_printer.paper = PAPER_OUT
    give_printer(fake_printer.url)
    body = take(client, creds, centre)
    assert (body["printing"]["status"], body["printing"]["printer_status"]) == (
        "failed",
        "paper_out",
    )
    assert body["printing"]["message"] == "Máy in hết giấy"
    wait_until(lambda: fake_printer.connections == 1)
    assert fake_printer.jobs.empty()
    [printer] = printers(login("quanly"), centre)
    assert (printer["printer_status"], printer["fault"]) == ("paper_out", True)


def test_paper_running_low_still_prints_and_is_a_warning_not_a_fault(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
    login: Callable[[str], Staff],
) -> None:
    fake_printer.paper = PAPER_NEAR_END
    give_printer(fake_printer.url)
    body = take(client, creds, centre)
    assert body["printing"]["printer_status"] == "paper_low"
    fake_printer.next_job()
    finished(database, body["printing"]["job_id"])
    [printer] = printers(login("quanly"), centre)
    assert (printer["printer_status"], printer["fault"]) == ("paper_low", False)
    assert printer["message"] == "Máy in sắp hết giấy"


def test_a_printer_that_never_answers_its_status_is_a_fault_not_printed(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
) -> None:
    fake_printer.silent = True
    give_printer(fake_printer.url)
    body = take(client, creds, centre)
    received = fake_printer.next_job(timeout=15)
    assert received == expected_bytes(database, body["ticket"]["ticket_id"], fake_printer.url)
    # Sent all the same (it may print), but never confirmed: the screen is the ticket.
    done = wait_until(
        lambda: (j := job(database, body["printing"]["job_id"])).status != "queued" and j, 15
    )
    assert done.status == "failed" and "did not confirm" in done.error
    assert fake_printer.status_requests[0] == PAPER_STATUS


def test_a_printer_failing_after_the_kiosks_answer_turns_its_screen_into_the_ticket(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    fake_printer: FakePrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()  # the real Socket.IO publisher
    monkeypatch.setattr(spooler, "WAIT_SECONDS", 0.05)
    # It says so after the kiosk's answer, but well within the status request's timeout.
    fake_printer.paper, fake_printer.delay = PAPER_OUT, 0.2
    give_printer(fake_printer.url)
    kiosk = socketio.test_client(app, auth={"device": creds.device_tokens["kiosk"]})
    board = socketio.test_client(app, auth={"device": creds.device_tokens["board"]})
    assert kiosk.is_connected() and board.is_connected()
    body = take(app.test_client(), creds, centre)
    assert body["printing"]["status"] == "queued"
    job_id = body["printing"]["job_id"]

    def failure() -> dict[str, Any] | None:
        for message in kiosk.get_received():
            if message["name"] == "printing" and message["args"][0]["job_id"] == job_id:
                found: dict[str, Any] = message["args"][0]
                return found
        return None

    event = wait_until(failure)
    assert (event["status"], event["printer_status"], event["number"]) == (
        "failed",
        "paper_out",
        "A001",
    )
    # Only that kiosk hears about its jobs; the board hears of the fault, as the hall may.
    heard = [m["name"] for m in board.get_received()]
    assert "printing" not in heard and "change" in heard


def test_a_kiosk_without_a_printer_prints_nothing_and_says_so(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, database: Database
) -> None:
    body = take(client, creds, centre)
    assert body["printing"] == {
        "job_id": None,
        "status": "none",
        "printer_status": None,
        "fault": False,
        "message": "",
        "message_en": "",
        "seconds": None,
    }
    with database.reading() as session:
        assert session.scalars(select(PrintJob)).all() == []


# -- the print agent's printers -------------------------------------------------------------


def test_with_its_print_agent_gone_a_kiosk_still_issues_and_says_printing_failed(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    login: Callable[[str], Staff],
) -> None:
    give_printer("usb://0416:5011")
    body = take(client, creds, centre)
    assert body["ticket"]["number"] == "A001"
    assert (body["printing"]["status"], body["printing"]["printer_status"]) == (
        "failed",
        "offline",
    )
    [printer] = printers(login("quanly"), centre)
    assert (printer["printed_by"], printer["agent_connected"], printer["fault"]) == (
        "agent",
        False,
        True,
    )


def received(client: Any, name: str) -> list[Any]:
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def test_the_print_agent_gets_its_kiosks_jobs_and_its_answers_settle_them(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    login: Callable[[str], Staff],
) -> None:
    app = make_app()
    give_printer("usb://0416:5011")
    agent = socketio.test_client(
        app, auth={"printer": creds.device_tokens["kiosk"], "status": "online"}
    )
    assert agent.is_connected()
    manager = login("quanly")
    [printer] = printers(manager, centre)
    assert (printer["agent_connected"], printer["printer_status"]) == (True, "online")

    body = take(app.test_client(), creds, centre)
    assert body["printing"]["status"] == "queued"
    job_id = body["printing"]["job_id"]
    [message] = wait_until(lambda: received(agent, "print"))
    assert message["job_id"] == job_id
    # The ticket alone, and its width: the agent knows how its printer was left, and
    # brings it back to a known state itself when it must (kiosk/agent.py).
    assert message["data"] == expected_bytes(database, body["ticket"]["ticket_id"], "usb://0:0")
    assert message["width"] == 576
    agent.emit("printed", {"job_id": job_id, "ok": True, "status": "online", "size": 1234})
    assert (job(database, job_id).status, job(database, job_id).size) == ("printed", 1234)

    # The next one finds the printer out of paper: the fault shows, then clears.
    second = take(app.test_client(), creds, centre)["printing"]["job_id"]
    wait_until(lambda: received(agent, "print"))
    agent.emit(
        "printed",
        {"job_id": second, "ok": False, "status": "paper_out", "detail": "ENOSPC"},
    )
    assert job(database, second).status == "failed"
    [printer] = printers(manager, centre)
    assert (printer["printer_status"], printer["fault"]) == ("paper_out", True)
    assert "detail" not in printer  # "ENOSPC" is for the log
    agent.emit("printer_status", {"status": "online"})
    [printer] = printers(manager, centre)
    assert (printer["printer_status"], printer["fault"]) == ("online", False)

    agent.disconnect()
    [printer] = printers(manager, centre)
    assert (printer["agent_connected"], printer["printer_status"], printer["fault"]) == (
        False,
        "offline",
        True,
    )


def test_a_job_its_agent_never_answers_fails_in_time(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
) -> None:
    app = make_app()  # the agent's time to answer is 1 s in these tests (conftest)
    give_printer("serial:///dev/ttyUSB0")
    agent = socketio.test_client(app, auth={"printer": creds.device_tokens["kiosk"]})
    assert agent.is_connected()
    body = take(app.test_client(), creds, centre)
    late = finished(database, body["printing"]["job_id"])
    assert (late.status, late.error) == ("failed", "no answer from the print agent")
    # An answer that comes after all is the truth, and is recorded.
    agent.emit("printed", {"job_id": late.id, "ok": True, "status": "online"})
    assert job(database, late.id).status == PrintJobStatus.PRINTED


def test_an_agent_answers_only_for_its_own_kiosk_and_needs_a_kiosk_token(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
) -> None:
    app: Flask = make_app()
    other_token = new_device_token()
    with database.write_session() as session, session.begin():
        session.add(
            Device(
                site_id=centre.site_id,
                kind="kiosk",
                name="Ki-ốt tầng 2",
                token_hash=token_hash(other_token),
            )
        )
    for auth in ({"printer": creds.device_tokens["board"]}, {"printer": "nope"}, {"printer": 7}):
        assert not socketio.test_client(app, auth=auth).is_connected()
    give_printer("usb://0416:5011")
    mine = socketio.test_client(app, auth={"printer": creds.device_tokens["kiosk"]})
    other = socketio.test_client(app, auth={"printer": other_token})
    body = take(app.test_client(), creds, centre)
    job_id = body["printing"]["job_id"]
    wait_until(lambda: received(mine, "print"))
    assert received(other, "print") == []  # the other kiosk's agent never sees it
    other.emit("printed", {"job_id": job_id, "ok": False, "status": "paper_out"})
    assert job(database, job_id).status == "sent"
    assert finished(database, job_id).error == "no answer from the print agent"


def test_a_second_agent_of_the_same_kiosk_replaces_the_first(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
) -> None:
    """Two agents would print every ticket twice: the newest connection wins (the old one
    may be a dead link the server has not noticed yet)."""
    app = make_app()
    give_printer("usb://0416:5011")
    old = socketio.test_client(app, auth={"printer": creds.device_tokens["kiosk"]})
    new = socketio.test_client(app, auth={"printer": creds.device_tokens["kiosk"]})
    assert new.is_connected() and not old.is_connected()
    job_id = take(app.test_client(), creds, centre)["printing"]["job_id"]
    [message] = wait_until(lambda: received(new, "print"))
    assert message["job_id"] == job_id
    new.emit("printed", {"job_id": job_id, "ok": True, "status": "online"})
    assert job(database, job_id).status == "printed"


def test_a_broken_printer_url_in_the_database_fails_the_job_not_the_ticket(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    kiosk_id: int,
) -> None:
    with database.write_session() as session, session.begin():
        device = session.get(Device, kiosk_id)
        assert device is not None
        device.printer_url = "lpt://1"  # by hand, past set-printer's checks
    body = take(client, creds, centre)
    assert body["ticket"]["number"] == "A001"
    assert (body["printing"]["status"], body["printing"]["printer_status"]) == ("failed", "error")


def test_even_a_crash_in_printing_leaves_the_kiosk_with_its_number(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    give_printer("dummy://")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database gone away")

    monkeypatch.setattr(printing, "print_ticket", crash)
    body = take(client, creds, centre)
    assert body["ticket"]["number"] == "A001"
    assert (body["printing"]["status"], body["printing"]["printer_status"]) == ("failed", "error")


def test_an_unchanged_heartbeat_of_the_agent_writes_nothing(
    uow: UnitOfWork,
    database: Database,
    kiosk_id: int,
    published: Published,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes: list[int] = []
    open_for_writing = database.write_session

    def counted() -> Session:
        writes.append(1)
        return open_for_writing()

    monkeypatch.setattr(database, "write_session", counted)
    printing.report_printer_status(uow, kiosk_id, PrinterStatus.PAPER_OUT, "no paper")
    printing.report_printer_status(uow, kiosk_id, PrinterStatus.PAPER_OUT, "no paper")
    printing.report_printer_status(uow, kiosk_id, PrinterStatus.PAPER_OUT, "cover open")
    assert len(writes) == 2  # every agent's heartbeat, every 15 s, would be a write otherwise
    with database.reading() as session:
        device = session.get(Device, kiosk_id)
        assert device is not None and device.printer_detail == "cover open"
    assert published.kinds() == ["printer_changed"]  # the fault appeared once
