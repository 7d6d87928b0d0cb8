"""Messages and the second chance on the phone page (issue 15), in a real Chromium against a
real `xephang serve`: the SMS box is there only when the server has a channel, its consent
box starts unticked and is required, the number is kept (masked on screen) and deleted on
request; after a missed turn the page offers to rejoin, and rejoining puts the same number
back in the queue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from server.adapters.db.models import NotificationSubscription
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.browser.test_live_states import issue
from tests.conftest import Centre
from tests.live import LiveServer, running

pytestmark = [pytest.mark.server, pytest.mark.browser]


@pytest.fixture
def messaging_server(instance: Path, database_url: str) -> Iterator[LiveServer]:
    """A server told that a channel sends the outbox (the sender itself is not needed: the
    page and its requests are what is tested; tests/notify/ drives the channels)."""
    with running(instance, database_url, {"XEPHANG_NOTIFY_CHANNEL": "gammu"}) as server:
        yield server


def test_the_phone_takes_a_number_only_with_consent_and_forgets_it_on_request(
    screens: Screens, messaging_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    ticket = issue(messaging_server, creds, centre.service["HT"])
    phone = screens.open(f"{messaging_server.url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#number")).to_have_text(ticket["number"])
    expect(phone.locator("#sms-box")).to_be_visible()
    consent = phone.locator("#sms-consent")
    expect(consent).not_to_be_checked()  # never ticked in advance

    phone.fill("#sms-phone", "0912 345 678")
    phone.click("#sms-form button[type=submit]")
    expect(phone.locator("#sms-state")).to_contain_text("Hãy đánh dấu ô đồng ý")
    with centre.db.reading() as session:
        assert session.scalars(select(NotificationSubscription)).all() == []

    consent.check()
    phone.click("#sms-form button[type=submit]")
    expect(phone.locator("#sms-state")).to_contain_text("Sẽ nhắn tin tới +84*****5678")
    expect(phone.locator("#sms-state")).not_to_contain_text("345")  # masked on screen
    with centre.db.reading() as session:
        kept = session.scalars(select(NotificationSubscription)).one()
        assert kept.token == ticket["token"] and kept.phone.endswith("912345678")
    shoot(phone, "phone-sms-opt-in")

    phone.click("#sms-stop")
    expect(phone.locator("#sms-state")).to_have_text("Đã xoá số điện thoại của ông/bà.")
    with centre.db.reading() as session:
        assert session.scalars(select(NotificationSubscription)).all() == []


def test_without_a_channel_the_phone_asks_for_no_number(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    ticket = issue(live_server, creds, centre.service["HT"])
    phone = screens.open(f"{live_server.url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#number")).to_have_text(ticket["number"])
    expect(phone.locator("#more-time")).to_be_visible()  # the second chance needs no channel
    assert phone.locator("#sms-box").count() == 0


def test_a_missed_turn_can_be_rejoined_from_the_phone(
    screens: Screens, messaging_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    server = messaging_server
    ticket = issue(server, creds, centre.service["HT"])
    issue(server, creds, centre.service["HT"])  # someone behind
    phone = screens.open(f"{server.url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#rejoin")).to_be_hidden()

    clerk = server.session_for("canbo1", creds.passwords["canbo1"])
    counter = f"{server.url}/api/counters/{centre.counter[1]}"
    for action in ("open", "call-next", "no-show"):
        answer = clerk.post(f"{counter}/{action}", timeout=10)
        assert answer.ok, answer.text
    expect(phone.locator("#rejoin")).to_be_visible()
    shoot(phone, "phone-missed-turn")

    phone.click("#rejoin")
    expect(phone.locator("#second-chance-state")).to_have_text(
        f"Ông/bà đã vào lại hàng chờ với số {ticket['number']}."
    )
    expect(phone.locator("#waiting-state")).to_be_visible()  # the page follows it again
    expect(phone.locator("#rejoin")).to_be_hidden()
    expect(phone.locator("#ahead")).to_have_text("1")  # behind the one who was behind
