"""The four screens in a real Chromium against a real `xephang serve`: a citizen takes a
ticket at the kiosk, a clerk calls it, the board and the phone page follow live. Then each
screen's own behaviour: the kiosk's language switch and its return to Vietnamese, the kiosk
losing and finding the server, the clerk's transfer and pause, the phone's warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select, update

from server.adapters.db.models import Device, Ticket
from server.cli.demo import DemoCredentials
from server.services.printing import set_printer
from server.services.snapshots import CLERK_LIST_LENGTH
from server.services.tickets import issue_ticket
from server.services.unit_of_work import UnitOfWork
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import LiveServer, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser]


def kiosk(screens: Screens, server: Any, creds: DemoCredentials) -> Any:
    page = screens.open(f"{server.url}/kiosk?device={creds.device_tokens['kiosk']}", 1080, 1920)
    expect(page.locator("button.service")).to_have_count(6)
    return page


def counter_page_login(screens: Screens, server: Any, creds: DemoCredentials, username: str) -> Any:
    """A staff member signed in, on the page the sign-in leads them to."""
    page = screens.open(f"{server.url}/login", 1366, 768)
    page.fill("#username", username)
    page.fill("#password", creds.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator("#username")).to_have_count(0)
    return page


def counter_page(
    screens: Screens,
    server: Any,
    creds: DemoCredentials,
    number: int,
    username: str = "canbo1",
    size: tuple[int, int] = (1366, 768),
) -> Any:
    page = screens.open(f"{server.url}/login", *size)
    page.fill("#username", username)
    page.fill("#password", creds.passwords[username])
    page.click("button[type=submit]")
    page.click(f"text=Quầy số {number}")
    expect(page.locator("#counter-number")).to_have_text(str(number))
    return page


def test_a_ticket_goes_from_kiosk_to_counter_board_and_phone(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    civil_waiting = board.locator("#waiting li").first.locator(".count")
    expect(civil_waiting).to_have_text("0")

    citizen = kiosk(screens, live_server, creds)
    shoot(citizen, "kiosk-services")
    citizen.click("button.service >> text=Tư pháp - Hộ tịch")
    expect(citizen.locator("#step-priority")).to_be_visible()
    citizen.click("#no-priority")
    expect(citizen.locator("#result-number")).to_have_text("A001")
    expect(citizen.locator("#result-priority")).to_be_hidden()  # no priority was chosen
    expect(citizen.locator("#result-ahead")).to_contain_text("0 người")
    # The QR image loads (a busy machine may take a moment) and is a real picture.
    citizen.wait_for_function(
        "() => { const qr = document.getElementById('result-qr');"
        " return qr.complete && qr.naturalWidth > 100; }"
    )
    shoot(citizen, "kiosk-result")
    expect(civil_waiting).to_have_text("1")  # the board heard the issue live

    phone_url = citizen.locator("#result-qr").get_attribute("src").removesuffix("/qr.svg")
    phone = screens.open(f"{live_server.url}{phone_url}", 390, 844)
    expect(phone.locator("#number")).to_have_text("A001")
    expect(phone.locator("#ahead")).to_have_text("0")

    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    expect(clerk.locator("#waiting tr")).to_have_count(1)
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text("A001")
    shoot(clerk, "counter")

    expect(board.locator("#latest-number")).to_have_text("A001")
    expect(board.locator("#latest-counter")).to_have_text("1")
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text("A001")
    announcements = board.evaluate("window.xephangBoard.announcements")
    assert [(a["number"], a["counter"], a["text"]) for a in announcements] == [
        ("A001", 1, "Mời công dân có số thứ tự A001 đến quầy số 1")
    ]
    shoot(board, "board")
    expect(phone.locator("#called-state")).to_be_visible()
    expect(phone.locator("#counter-number")).to_have_text("1")
    shoot(phone, "phone")

    clerk.keyboard.press("s")  # keyboard shortcut: start serving
    expect(clerk.locator("#current-status")).to_have_text("Đang phục vụ")
    expect(phone.locator("#status-text")).to_have_text("Ông/bà đang được phục vụ.")
    clerk.keyboard.press("f")  # finish
    expect(clerk.locator("#current-number")).to_have_text("–")
    expect(clerk.locator("#done-message")).to_have_text("Đã hoàn thành số A001.")

    # Two more citizens; two clerks call them in the same second: two announcements, in
    # the order the server recorded the calls, none lost.
    for service in ("Tư pháp - Hộ tịch", "Chứng thực"):
        citizen.evaluate("window.xephangKiosk.reset()")  # as "Xong", or its own countdown
        citizen.click(f"button.service >> text={service}")
        citizen.click("#no-priority")
        expect(citizen.locator("#step-result")).to_be_visible()
    expect(citizen.locator("#result-number")).to_have_text("B001")
    second_clerk = counter_page(screens, live_server, creds, 3, "canbo2")
    second_clerk.click("button[data-action=open]")
    expect(second_clerk.locator("#waiting tr")).to_have_count(1)
    clerk.keyboard.press("n")
    second_clerk.keyboard.press("n")
    expect(clerk.locator("#current-number")).to_have_text("A002")
    expect(second_clerk.locator("#current-number")).to_have_text("B001")
    heard = wait_until(
        lambda: (a := board.evaluate("window.xephangBoard.announcements")) and len(a) >= 3 and a,
        what="both calls heard by the board",
    )
    recent = requests.get(
        f"{live_server.url}/api/board/snapshot",
        headers={"X-Device-Token": creds.device_tokens["board"]},
        timeout=5,
    ).json()["recent_calls"][::-1]
    called = [(c["number"], c["counter_number"]) for c in recent]
    assert sorted(called[1:]) == [("A002", 1), ("B001", 3)]
    first, second = (datetime.fromisoformat(c["at"]) for c in recent[1:])
    assert abs((second - first).total_seconds()) < 1  # in the same second
    assert [(a["number"], a["counter"]) for a in heard] == called
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text("A002")
    expect(board.locator("#counters tr[data-counter='3'] .current")).to_have_text("B001")
    expect(board.locator("#recent li.newest strong")).to_have_text(called[-1][0])


def test_a_priority_ticket_is_marked_on_the_kiosk(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    citizen = kiosk(screens, live_server, creds)
    citizen.click("button.service >> text=Chứng thực")
    citizen.click("button[data-priority=elderly]")
    expect(citizen.locator("#result-number")).to_have_text("B001")
    expect(citizen.locator("#result-priority")).to_be_visible()
    citizen.click("#done")
    expect(citizen.locator("#step-service")).to_be_visible()


def test_a_refused_counter_action_is_explained_to_the_clerk(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#message")).to_contain_text("Quầy số 1 đang không mở")
    clerk.click("button[data-action=open]")
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#message")).to_contain_text("Không còn ai chờ")


def test_the_board_catches_up_after_the_server_restarts(
    screens: Screens, live_server: Any, creds: DemoCredentials, centre: Centre
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    live_server.stop()
    expect(board.locator("#connection")).not_to_be_empty()  # says it lost the server
    live_server.start()
    # While the board was away: a certification ticket issued and called at counter 2.
    http = live_server.session_for("canbo1", creds.passwords["canbo1"])
    http.post(
        f"{live_server.url}/api/kiosk/tickets",
        json={"service_id": centre.service["CT"]},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    for action in ("open", "call-next"):
        response = http.post(
            f"{live_server.url}/api/counters/{centre.counter[2]}/{action}", json={}, timeout=5
        )
        assert response.ok, response.text
    # socket.io-client reconnects by itself (backoff up to 5 s), then fetches a snapshot.
    counter_2 = board.locator("#counters tr[data-counter='2'] .current")
    expect(counter_2).to_have_text("B001", timeout=15_000)
    expect(board.locator("#connection")).to_be_empty()


def test_an_unregistered_kiosk_says_so_and_shows_no_service(
    screens: Screens, live_server: Any
) -> None:
    page = screens.open(f"{live_server.url}/kiosk?device=not-a-registered-token", 1080, 1920)
    # The citizen in front of it is told what to do, in words for them; the reason is for
    # the staff member who comes to look.
    notice = page.locator("#out-of-service")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Ki-ốt này đang tạm ngừng cấp số.")
    expect(notice).to_contain_text("Mời ông/bà lấy số tại ki-ốt khác hoặc hỏi cán bộ hướng dẫn.")
    expect(page.locator("#out-of-service-reason")).to_contain_text("Mã thiết bị không hợp lệ")
    expect(page.locator("#offline")).to_be_hidden()
    expect(page.locator("#connection")).to_be_empty()
    expect(page.locator("button.service")).to_have_count(0)
    shoot(page, "kiosk-out-of-service")


def test_a_kiosk_revoked_while_open_turns_to_the_citizens_out_of_service_notice(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    citizen = kiosk(screens, live_server, creds)
    with centre.db.reading() as session:
        kiosk_id = session.scalars(select(Device.id).where(Device.kind == "kiosk")).one()
    admin = live_server.session_for("admin", creds.passwords["admin"])
    revoked = admin.post(f"{live_server.url}/admin/devices/{kiosk_id}/revoke", timeout=5)
    assert revoked.ok, revoked.text
    # Its connection is cut at once; it tries again, and is refused.
    expect(citizen.locator("#out-of-service")).to_be_visible(timeout=15_000)
    expect(citizen.locator("#out-of-service")).to_contain_text("Ki-ốt này đang tạm ngừng cấp số.")
    expect(citizen.locator("#offline")).to_be_hidden()
    expect(citizen.locator("button.service").first).to_be_disabled()


def test_the_kiosk_switches_to_english_and_comes_back_to_vietnamese_by_itself(
    screens: Screens, live_server: Any, creds: DemoCredentials
) -> None:
    citizen = kiosk(screens, live_server, creds)
    citizen.context.clock.install()  # the result's countdown, run forward below
    expect(citizen.locator("html")).to_have_attribute("lang", "vi")
    citizen.click("#language")
    expect(citizen.locator("html")).to_have_attribute("lang", "en")
    expect(citizen.locator("#step-service h2")).to_have_text("Please choose the service you need")
    expect(citizen.locator("button.service")).to_have_count(6)
    citizen.click("button.service >> text=Justice and civil status")
    expect(citizen.locator("#step-priority h2")).to_have_text(
        "Are you entitled to priority service?"
    )
    expect(citizen.locator("#priorities button[data-priority=elderly]")).to_have_text(
        "Elderly person"
    )
    citizen.click("#no-priority")
    expect(citizen.locator("#result-number")).to_have_text("A001")
    expect(citizen.locator("#result-ahead")).to_have_text("People ahead of you: 0")
    expect(citizen.locator("#returning")).to_contain_text("goes back to the start in")
    shoot(citizen, "kiosk-result-en")

    # Nobody touches it: after the result's seconds it is ready for the next citizen, in
    # Vietnamese again.
    citizen.context.clock.fast_forward(20_000)
    expect(citizen.locator("html")).to_have_attribute("lang", "vi")
    expect(citizen.locator("#step-service h2")).to_have_text("Xin chọn lĩnh vực cần giải quyết")
    expect(citizen.locator("button.service >> text=Tư pháp - Hộ tịch")).to_be_visible()
    expect(citizen.locator("#step-result")).to_be_hidden()


def test_the_kiosk_says_plainly_when_the_server_is_gone_and_never_invents_a_number(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials
) -> None:
    citizen = kiosk(screens, live_server, creds)
    offline = citizen.locator("#offline")
    expect(offline).to_be_hidden()

    live_server.stop()
    expect(offline).to_be_visible()
    expect(offline).to_contain_text("không kết nối được máy chủ")
    expect(citizen.locator("button.service").first).to_be_disabled()
    citizen.locator("button.service").first.click(force=True)  # a tap anyway: nothing
    expect(citizen.locator("#step-result")).to_be_hidden()
    expect(citizen.locator("#result-number")).to_be_empty()
    shoot(citizen, "kiosk-offline")

    live_server.start()
    expect(offline).to_be_hidden(timeout=15_000)  # it retried by itself
    expect(citizen.locator("button.service").first).to_be_enabled()

    # The answer to a tap is lost on the way: the citizen is told, no number is shown.
    citizen.route("**/api/kiosk/tickets", lambda route: route.abort())
    citizen.click("button.service >> text=Tư pháp - Hộ tịch")
    citizen.click("#no-priority")
    expect(citizen.locator("#message")).to_contain_text("chưa lấy được số")
    expect(citizen.locator("#step-result")).to_be_hidden()
    citizen.unroute("**/api/kiosk/tickets")
    expect(offline).to_be_hidden()

    citizen.click("button.service >> text=Tư pháp - Hộ tịch")
    citizen.click("#no-priority")
    # The first number of the day: nothing was issued, or invented, while away.
    expect(citizen.locator("#result-number")).to_have_text("A001")
    expect(citizen.locator("#message")).to_be_hidden()


def test_a_clerk_transfers_a_ticket_and_pauses_with_a_reason_the_board_and_hall_show(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(6)
    issued = requests.post(
        f"{live_server.url}/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=5,
    )
    issued.raise_for_status()
    phone = screens.open(f"{live_server.url}/t/{issued.json()['ticket']['token']}", 390, 844)
    expect(phone.locator("#transfer-state")).to_be_hidden()
    clerk = counter_page(screens, live_server, creds, 1, size=(1024, 768))  # a tablet
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text("A001")
    expect(clerk.locator("#current-timer")).to_have_text("0:00")
    expect(clerk.locator("#current-timer")).not_to_have_text("0:00", timeout=5_000)  # it runs
    shoot(clerk, "counter-tablet")

    civil = board.locator(f"#waiting li[data-service='{centre.service['HT']}'] .count")
    certification = board.locator(f"#waiting li[data-service='{centre.service['CT']}'] .count")
    expect(civil).to_have_text("0")
    clerk.select_option("#transfer-service", label="Chứng thực")
    clerk.click("button[data-action=transfer]")
    expect(clerk.locator("#done-message")).to_have_text("Đã chuyển số A001 sang Chứng thực.")
    expect(clerk.locator("#current-number")).to_have_text("–")
    # Counter 1 serves certification too: the citizen waits there, keeping the number.
    expect(clerk.locator("#waiting tr")).to_have_count(1)
    service_cell = clerk.locator("#waiting tr td").nth(1)
    expect(service_cell).to_contain_text("Chứng thực")
    expect(service_cell).to_contain_text("Chuyển từ Tư pháp - Hộ tịch (quầy 1)")
    expect(certification).to_have_text("1")
    expect(civil).to_have_text("0")
    # The citizen's phone says so: same number, same place, another service.
    expect(phone.locator("#service")).to_have_text("Chứng thực")
    expect(phone.locator("#transfer-state")).to_have_text(
        "Số A001 của ông/bà đã được chuyển từ lĩnh vực “Tư pháp - Hộ tịch” sang lĩnh vực "
        "“Chứng thực”. Ông/bà giữ nguyên số và thứ tự chờ, không cần lấy số mới."
    )
    notified = [n["kind"] for n in phone.evaluate("window.xephangPhone.notified")]
    assert notified == ["called", "transferred"]
    shoot(phone, "phone-transferred")

    hall = screens.open(f"{live_server.url}/login", 1920, 1080)
    hall.fill("#username", "quanly")
    hall.fill("#password", creds.passwords["quanly"])
    hall.click("button[type=submit]")
    hall.goto(f"{live_server.url}/manager")
    expect(hall.locator("#queues tr")).to_have_count(6)

    clerk.fill("#pause-reason", "Họp giao ban")
    clerk.click("button[data-action=pause]")
    expect(clerk.locator("#counter-state")).to_have_text("Tạm dừng (Họp giao ban)")
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text(
        "Tạm dừng: Họp giao ban"
    )
    expect(hall.locator(f"#counters tr[data-counter-id='{centre.counter[1]}']")).to_contain_text(
        "Tạm dừng – Họp giao ban"
    )
    # A refused action says why: a paused counter calls nobody.
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#message")).to_contain_text("không mở")


def test_the_phone_warns_when_the_turn_is_near_and_when_it_comes(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    kiosk_http = requests.Session()
    tokens = []
    for _ in range(5):  # four people ahead, then this citizen
        issued = kiosk_http.post(
            f"{live_server.url}/api/kiosk/tickets",
            json={"service_id": centre.service["HT"]},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        )
        issued.raise_for_status()
        tokens.append(issued.json()["ticket"]["token"])
    phone = screens.open(f"{live_server.url}/t/{tokens[-1]}", 390, 844)
    expect(phone.locator("#number")).to_have_text("A005")
    expect(phone.locator("#ahead")).to_have_text("4")
    expect(phone.locator("#near-state")).to_be_hidden()
    # Notifications are asked for only on a tap, never by the page itself.
    expect(phone.locator("#notify")).to_be_visible()
    assert phone.evaluate("window.xephangPhone.asked") == 0
    assert phone.evaluate("Notification.permission") == "default"
    phone.context.grant_permissions(["notifications"], origin=live_server.url)  # the citizen: yes
    phone.click("#notify")
    expect(phone.locator("#notify-state")).to_contain_text("Đã bật thông báo")
    expect(phone.locator("#notify")).to_be_hidden()
    assert phone.evaluate("window.xephangPhone.asked") == 1

    clerk = live_server.session_for("canbo1", creds.passwords["canbo1"])
    counter = centre.counter[1]

    def act(action: str) -> None:
        response = clerk.post(f"{live_server.url}/api/counters/{counter}/{action}", timeout=5)
        assert response.ok, response.text

    act("open")
    act("call-next")  # A001: three ahead now, which is near (XEPHANG_NOTIFY_AHEAD=3)
    expect(phone.locator("#ahead")).to_have_text("3")
    expect(phone.locator("#near-state")).to_be_visible()
    notified = phone.evaluate("window.xephangPhone.notified")
    assert [(n["kind"], n["shown"]) for n in notified] == [("near", True)]
    assert "3" in notified[0]["body"]
    assert [v["kind"] for v in phone.evaluate("window.xephangPhone.vibrated")] == ["near"]
    shoot(phone, "phone-near")

    for _ in range(4):  # A001 to A004 served, then this citizen is called
        act("start")
        act("finish")
        act("call-next")
    expect(phone.locator("#called-state")).to_be_visible()
    expect(phone.locator("#called-state")).to_contain_text("Đến lượt ông/bà!")
    expect(phone.locator("#counter-number")).to_have_text("1")
    expect(phone.locator("#near-state")).to_be_hidden()
    notified = phone.evaluate("window.xephangPhone.notified")
    assert [(n["kind"], n["shown"]) for n in notified] == [("near", True), ("called", True)]
    assert notified[1]["body"] == "Mời đến quầy số 1."
    assert [v["kind"] for v in phone.evaluate("window.xephangPhone.vibrated")] == [
        "near",
        "called",
    ]
    shoot(phone, "phone-your-turn")


def test_a_clerk_changes_counter_and_signs_out_and_no_counter_stays_open(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    board = screens.open(
        f"{live_server.url}/board?device={creds.device_tokens['board']}", 1920, 1080
    )
    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    clerk.click("text=Đổi quầy")
    clerk.click("text=Quầy số 2")
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    # One open counter per clerk: the one left behind pauses, and the board says why.
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text(
        "Tạm dừng: Cán bộ đã chuyển sang quầy số 2"
    )
    clerk.click("form.sign-out button")
    expect(clerk.locator("#username")).to_be_visible()
    expect(board.locator("#counters tr[data-counter='2'] .current")).to_have_text(
        "Tạm dừng: Cán bộ đã đăng xuất"
    )


def test_the_hall_signs_out_and_offers_no_counter_to_a_manager(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials
) -> None:
    hall = screens.open(f"{live_server.url}/login", 1920, 1080)
    hall.fill("#username", "quanly")
    hall.fill("#password", creds.passwords["quanly"])
    hall.click("button[type=submit]")
    for path in ("/manager", "/manager/statistics"):
        hall.goto(f"{live_server.url}{path}")
        expect(hall.locator(".manager-nav form.sign-out button")).to_have_text("Đăng xuất")
    hall.click(".manager-nav form.sign-out button")
    expect(hall.locator("#username")).to_be_visible()


def test_the_clerk_sees_priority_transfer_note_and_minutes_waited_and_prints_again(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    with centre.db.reading() as session:
        kiosk_id = session.scalars(select(Device.id).where(Device.kind == "kiosk")).one()
    set_printer(UnitOfWork(centre.db), kiosk_id, "dummy://", None, None)
    for priority in ("elderly", None):
        requests.post(
            f"{live_server.url}/api/kiosk/tickets",
            json={"service_id": centre.service["HT"], "priority": priority},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        ).raise_for_status()
    # A001 has waited a few seconds under three minutes. (Not a faked browser clock: the page
    # takes the server's time from every snapshot, so a snapshot fetched after a faked
    # jump cancelled it, and the test failed in CI now and then.)
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Ticket)
            .where(Ticket.number == "A001", Ticket.service_id == centre.service["HT"])
            .values(queued_at=datetime.now(UTC) - timedelta(minutes=3) + timedelta(seconds=15))
        )
    clerk = counter_page(screens, live_server, creds, 1)
    clerk.click("button[data-action=open]")
    first = clerk.locator("#waiting tr").first
    expect(first).to_contain_text("A001")
    expect(first).to_contain_text("Người cao tuổi")  # the category, as on the paper
    expect(first.locator(".waited")).to_have_text("2 phút")
    expect(first.locator(".waited")).to_have_text("3 phút", timeout=25_000)  # by itself

    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text("A001")
    expect(clerk.locator("#current-priority")).to_have_text("Ưu tiên: Người cao tuổi")
    clerk.fill("#transfer-note", "Cần chứng thực bản sao giấy khai sinh")
    clerk.select_option("#transfer-service", label="Chứng thực")
    clerk.click("button[data-action=transfer]")
    expect(clerk.locator("#done-message")).to_have_text("Đã chuyển số A001 sang Chứng thực.")
    expect(clerk.locator("#transfer-note")).to_have_value("")
    moved = clerk.locator("#waiting tr", has_text="A001")
    expect(moved).to_contain_text("Chuyển từ Tư pháp - Hộ tịch (quầy 1)")
    expect(moved).to_contain_text("Cần chứng thực bản sao giấy khai sinh")
    moved.locator("button", has_text="Gọi").click()
    expect(clerk.locator("#current-transfer")).to_contain_text(
        "Cần chứng thực bản sao giấy khai sinh"
    )
    shoot(clerk, "counter-transfer-note")

    # The paper: seen on screen, printed again on the kiosk that issued it.
    clerk.click("button[data-print=preview]")
    expect(clerk.locator("#preview")).to_be_visible()
    clerk.wait_for_function(
        "() => { const img = document.getElementById('preview-image');"
        " return img.complete && img.naturalWidth > 300; }"
    )
    clerk.click("#preview-close")
    expect(clerk.locator("#preview")).to_be_hidden()
    expect(clerk.locator("#print-kiosk")).to_have_value(str(kiosk_id))
    clerk.click("button[data-print=reprint]")
    expect(clerk.locator("#done-message")).to_have_text("Đã in lại số A001 ở Kiosk sảnh chính.")
    # A test print is for administrators: the clerk has no such button.
    expect(clerk.locator("button[data-print=test]")).to_have_count(0)

    admin = screens.open(f"{live_server.url}/login", 1366, 768)
    admin.fill("#username", "admin")
    admin.fill("#password", creds.passwords["admin"])
    admin.click("button[type=submit]")
    admin.goto(f"{live_server.url}/counter/{centre.counter[1]}")
    admin.click("button[data-print=test]")
    expect(admin.locator("#done-message")).to_have_text("Đã in thử ở Kiosk sảnh chính.")


def test_a_guide_at_reception_issues_a_priority_number_printed_or_on_screen(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    with centre.db.reading() as session:
        kiosk_id = session.scalars(select(Device.id).where(Device.kind == "kiosk")).one()
    set_printer(UnitOfWork(centre.db), kiosk_id, "dummy://", None, None)
    guide = counter_page_login(screens, live_server, creds, "canbo3")
    guide.click("text=Tiếp đón – cấp số cho công dân")
    expect(guide.locator("#services button.service")).to_have_count(6)
    expect(guide.locator("#print-kiosk option")).to_have_count(2)  # on screen, or the kiosk

    guide.check("#priorities input[value=pregnant]")
    guide.click("#services button.service >> text=Chứng thực")
    expect(guide.locator("#result-number")).to_have_text("B001")
    expect(guide.locator("#result-priority")).to_have_text("Ưu tiên: Phụ nữ mang thai")
    expect(guide.locator("#print-status")).to_have_text("Không in: số chỉ hiện trên màn hình.")
    guide.wait_for_function(
        "() => { const qr = document.getElementById('result-qr');"
        " return qr.complete && qr.naturalWidth > 100; }"
    )
    # The next citizen starts with no priority.
    expect(guide.locator('#priorities input[value=""]')).to_be_checked()
    shoot(guide, "reception")

    guide.select_option("#print-kiosk", label="Kiosk sảnh chính")
    guide.click("#services button.service >> text=Chứng thực")
    expect(guide.locator("#result-number")).to_have_text("B002")
    expect(guide.locator("#result-priority")).to_be_hidden()
    expect(guide.locator("#print-status")).to_have_text("Đã in vé ở Kiosk sảnh chính.")
    certification = guide.locator("#services button.service", has_text="Chứng thực")
    expect(certification).to_contain_text("Đang chờ: 2")

    # Counter 3 calls the pregnant woman first, and sees why.
    clerk = counter_page(screens, live_server, creds, 3, "canbo3")
    clerk.click("button[data-action=open]")
    expect(clerk.locator("#counter-state")).to_have_text("Đang mở")
    clerk.click("button[data-action=call-next]")
    expect(clerk.locator("#current-number")).to_have_text("B001")
    expect(clerk.locator("#current-priority")).to_have_text("Ưu tiên: Phụ nữ mang thai")


def test_a_long_queue_lists_the_next_hundred_for_the_clerk_and_counts_the_rest(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    centre.open_around_the_clock()
    uow = UnitOfWork(centre.db)
    for _ in range(CLERK_LIST_LENGTH + 3):
        issue_ticket(uow, centre.site_id, centre.service["HT"])
    clerk = counter_page(screens, live_server, creds, 1)
    expect(clerk.locator("#waiting-count")).to_have_text(str(CLERK_LIST_LENGTH + 3))
    expect(clerk.locator("#waiting tr[data-ticket]")).to_have_count(CLERK_LIST_LENGTH)
    expect(clerk.locator("#waiting tr.more")).to_have_text("… và 3 số nữa")
    expect(clerk.locator("#waiting tr").first).to_contain_text("A001")
