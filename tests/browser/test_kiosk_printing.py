"""The kiosk in Chromium when its printer cannot print: the citizen gets the number and the
QR code large on the screen, with the words to take the number from the screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import Device
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
    expect(citizen.locator("#print-status")).to_have_text("Mời bạn nhận vé in.")
    expect(citizen.locator("#print-trouble")).to_be_hidden()
