"""Socket.IO rooms and events in-process (Flask-SocketIO's test client, threading mode); the
real eventlet server is exercised in test_live_server.py.

Publishing happens after the request, in a background task (server/adapters/realtime.py):
a test that needs what was published waits for it with `flush()` (the socket test client's
`get_received` does so by itself, tests/conftest.py)."""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from server.adapters import realtime
from server.adapters.db.engine import Database
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.domain.tickets import TicketStatus
from server.services import live_states, snapshots
from server.services.admin.common import CONFIG_CHANGED
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork
from tests.conftest import AppFactory, Centre, FakeClock, Staff, kiosk_headers

Events = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def live_app(make_app: AppFactory) -> Flask:
    # The real publisher; the kiosk issues more than its real limit allows in a minute.
    return make_app(ratelimit_issue="1000 per minute")


def events(client: Any) -> Events:
    return [(m["name"], m["args"][0]) for m in client.get_received()]


def named(heard: Events, name: str) -> list[dict[str, Any]]:
    return [payload for event, payload in heard if event == name]


def changes(client: Any) -> list[dict[str, Any]]:
    return named(events(client), "change")


def issue(http: FlaskClient, creds: DemoCredentials, service_id: int, **body: Any) -> Any:
    response = http.post(
        "/api/kiosk/tickets", json={"service_id": service_id, **body}, headers=kiosk_headers(creds)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["ticket"]


def flush() -> None:
    assert realtime.flush(timeout=10), "the publisher did not drain"


def test_a_board_hears_each_change_with_consecutive_sequence_numbers(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    assert board.is_connected()
    http = live_app.test_client()
    tokens = [issue(http, creds, centre.service[code])["token"] for code in ("HT", "CT")]
    heard = events(board)
    messages = named(heard, "change")
    assert [(m["kind"], m["seq"]) for m in messages] == [("ticket_issued", 1), ("ticket_issued", 2)]
    assert [m["ticket"]["number"] for m in messages] == ["A001", "B001"]
    assert named(heard, "state")[-1]["seq"] == 2
    # phone tokens are the citizens' credentials: never sent to the shared board room
    assert not any(token in str(heard) for token in tokens)


def test_changes_reach_counters_managers_and_the_ticket_room(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    manager = Staff(live_app.test_client(), "quanly", creds.passwords["quanly"])
    counter_socket = socketio.test_client(
        live_app, flask_test_client=clerk.client, auth={"counter": centre.counter[1]}
    )
    manager_socket = socketio.test_client(
        live_app, flask_test_client=manager.client, auth={"manager": centre.site_id}
    )
    assert counter_socket.is_connected() and manager_socket.is_connected()
    issued = issue(live_app.test_client(), creds, centre.service["HT"])
    flush()
    phone = socketio.test_client(live_app, auth={"ticket": issued["token"]})
    assert phone.is_connected()
    clerk.act(centre.counter[1], "open")
    flush()
    clerk.act(centre.counter[1], "call-next")
    assert [m["kind"] for m in changes(counter_socket)] == [
        "ticket_issued",
        "counter_changed",
        "ticket_called",
    ]
    assert [m["seq"] for m in changes(manager_socket)] == [1, 2, 3]
    heard = events(phone)
    assert [name for name, _ in heard] == ["change", "queue", "change", "queue", "ticket"]
    called = named(heard, "change")[-1]
    assert (called["ticket"]["number"], called["counter"]["number"]) == ("A001", 1)
    ticket = named(heard, "ticket")[-1]
    assert ticket["seq"] == 3
    assert (ticket["ticket"]["status"], ticket["ticket"]["counter_number"]) == ("called", 1)


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {},
        {"device": "nope"},
        {"ticket": "nope"},
        {"counter": 1},
        {"manager": 1},
        {"device": 5},
    ],
)
def test_a_socket_without_valid_credentials_is_refused(live_app: Flask, auth: Any) -> None:
    client = socketio.test_client(live_app, auth=auth)
    assert not client.is_connected()


def test_a_clerk_cannot_listen_to_another_counter_nor_to_the_manager_room(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    clerk = Staff(live_app.test_client(), "canbo4", creds.passwords["canbo4"])
    for auth in ({"counter": centre.counter[1]}, {"manager": centre.site_id}):
        sock = socketio.test_client(live_app, flask_test_client=clerk.client, auth=auth)
        assert not sock.is_connected()


# -- states that carry what each screen shows ---------------------------------------------


class Gate:
    """Holds the publisher inside its first computation of a site's states until opened,
    and counts the computations."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.opened = threading.Event()
        real = live_states.site_states

        def held(*args: Any, **kwargs: Any) -> live_states.SiteStates:
            self.calls += 1
            self.entered.set()
            self.opened.wait(timeout=10)
            return real(*args, **kwargs)

        monkeypatch.setattr(live_states, "site_states", held)

    def open(self) -> None:
        self.opened.set()


def test_a_burst_of_changes_is_computed_once_and_ends_at_a_fresh_snapshot_on_each_screen(
    live_app: Flask, creds: DemoCredentials, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    manager = Staff(live_app.test_client(), "quanly", creds.passwords["quanly"])
    counter_id = centre.counter[1]
    screens = {
        "board": socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]}),
        "kiosk": socketio.test_client(live_app, auth={"device": creds.device_tokens["kiosk"]}),
        "counter": socketio.test_client(
            live_app, flask_test_client=clerk.client, auth={"counter": counter_id}
        ),
        "manager": socketio.test_client(
            live_app, flask_test_client=manager.client, auth={"manager": centre.site_id}
        ),
    }
    assert all(screen.is_connected() for screen in screens.values())
    http = live_app.test_client()
    gate = Gate(monkeypatch)
    issue(http, creds, centre.service["HT"])
    assert gate.entered.wait(5)  # the publisher is busy with the first change
    for code in ("HT", "CT", "HT", "CT", "DD", "HT", "CT", "HT"):
        issue(http, creds, centre.service[code])
    assert clerk.act(counter_id, "open").status_code == 200
    gate.open()
    flush()

    assert gate.calls == 2, "the nine changes queued behind the first were not coalesced"
    fresh = {
        "board": http.get(
            "/api/board/snapshot", headers={"X-Device-Token": creds.device_tokens["board"]}
        ),
        "kiosk": http.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)),
        "counter": clerk.get(f"/api/counters/{counter_id}"),
        "manager": manager.get(f"/api/sites/{centre.site_id}/overview"),
    }
    for name, screen in screens.items():
        heard = events(screen)
        assert [m["seq"] for m in named(heard, "change")] == list(range(1, 11)), name
        # The first computation read the site once the gate opened: both are at seq 10.
        states = named(heard, "state")
        assert [s["seq"] for s in states] == [10, 10], name
        assert fresh[name].status_code == 200
        assert states[-1] == fresh[name].get_json(), name


class Spy:
    """Records the arguments of each call of one of our functions, which still runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.calls: list[tuple[Any, ...]] = []
        real = getattr(module, name)

        def spied(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(args)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, spied)


def test_the_changes_of_a_window_are_published_in_one_computation_after_their_commit(
    make_app: AppFactory, creds: DemoCredentials, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One kiosk after the other, then a clerk: each request is over before the publisher
    # would start on it, so without a window each would be its own computation. The
    # window is far longer than the requests take, even on a loaded machine.
    app = make_app(ratelimit_issue="1000 per minute", publish_window_ms=3000)
    board = socketio.test_client(app, auth={"device": creds.device_tokens["board"]})
    clerk = Staff(app.test_client(), "canbo1", creds.passwords["canbo1"])
    computed = Spy(monkeypatch, live_states, "site_states")
    http = app.test_client()
    for code in ("HT", "CT", "HT"):
        issue(http, creds, centre.service[code])
        time.sleep(0.05)
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert computed.calls == [], "published before the window was over"

    heard = events(board)

    assert len(computed.calls) == 1
    assert [(name, m["seq"]) for name, m in heard] == [
        ("change", 1),
        ("change", 2),
        ("change", 3),
        ("change", 4),
        ("state", 4),
    ]
    fresh = http.get(
        "/api/board/snapshot", headers={"X-Device-Token": creds.device_tokens["board"]}
    )
    assert named(heard, "state")[0] == fresh.get_json()


def test_a_ticket_only_issued_gets_no_phone_view_and_its_call_gets_one(
    live_app: Flask, creds: DemoCredentials, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    views = Spy(monkeypatch, snapshots, "ticket")
    http = live_app.test_client()
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    issued = issue(http, creds, centre.service["HT"])
    flush()
    assert views.calls == [], "the view of a ticket nobody can follow yet was computed"

    phone = socketio.test_client(live_app, auth={"ticket": issued["token"]})
    assert clerk.act(centre.counter[1], "open").status_code == 200
    flush()
    phone.get_received()
    views.calls.clear()
    assert clerk.act(centre.counter[1], "call-next").status_code == 200
    heard = events(phone)
    assert [name for name, _ in heard] == ["change", "queue", "ticket"]
    assert named(heard, "ticket")[0]["ticket"]["status"] == TicketStatus.CALLED
    assert [call[1] for call in views.calls] == [issued["token"]]


def test_a_ticket_issued_and_called_in_one_batch_gets_its_phone_view(
    make_app: AppFactory, creds: DemoCredentials, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(publish_window_ms=3000)
    views = Spy(monkeypatch, snapshots, "ticket")
    clerk = Staff(app.test_client(), "canbo1", creds.passwords["canbo1"])
    issued = issue(app.test_client(), creds, centre.service["HT"])
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.act(centre.counter[1], "call-next").status_code == 200
    flush()
    assert [call[1] for call in views.calls] == [issued["token"]]


def test_the_clerks_call_returns_while_the_publisher_is_still_busy(
    live_app: Flask, creds: DemoCredentials, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    issue(live_app.test_client(), creds, centre.service["HT"])
    assert clerk.act(centre.counter[1], "open").status_code == 200
    flush()
    board.get_received()
    gate = Gate(monkeypatch)  # a synchronous publisher would hold the request 10 s here

    started = time.monotonic()
    response = clerk.act(centre.counter[1], "call-next")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 2, f"the call waited {elapsed:.1f}s for the publisher"
    assert gate.entered.wait(5)
    gate.open()
    flush()
    state = named(events(board), "state")[-1]
    current = next(c for c in state["counters"] if c["id"] == centre.counter[1])["current"]
    assert (current["number"], current["status"]) == ("A001", "called")


def test_a_phone_hears_only_its_own_service_and_its_own_ticket(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    http = live_app.test_client()
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    first, second = (issue(http, creds, centre.service["HT"]) for _ in range(2))
    land = issue(http, creds, centre.service["DD"])
    flush()
    phones = {
        ticket["number"]: socketio.test_client(live_app, auth={"ticket": ticket["token"]})
        for ticket in (first, second, land)
    }
    assert all(phone.is_connected() for phone in phones.values())

    # Another service changes: the HT phones hear nothing at all.
    issue(http, creds, centre.service["DD"])
    assert events(phones["A001"]) == [] and events(phones["A002"]) == []
    heard = events(phones["C001"])
    assert [name for name, _ in heard] == ["change", "queue"]
    queue = named(heard, "queue")[0]
    # [people ahead, median, low, high]: no counter serves land yet, so the wait has no
    # top (perhaps not before closing) and says so.
    assert {number: entry[0] for number, entry in queue["tickets"].items()} == {
        "C001": 0,
        "C002": 1,
    }
    assert all(high is None for _, _, _, high in queue["tickets"].values())
    assert queue["wait"]["no_counter"] is True

    # A001 is called: its phone gets its ticket, A002's phone only its queue.
    assert clerk.act(centre.counter[1], "open").status_code == 200
    flush()
    for phone in phones.values():
        phone.get_received()
    assert clerk.act(centre.counter[1], "call", ticket_id=first["ticket_id"]).status_code == 200
    called = events(phones["A001"])
    assert [name for name, _ in called] == ["change", "queue", "ticket"]
    assert named(called, "ticket")[0] == http.get(f"/api/tickets/{first['token']}").get_json()
    following = events(phones["A002"])
    assert [name for name, _ in following] == ["change", "queue"]
    queue = named(following, "queue")[0]
    assert (queue["service_id"], queue["site_id"]) == (centre.service["HT"], centre.site_id)
    # Nobody ahead, but the one counter open is busy with A001: not "0 minutes".
    [(number, (ahead, median, low, high))] = queue["tickets"].items()
    assert (number, ahead) == ("A002", 0) and median > 0 and low <= median <= high
    assert first["token"] not in str(following)
    assert events(phones["C001"]) == []


def test_a_transferred_phone_gets_its_ticket_in_the_new_service(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    http = live_app.test_client()
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    ticket = issue(http, creds, centre.service["HT"])
    phone = socketio.test_client(live_app, auth={"ticket": ticket["token"]})
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.act(centre.counter[1], "call-next").status_code == 200
    flush()
    phone.get_received()
    moved = clerk.act(
        centre.counter[1],
        "transfer",
        ticket_id=ticket["ticket_id"],
        service_id=centre.service["CT"],
    )
    assert moved.status_code == 200
    view = named(events(phone), "ticket")[-1]["ticket"]
    assert (view["number"], view["service_id"], view["status"]) == (
        "A001",
        centre.service["CT"],
        "waiting",
    )
    # Its page reconnects to follow the new service (README, Live events).
    phone.disconnect()
    again = socketio.test_client(live_app, auth={"ticket": ticket["token"]})
    issue(http, creds, centre.service["CT"])
    queue = named(events(again), "queue")[-1]
    assert queue["service_id"] == centre.service["CT"]
    assert queue["tickets"]["A001"][0] == 0


def test_a_phones_queue_gives_what_its_snapshot_gives(
    live_app: Flask, creds: DemoCredentials, centre: Centre, clock: FakeClock
) -> None:
    http = live_app.test_client()
    clerk1 = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    clerk2 = Staff(live_app.test_client(), "canbo2", creds.passwords["canbo2"])
    ht = centre.service["HT"]
    issued = []
    for priority in (None, None, "elderly", None, "pregnant", None, None, "merit", None):
        issued.append(issue(http, creds, ht, priority=priority))
        clock.advance(minutes=1)
    # One citizen served in 7 minutes: the estimate uses it, and two counters are open.
    assert clerk1.act(centre.counter[1], "open").status_code == 200
    served = clerk1.act(centre.counter[1], "call-next").get_json()["result"]["ticket_id"]
    clerk1.act(centre.counter[1], "start", ticket_id=served)
    clock.advance(minutes=7)
    clerk1.act(centre.counter[1], "finish", ticket_id=served)
    assert clerk2.act(centre.counter[2], "open").status_code == 200
    phone = socketio.test_client(live_app, auth={"ticket": issued[-1]["token"]})
    flush()
    phone.get_received()

    assert clerk2.act(centre.counter[2], "call-next").status_code == 200
    queue = named(events(phone), "queue")[-1]

    snapshots_now = {}
    for ticket in issued:
        view = http.get(f"/api/tickets/{ticket['token']}").get_json()
        assert view["seq"] == queue["seq"]
        if view["ticket"]["status"] == TicketStatus.WAITING:
            found = view["ticket"]
            wait = found["wait"]
            assert found["estimated_wait_minutes"] == wait["median"]
            snapshots_now[found["number"]] = [
                found["people_ahead"],
                wait["median"],
                wait["low"],
                wait["high"],
            ]
    assert len(snapshots_now) == 7
    assert queue["tickets"] == snapshots_now
    assert sorted(entry[0] for entry in snapshots_now.values()) == list(range(7))
    assert max(entry[1] for entry in snapshots_now.values()) > 0
    assert all(low <= median <= high for _, median, low, high in snapshots_now.values())


def test_an_administrators_change_reaches_every_counter_screen(
    live_app: Flask, creds: DemoCredentials, centre: Centre, database: Database, clock: FakeClock
) -> None:
    # Counter 4 serves neither CT nor its counter: a renamed CT is still in its list of
    # services to transfer to.
    clerk = Staff(live_app.test_client(), "canbo4", creds.passwords["canbo4"])
    screen = socketio.test_client(
        live_app, flask_test_client=clerk.client, auth={"counter": centre.counter[4]}
    )
    assert screen.is_connected()
    live = UnitOfWork(database, live_app.extensions["xephang"].publish, clock)
    with live:
        live.record(
            Change(
                site_id=centre.site_id,
                kind=CONFIG_CHANGED,
                service_ids=(centre.service["CT"],),
                public={"config": {"entity": "service", "id": centre.service["CT"]}},
            )
        )
        live.commit()
    heard = events(screen)
    assert [name for name, _ in heard] == ["change", "state"]
    assert named(heard, "state")[0] == clerk.get(f"/api/counters/{centre.counter[4]}").get_json()


def test_the_counters_current_tickets_are_read_once_for_every_screen_of_a_batch(
    live_app: Flask, creds: DemoCredentials, centre: Centre, database: Database, clock: FakeClock
) -> None:
    http = live_app.test_client()
    clerk1 = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    clerk2 = Staff(live_app.test_client(), "canbo2", creds.passwords["canbo2"])
    for _ in range(3):
        issue(http, creds, centre.service["HT"])
    for clerk, number in ((clerk1, 1), (clerk2, 2)):
        assert clerk.act(centre.counter[number], "open").status_code == 200
        assert clerk.act(centre.counter[number], "call-next").status_code == 200
    screen = socketio.test_client(
        live_app, flask_test_client=clerk1.client, auth={"counter": centre.counter[1]}
    )
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    flush()
    per_counter = re.compile(
        r"FROM tickets\s+WHERE tickets\.counter_id = \S+ AND tickets\.status IN"
    )
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = live_app.extensions["xephang"].db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # An administrator's change: the board, the hall and every counter's screen.
        live = UnitOfWork(database, live_app.extensions["xephang"].publish, clock)
        with live:
            live.record(
                Change(
                    site_id=centre.site_id,
                    kind=CONFIG_CHANGED,
                    public={"config": {"entity": "site", "id": centre.site_id}},
                )
            )
            live.commit()
        flush()
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    assert statements, "nothing was read"
    assert [s for s in statements if per_counter.search(s)] == []
    state = named(events(screen), "state")[-1]
    assert state["current"]["number"] == "A001"
    assert state == clerk1.get(f"/api/counters/{centre.counter[1]}").get_json()
    current = {
        c["number"]: (c["current"] or {}).get("number")
        for c in named(events(board), "state")[-1]["counters"]
    }
    assert (current[1], current[2]) == ("A001", "A002")


# -- failures ----------------------------------------------------------------------------


def test_a_read_that_fails_is_logged_and_the_request_and_other_screens_carry_on(
    live_app: Flask,
    creds: DemoCredentials,
    centre: Centre,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    kiosk = socketio.test_client(live_app, auth={"device": creds.device_tokens["kiosk"]})

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("the board's read failed")

    monkeypatch.setattr(snapshots, "board", broken)
    with caplog.at_level(logging.ERROR):
        ticket = issue(live_app.test_client(), creds, centre.service["HT"])
        flush()
    assert ticket["number"] == "A001"
    assert "the board's read failed" in caplog.text
    heard = events(board)
    assert [name for name, _ in heard] == ["change"]  # its screen resyncs on the seq
    assert [name for name, _ in events(kiosk)] == ["change", "state"]


def test_a_publisher_that_raises_never_fails_the_use_case(
    database: Database, clock: FakeClock, centre: Centre, caplog: pytest.LogCaptureFixture
) -> None:
    def raising(changes: Any) -> None:
        raise RuntimeError("no way to publish")

    uow = UnitOfWork(database, raising, clock)
    with uow:
        uow.record(Change(site_id=centre.site_id, kind="notice_changed"))
        with caplog.at_level(logging.ERROR):
            committed = uow.commit()
    assert [c.seq for c in committed] == [1]
    assert "no way to publish" in caplog.text


def test_a_rating_tablet_never_hears_the_clerks_screen(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    # The counter's state holds its waiting list with priority categories and the clerks'
    # transfer notes: a tablet facing the citizen hears only the counter's changes.
    tablet = socketio.test_client(live_app, auth={"device": creds.device_tokens["rating"]})
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    issue(live_app.test_client(), creds, centre.service["HT"], priority="disability")
    assert clerk.act(centre.counter[1], "open").status_code == 200
    heard = events(tablet)
    assert [(name, m["kind"]) for name, m in heard] == [("change", "counter_changed")]


def test_the_citizens_screens_are_ready_before_the_staffs_are_read(
    live_app: Flask, creds: DemoCredentials, centre: Centre, clock: FakeClock
) -> None:
    # The board, the queues and the called ticket's phone go out first: their states are
    # handed over before the kiosks', the hall's and the counters' are read.
    http = live_app.test_client()
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    first = issue(http, creds, centre.service["HT"])
    issue(http, creds, centre.service["HT"])
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.act(centre.counter[1], "call-next").status_code == 200
    flush()
    call = Change(
        site_id=centre.site_id,
        kind="ticket_called",
        service_ids=(centre.service["HT"],),
        counter_id=centre.counter[1],
        tokens=(first["token"],),
    )
    screens = ("board", "queues", "tickets", "kiosk", "manager", "counters")
    handed: list[set[str]] = []

    def hall_ready(states: live_states.SiteStates) -> None:
        handed.append({screen for screen in screens if getattr(states, screen)})

    with centre.db.reading() as session:
        states = live_states.site_states(
            session, centre.site_id, [call], clock.now, hall_ready=hall_ready
        )
    assert handed == [{"board", "queues", "tickets"}]
    assert states.tickets[first["token"]]["seq"] == states.seq
    assert states.kiosk is not None and states.manager is not None
    assert states.counters[centre.counter[1]]["current"]["number"] == "A001"
    assert states.counters[centre.counter[1]]["seq"] == states.seq
