"""Printers that jam, stall, drop the line or crawl (issue 19): a job is "printed" only when
the printer took every byte and then answered a status request, within a deadline sized by
its link; every job starts from a known state, even on a printer left in the middle of an
image; slow links get fewer bytes and a longer, announced, deadline."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import printers
from kiosk.printer_url import parse_printer_url
from kiosk.printers import PrinterStatus, deliver
from server.adapters.db.engine import Database
from server.adapters.printing import spooler
from server.adapters.printing.escpos import encode_ticket, recovery
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.domain.printing import PrintMode
from server.services.printing import ticket_content
from server.services.unit_of_work import UnitOfWork
from tests.conftest import AppFactory, Centre, kiosk_headers
from tests.live import wait_until
from tests.printing.conftest import SetPrinter, sample
from tests.printing.escpos_stream import parse
from tests.printing.fake_printers import FaultyPrinter, SlowSerialPrinter
from tests.printing.test_kiosk_printing import finished, take
from tests.printing.test_kiosk_printing import printers as hall_printers

agent_deadline = spooler.agent_deadline  # the real one (conftest shortens it for most tests)


@pytest.fixture
def faulty() -> Iterator[list[FaultyPrinter]]:
    made: list[FaultyPrinter] = []
    yield made
    for printer in made:
        printer.close()


def ticket_bytes(width: int = 576, **changes: Any) -> bytes:
    return encode_ticket(sample(**changes), parse_printer_url("tcp://127.0.0.1"), width)


# -- 1. "printed" means taken and confirmed --------------------------------------------------


def test_a_printer_that_stops_reading_mid_job_is_a_fault_not_printed(
    faulty: list[FaultyPrinter],
) -> None:
    printer = FaultyPrinter(stall_after=4096, buffer=4096)
    faulty.append(printer)
    data = ticket_bytes()
    started = time.monotonic()
    result = deliver(parse_printer_url(printer.url), data)
    took = time.monotonic() - started
    assert not result.ok
    assert result.status.is_fault
    # Within the deadline of a job this size on a network printer, not the old 10 s drain.
    assert took < printers.job_deadline(parse_printer_url(printer.url), len(data)) + 1


def test_a_silent_printer_is_a_fault_not_printed(faulty: list[FaultyPrinter]) -> None:
    printer = FaultyPrinter(silent=True)
    faulty.append(printer)
    result = deliver(parse_printer_url(printer.url), ticket_bytes())
    assert not result.ok and result.status.is_fault
    assert printer.paper.status_requests, "it was asked, and never answered"


def test_a_printer_that_answers_after_the_job_has_printed_it(
    faulty: list[FaultyPrinter],
) -> None:
    printer = FaultyPrinter()
    faulty.append(printer)
    data = ticket_bytes()
    result = deliver(parse_printer_url(printer.url), data)
    assert result.ok and result.status == PrinterStatus.ONLINE
    assert printer.received >= len(data)
    # The last request came after the whole job.
    assert len(printer.paper.status_requests) >= 3


def test_a_slow_network_printer_prints_within_its_sized_deadline(
    faulty: list[FaultyPrinter],
) -> None:
    printer = FaultyPrinter(rate=40_000, buffer=4096)
    faulty.append(printer)
    data = ticket_bytes(384)
    result = deliver(parse_printer_url(printer.url), data)
    assert result.ok, result.detail
    assert printer.received >= len(data)


def test_a_jammed_printer_shows_on_the_kiosk_and_in_the_hall(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    faulty: list[FaultyPrinter],
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(printers, "CONFIRM_MARGIN", 0.5)
    printer = FaultyPrinter(stall_after=4096, buffer=4096)
    faulty.append(printer)
    give_printer(printer.url)
    body = take(client, creds, centre)
    assert body["printing"]["seconds"] > 0  # the kiosk knows how long it may take
    done = finished_within(database, body["printing"]["job_id"], body["printing"]["seconds"] + 2)
    assert done.status == "failed"
    [shown] = hall_printers(login("quanly"), centre)
    assert shown["fault"] is True


# -- 2. a known state at the start of every job ---------------------------------------------


def finished_within(database: Database, job_id: int, seconds: float) -> Any:
    from tests.printing.test_kiosk_printing import job

    return wait_until(
        lambda: (j := job(database, job_id)).status in ("printed", "failed") and j, seconds
    )


def rows_of(data: bytes) -> list[bytes]:
    return parse(data, 576).rows


def printed_tickets(printer: FaultyPrinter) -> list[list[bytes]]:
    return [ticket for ticket in printer.paper.tickets if ticket]


def test_after_a_job_cut_mid_raster_the_next_ticket_prints_whole(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    faulty: list[FaultyPrinter],
) -> None:
    # Inside the first raster band, after the status requests and the recovery a printer
    # never seen before gets.
    printer = FaultyPrinter(drop_after=6 + len(recovery(parse_printer_url("tcp://h"), 576)) + 3000)
    faulty.append(printer)
    give_printer(printer.url)
    first = take(client, creds, centre)
    assert finished(database, first["printing"]["job_id"]).status == "failed"
    assert printer.paper.waiting_for_raster > 0, "the printer still expects the image"
    second = take(client, creds, centre)
    assert finished(database, second["printing"]["job_id"]).status == "printed"
    assert printer.paper.waiting_for_raster == 0
    assert printed_tickets(printer)[-1] == rows_of(ticket_of(database, second, printer.url))


def test_a_printer_left_mid_raster_by_a_killed_agent_prints_the_next_ticket_whole(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    faulty: list[FaultyPrinter],
) -> None:
    printer = FaultyPrinter()
    faulty.append(printer)
    # Someone else's job, cut 2 KB into its first image (the agent was killed).
    with socket.create_connection(("127.0.0.1", printer.port)) as cut_short:
        cut_short.sendall(ticket_bytes(number="Z999")[:2000])
    wait_until(lambda: printer.connections == 1)
    assert printer.paper.waiting_for_raster > 0
    give_printer(printer.url)
    body = take(client, creds, centre)
    assert finished(database, body["printing"]["job_id"]).status == "printed"
    assert printed_tickets(printer)[-1] == rows_of(ticket_of(database, body, printer.url))


def ticket_of(database: Database, body: dict[str, Any], url: str) -> bytes:
    from server.adapters.db.models import Ticket

    with database.reading() as session:
        ticket = session.get(Ticket, body["ticket"]["ticket_id"])
        assert ticket is not None
        content = ticket_content(session, ticket, lambda token: f"http://localhost/t/{token}")
    return encode_ticket(content, parse_printer_url(url), 576)


# -- 3. the paper width from the printer's profile ------------------------------------------


def test_the_width_comes_from_the_profile_and_a_mismatch_is_warned(
    database: Database, kiosk_id: int
) -> None:
    from server.services.printing import set_printer

    url = "tcp://192.168.1.50?profile=TM-T88V"
    settings = set_printer(UnitOfWork(database), kiosk_id, url)
    assert settings.width == 512 and settings.warnings == ()
    forced = set_printer(UnitOfWork(database), kiosk_id, url, width=576)
    assert forced.width == 576
    [warning] = forced.warnings
    assert "512" in warning


# -- 4. slow links ----------------------------------------------------------------------------


def test_a_serial_printer_at_9600_baud_is_printed_only_once_it_took_every_byte() -> None:
    printer = SlowSerialPrinter(9600)
    try:
        url = parse_printer_url(printer.url())
        data = b"\x1b@" + b"\x1bJ\x10" * 1000 + b"\x1dVB\x20"  # 3 KB: about 3.1 s at 9600
        started = time.monotonic()
        result = deliver(url, data)
        assert result.ok, result.detail
        assert printer.received >= len(data)
        assert time.monotonic() - started >= len(data) * 10 / 9600 * 0.8
        assert printers.job_deadline(url, len(data)) > len(data) * 10 / 9600
    finally:
        printer.close()


def test_at_9600_baud_the_ticket_is_smaller_uses_the_printers_qr_and_the_kiosk_is_told(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spooler, "agent_deadline", agent_deadline)
    slow_url = "serial:///dev/ttyUSB0?baudrate=9600"
    slow = encode_ticket(sample(), parse_printer_url(slow_url), 576)
    fast = encode_ticket(sample(), parse_printer_url("serial:///dev/ttyUSB0?baudrate=115200"), 576)
    assert b"\x1d(k" in slow and b"\x1d(k" not in fast
    assert len(slow) < len(fast) * 0.85
    app: Flask = make_app()
    give_printer(slow_url)
    agent = socketio.test_client(app, auth={"printer": creds.device_tokens["kiosk"]})
    assert agent.is_connected()
    response = app.test_client().post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    printing = response.get_json()["printing"]
    [job] = wait_until(lambda: [m["args"][0] for m in agent.get_received() if m["name"] == "print"])
    link = len(job["data"]) * 10 / 9600
    # The kiosk hears how long the answer may take: the link's time and more, and its
    # result screen then outlasts the agent's deadline.
    assert printing["seconds"] > link
    assert agent_deadline(parse_printer_url(slow_url), len(job["data"])) > link
    assert printing["seconds"] >= agent_deadline(parse_printer_url(slow_url), len(job["data"]))
    agent.emit("printed", {"job_id": job["job_id"], "ok": True, "status": "online"})


def test_the_agents_deadline_is_not_the_kiosks_15_second_screen() -> None:
    usb = parse_printer_url("usb://0416:5011")
    deadline = agent_deadline(usb, len(ticket_bytes()))
    assert deadline <= 15 - 3


# -- 5 and 6: text mode and layout -----------------------------------------------------------


@pytest.mark.parametrize("width", [576, 384])
def test_cp1258_lines_fit_the_printers_columns_and_never_break_a_word(width: int) -> None:
    import unicodedata

    data = encode_ticket(
        sample(), parse_printer_url("tcp://127.0.0.1?profile=TM-T88V"), width, PrintMode.TEXT
    )
    text = parse(data, width).text("cp1258")
    columns = width // 12
    lines = [line for line in text.split("\n") if line.strip()]
    for line in lines:
        assert len(line) <= columns, line  # every byte (a tone too) is a column
    words = {unicodedata.normalize("NFC", w) for line in lines for w in line.split()}
    for expected in ("thoại", "26/11/2026", "Quét", "điện"):
        assert expected in words, (expected, lines)


def test_text_mode_sends_the_qr_with_the_printers_own_command() -> None:
    data = encode_ticket(
        sample(), parse_printer_url("tcp://127.0.0.1?profile=TM-T88V"), 576, PrintMode.TEXT
    )
    assert b"\x1d(k" in data
    assert b"\x1dv0" not in data
    assert len(data) < 2000


@pytest.mark.parametrize("mode", [PrintMode.IMAGE, PrintMode.TEXT])
def test_the_cut_leaves_a_margin_under_the_last_line(mode: PrintMode) -> None:
    data = encode_ticket(sample(), parse_printer_url("tcp://127.0.0.1?profile=TM-T88V"), 576, mode)
    assert data[-4:-1] == b"\x1dVB"
    assert data[-1] >= 16  # dots fed past the cutter: 2 mm and more


@pytest.mark.parametrize("width", [576, 384])
def test_the_qr_code_has_a_quiet_zone_of_four_modules(width: int) -> None:
    from server.adapters.printing.ticket_layout import QR_MODULE_DOTS, qr_image, render_ticket

    content = sample()
    ticket = render_ticket(content, width)
    qr = qr_image(content.phone_url)
    quiet = 4 * QR_MODULE_DOTS
    # Where the QR is: against the right margin or the left one, where the image holds
    # exactly the code.
    margin = max(8, width // 64)
    code = qr.tobytes()
    [(left, top)] = [
        (x, y)
        for x in (margin, width - margin - qr.width)
        for y in range(ticket.height - qr.height)
        if ticket.crop((x, y, x + qr.width, y + qr.height)).tobytes() == code
    ]
    # Beyond the image is the paper's own unprinted margin: white.
    x0, x1 = max(left - quiet, 0), min(left + qr.width + quiet, width)
    ring = ticket.crop((x0, top - quiet, x1, top + qr.height + quiet))
    ring.paste(1, (left - x0, quiet, left - x0 + qr.width, quiet + qr.height))  # the code
    assert ring.convert("L").getextrema() == (255, 255)


def test_figures_on_a_58mm_ticket_are_at_least_8_points() -> None:
    from server.adapters.printing.ticket_layout import text_size

    for style in ("info", "small"):
        assert text_size(style, 384) * 72 / 203 >= 7.9


def test_an_expired_agent_job_is_no_false_offline_while_the_agent_is_connected(
    make_app: AppFactory,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spooler, "agent_deadline", lambda url, size: 0.5, raising=False)
    app = make_app()
    give_printer("usb://0416:5011")
    agent = socketio.test_client(
        app, auth={"printer": creds.device_tokens["kiosk"], "status": "online"}
    )
    assert agent.is_connected()
    body = take(app.test_client(), creds, centre)
    assert finished(database, body["printing"]["job_id"]).status == "failed"
    [shown] = hall_printers(login("quanly"), centre)
    assert shown["agent_connected"] is True
    assert shown["printer_status"] != "offline"
