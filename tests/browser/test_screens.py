"""The four screens in a real Chromium against a real `xephang serve`: a citizen takes a
ticket at the kiosk, a clerk calls it, the board and the phone page follow live."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from server.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre

pytestmark = [pytest.mark.server, pytest.mark.browser]


def kiosk(screens: Screens, server: Any, creds: DemoCredentials) -> Any:
    page = screens.open(f"{server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920)
    expect(page.locator("button.service")).to_have_count(6)
    return page


def counter_page(screens: Screens, server: Any, creds: DemoCredentials, number: int) -> Any:
    page = screens.open(f"{server.url}/login", 1366, 768)
    page.fill("#username", "canbo1")
    page.fill("#password", creds.passwords["canbo1"])
    page.click("button[type=submit]")
    page.click(f"text=Quầy số {number}")
    expect(page.locator("#counter-number")).to_have_text(str(number))
    return page


def test_a_ticket_goes_from_kiosk_to_counter_board_and_phone(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    civil_waiting = board.locator("#waiting li").first.locator(".count")
    expect(civil_waiting).to_have_text("0")

    citizen = kiosk(screens, live_server, creds)
    shoot(citizen, "kiosk-services")
    citizen.click("button.service >> text=Tư pháp - Hộ tịch")
    expect(citizen.locator("#step-priority")).to_be_visible()
    citizen.click("#no-priority")
    expect(citizen.locator("#result-number")).to_have_text("A001")
    expect(citizen.locator("#result-priority")).to_be_hidden()  # no priority was chosen
    expect(citizen.locator("#result-ahead")).to_contain_text("0 người")
    # The QR image loads (a busy machine may take a moment) and is a real picture.
    citizen.wait_for_function(
        "() => { const qr = document.getElementById('result-qr');"
        " return qr.complete && qr.naturalWidth > 100; }"
    )
    shoot(citizen, "kiosk-result")
    expect(civil_waiting).to_have_text("1")  # the board heard the issue live

    phone_url = citizen.locator("#result-qr").get_attribute("src").removesuffix("/qr.svg")
    phone = screens.open(f"{live_server.url}{phone_url}", 390, 844)
    expect(phone.locator("#number")).to_have_text("A001")
    expect(phone.locator("#ahead")).to_have_text("0")

    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    expect(clerk.locator("#waiting tr")).to_have_count(1)
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text("A001")
    shoot(clerk, "counter")

    expect(board.locator("#latest-number")).to_have_text("A001")
    expect(board.locator("#latest-counter")).to_have_text("1")
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text("A001")
    announcements = board.evaluate("window.xephangBoard.announcements")
    assert [(a["number"], a["counter"], a["text"]) for a in announcements] == [
        ("A001", 1, "Mời công dân có số thứ tự A001 đến quầy số 1")
    ]
    shoot(board, "board")
    expect(phone.locator("#called-state")).to_be_visible()
    expect(phone.locator("#counter-number")).to_have_text("1")
    shoot(phone, "phone")

    clerk.keyboard.press("s")  # keyboard shortcut: start serving
    expect(clerk.locator("#current-status")).to_have_text("Đang phục vụ")
    expect(phone.locator("#status-text")).to_have_text("Bạn đang được phục vụ.")


def test_a_priority_ticket_is_marked_on_the_kiosk(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    citizen = kiosk(screens, live_server, creds)
    citizen.click("button.service >> text=Chứng thực")
    citizen.click("button[data-priority=elderly]")
    expect(citizen.locator("#result-number")).to_have_text("B001")
    expect(citizen.locator("#result-priority")).to_be_visible()
    citizen.click("#done")
    expect(citizen.locator("#step-service")).to_be_visible()


def test_a_refused_counter_action_is_explained_to_the_clerk(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#message")).to_contain_text("Quầy số 1 đang không mở")
    clerk.click("button[data-action=open]")
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#message")).to_contain_text("Không còn ai chờ")


def test_the_board_catches_up_after_the_server_restarts(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    live_server.stop()
    expect(board.locator("#connection")).not_to_be_empty()  # says it lost the server
    live_server.start()
    # While the board was away: a certification ticket issued and called at counter 2.
    http = live_server.session_for("canbo1", creds.passwords["canbo1"])
    http.post(
        f"{live_server.url}/api/kiosk/tickets",
        json={"service_id": centre.service["CT"]},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    for action in ("open", "call-next"):
        response = http.post(
            f"{live_server.url}/api/counters/{centre.counter[2]}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    # socket.io-client reconnects by itself (backoff up to 5 s), then fetches a snapshot.
    counter_2 = board.locator("#counters tr[data-counter='2'] .current")
    expect(counter_2).to_have_text("B001", timeout=15_000)
    expect(board.locator("#connection")).to_be_empty()


def test_an_unregistered_kiosk_says_so_and_shows_no_service(
    screens: Screens, live_server: Any
) -> None:
    page = screens.open(f"{live_server.url}/kiosk?device=not-a-registered-token", 1080, 1920)
    expect(page.locator("#connection")).to_contain_text("Mã thiết bị không hợp lệ")
    expect(page.locator("button.service")).to_have_count(0)
