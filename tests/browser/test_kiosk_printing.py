"""The kiosk in Chromium when its printer cannot print: the citizen gets the number and the
QR code large on the screen, with the words to take the number from the screen."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import Device, Service
from server.cli.demo import DemoCredentials
from server.services.printing import set_printer
from server.services.unit_of_work import UnitOfWork
from tests.browser.conftest import Screens, shoot
from tests.live import free_port

pytestmark = [pytest.mark.server, pytest.mark.browser]


def give_the_kiosk_a_printer(database: Database, creds: DemoCredentials, url: str) -> None:
    with database.reading() as session:
        kiosk_id = session.scalars(
            select(Device.id).where(Device.site_id == creds.site_id, Device.kind == "kiosk")
        ).one()
    set_printer(UnitOfWork(database), kiosk_id, url)


def test_with_the_printer_off_the_kiosk_screen_becomes_the_ticket(
    screens: Screens, live_server: Any, creds: DemoCredentials, database: Database
) -> None:
    give_the_kiosk_a_printer(database, creds, f"tcp://127.0.0.1:{free_port()}")
    citizen = screens.open(
        f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920
    )
    citizen.click("button.service >> text=Chứng thực")
    citizen.click("#no-priority")
    expect(citizen.locator("#result-number")).to_have_text("B001")
    trouble = citizen.locator("#print-trouble")
    expect(trouble).to_be_visible()
    expect(trouble).to_contain_text("vui lòng lấy số trên màn hình")
    expect(citizen.locator("#step-result")).to_have_class("step screen-ticket")
    qr_size = citizen.locator("#result-qr").evaluate("img => img.getBoundingClientRect().width")
    number_size = citizen.locator("#result-number").evaluate(
        "p => parseFloat(getComputedStyle(p).fontSize)"
    )
    assert qr_size >= 400 and number_size >= 150
    shoot(citizen, "kiosk-printer-fault")
    citizen.click("#done")
    expect(citizen.locator("#step-service")).to_be_visible()
    expect(trouble).to_be_hidden()


def test_with_a_working_printer_the_kiosk_says_the_ticket_is_printing(
    screens: Screens, live_server: Any, creds: DemoCredentials, database: Database
) -> None:
    give_the_kiosk_a_printer(database, creds, "dummy://")
    citizen = screens.open(
        f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920
    )
    citizen.click("button.service >> text=Tư pháp - Hộ tịch")
    citizen.click("#no-priority")
    expect(citizen.locator("#result-number")).to_have_text("A001")
    expect(citizen.locator("#print-status")).to_have_text("Mời ông/bà nhận vé in.")
    expect(citizen.locator("#print-trouble")).to_be_hidden()


def test_the_halls_printer_alert_is_a_human_message_not_python_error_text(
    screens: Screens, live_server: Any, creds: DemoCredentials, database: Database
) -> None:
    give_the_kiosk_a_printer(database, creds, f"tcp://127.0.0.1:{free_port()}")
    response = requests.post(
        f"{live_server.url}/api/kiosk/tickets",
        json={"service_id": _a_service(database, creds)},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    assert response.ok and response.json()["printing"]["status"] == "failed"
    hall = screens.open(f"{live_server.url}/login", 1920, 1080)
    hall.fill("#username", "quanly")
    hall.fill("#password", creds.passwords["quanly"])
    hall.click("button[type=submit]")
    hall.goto(f"{live_server.url}/manager")
    alert = hall.locator("#alerts li[data-printer-id]")
    expect(alert).to_contain_text("Máy in không kết nối được")
    for raw in ("Error", "Errno", "refused"):
        expect(alert).not_to_contain_text(raw)
    expect(hall.locator("#printers")).not_to_contain_text("Errno")


def _a_service(database: Database, creds: DemoCredentials) -> int:
    with database.reading() as session:
        return session.scalars(
            select(Service.id).where(Service.site_id == creds.site_id).order_by(Service.id)
        ).first()  # type: ignore[return-value]
