"""Staff and printing: a ticket's paper as a PNG for those who may handle the ticket, a
reprint, an administrator's test print, and setting a kiosk's printer (the command line's
`set-printer` and `devices`, and a sample printed straight to a printer)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import func, select

from server.adapters.db.engine import Database
from server.adapters.db.models import PrintJob, Ticket
from server.cli.demo import DemoCredentials
from server.cli.main import cli
from server.domain.errors import InvalidInput, NotFound
from server.domain.printing import PrintMode
from server.services.printing import set_printer
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, Staff, kiosk_headers
from tests.integration.test_fuzz_api import ids, json_values
from tests.printing.conftest import SetPrinter
from tests.printing.escpos_stream import parse

# Runs once, in the SQLite pass (printers and the spooler; the print-job rows are plain writes).
pytestmark = pytest.mark.anydb

Login = Callable[[str], Staff]


def take(client: FlaskClient, creds: DemoCredentials, centre: Centre, code: str = "HT") -> Any:
    body = {"service_id": centre.service[code]}
    response = client.post("/api/kiosk/tickets", json=body, headers=kiosk_headers(creds))
    assert response.status_code == 201
    return response.get_json()["ticket"]


def png(response: Any) -> Image.Image:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.get_data()))


def test_a_manager_sees_a_tickets_paper_as_a_png_with_its_qr_code(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, login: Login
) -> None:
    ticket = take(client, creds, centre)
    url = f"/api/printing/tickets/{ticket['ticket_id']}/preview.png"
    image = png(login("quanly").get(url))
    assert image.width == 576
    [code] = zxingcpp.read_barcodes(image.convert("L"))
    assert code.text == ticket["phone_url"]
    assert png(login("admin").get(url + "?width=384")).width == 384


def test_a_clerk_sees_the_paper_of_tickets_of_their_counters_services_only(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, login: Login
) -> None:
    civil = take(client, creds, centre, "HT")  # counters 1, 2 (canbo1) and 5
    url = f"/api/printing/tickets/{civil['ticket_id']}/preview.png"
    png(login("canbo1").get(url))
    refused = login("canbo4").get(url)  # land and business only
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert client.get(url).status_code == 401
    assert login("quanly").get("/api/printing/tickets/999/preview.png").status_code == 404
    bad = login("quanly").get(url + "?width=100")
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_input"


def test_staff_reprint_a_waiting_ticket_on_its_kiosk(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    login: Login,
) -> None:
    give_printer("dummy://")
    ticket = take(client, creds, centre)
    response = login("canbo1").post(f"/api/printing/tickets/{ticket['ticket_id']}/reprint")
    assert response.status_code == 200
    assert response.get_json()["printing"]["status"] == "printed"
    with database.reading() as session:
        jobs = session.scalars(select(PrintJob).order_by(PrintJob.id)).all()
        kinds = [(j.kind, j.requested_by) for j in jobs]
    assert kinds == [("ticket", None), ("reprint", centre.user["canbo1"])]


def test_a_finished_ticket_or_a_kiosk_without_printer_is_not_reprinted(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    give_printer: SetPrinter,
    login: Login,
) -> None:
    ticket = take(client, creds, centre)
    staff = login("canbo1")
    url = f"/api/printing/tickets/{ticket['ticket_id']}/reprint"
    no_printer = staff.post(url)
    assert no_printer.status_code == 409 and no_printer.get_json()["error"] == "no_printer"
    give_printer("dummy://")
    assert staff.post(url, json={"device_id": 4242}).status_code == 404
    assert login("canbo4").post(url).status_code == 403
    staff.act(centre.counter[1], "open")
    staff.act(centre.counter[1], "cancel", ticket_id=ticket["ticket_id"])
    closed = staff.post(url)
    assert closed.status_code == 409 and closed.get_json()["error"] == "wrong_ticket_state"


def test_an_administrator_prints_a_test_ticket_on_a_kiosk(
    client: FlaskClient,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    kiosk_id: int,
    login: Login,
) -> None:
    url = f"/api/printing/devices/{kiosk_id}/test"
    assert login("admin").post(url).status_code == 409  # no printer yet
    give_printer("dummy://")
    response = login("admin").post(url)
    assert response.get_json()["printing"]["status"] == "printed"
    with database.reading() as session:
        [job] = session.scalars(select(PrintJob)).all()
    assert (job.kind, job.ticket_id, job.status) == ("test", None, "printed")
    assert login("quanly").post(url).status_code == 403
    assert login("admin").post("/api/printing/devices/4242/test").status_code == 404


def test_setting_a_printer_checks_its_url_width_and_mode(database: Database, kiosk_id: int) -> None:
    uow = UnitOfWork(database)
    settings = set_printer(uow, kiosk_id, " tcp://192.168.1.50:9100 ", 384, PrintMode.TEXT)
    assert (settings.printer_url, settings.width, settings.mode) == (
        "tcp://192.168.1.50:9100",
        384,
        PrintMode.TEXT,
    )
    for url, width, mode in [
        ("lpt://1", None, None),
        ("tcp://printer?profile=NoSuchModel", None, None),
        ("tcp://printer?profile=TM-T88IV-SA", None, PrintMode.TEXT),  # no CP1258 known
        ("dummy://", 500, None),
        ("dummy://", 16, None),
    ]:
        with pytest.raises(InvalidInput):
            set_printer(uow, kiosk_id, url, width, mode)
    with pytest.raises(NotFound):
        set_printer(uow, kiosk_id + 1, "dummy://")  # the demo board is no kiosk
    assert set_printer(uow, kiosk_id, "").printer_url == ""


# -- the command line ---------------------------------------------------------------------


@pytest.fixture
def xephang(instance: Path, database_url: str) -> Callable[..., Any]:
    env: dict[str, str | None] = {
        "XEPHANG_INSTANCE": str(instance),
        "XEPHANG_DATABASE_URL": database_url,
    }

    def run(*args: str) -> Any:
        return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)

    return run


def test_set_printer_and_devices_from_the_command_line(
    xephang: Callable[..., Any], kiosk_id: int
) -> None:
    usb = ("--printer", "usb://0416:5011", "--width", "384")
    done = xephang("set-printer", "--device-id", str(kiosk_id), *usb)
    assert done.exit_code == 0, done.output
    assert "Kiosk sảnh chính: usb://0416:5011 (image, 384 dots)" in done.output
    listed = xephang("devices").output
    assert f"{kiosk_id:>4}  tan-dinh" in listed and "[usb://0416:5011 image 384: unknown]" in listed
    refused = xephang("set-printer", "--device-id", str(kiosk_id), "--printer", "lpt://1")
    assert refused.exit_code == 2 and "Bad printer URL" in refused.output


def test_print_sample_prints_straight_to_a_printer_and_saves_a_preview(
    xephang: Callable[..., Any], tmp_path: Path
) -> None:
    paper, preview = tmp_path / "lp0", tmp_path / "sample.png"
    done = xephang(
        "print-sample", "--printer", f"file://{paper}", "--width", "384", "--png", str(preview)
    )
    assert done.exit_code == 0, done.output
    assert "printed" in done.output
    assert parse(paper.read_bytes(), 384).raster
    assert Image.open(preview).width == 384
    failed = xephang("print-sample", "--printer", f"file://{tmp_path}/missing/lp0")
    assert failed.exit_code == 1 and "FAILED (offline)" in failed.output


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=json_values | st.fixed_dictionaries({}, optional={"device_id": json_values | ids}))
@example(body={"device_id": 2**63})
@example(body={"device_id": True})
def test_random_reprint_bodies_never_fail_with_a_500_and_a_refusal_prints_nothing(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    give_printer: SetPrinter,
    login: Login,
    body: Any,
) -> None:
    give_printer("dummy://")
    with database.reading() as session:
        jobs_before = session.scalar(select(func.count(PrintJob.id))) or 0
        ticket_id = session.scalar(select(func.min(Ticket.id)))
    if ticket_id is None:
        ticket_id = take(client, creds, centre)["ticket_id"]
        jobs_before += 1
    response = login("canbo1").post(f"/api/printing/tickets/{ticket_id}/reprint", json=body)
    assert response.status_code < 500, response.get_json()
    with database.reading() as session:
        jobs_after = session.scalar(select(func.count(PrintJob.id))) or 0
    if response.status_code >= 400:
        assert response.get_json()["message_en"]
        assert jobs_after == jobs_before
    else:
        assert jobs_after == jobs_before + 1
