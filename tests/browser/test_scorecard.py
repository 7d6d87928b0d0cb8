"""The statistics page's wait scorecard in a real Chromium against a real `xephang serve`:
a citizen told "5-12 minutes, about 8" and called after 10 reads as 2 minutes of error,
waited longer than told, within the range; the hours open on a click."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, update

from server.adapters.db.models import Ticket, WaitQuote
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.browser.test_manager import issue, manager_page
from tests.conftest import Centre

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_the_statistics_page_shows_how_reliable_the_quoted_waits_were(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    centre.open_around_the_clock()
    http = live_server.session_for("canbo1", creds.passwords["canbo1"])
    ticket_id = issue(live_server, http, creds, centre.service["HT"])
    for action in ("open", "call-next"):
        response = http.post(
            f"{live_server.url}/api/counters/{centre.counter[1]}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    ticket = centre.ticket(ticket_id)
    # Called 10 minutes after the number was taken, and told 5-12 minutes, about 8 (test
    # data: whatever the server wrote for it is replaced).
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(first_called_at=ticket.issued_at + timedelta(minutes=10))
        )
        session.execute(delete(WaitQuote).where(WaitQuote.ticket_id == ticket_id))
        session.add(
            WaitQuote(
                ticket_id=ticket_id,
                site_id=centre.site_id,
                service_id=ticket.service_id,
                kind="issued",
                at=ticket.issued_at,
                people_ahead=0,
                low_minutes=5,
                median_minutes=8,
                high_minutes=12,
            )
        )

    page = manager_page(screens, live_server, creds, "/manager/statistics")
    section = page.locator("#section-scorecard")
    expect(section.locator("h2")).to_have_text("Độ tin cậy của thời gian chờ dự kiến")
    expect(section).to_contain_text("Lệch: dương là công dân chờ lâu hơn đã báo")
    row = section.locator(f"#scorecard-service tbody tr[data-key='{ticket.service_id}']")
    expect(row.locator("th")).to_have_text("Tư pháp - Hộ tịch")
    expect(row.locator("td")).to_have_text(["1", "2,0", "+2,0", "100 %", "0 %", "0 %", "0"])
    expect(section.locator("#scorecard-service tfoot tr td").first).to_have_text("1")

    hours = section.locator("#scorecard-hour")
    expect(hours).to_be_hidden()  # folded until asked for
    section.locator("#scorecard-hours summary").click()
    expect(hours).to_be_visible()
    hour = ticket.issued_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).hour
    expect(hours.locator("tbody tr th")).to_have_text(f"{hour:02d}:00–{hour + 1:02d}:00")
    expect(section.locator("a[href*='scorecard.xlsx']")).to_be_visible()
    shoot(page, "manager-statistics-scorecard")
