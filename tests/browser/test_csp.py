"""Every screen in a real Chromium under the server's Content-Security-Policy: each loads,
draws its live content, and the browser reports no violation (no inline script or style,
no foreign source) and no error about the security headers themselves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from server.cli.demo import DemoCredentials
from tests.conftest import Centre
from tests.live import LiveServer, http_session

pytestmark = [pytest.mark.server, pytest.mark.browser]

# Run in every document before the page's own scripts (Playwright injects it past the CSP).
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
});
"""
# What Chromium prints when a page breaks its policy or a header is malformed.
COMPLAINTS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")


@dataclass
class Watched:
    """Pages under watch: every violation event and every console complaint is kept."""

    browser: Any
    violations: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def open(self, url: str, width: int = 1366, height: int = 768) -> Any:
        context = self.browser.new_context(viewport={"width": width, "height": height})
        self.contexts.append(context)
        context.expose_binding("reportViolation", lambda _source, text: self._add(text))
        context.add_init_script(LISTEN)
        page = context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._add(f"{url}: {error}"))
        page.goto(url)
        return page

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning") and any(c in message.text for c in COMPLAINTS):
            self._add(message.text)

    def _add(self, text: str) -> None:
        self.violations.append(text)

    def settle(self, page: Any) -> None:
        # A violation is reported asynchronously, after the offending load or style.
        page.wait_for_timeout(300)


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    watched = Watched(browser)
    yield watched
    for context in watched.contexts:
        context.close()


def issue(server: LiveServer, creds: DemoCredentials, service_id: int) -> dict[str, Any]:
    with http_session() as http:
        response: requests.Response = http.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": service_id},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=10,
        )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def test_every_screen_loads_under_the_content_security_policy(
    watched: Watched, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    ticket = issue(live_server, creds, centre.service["HT"])

    home = watched.open(f"{live_server.url}/")
    expect(home.locator("h1")).to_have_text("XepHang")
    csp = home.evaluate("() => fetch('/').then((r) => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp
    watched.settle(home)

    kiosk = watched.open(
        f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920
    )
    expect(kiosk.locator("button.service")).to_have_count(6)
    expect(kiosk.locator("button.service img.pictogram").first).to_be_visible()
    kiosk.click("button.service >> text=Chứng thực")
    kiosk.click("#no-priority")
    expect(kiosk.locator("#result-number")).to_have_text("B001")
    kiosk.wait_for_function(  # the QR picture loads under img-src
        "() => { const qr = document.getElementById('result-qr');"
        " return qr.complete && qr.naturalWidth > 100; }"
    )
    watched.settle(kiosk)

    board = watched.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    watched.settle(board)

    phone = watched.open(f"{live_server.url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#number")).to_have_text(ticket["number"])
    expect(phone.locator("#cancel")).to_be_visible()
    watched.settle(phone)

    clerk = watched.open(f"{live_server.url}/login")
    expect(clerk.locator("#username")).to_be_visible()
    clerk.fill("#username", "canbo1")
    clerk.fill("#password", creds.passwords["canbo1"])
    clerk.click("button[type=submit]")  # form-action 'self'
    expect(clerk.locator("text=Quầy số 1")).to_be_visible()
    watched.settle(clerk)
    clerk.click("text=Quầy số 1")
    expect(clerk.locator("#counter-number")).to_have_text("1")
    expect(clerk.locator("#waiting tr")).to_have_count(2)
    clerk.click("button[data-action=open]")
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text(ticket["number"])
    watched.settle(clerk)
    # The board shows the call and announces it (its audio clips under media-src).
    expect(board.locator("#latest-number")).to_have_text(ticket["number"])
    watched.settle(board)

    assert watched.violations == []


def test_a_violation_would_be_caught(watched: Watched, live_server: LiveServer) -> None:
    """The watch itself: an inline script and a foreign picture are refused and reported."""
    page = watched.open(f"{live_server.url}/")
    expect(page.locator("h1")).to_have_text("XepHang")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.append(script);
          const img = document.createElement("img");
          img.src = "http://127.0.0.2:9/tracker.png";
          document.body.append(img);
        }"""
    )
    watched.settle(page)
    assert page.evaluate("() => window.ranInline === true") is False
    assert any(v.startswith("script-src-elem blocked inline") for v in watched.violations)
    assert any(v.startswith("img-src blocked http://127.0.0.2:9") for v in watched.violations)
    watched.violations.clear()  # the fixture's own check is not the point here


def test_the_manager_screens_load_under_the_content_security_policy(
    watched: Watched, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    issue(live_server, creds, centre.service["DD"])
    manager = watched.open(f"{live_server.url}/login")
    manager.fill("#username", "quanly")
    manager.fill("#password", creds.passwords["quanly"])
    manager.click("button[type=submit]")
    manager.goto(f"{live_server.url}/manager")
    expect(manager.locator("#counters tr")).to_have_count(6)
    expect(manager.locator("#queues tr")).not_to_have_count(0)
    watched.settle(manager)
    manager.goto(f"{live_server.url}/manager/statistics")
    expect(manager.locator("#chart-hour")).to_be_visible()
    # Chart.js (served by us) drew into the canvas: its styles go through the CSSOM.
    manager.wait_for_function("() => window.Chart && Chart.getChart('chart-hour')")
    watched.settle(manager)

    assert watched.violations == []
