"""The rating tablet of counter 1 in Chromium against a real `xephang serve`: a clerk
finishes a ticket, the tablet asks that citizen with four faces, a tap is stored, the
tablet thanks them and waits for the next one; without a tap it gives up after a minute."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import TicketRating
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import TIMEOUT, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser]

TABLET = (1280, 800)  # a 10-inch tablet, landscape


class Clerk:
    """canbo1 at counter 1, through the counter's HTTP API, as the clerk's screen does."""

    def __init__(self, server: Any, creds: DemoCredentials, centre: Centre) -> None:
        self.server = server
        self.creds = creds
        self.counter = centre.counter[1]
        self.service = centre.service["HT"]
        self.http: requests.Session = server.session_for("canbo1", creds.passwords["canbo1"])
        self.act("open")

    def act(self, action: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.server.url}/api/counters/{self.counter}/{action}", json={}, timeout=TIMEOUT
        )
        assert response.ok, response.text
        result: dict[str, Any] = response.json()["result"]
        return result

    def serve_one(self) -> dict[str, Any]:
        """A citizen takes a number at the kiosk and is called, served and finished."""
        issued = requests.post(
            f"{self.server.url}/api/kiosk/tickets",
            json={"service_id": self.service},
            headers={"X-Device-Token": self.creds.device_tokens["kiosk"]},
            timeout=TIMEOUT,
        )
        assert issued.status_code == 201, issued.text
        self.act("call-next")
        self.act("start")
        return self.act("finish")


def open_tablet(screens: Screens, server: Any, creds: DemoCredentials, fake_clock: bool) -> Any:
    """The tablet's page; with `fake_clock`, its timers wait for the test to move time."""
    url = f"{server.url}/rating?device={creds.device_tokens['rating']}"
    if not fake_clock:
        page = screens.open(url, *TABLET)
    else:
        context = screens.browser.new_context(viewport={"width": TABLET[0], "height": TABLET[1]})
        screens.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: screens.errors.append(f"{url}: {error}"))
        page.clock.install()
        page.goto(url)
    expect(page.locator("#counter-number")).to_have_text("1")
    expect(page.locator("#step-idle")).to_be_visible()
    return page


def ratings(database: Database) -> list[tuple[int, str]]:
    with database.reading() as session:
        return [(r.ticket_id, r.rating) for r in session.scalars(select(TicketRating))]


def test_a_citizen_rates_the_service_on_the_counters_tablet(
    screens: Screens,
    live_server: Any,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
) -> None:
    tablet = open_tablet(screens, live_server, creds, fake_clock=False)
    shoot(tablet, "rating-idle")
    clerk = Clerk(live_server, creds, centre)
    finished = clerk.serve_one()

    expect(tablet.locator("#step-ask")).to_be_visible()
    expect(tablet.locator("#step-ask h2")).to_have_text("Mời ông/bà đánh giá mức độ hài lòng")
    expect(tablet.locator("#ask-number")).to_have_text(finished["number"])
    faces = tablet.locator("button.rating-face")
    expect(faces).to_have_count(4)
    labels = [faces.nth(i).locator(".rating-face-vi").inner_text() for i in range(4)]
    assert labels == ["Rất hài lòng", "Hài lòng", "Chưa hài lòng", "Không hài lòng"]
    for i in range(4):  # a finger's target, with its face drawn
        box = faces.nth(i).bounding_box()
        assert box is not None and box["width"] >= 150 and box["height"] >= 150
        assert faces.nth(i).locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(tablet, "rating-ask")

    tablet.click("button.rating-face[data-rating=satisfied]")
    expect(tablet.locator("#step-thanks")).to_be_visible()
    expect(tablet.locator("#step-thanks")).to_contain_text("Xin cảm ơn ông/bà!")
    shoot(tablet, "rating-thanks")
    wait_until(
        lambda: ratings(database) == [(finished["ticket_id"], "satisfied")],
        what="the rating is in the database",
    )
    expect(tablet.locator("#step-idle")).to_be_visible(timeout=10_000)
    expect(tablet.locator("#message")).to_be_hidden()

    second = clerk.serve_one()  # the next citizen is asked about their own ticket
    expect(tablet.locator("#ask-number")).to_have_text(second["number"])


def test_without_a_tap_the_tablet_waits_again_after_a_minute(
    screens: Screens,
    live_server: Any,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
) -> None:
    tablet = open_tablet(screens, live_server, creds, fake_clock=True)
    clerk = Clerk(live_server, creds, centre)
    finished = clerk.serve_one()
    expect(tablet.locator("#ask-number")).to_have_text(finished["number"])
    tablet.clock.run_for(50_000)
    expect(tablet.locator("#step-ask")).to_be_visible()
    tablet.clock.run_for(11_000)
    expect(tablet.locator("#step-idle")).to_be_visible()
    # The counter moves on: the tablet fetches its state again (the ticket is still open
    # for rating on the server) and does not ask about that ticket again.
    with tablet.expect_response("**/api/rating/state") as state:
        clerk.act("close")
    assert state.value.json()["ticket"]["id"] == finished["ticket_id"]
    time.sleep(0.5)
    expect(tablet.locator("#step-ask")).to_be_hidden()
    assert ratings(database) == []
