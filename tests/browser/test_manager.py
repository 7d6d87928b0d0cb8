"""The managers' screens in a real Chromium against a real `xephang serve`: the live hall
raises an alert when a citizen waits past the target and clears it when they are called;
the statistics page draws its charts beside the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from server.adapters.db.models import Service, Ticket
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre

pytestmark = [pytest.mark.server, pytest.mark.browser]


def manager_page(screens: Screens, server: Any, creds: DemoCredentials, path: str) -> Any:
    page = screens.open(f"{server.url}/login", 1920, 1080)
    page.fill("#username", "quanly")
    page.fill("#password", creds.passwords["quanly"])
    page.click("button[type=submit]")
    page.goto(f"{server.url}{path}")
    return page


def issue(server: Any, http: Any, creds: DemoCredentials, service_id: int) -> int:
    response = http.post(
        f"{server.url}/api/kiosk/tickets",
        json={"service_id": service_id},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    assert response.ok, response.text
    ticket_id: int = response.json()["ticket"]["ticket_id"]
    return ticket_id


def test_the_hall_raises_an_alert_past_the_target_until_the_citizen_is_called(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    land = centre.service["DD"]
    with centre.db.write_session() as session, session.begin():
        session.execute(update(Service).where(Service.id == land).values(target_minutes=5))
    hall = manager_page(screens, live_server, creds, "/manager")
    expect(hall.locator("#queues tr")).to_have_count(6)
    expect(hall.locator("#no-alerts")).to_be_visible()
    expect(hall.locator("#connection")).to_have_text("Đang cập nhật trực tiếp")

    http = live_server.session_for("canbo4", creds.passwords["canbo4"])
    first = issue(live_server, http, creds, land)
    queue = hall.locator(f"#queues tr[data-service-id='{land}'] .waiting")
    expect(queue).to_have_text("1")  # pushed live, no reload
    expect(hall.locator("#alerts li[data-service-id]")).to_have_count(0)

    # The citizen has in fact been waiting 7 minutes; the next change brings the hall a
    # snapshot that says so, and the alert shows.
    seven_minutes_ago = datetime.now(UTC) - timedelta(minutes=7)
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Ticket).where(Ticket.id == first).values(queued_at=seven_minutes_ago)
        )
    issue(live_server, http, creds, land)
    expect(queue).to_have_text("2")
    alert = hall.locator(f"#alerts li[data-service-id='{land}']")
    expect(alert).to_contain_text("1 người chờ quá 5 phút")
    expect(hall.locator(f"#queues tr[data-service-id='{land}']")).to_have_class("late")
    shoot(hall, "manager-hall-alert")

    counter_4 = centre.counter[4]
    for action in ("open", "call-next"):
        response = http.post(
            f"{live_server.url}/api/counters/{counter_4}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    expect(alert).to_have_count(0)  # called: the alert clears by itself
    row = hall.locator(f"#counters tr[data-counter-id='{counter_4}']")
    expect(row).to_contain_text("Phạm Quốc Dũng")
    expect(row).to_contain_text("C001 · Đã gọi")
    expect(row).to_contain_text("Đang mở")


def test_the_statistics_page_draws_its_charts_and_prints_the_tables(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    http = live_server.session_for("canbo1", creds.passwords["canbo1"])
    issue(live_server, http, creds, centre.service["HT"])
    for action in ("open", "call-next", "start", "finish"):
        response = http.post(
            f"{live_server.url}/api/counters/{centre.counter[1]}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    page = manager_page(screens, live_server, creds, "/manager/statistics")
    expect(page.locator("#total-issued")).to_have_text("1")
    expect(page.locator("#total-served")).to_have_text("1")
    expect(page.locator("#charts")).to_have_attribute("data-drawn", "true")
    expect(page.locator("#section-clerk")).to_contain_text("Nguyễn Thị Hồng")
    shoot(page, "manager-statistics")
    page.emulate_media(media="print")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.locator("#section-service table")).to_be_visible()


def test_a_printer_fault_shows_on_the_hall_until_the_printer_is_back(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    from server.adapters.db.models import Device
    from server.services.credentials import token_hash
    from tests.live import free_port
    from tests.printing.conftest import FakePrinter

    port = free_port()
    kiosk_token = token_hash(creds.device_tokens["kiosk"])
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Device)
            .where(Device.token_hash == kiosk_token)
            .values(printer_url=f"tcp://127.0.0.1:{port}")
        )
    hall = manager_page(screens, live_server, creds, "/manager")
    expect(hall.locator("#printers tr")).to_have_count(1)

    http = live_server.session_for("canbo1", creds.passwords["canbo1"])
    issue(live_server, http, creds, centre.service["HT"])  # nobody listens on the port
    fault = hall.locator("#alerts li[data-printer-id]")
    expect(fault).to_contain_text("Máy in không kết nối được")
    shoot(hall, "manager-hall-printer-fault")

    printer = FakePrinter(port)
    try:
        issue(live_server, http, creds, centre.service["HT"])
        printer.next_job()
        expect(fault).to_have_count(0)  # printed again: the fault clears by itself
    finally:
        printer.close()


def test_a_manager_lands_on_the_hall_with_the_days_totals_and_alerts_for_the_hall(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    land = centre.service["DD"]
    http = live_server.session_for("canbo4", creds.passwords["canbo4"])
    first = issue(live_server, http, creds, land)
    issue(live_server, http, creds, land)
    hall = screens.open(f"{live_server.url}/login", 1920, 1080)
    hall.fill("#username", "quanly")
    hall.fill("#password", creds.passwords["quanly"])
    hall.click("button[type=submit]")
    expect(hall.locator("#hall")).to_be_visible()  # the landing page, no extra click
    expect(hall.locator("#today-issued")).to_have_text("2")
    expect(hall.locator("#today-served")).to_have_text("0")
    unstaffed = hall.locator(f"#alerts li[data-unstaffed-service-id='{land}']")
    expect(unstaffed).to_contain_text("2 người đang chờ nhưng không quầy nào mở")

    counter_4 = centre.counter[4]
    for action in ("open", "call-next"):
        response = http.post(
            f"{live_server.url}/api/counters/{counter_4}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    expect(unstaffed).to_have_count(0)
    # The citizen was in fact called 6 minutes ago (after waiting 1.5) and never came.
    now = datetime.now(UTC)
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Ticket)
            .where(Ticket.id == first)
            .values(
                queued_at=now - timedelta(minutes=7, seconds=30),
                first_called_at=now - timedelta(minutes=6),
                called_at=now - timedelta(minutes=6),
            )
        )
    issue(live_server, http, creds, land)  # any change brings a fresh snapshot
    called = hall.locator(f"#alerts li[data-called-counter-id='{counter_4}']")
    expect(called).to_contain_text("Số C001 đã được gọi 6 phút trước mà chưa đến quầy")
    expect(hall.locator("#today-issued")).to_have_text("3")
    expect(hall.locator("#today-wait")).to_have_text("1,5 phút")  # a decimal comma
    shoot(hall, "manager-hall-day")
