"""Socket.IO rooms and events in-process (Flask-SocketIO's test client); the real eventlet
server is exercised in test_live_server.py."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from tests.conftest import AppFactory, Centre, Staff, kiosk_headers


@pytest.fixture
def live_app(make_app: AppFactory) -> Flask:
    return make_app()  # with the real publisher


def changes(client: Any) -> list[dict[str, Any]]:
    return [m["args"][0] for m in client.get_received() if m["name"] == "change"]


def test_a_board_hears_each_change_with_consecutive_sequence_numbers(
    live_app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    assert board.is_connected()
    http = live_app.test_client()
    tokens = []
    for code in ("HT", "CT"):
        response = http.post(
            "/api/kiosk/tickets",
            json={"service_id": centre.service[code]},
            headers=kiosk_headers(creds),
        )
        tokens.append(response.get_json()["ticket"]["token"])
    messages = changes(board)
    assert [(m["kind"], m["seq"]) for m in messages] == [("ticket_issued", 1), ("ticket_issued", 2)]
    assert [m["ticket"]["number"] for m in messages] == ["A001", "B001"]
    # phone tokens are the citizens' credentials: never sent to the shared board room
    assert not any(token in str(messages) for token in tokens)


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
    issued = (
        live_app.test_client()
        .post(
            "/api/kiosk/tickets",
            json={"service_id": centre.service["HT"]},
            headers=kiosk_headers(creds),
        )
        .get_json()["ticket"]
    )
    phone = socketio.test_client(live_app, auth={"ticket": issued["token"]})
    assert phone.is_connected()
    clerk.act(centre.counter[1], "open")
    clerk.act(centre.counter[1], "call-next")
    assert [m["kind"] for m in changes(counter_socket)] == [
        "ticket_issued",
        "counter_changed",
        "ticket_called",
    ]
    assert [m["seq"] for m in changes(manager_socket)] == [1, 2, 3]
    phone_events = phone.get_received()
    assert [(m["name"], m["args"][0]["kind"]) for m in phone_events] == [
        ("change", "counter_changed"),
        ("change", "ticket_called"),
        ("ticket", "ticket_called"),
    ]
    called = phone_events[1]["args"][0]
    assert (called["ticket"]["number"], called["counter"]["number"]) == ("A001", 1)


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
