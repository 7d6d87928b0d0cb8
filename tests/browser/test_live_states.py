"""Screens that apply the states the server pushes (issue 12), in a real Chromium against a
real `xephang serve`: a kiosk press is never lost to a change arriving under the finger, a
phone follows its ticket through a burst of calls without asking the server at each one
(and, behind an address it shares with many, is never refused), and a board that missed
states catches up by itself."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from server.cli.demo import DemoCredentials
from tests.browser.conftest import Screens
from tests.conftest import Centre
from tests.live import LiveServer, http_session, run_all, running, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser]

SOCKET = re.compile(r"/socket\.io/")


def event_name(frame: str | bytes) -> str | None:
    """The Socket.IO event a websocket frame carries (`42["state",{...}]`), if any."""
    if isinstance(frame, str) and frame.startswith("42["):
        name: str = json.loads(frame[2:])[0]
        return name
    return None


class RoutedSocket:
    """A page's Socket.IO connection, through Playwright: the server's events may be
    dropped (by name, or all of them), held back and let through later, and the
    connection cut. `events` lists the events the page was given, with their time."""

    def __init__(self, page: Any) -> None:
        self.drop: set[str] = set()
        self.hold: set[str] = set()
        self.deaf = False  # drop everything
        self.held: list[tuple[Any, str | bytes]] = []
        self.events: list[tuple[float, str]] = []
        self.routes: list[Any] = []
        page.route_web_socket(SOCKET, self._route)

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()
        self.routes.append(ws)

        def from_server(message: str | bytes) -> None:
            name = event_name(message)
            if self.deaf or name in self.drop:
                return
            if name in self.hold:
                self.held.append((ws, message))
                return
            self._send(ws, message)

        server.on_message(from_server)

    def _send(self, ws: Any, message: str | bytes) -> None:
        name = event_name(message)
        if name is not None:
            self.events.append((time.monotonic(), name))
        ws.send(message)

    def release(self) -> None:
        held, self.held = self.held, []
        for ws, message in held:
            self._send(ws, message)

    def cut(self) -> None:
        for ws in self.routes:
            ws.close()


class Watched:
    """A page in `context` whose requests for `path` are counted, and whose refusals (429)
    are kept, from its first request."""

    def __init__(self, screens: Screens, context: Any, path: str) -> None:
        self.path = path
        self.fetches = 0
        self.refusals: list[str] = []
        self.page = context.new_page()
        self.page.on("pageerror", lambda error: screens.errors.append(f"{path}: {error}"))
        self.page.on("request", self._request)
        self.page.on("response", self._response)

    def _request(self, request: Any) -> None:
        if urlsplit(request.url).path == self.path:
            self.fetches += 1

    def _response(self, response: Any) -> None:
        if response.status == 429:
            self.refusals.append(response.url)


def until(page: Any, check: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
    """Wait until `check()` is true, letting Playwright hand over the page's events (its
    routed socket's messages) meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not true within {timeout}s: {what}"
        page.wait_for_timeout(10)


