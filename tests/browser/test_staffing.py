"""The staffing plan page in a real Chromium against a real `xephang serve`: the week's
tables with the actual figures of the days already over, the chart, the XLSX link, and
the printed page without the page's controls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from bench import history
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_the_plan_page_shows_the_week_beside_what_happened_and_prints_clean(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    today = datetime.now(ZoneInfo(history.TIMEZONE)).date()
    monday = today - timedelta(days=today.weekday())
    made = history.fill(
        centre.db, 1, 42, 80, seed=3, end=today - timedelta(days=1), manager="quanly"
    )
    site_id = made.sites[0][0]
    last_week = monday - timedelta(days=7)

    page = screens.open(f"{live_server.url}/login", 1600, 1000)
    page.fill("#username", "quanly")
    page.fill("#password", creds.passwords["quanly"])
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/manager/staffing?site={site_id}&week={last_week:%d/%m/%Y}")

    expect(page.locator("h1")).to_have_text("Kế hoạch nhân sự")
    expect(page.locator("section.staffing-day")).to_have_count(7)
    monday_section = page.locator(f"#day-{last_week.isoformat()}")
    expect(monday_section.locator("tbody tr").first).to_be_visible()
    # a past week: the actual figures stand beside the plan, and the chart has both bars
    expect(monday_section.locator("small.actual").first).to_contain_text("thực tế")
    expect(monday_section.locator("svg rect.actual").first).to_be_attached()
    expect(page.locator(f"#day-{(last_week + timedelta(days=6)).isoformat()}")).to_contain_text(
        "Không có lượt đến dự báo."
    )
    expect(page.locator("#staffing-xlsx")).to_have_attribute(
        "href", f"/manager/staffing.xlsx?site={site_id}&week={last_week.isoformat()}"
    )
    shoot(page, "staffing-plan")

    page.emulate_media(media="print")
    expect(page.locator("form.filters")).to_be_hidden()
    expect(page.locator(".manager-nav")).to_be_hidden()
    expect(monday_section).to_be_visible()
    page.emulate_media(media="screen")

    page.click("#next-week")
    expect(page.locator(f"#day-{monday.isoformat()}")).to_be_visible()
