"""Waits you can trust, as the citizen sees them (issue 13), in a real Chromium against a
real `xephang serve`: the range on the kiosk, the board and the phone, in the same words as
the paper (static/js/waits.js and ticket_wait.wait_words, rule for rule); "Chưa có quầy
phục vụ" while no counter serves the service; the warning before closing with the choice
to come back; the phone's range moving with the hall, from the pushed queue alone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from server.adapters.db.engine import Database
from server.adapters.db.models import Site
from server.adapters.printing.ticket_wait import TicketWait, wait_words
from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens, shoot
from tests.browser.test_live_states import Watched, issue
from tests.browser.test_screens import counter_page_login
from tests.conftest import Centre
from tests.live import LiveServer, http_session

pytestmark = [pytest.mark.server, pytest.mark.browser]

RANGE = re.compile(r"khoảng \d+-\d+ phút")
NO_COUNTER = "Chưa có quầy phục vụ"


def said(wait: dict[str, Any], ahead: int) -> str:
    """What every screen says of `wait` (the paper's words: the same rule)."""
    return wait_words(TicketWait.of(wait), ahead)


def open_counter(server: LiveServer, creds: DemoCredentials, centre: Centre) -> Any:
    """canbo1 opens counter 1 (civil status first): the clerk's session."""
    clerk = server.session_for("canbo1", creds.passwords["canbo1"])
    opened = clerk.post(f"{server.url}/api/counters/{centre.counter[1]}/open", timeout=10)
    assert opened.ok, opened.text
    return clerk


def kiosk_snapshot(server: LiveServer, creds: DemoCredentials) -> dict[str, Any]:
    answer = http_session().get(
        f"{server.url}/api/kiosk/snapshot",
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=10,
    )
    assert answer.ok, answer.text
    snapshot: dict[str, Any] = answer.json()
    return snapshot


def service_entry(snapshot: dict[str, Any], service_id: int) -> dict[str, Any]:
    entry: dict[str, Any] = next(s for s in snapshot["services"] if s["id"] == service_id)
    return entry


def phone_view(server: LiveServer, token: str) -> dict[str, Any]:
    answer = http_session().get(f"{server.url}/api/tickets/{token}", timeout=10)
    assert answer.ok, answer.text
    ticket: dict[str, Any] = answer.json()["ticket"]
    return ticket


def test_the_kiosk_board_and_phone_show_the_wait_as_a_range_in_the_papers_words(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    url = live_server.url
    civil = centre.service["HT"]
    open_counter(live_server, creds, centre)
    tickets = [issue(live_server, creds, civil) for _ in range(6)]
    # The kiosk's answer carries the range the citizen was told.
    assert {"low", "median", "high", "no_counter", "warning"} <= set(tickets[-1]["wait"])

    kiosk = screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920)
    button = kiosk.locator(f"#services button[data-service-id='{civil}']")
    expect(button).to_contain_text("Đang chờ: 6 · ")
    entry = service_entry(kiosk_snapshot(live_server, creds), civil)
    expect(button.locator(".meta")).to_have_text(f"Đang chờ: 6 · {said(entry['wait'], 6)}")
    assert RANGE.search(button.locator(".meta").inner_text())

    board = screens.open(f"{url}/board?device={creds.device_tokens['board']}", 1920, 1080)
    line = board.locator(f"#waiting li[data-service='{civil}'] .wait-line")
    expect(line).to_have_text(RANGE)
    expect(board.locator(f"#waiting li[data-service='{civil}'] .count")).to_have_text("6")
    expect(line).to_have_text(said(entry["wait"], 6))
    shoot(kiosk, "waits-kiosk")
    shoot(board, "waits-board")

    last = tickets[-1]
    phone = screens.open(f"{url}/t/{last['token']}", 390, 844)
    expect(phone.locator("#ahead")).to_have_text("5")
    view = phone_view(live_server, last["token"])
    expect(phone.locator("#wait")).to_have_text(said(view["wait"], view["people_ahead"]))
    assert RANGE.search(phone.locator("#wait").inner_text())
    shoot(phone, "waits-phone")

    # English second: the same range in English words.
    english = screens.open(f"{url}/t/{last['token']}?lang=en", 390, 844)
    expect(english.locator("#wait")).to_have_text(re.compile(r"about \d+-\d+ min"))

    # At reception the guide reads the same range, and the citizen's after issuing.
    guide = counter_page_login(screens, live_server, creds, "canbo3")
    guide.click("text=Tiếp đón – cấp số cho công dân")
    meta = guide.locator(f"#services button[data-service-id='{civil}'] .meta")
    expect(meta).to_have_text(RANGE)
    guide.click(f"#services button[data-service-id='{civil}']")
    expect(guide.locator("#result-number")).to_have_text("A007")
    expect(guide.locator("#result-wait")).to_have_text(
        re.compile(r"^Thời gian chờ dự kiến: khoảng \d+-\d+ phút$")
    )


def test_the_phones_range_moves_with_the_hall_without_asking_again(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    url = live_server.url
    civil = centre.service["HT"]
    clerk = open_counter(live_server, creds, centre)
    tickets = [issue(live_server, creds, civil) for _ in range(9)]
    last = tickets[-1]
    context = screens.browser.new_context(viewport={"width": 390, "height": 844})
    screens.contexts.append(context)
    watched = Watched(screens, context, f"/api/tickets/{last['token']}")
    phone = watched.page
    phone.goto(f"{url}/t/{last['token']}")
    expect(phone.locator("#ahead")).to_have_text("8")
    expect(phone.locator("#wait")).to_have_text(RANGE)
    before = phone.locator("#wait").inner_text()

    def act(action: str) -> None:
        answer = clerk.post(f"{url}/api/counters/{centre.counter[1]}/{action}", json={}, timeout=10)
        assert answer.ok, answer.text

    for _ in range(4):  # four citizens called, served and gone: the range comes down
        act("call-next")
        act("start")
        act("finish")
    expect(phone.locator("#ahead")).to_have_text("4", timeout=15_000)
    view = phone_view(live_server, last["token"])
    expect(phone.locator("#wait")).to_have_text(said(view["wait"], view["people_ahead"]))
    assert phone.locator("#wait").inner_text() != before
    # From the queue the server pushed: the page fetched its ticket once, on connect.
    assert watched.fetches == 1


def test_no_counter_open_says_so_instead_of_a_figure(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    url = live_server.url
    civil = centre.service["HT"]
    ticket = issue(live_server, creds, civil)  # every counter of the demo is closed
    assert ticket["wait"]["no_counter"] is True

    kiosk = screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920)
    meta = kiosk.locator(f"#services button[data-service-id='{civil}'] .meta")
    expect(meta).to_have_text(f"Đang chờ: 1 · {NO_COUNTER}")
    kiosk.click(f"#services button[data-service-id='{civil}']")
    kiosk.click("#no-priority")
    expect(kiosk.locator("#result-wait")).to_have_text(f"Thời gian chờ dự kiến: {NO_COUNTER}")
    assert "phút" not in kiosk.locator("#result-wait").inner_text()

    board = screens.open(f"{url}/board?device={creds.device_tokens['board']}", 1920, 1080)
    expect(board.locator(f"#waiting li[data-service='{civil}'] .wait-line")).to_have_text(
        NO_COUNTER
    )
    phone = screens.open(f"{url}/t/{ticket['token']}", 390, 844)
    expect(phone.locator("#wait")).to_have_text(NO_COUNTER)
    english = screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}&lang=en", 1080, 1920)
    expect(english.locator(f"#services button[data-service-id='{civil}'] .meta")).to_contain_text(
        "No counter serves this now"
    )


def break_soon(database_url: str, minutes: int, lunch: bool) -> str:
    """The site closes (or, with `lunch`, breaks for an hour) `minutes` from now by its
    clock: that time, "HH:MM"."""
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime.now(zone)
    at = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    if (at + timedelta(hours=1)).date() != now.date():
        pytest.skip("too close to the centre's midnight for a break later today")
    hours: dict[str, Any] = {"closes_at": at.time()}
    if lunch:
        hours = {"lunch_starts_at": at.time(), "lunch_ends_at": (at + timedelta(hours=1)).time()}
    db = Database(database_url)
    with db.write_session() as session, session.begin():
        session.execute(update(Site).values(**hours))
    db.dispose()
    return f"{at:%H:%M}"


@pytest.mark.parametrize("lunch", [False, True], ids=["closing", "lunch"])
def test_the_kiosk_warns_before_closing_or_lunch_and_lets_the_citizen_come_back_instead(
    screens: Screens,
    live_server: LiveServer,
    database_url: str,
    creds: DemoCredentials,
    centre: Centre,
    lunch: bool,
) -> None:
    url = live_server.url
    civil = centre.service["HT"]
    until = break_soon(database_url, 12, lunch)
    open_counter(live_server, creds, centre)
    for _ in range(8):  # about 12 minutes each, one counter: not all before the break
        issue(live_server, creds, civil)
    entry = service_entry(kiosk_snapshot(live_server, creds), civil)
    assert entry["wait"]["warning"] is not None, entry
    assert entry["wait"]["warning"]["until"] == until

    kiosk = screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920)
    button = kiosk.locator(f"#services button[data-service-id='{civil}']")
    warning = f"Có thể không kịp trước {until}"
    expect(button.locator(".wait-warning")).to_have_text(warning)
    expect(button.locator(".meta")).to_have_text(f"Đang chờ: 8 · {said(entry['wait'], 8)}")
    if not lunch:  # the top of the range is past closing
        expect(button.locator(".meta")).to_contain_text("có thể sau giờ đóng cửa")

    # The citizen chooses to come back: no number is given.
    button.click()
    kiosk.click("#no-priority")
    expect(kiosk.locator("#step-warning")).to_be_visible()
    expect(kiosk.locator("#warning-text")).to_have_text(warning)
    expect(kiosk.locator("#warning-service")).to_have_text("Tư pháp - Hộ tịch")
    expect(kiosk.locator("#come-back")).to_contain_text("Không lấy số, tôi sẽ quay lại sau")
    shoot(kiosk, "waits-kiosk-closing-warning")
    kiosk.click("#come-back")
    expect(kiosk.locator("#step-service")).to_be_visible()
    assert len(centre.tickets()) == 8

    # Another takes the number anyway: it is issued, and its warning stays on the screen.
    button.click()
    kiosk.click("#no-priority")
    kiosk.click("#take-anyway")
    expect(kiosk.locator("#step-result")).to_be_visible()
    expect(kiosk.locator("#result-number")).to_have_text("A009")
    expect(kiosk.locator("#result-warning")).to_have_text(warning)
    shoot(kiosk, "waits-kiosk-result-warning")
    assert len(centre.tickets()) == 9

    # In English, the same choice in English words.
    english = screens.open(f"{url}/kiosk?device={creds.device_tokens['kiosk']}&lang=en", 1080, 1920)
    english.click(f"#services button[data-service-id='{civil}']")
    english.click("#no-priority")
    expect(english.locator("#warning-text")).to_have_text(f"May not be called before {until}")
    expect(english.locator("#take-anyway")).to_contain_text("Take the number anyway")


