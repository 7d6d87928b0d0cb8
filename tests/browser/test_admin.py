"""The administration screens in a real Chromium against a real `xephang serve`: a service
whose name is markup stays text on every screen that shows it (and those screens pick it
up live), and a new board is paired through /pair with the code the admin's page shows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre

pytestmark = [pytest.mark.server, pytest.mark.browser]

MARKUP = "<script>alert(1)</script>"
MARKUP_EN = "<img src=x onerror=alert(2)>"


def signed_in(screens: Screens, server: Any, creds: DemoCredentials, username: str) -> Any:
    page = screens.open(f"{server.url}/login", 1600, 1000)
    page.fill("#username", username)
    page.fill("#password", creds.passwords[username])
    page.click("button[type=submit]")
    return page


def watch_dialogs(page: Any, dialogs: list[str]) -> Any:
    """Any alert() that ran would open a dialog: record it (and close it)."""

    def seen(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return page


def test_a_service_named_with_markup_shows_as_text_everywhere_and_live(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    dialogs: list[str] = []
    url = live_server.url
    kiosk = watch_dialogs(
        screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920), dialogs
    )
    expect(kiosk.locator("button.service")).to_have_count(6)
    board = watch_dialogs(
        screens.open(f"{url}/board?device={creds.device_tokens['board']}", 1920, 1080), dialogs
    )
    expect(board.locator("#waiting li")).to_have_count(6)
    hall = watch_dialogs(signed_in(screens, live_server, creds, "quanly"), dialogs)
    hall.goto(f"{url}/manager")
    expect(hall.locator("#queues tr")).to_have_count(6)

    admin = watch_dialogs(signed_in(screens, live_server, creds, "admin"), dialogs)
    admin.goto(f"{url}/admin/sites/{centre.site_id}/services/new")
    admin.fill("input[name=code]", "XSS")
    admin.fill("input[name=name_vi]", MARKUP)
    admin.fill("input[name=name_en]", MARKUP_EN)
    admin.fill("input[name=prefix]", "G")
    admin.fill("input[name=expected_minutes]", "5")
    admin.fill("input[name=target_minutes]", "20")
    admin.click("main button[type=submit]")  # the form's, not the navigation's sign-out
    expect(admin).to_have_url(f"{url}/admin/services")
    row = admin.locator("tr[data-service]", has_text=MARKUP)
    expect(row).to_have_count(1)
    expect(row.locator(".service-name-cell")).to_contain_text(MARKUP)
    expect(row.locator(".service-name-cell")).to_contain_text(MARKUP_EN)
    shoot(admin, "admin-services-markup")

    # The screens opened before the service existed show it without a reload, as text.
    expect(kiosk.locator("button.service")).to_have_count(7)
    expect(kiosk.locator("button.service", has_text=MARKUP)).to_have_count(1)
    expect(board.locator("#waiting li", has_text=MARKUP)).to_have_count(1)
    expect(hall.locator("#queues tr", has_text=MARKUP)).to_have_count(1)
    shoot(kiosk, "kiosk-markup-service")

    # A citizen takes a ticket of it: the result, the phone page, the clerk's transfer
    # picker, the statistics and the English kiosk all show the name as text.
    kiosk.locator("button.service", has_text=MARKUP).click()
    kiosk.click("#no-priority")
    expect(kiosk.locator("#result-number")).to_have_text("G001")
    phone_url = kiosk.locator("#result-qr").get_attribute("src").removesuffix("/qr.svg")
    phone = watch_dialogs(screens.open(f"{url}{phone_url}", 390, 844), dialogs)
    expect(phone.locator("body")).to_contain_text(MARKUP)
    clerk = watch_dialogs(signed_in(screens, live_server, creds, "canbo1"), dialogs)
    clerk.goto(f"{url}/counter/{centre.counter[1]}")
    expect(clerk.locator("#transfer-service option", has_text=MARKUP)).to_have_count(1)
    hall.goto(f"{url}/manager/statistics")
    expect(hall.locator("#section-service")).to_contain_text(MARKUP)
    english = watch_dialogs(
        screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}&lang=en", 1080, 1920),
        dialogs,
    )
    expect(english.locator("button.service", has_text=MARKUP_EN)).to_have_count(1)
    for page in (kiosk, board, hall, admin, phone, clerk, english):
        assert page.locator("script", has_text="alert(1)").count() == 0
        assert page.locator("img[src=x]").count() == 0
    assert dialogs == []


def test_a_board_is_paired_in_chromium_with_the_code_the_admin_is_shown(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    url = live_server.url
    admin = signed_in(screens, live_server, creds, "admin")
    admin.goto(f"{url}/admin/devices/new")
    admin.select_option("select[name=site_id]", str(centre.site_id))
    admin.check("input[name=kind][value=board]")
    admin.fill("input[name=name]", "Màn hình tầng 2")
    admin.click("main button[type=submit]")  # the form's, not the navigation's sign-out
    code = admin.locator("#pairing-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    expect(admin.locator("img.pairing-qr")).to_be_visible()
    shoot(admin, "admin-pairing-code")

    screen = screens.open(f"{url}/pair", 1920, 1080)
    screen.fill("#code", code.lower())
    screen.click("button[type=submit]")
    expect(screen).to_have_url(re.compile(rf"^{re.escape(url)}/board\?device=[\w-]+$"))
    expect(screen.locator("#site-name")).to_have_text(
        "Trung tâm Phục vụ hành chính công phường Tân Định"
    )
    expect(screen.locator("#counters tr")).to_have_count(6)
    shoot(screen, "paired-board")

    # The code was for one use: a second device gets a clear refusal.
    other = screens.open(f"{url}/pair?code={code.replace('-', '')}", 1920, 1080)
    expect(other.locator("#code")).to_have_value(code.replace("-", ""))
    other.click("button[type=submit]")
    expect(other.locator("p.error")).to_contain_text("Mã ghép nối không đúng")

    admin.goto(f"{url}/admin/devices")
    row = admin.locator("tr[data-device]", has_text="Màn hình tầng 2")
    expect(row.locator(".device-state")).to_have_text("Đang hoạt động")
