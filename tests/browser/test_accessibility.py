"""Every screen at its sizes, in Vietnamese and in English, checked with axe-core (from
npm, injected by the test only: the screens never load it) for serious and critical
violations: contrast, names and labels, language, landmarks. The kiosk's touch targets are
measured too. Each screen is saved to test-artifacts/ as <screen>-<size>-<lang>.png."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import LiveServer

pytestmark = [pytest.mark.server, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# 15 mm at 96 CSS px per inch: the smallest a finger hits reliably on a kiosk.
TOUCH_TARGET_PX = 15 / 25.4 * 96  # 56.7
LANGUAGES = ("vi", "en")


def axe_problems(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"{AXE} missing: `npm ci` installs axe-core (package.json)")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
          }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def small_targets(page: Any) -> list[str]:
    """Every visible button, link or field smaller than 15 mm either way."""
    found: list[str] = page.evaluate(
        """(least) => [...document.querySelectorAll("button, a[href], select, input")]
            .filter((node) => node.offsetParent !== null)
            .map((node) => ({ node, box: node.getBoundingClientRect() }))
            .filter(({ box }) => box.width < least || box.height < least)
            .map(({ node, box }) => `${node.id || node.textContent.trim().slice(0, 30)}`
              + ` ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        TOUCH_TARGET_PX,
    )
    return found


@dataclass
class Hall:
    """The demo centre in the middle of a morning: tickets waiting, two counters calling,
    one paused, a notice on the board."""

    server: LiveServer
    creds: DemoCredentials
    centre: Centre
    phone_token: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def hall(live_server: LiveServer, creds: DemoCredentials, centre: Centre) -> Iterator[Hall]:
    server = live_server
    kiosk = requests.Session()
    tokens = []
    for code in ("HT", "HT", "CT", "DD", "HT", "TKQ", "HT"):
        issued = kiosk.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": centre.service[code], "priority": None},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        )
        issued.raise_for_status()
        tokens.append(issued.json()["ticket"]["token"])
    clerk = server.session_for("canbo1", creds.passwords["canbo1"])
    for counter, actions in ((1, ("open", "call-next", "start")), (2, ("open", "call-next"))):
        for action in actions:
            response = clerk.post(
                f"{server.url}/api/counters/{centre.counter[counter]}/{action}", timeout=5
            )
            assert response.ok, response.text
    third = server.session_for("canbo3", creds.passwords["canbo3"])
    for action, body in (("open", {}), ("pause", {"reason": "Nghỉ giải lao"})):
        response = third.post(
            f"{server.url}/api/counters/{centre.counter[3]}/{action}", json=body, timeout=5
        )
        assert response.ok, response.text
    manager = server.session_for("quanly", creds.passwords["quanly"])
    notice = manager.post(
        f"{server.url}/api/sites/{centre.site_id}/notice",
        json={
            "notice": "Chiều thứ Sáu trung tâm làm việc đến 16 giờ 30. "
            "Công dân vui lòng mang theo căn cước công dân."
        },
        timeout=5,
    )
    assert notice.ok, notice.text
    yield Hall(server, creds, centre, tokens[-1])


def signed_in(screens: Screens, hall: Hall, username: str, width: int, height: int) -> Any:
    page = screens.open(f"{hall.url}/login", width, height, bypass_csp=True)
    page.fill("#username", username)
    page.fill("#password", hall.creds.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator("#username")).to_have_count(0)
    return page


def check(page: Any, name: str, problems: dict[str, list[str]]) -> None:
    """axe on the page as shown, and the picture of it."""
    found = axe_problems(page)
    if found:
        problems[name] = found
    shoot(page, name)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_screen_passes_axe_at_its_sizes(screens: Screens, hall: Hall, lang: str) -> None:
    problems: dict[str, list[str]] = {}
    small: dict[str, list[str]] = {}
    kiosk_url = f"{hall.url}/kiosk?device={hall.creds.device_tokens['kiosk']}&lang={lang}"
    for orientation, (width, height) in (("portrait", (1080, 1920)), ("landscape", (1920, 1080))):
        kiosk = screens.open(kiosk_url, width, height, bypass_csp=True)
        expect(kiosk.locator("html")).to_have_attribute("lang", lang)
        expect(kiosk.locator("button.service")).to_have_count(6)
        expect(kiosk.locator("button.service img.pictogram")).to_have_count(6)
        prefix = f"kiosk-{orientation}"
        small[f"{prefix}-services"] = small_targets(kiosk)
        check(kiosk, f"{prefix}-{lang}", problems)
        kiosk.locator("button.service").nth(1).click()
        expect(kiosk.locator("#step-priority")).to_be_visible()
        # Optional, never pre-selected: no category is marked, the plain ticket is the
        # obvious choice.
        assert kiosk.locator("#priorities button[aria-pressed=true]").count() == 0
        expect(kiosk.locator("#priorities button")).to_have_count(5)
        small[f"{prefix}-priority"] = small_targets(kiosk)
        check(kiosk, f"{prefix}-priority-{lang}", problems)
        kiosk.click("#no-priority")
        expect(kiosk.locator("#result-number")).not_to_be_empty()
        kiosk.wait_for_function(
            "() => { const qr = document.getElementById('result-qr');"
            " return qr.complete && qr.naturalWidth > 100; }"
        )
        small[f"{prefix}-result"] = small_targets(kiosk)
        check(kiosk, f"{prefix}-result-{lang}", problems)

    board = screens.open(
        f"{hall.url}/board?device={hall.creds.device_tokens['board']}&lang={lang}",
        1920,
        1080,
        bypass_csp=True,
    )
    expect(board.locator("#counters tr[data-counter='1'] .current")).not_to_have_text("–")
    expect(board.locator("#notice-bar")).to_be_visible()
    board.wait_for_timeout(4000)  # the highlight of the latest call has faded
    check(board, f"board-{lang}", problems)

    phone = screens.open(f"{hall.url}/t/{hall.phone_token}?lang={lang}", 390, 844, bypass_csp=True)
    expect(phone.locator("#waiting-state")).to_be_visible()
    check(phone, f"phone-{lang}", problems)

    login = screens.open(f"{hall.url}/login?lang={lang}", 1366, 768, bypass_csp=True)
    check(login, f"login-{lang}", problems)

    for width, height in ((1366, 768), (1024, 768)):
        clerk = signed_in(screens, hall, "canbo1", width, height)
        clerk.goto(f"{hall.url}/counter/{hall.centre.counter[1]}?lang={lang}")
        expect(clerk.locator("#current-number")).not_to_have_text("–")
        check(clerk, f"counter-{width}x{height}-{lang}", problems)

    guide = signed_in(screens, hall, "canbo1", 1366, 768)
    guide.goto(f"{hall.url}/reception?lang={lang}")
    expect(guide.locator("#services button.service")).to_have_count(6)
    guide.locator("#services button.service").first.click()
    expect(guide.locator("#result-number")).not_to_be_empty()
    check(guide, f"reception-{lang}", problems)

    manager = signed_in(screens, hall, "quanly", 1920, 1080)
    manager.goto(f"{hall.url}/manager?lang={lang}")
    expect(manager.locator("#counters tr")).to_have_count(6)
    expect(manager.locator("#connection")).to_have_class("status ok")
    check(manager, f"manager-hall-{lang}", problems)
    manager.goto(f"{hall.url}/manager/statistics?lang={lang}")
    expect(manager.locator("#charts")).to_have_attribute("data-drawn", "true")
    check(manager, f"statistics-{lang}", problems)

    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    assert {name: found for name, found in small.items() if found} == {}


def test_axe_would_catch_a_violation(browser: Any) -> None:
    """The check itself: a nameless button, an image without text, faint text and no
    language are all reported."""
    page = browser.new_page()
    try:
        page.set_content(
            "<html><head><title>x</title></head><body><main>"
            '<p class="faint">faint</p><button></button><img src="x.png">'
            "</main></body></html>"
        )
        page.add_style_tag(content=".faint { color: #eee; background: #fff; }")
        found = " ".join(axe_problems(page))
    finally:
        page.close()
    for rule in ("button-name", "image-alt", "color-contrast", "html-has-lang"):
        assert rule in found
