"""The kiosk says on the button itself when a service gives no number now (full for the
day, past its issuing hours, the centre closed) and greys it, instead of refusing after two
taps in small text. The server's clock is the real one: the hours are set around it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import update

from server.adapters.db.engine import Database
from server.adapters.db.models import Service, Site
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import LiveServer

pytestmark = [pytest.mark.server, pytest.mark.browser]

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def set_service(database: Database, service_id: int, **values: Any) -> None:
    with database.write_session() as session, session.begin():
        session.execute(update(Service).where(Service.id == service_id).values(**values))


def local_now() -> datetime:
    return datetime.now(HANOI)


def button(kiosk: Any, centre: Centre, code: str) -> Any:
    return kiosk.locator(f"#services button[data-service-id='{centre.service[code]}']")


def test_a_service_that_gives_no_number_says_why_on_its_grey_button(
    screens: Screens,
    live_server: LiveServer,
    database: Database,
    creds: DemoCredentials,
    centre: Centre,
) -> None:
    now = local_now()
    if not time(0, 5) <= now.time() <= time(23, 58, 30):
        pytest.skip("the hours set around the clock would cross midnight")
    until = (now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
    set_service(database, centre.service["DD"], daily_cap=1)
    set_service(database, centre.service["CT"], issue_until=until)
    # Land's one number of the day is taken.
    issued = requests.post(
        f"{live_server.url}/api/kiosk/tickets",
        json={"service_id": centre.service["DD"]},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    assert issued.status_code == 201, issued.text

    kiosk = screens.open(
        f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920
    )
    expect(button(kiosk, centre, "DD")).to_contain_text("Hết số hôm nay")
    expect(button(kiosk, centre, "DD")).to_be_disabled()
    expect(button(kiosk, centre, "CT")).to_contain_text(f"Chỉ cấp số đến {until:%H:%M}")
    expect(button(kiosk, centre, "CT")).to_be_disabled()
    expect(button(kiosk, centre, "HT")).to_be_enabled()
    expect(button(kiosk, centre, "HT")).not_to_contain_text("Hết số")
    # Grey, and the reason large enough to read at arm's length.
    style = button(kiosk, centre, "DD").evaluate(
        """b => ({background: getComputedStyle(b).backgroundColor,
                 reason: parseFloat(getComputedStyle(b.querySelector('.not-issuing')).fontSize)})"""
    )
    assert style["background"] == "rgb(230, 230, 230)"
    assert style["reason"] >= 30
    button(kiosk, centre, "DD").click(force=True)  # a tap on it does nothing
    expect(kiosk.locator("#step-service")).to_be_visible()
    expect(kiosk.locator("#step-priority")).to_be_hidden()
    shoot(kiosk, "kiosk-not-issuing")

    # Civil status gives numbers until a few seconds from now: at that moment its button
    # changes by itself, with no event from the server to prompt it.
    soon = (local_now() + timedelta(seconds=6)).time()
    set_service(database, centre.service["HT"], issue_until=soon)
    kiosk.reload()
    expect(button(kiosk, centre, "HT")).to_be_enabled()
    expect(button(kiosk, centre, "HT")).to_contain_text(
        f"Chỉ cấp số đến {soon:%H:%M}", timeout=15_000
    )
    expect(button(kiosk, centre, "HT")).to_be_disabled()

    # The centre closes: every button says so.
    with database.write_session() as session, session.begin():
        session.execute(update(Site).where(Site.id == centre.site_id).values(closes_at=until))
    set_service(database, centre.service["HT"], issue_until=None)
    set_service(database, centre.service["CT"], issue_until=None)
    kiosk.reload()
    services = kiosk.locator("#services button")
    expect(services.first).to_contain_text("Ngoài giờ làm việc")
    for index in range(services.count()):
        expect(services.nth(index)).to_contain_text("Ngoài giờ làm việc")
        expect(services.nth(index)).to_be_disabled()
    shoot(kiosk, "kiosk-closed")