CASES: list[tuple[dict[str, Any], int]] = [
    ({"low": 3, "median": 5, "high": 8}, 2),
    ({"low": 14, "median": 19, "high": 23}, 3),
    ({"low": 32, "median": 40, "high": 47}, 6),
    ({"low": 58, "median": 75, "high": 93}, 9),
    ({"low": 125, "median": 150, "high": 181}, 20),
    ({"low": 20, "median": 20, "high": 20}, 4),
    ({"low": 0, "median": 0, "high": 0}, 0),
    ({"low": 0, "median": 1, "high": 2}, 1),
    ({"low": 0, "median": 2, "high": 6}, 0),
    ({"low": 0, "median": 2, "high": 6}, 1),
    ({"low": 42, "median": 70, "high": None}, 12),
    ({"low": 0, "median": 0, "high": None}, 3),
    ({"low": 0, "median": 0, "high": 0, "no_counter": True}, 5),
]


def test_the_screens_and_the_paper_say_a_wait_by_the_same_rule(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials
) -> None:
    kiosk = screens.open(
        f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920
    )
    expect(kiosk.locator("#services button").first).to_be_visible()
    on_screen = kiosk.evaluate(
        """async (cases) => {
            const waits = await import("/static/js/waits.js");
            return cases.map(([wait, ahead]) => waits.sayWait(wait, ahead));
        }""",
        CASES,
    )
    assert on_screen == [said(wait, ahead) for wait, ahead in CASES]
