"""The board on a 1920x1080 TV fits the centre, however many counters it has: after a
merger a ward centre has 10 to 20. Every counter's row and the manager's notice are inside
the screen, no text spills out of its box, and an outage message in the header does not
push the notice off."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select, update

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, CounterService, Service, Site
from server.cli.demo import DemoCredentials
from server.domain.roles import CounterState
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import LiveServer, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser]

WIDTH, HEIGHT = 1920, 1080
NOTICE = "Từ ngày 01/12, tiếp nhận hồ sơ đất đai đến 16:00. Mang theo CCCD gắn chip."
LONG_REASON = "Họp giao ban đầu tuần với lãnh đạo phường"


def add_counters(database: Database, site_id: int, count: int) -> None:
    """Counters 7..count beside the demo's six: open, paused (a long reason) and closed in
    turn, as on a real morning."""
    with database.write_session() as session, session.begin():
        service_id = session.scalars(select(Service.id).where(Service.site_id == site_id)).first()
        states = [CounterState.OPEN, CounterState.PAUSED, CounterState.CLOSED]
        for number in range(7, count + 1):
            counter = Counter(
                site_id=site_id,
                number=number,
                label=f"Quầy {number}",
                state=states[number % 3],
                pause_reason=LONG_REASON if states[number % 3] == CounterState.PAUSED else "",
            )
            counter.service_links.append(CounterService(service_id=service_id, rank=0, position=0))
            session.add(counter)
        session.execute(update(Site).where(Site.id == site_id).values(notice=NOTICE))


def busy_morning(server: LiveServer, creds: DemoCredentials, centre: Centre) -> None:
    """Citizens called at counters 1, 3 and 4, so the big box has cards."""
    kiosk = requests.Session()
    for service in ("HT", "CT", "DD"):
        issued = kiosk.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": centre.service[service]},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        )
        assert issued.status_code == 201, issued.text
    for number, user in ((1, "canbo1"), (3, "canbo2"), (4, "canbo4")):
        clerk = server.session_for(user, creds.passwords[user])
        for action in ("open", "call-next"):
            response = clerk.post(
                f"{server.url}/api/counters/{centre.counter[number]}/{action}", timeout=5
            )
            assert response.ok, response.text


# Every box on the board whose text must stay inside it (a row, a cell, a card, the notice).
MEASURE = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const spills = [];
  for (const e of document.querySelectorAll(
      "#counters th, #counters td, #calls .call, .notice-label, #waiting li, #site-name")) {
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) {
      spills.push(e.textContent);
    }
  }
  // A number is never broken over two lines ("1" above "2" is not counter 12).
  const lines = (e) => { const range = document.createRange(); range.selectNodeContents(e);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size; };
  for (const e of document.querySelectorAll("#counters .counter-number, #calls .call-number")) {
    if (lines(e) > 1) spills.push(`${e.textContent} broken over lines`);
  }
  return {
    rows: [...document.querySelectorAll("#counters tr")].map(
      (r) => ({counter: r.dataset.counter, ...box(r)})),
    notice: box(document.getElementById("notice-bar")),
    noticeShown: !document.getElementById("notice-bar").hidden,
    spills,
  };
}"""


def assert_fits(board: Any, count: int) -> None:
    layout = board.evaluate(MEASURE)
    assert len(layout["rows"]) == count
    for row in layout["rows"]:
        assert row["top"] >= 0 and row["bottom"] <= HEIGHT, row
        assert row["left"] >= 0 and row["right"] <= WIDTH, row
        assert row["bottom"] <= layout["notice"]["top"] + 1, ("under the notice", row)
    assert layout["noticeShown"]
    notice = layout["notice"]
    assert notice["top"] >= 0 and notice["bottom"] <= HEIGHT, notice
    assert notice["bottom"] - notice["top"] > 20, notice
    assert layout["spills"] == []


@pytest.mark.parametrize("count", [8, 12, 20])
def test_the_board_fits_every_counter_and_the_notice_on_a_1920x1080_tv(
    count: int,
    screens: Screens,
    live_server: LiveServer,
    database: Database,
    creds: DemoCredentials,
    centre: Centre,
) -> None:
    add_counters(database, centre.site_id, count)
    busy_morning(live_server, creds, centre)
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", WIDTH, HEIGHT
    )
    expect(board.locator("#counters tr")).to_have_count(count)
    expect(board.locator("#counters tr[data-counter='4'] .current")).to_have_text("C001")
    expect(board.locator("#notice")).to_have_text(NOTICE)
    assert_fits(board, count)
    shoot(board, f"board-{count}-counters")

    # The server goes away: the header says so, and the notice stays on screen.
    live_server.stop()
    wait_until(
        lambda: board.locator("#connection").inner_text().strip(),
        timeout=15,
        what="the board saying it lost the server",
    )
    assert_fits(board, count)
    shoot(board, f"board-{count}-counters-offline")