def issue(server: LiveServer, creds: DemoCredentials, service_id: int) -> dict[str, Any]:
    response = http_session().post(
        f"{server.url}/api/kiosk/tickets",
        json={"service_id": service_id},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


# -- the kiosk: a press held across a change -------------------------------------------------


def waiting_line(kiosk: Any, service_id: int) -> str:
    text: str = kiosk.evaluate(
        "id => document.querySelector(`#services button[data-service-id='${id}']`).textContent",
        service_id,
    )
    return text


def kiosk_page(screens: Screens) -> Watched:
    """A kiosk's page (not loaded yet), its requests for its snapshot counted."""
    context = screens.browser.new_context(viewport={"width": 1080, "height": 1920})
    screens.contexts.append(context)
    return Watched(screens, context, "/api/kiosk/snapshot")


@pytest.mark.parametrize("press_ms", [600, 150])
def test_a_press_held_while_another_kiosk_issues_still_takes(
    screens: Screens,
    live_server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
    press_ms: int,
) -> None:
    watched = kiosk_page(screens)
    kiosk = watched.page
    socket = RoutedSocket(kiosk)
    kiosk.goto(f"{live_server.url}/kiosk?device={creds.device_tokens['kiosk']}")
    civil = centre.service["HT"]
    button = kiosk.locator(f"#services button[data-service-id='{civil}']")
    expect(button).to_contain_text("Đang chờ: 0 ")
    # The kiosk's events are held back until the finger is down, then let through in the
    # middle of the press: the count under the finger changes while it is pressed.
    socket.hold = {"change", "state"}
    for issued in range(1, 4):
        issue(live_server, creds, civil)  # at another kiosk
        until(kiosk, lambda: any(event_name(m) == "state" for _, m in socket.held), "the state")
        box = button.bounding_box()
        kiosk.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        kiosk.mouse.down()
        pressed_at = time.monotonic()
        kiosk.wait_for_timeout(press_ms / 3)
        socket.release()
        while f"Đang chờ: {issued} " not in waiting_line(kiosk, civil):
            assert time.monotonic() - pressed_at < press_ms / 1000, "the state came too late"
        kiosk.wait_for_timeout(max(0.0, press_ms - 1000 * (time.monotonic() - pressed_at)))
        kiosk.mouse.up()
        # The press took: the citizen is asked about priority for the service pressed.
        expect(kiosk.locator("#step-priority")).to_be_visible()
        expect(kiosk.locator("#chosen-service")).to_have_text("Tư pháp - Hộ tịch")
        kiosk.click("#back")
        expect(kiosk.locator("#step-service")).to_be_visible()
    # The counts came in the states: the kiosk asked for its snapshot once, on connect.
    assert watched.fetches == 1


def test_a_new_service_waits_for_the_finger_to_lift_before_the_buttons_are_rebuilt(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    url = live_server.url
    kiosk = kiosk_page(screens).page
    socket = RoutedSocket(kiosk)
    kiosk.goto(f"{url}/kiosk?device={creds.device_tokens['kiosk']}")
    expect(kiosk.locator("button.service")).to_have_count(6)
    admin = screens.open(f"{url}/login", 1600, 1000)
    admin.fill("#username", "admin")
    admin.fill("#password", creds.passwords["admin"])
    admin.click("button[type=submit]")
    expect(admin.locator("#username")).to_have_count(0)
    admin.goto(f"{url}/admin/sites/{centre.site_id}/services/new")
    admin.fill("input[name=code]", "HN")
    admin.fill("input[name=name_vi]", "Hôn nhân")
    admin.fill("input[name=name_en]", "Marriage")
    admin.fill("input[name=prefix]", "G")
    admin.fill("input[name=expected_minutes]", "5")
    admin.fill("input[name=target_minutes]", "20")

    button = kiosk.locator(f"#services button[data-service-id='{centre.service['HT']}']")
    button.evaluate("b => { window.heldButton = b; }")
    box = button.bounding_box()
    kiosk.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    kiosk.mouse.down()
    states_before = sum(name == "state" for _, name in socket.events)
    admin.click("form:has(input[name=code]) button[type=submit]")
    expect(admin).to_have_url(f"{url}/admin/services")
    until(
        kiosk,
        lambda: sum(name == "state" for _, name in socket.events) > states_before,
        "the kiosk heard of the new service",
    )
    kiosk.wait_for_timeout(500)
    # Under the finger nothing was replaced: the new service's button waits.
    assert kiosk.evaluate("window.heldButton.isConnected")
    expect(kiosk.locator("button.service")).to_have_count(6)
    kiosk.mouse.up()
    expect(kiosk.locator("#step-priority")).to_be_visible()
    expect(kiosk.locator("#chosen-service")).to_have_text("Tư pháp - Hộ tịch")
    kiosk.click("#back")
    expect(kiosk.locator("button.service")).to_have_count(7)
    expect(kiosk.locator("button.service", has_text="Hôn nhân")).to_have_count(1)


# -- phones behind one address, through a burst of calls -------------------------------------


PHONES = 40
# Counters calling civil-status tickets (HT), with the clerk at each.
CALLING = {1: "canbo1", 2: "canbo2", 5: "canbo5"}
ROUNDS = 5  # per counter: call, start, finish


@pytest.fixture
def shared_address_server(instance: Path, database_url: str) -> Iterator[LiveServer]:
    """A real server with the public rate limit of production (300 a minute per address):
    every phone and HTTP client of this test comes from 127.0.0.1."""
    with running(instance, database_url, {"XEPHANG_RATELIMIT_PUBLIC": "300 per minute"}) as server:
        yield server


def test_phones_behind_one_address_follow_their_tickets_through_a_burst_of_calls(
    screens: Screens,
    shared_address_server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
) -> None:
    server = shared_address_server
    civil = centre.service["HT"]
    tickets = [issue(server, creds, civil) for _ in range(PHONES)]

    # Someone on the same Wi-Fi guesses tickets until the address's allowance is spent.
    guesser = http_session()
    assert any(
        guesser.get(f"{server.url}/api/tickets/not-a-ticket-{n}", timeout=10).status_code == 429
        for n in range(400)
    ), "the public limit never refused the guesses"

    board = screens.open(f"{server.url}/board?device={creds.device_tokens['board']}", 1920, 1080)
    # Every phone in one browser (one address, as behind the centre's router); each one's
    # requests for its ticket, and every refusal, are counted from its first request.
    context = screens.browser.new_context(viewport={"width": 390, "height": 844})
    screens.contexts.append(context)
    phones = [Watched(screens, context, f"/api/tickets/{t['token']}") for t in tickets]
    for phone, ticket in zip(phones, tickets, strict=True):
        phone.page.goto(f"{server.url}/t/{ticket['token']}", wait_until="commit")
    for ahead, (phone, ticket) in enumerate(zip(phones, tickets, strict=True)):
        expect(phone.page.locator("#number")).to_have_text(ticket["number"], timeout=20_000)
        expect(phone.page.locator("#ahead")).to_have_text(str(ahead))
    assert [phone.fetches for phone in phones] == [1] * PHONES

    # Meanwhile, other phones on the address that still ask for their ticket again and again.
    stop = threading.Event()
    polled: list[int] = []

    def poll(token: str) -> None:
        http = http_session()
        while not stop.is_set():
            polled.append(http.get(f"{server.url}/api/tickets/{token}", timeout=10).status_code)
            time.sleep(0.3)

    pollers = [threading.Thread(target=poll, args=(t["token"],)) for t in tickets[-3:]]
    for poller in pollers:
        poller.start()

    # The burst: three counters calling, serving and finishing at once, then one more call
    # each, left at the counter.
    def clerk_work(number: int, username: str) -> list[str]:
        http = server.session_for(username, creds.passwords[username])
        counter = centre.counter[number]
        called = []

        def act(action: str) -> dict[str, Any]:
            response = http.post(
                f"{server.url}/api/counters/{counter}/{action}", json={}, timeout=10
            )
            assert response.ok, response.text
            answer: dict[str, Any] = response.json()
            return answer

        act("open")
        for _ in range(ROUNDS):
            called.append(act("call-next")["result"]["number"])
            act("start")
            act("finish")
        called.append(act("call-next")["result"]["number"])
        return called

    try:
        called = run_all([partial(clerk_work, n, u) for n, u in CALLING.items()], 120)
    finally:
        stop.set()
        for poller in pollers:
            poller.join()
    assert polled and set(polled) == {200}
    calls = sum(len(numbers) for numbers in called)
    assert calls == len(CALLING) * (ROUNDS + 1)

    # Every phone ends showing what the server says of its ticket.
    http = http_session()
    for phone, ticket in zip(phones, tickets, strict=True):
        page = phone.page
        truth = http.get(f"{server.url}/api/tickets/{ticket['token']}", timeout=10).json()["ticket"]
        if truth["status"] == "waiting":
            expect(page.locator("#ahead")).to_have_text(str(truth["people_ahead"]), timeout=15_000)
            expect(page.locator("#waiting-state")).to_be_visible()
        elif truth["status"] == "called":
            expect(page.locator("#called-state")).to_be_visible(timeout=15_000)
            expect(page.locator("#counter-number")).to_have_text(str(truth["counter_number"]))
        else:
            assert truth["status"] == "done"
            expect(page.locator("#status-text")).not_to_be_empty(timeout=15_000)
            expect(page.locator("#waiting-state")).to_be_hidden()
    assert [refusal for phone in phones for refusal in phone.refusals] == []
    # After its first snapshot no phone asked for its ticket again: the calls came to it.
    assert [phone.fetches for phone in phones] == [1] * PHONES
    # The board announced no call twice, and every call still waiting for its citizen. (A
    # call served and finished before the board heard of it, as in this burst, is only
    # history: the board's recent calls keep ten.)
    pending = {numbers[-1] for numbers in called}
    announced = wait_until(
        lambda: (
            (a := board.evaluate("window.xephangBoard.announcements"))
            and pending <= {call["number"] for call in a}
            and a
        ),
        timeout=15,
        what="the pending calls announced",
    )
    numbers = [call["number"] for call in announced]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) <= {number for numbers in called for number in numbers}


def test_a_phone_follows_its_ticket_into_the_service_it_was_transferred_to(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    for _ in range(2):  # two citizens already wait for certification
        issue(live_server, creds, centre.service["CT"])
    ticket = issue(live_server, creds, centre.service["HT"])
    context = screens.browser.new_context(viewport={"width": 390, "height": 844})
    screens.contexts.append(context)
    phone = Watched(screens, context, f"/api/tickets/{ticket['token']}")
    phone.page.goto(f"{live_server.url}/t/{ticket['token']}")
    expect(phone.page.locator("#ahead")).to_have_text("0")

    def clerk(number: int, username: str) -> Callable[[str, dict[str, Any]], None]:
        http = live_server.session_for(username, creds.passwords[username])

        def act(action: str, body: dict[str, Any]) -> None:
            response = http.post(
                f"{live_server.url}/api/counters/{centre.counter[number]}/{action}",
                json=body,
                timeout=10,
            )
            assert response.ok, response.text

        act("open", {})
        return act

    civil = clerk(1, "canbo1")
    civil("call-next", {})
    expect(phone.page.locator("#called-state")).to_be_visible()
    civil("transfer", {"service_id": centre.service["CT"]})
    expect(phone.page.locator("#service")).to_have_text("Chứng thực")
    expect(phone.page.locator("#waiting-state")).to_be_visible()
    expect(phone.page.locator("#ahead")).to_have_text("2")
    # It joins its new service's room (connecting again, so one snapshot more), and then a
    # call there moves it up, with no request.
    until(phone.page, lambda: phone.fetches == 2, "the snapshot of the new room")
    clerk(3, "canbo3")("call-next", {})
    expect(phone.page.locator("#ahead")).to_have_text("1")
    phone.page.wait_for_timeout(500)
    assert phone.fetches == 2


# -- a board that missed states ----------------------------------------------------------------


def test_a_board_that_missed_states_catches_up_by_itself(
    screens: Screens, live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    context = screens.browser.new_context(viewport={"width": 1920, "height": 1080})
    screens.contexts.append(context)
    watched = Watched(screens, context, "/api/board/snapshot")
    board = watched.page
    socket = RoutedSocket(board)
    board.goto(f"{live_server.url}/board?device={creds.device_tokens['board']}")
    expect(board.locator("#counters tr")).to_have_count(6)
    assert watched.fetches == 1
    clerk = live_server.session_for("canbo1", creds.passwords["canbo1"])
    counter = centre.counter[1]

    def act(action: str) -> None:
        response = clerk.post(
            f"{live_server.url}/api/counters/{counter}/{action}", json={}, timeout=10
        )
        assert response.ok, response.text

    for _ in range(3):
        issue(live_server, creds, centre.service["HT"])
    act("open")
    expect(board.locator("#waiting li").first.locator(".count")).to_have_text("3")
    assert watched.fetches == 1  # the states came with the changes: nothing to fetch

    # The states are lost on the way (a worker that could not compute them, say), the
    # changes still arrive: the board sees the gap and fetches its snapshot.
    socket.drop = {"state"}
    act("call-next")
    latest = board.locator("#latest-number")
    expect(latest).to_have_text("A001", timeout=10_000)
    assert watched.fetches == 2

    # Nothing arrives at all, and the connection is then cut: on reconnecting, the board
    # fetches its snapshot and shows what happened meanwhile.
    socket.deaf = True
    act("start")
    act("finish")
    act("call-next")
    board.wait_for_timeout(500)
    expect(latest).to_have_text("A001")  # it heard nothing
    socket.deaf = False
    socket.drop = set()
    socket.cut()
    expect(latest).to_have_text("A002", timeout=15_000)
    expect(board.locator("#counters tr[data-counter='1'] .current")).to_have_text("A002")
    expect(board.locator("#waiting li").first.locator(".count")).to_have_text("1")
    # Every call announced once, none twice for having been fetched.
    numbers = wait_until(
        lambda: (a := board.evaluate("window.xephangBoard.announcements")) and len(a) >= 2 and a,
        what="both calls announced",
    )
    assert [a["number"] for a in numbers] == ["A001", "A002"]

    # And with its states again, it follows without asking.
    fetched = watched.fetches
    act("start")
    act("finish")
    act("call-next")
    expect(latest).to_have_text("A003")
    board.wait_for_timeout(6500)  # longer than a change waits for its state
    assert watched.fetches == fetched
    assert [a["number"] for a in board.evaluate("window.xephangBoard.announcements")] == [
        "A001",
        "A002",
        "A003",
    ]
