"""The JSON API as the screens use it, and every bad input answered with a clear 4xx that
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from server.adapters.db.models import Counter, Device, Service, Site, Ticket, TicketEvent
from server.cli.demo import DemoCredentials
from tests.conftest import AppFactory, Centre, Published, Staff, csrf_token, kiosk_headers


def state(centre: Centre) -> tuple[Any, ...]:
    """Everything a request could change: tickets, their events, counters, the sequence."""
    with centre.db.reading() as session:
        tickets = session.execute(
            select(Ticket.id, Ticket.status, Ticket.counter_id, Ticket.service_id)
        ).all()
        events = session.scalar(select(func.count(TicketEvent.id)))
        seq = session.scalar(select(Site.event_seq))
        counters = session.execute(select(Counter.id, Counter.state, Counter.clerk_id)).all()
    return (tuple(tickets), events, seq, tuple(counters))


def take(client: FlaskClient, creds: DemoCredentials, service_id: int, **extra: Any) -> Any:
    return client.post(
        "/api/kiosk/tickets", json={"service_id": service_id, **extra}, headers=kiosk_headers(creds)
    )


def test_the_kiosk_issues_a_ticket_with_its_phone_link(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    response = take(client, creds, centre.service["LD"], priority="merit")
    assert response.status_code == 201
    ticket = response.get_json()["ticket"]
    assert ticket["number"] == "D001"
    assert ticket["service_name_vi"] == "Lao động - Thương binh và Xã hội"
    assert ticket["priority"] == "merit"
    assert ticket["phone_url"] == f"http://localhost/t/{ticket['token']}"
    # the JSON carries real UTF-8, not \\u escapes
    assert "Lao động" in response.get_data(as_text=True)
    qr = client.get(ticket["qr_url"])
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    phone = client.get(f"/api/tickets/{ticket['token']}").get_json()
    assert phone["ticket"]["number"] == "D001" and phone["ticket"]["people_ahead"] == 0
    assert client.get(f"/t/{ticket['token']}").status_code == 200


def test_the_kiosk_snapshot_lists_active_services_and_priorities(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    take(client, creds, centre.service["HT"])
    snapshot = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).get_json()
    assert [s["code"] for s in snapshot["services"]] == ["HT", "CT", "DD", "LD", "KD", "TKQ"]
    assert snapshot["services"][0]["waiting"] == 1
    assert {p["code"] for p in snapshot["priorities"]} == {
        "elderly",
        "disability",
        "pregnant",
        "small_child",
        "merit",
    }
    assert snapshot["seq"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"service_id": 1', 400, "invalid_input"),  # malformed JSON
        (b"[1, 2]", 400, "invalid_input"),  # not an object
        (b'{"service_id": "1"}', 400, "invalid_input"),  # wrong type
        (b'{"service_id": true}', 400, "invalid_input"),
        (b'{"service_id": 99999999999}', 400, "invalid_input"),
        (b"{}", 400, "invalid_input"),  # missing
        (b'{"service_id": 4242}', 404, "not_found"),  # unknown service
        (b'{"service_id": 1, "priority": "vip"}', 400, "invalid_input"),
        (b'{"service_id": 1, "priority": 3}', 400, "invalid_input"),
    ],
)
def test_bad_kiosk_input_gets_a_clear_error_and_changes_nothing(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    body: bytes,
    status: int,
    code: str,
) -> None:
    before = state(centre)
    response = client.post(
        "/api/kiosk/tickets",
        data=body,
        content_type="application/json",
        headers=kiosk_headers(creds),
    )
    assert response.status_code == status
    error = response.get_json()
    assert error["error"] == code
    assert error["message"] and error["message_en"]
    assert state(centre) == before


def test_an_oversized_body_is_refused(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    before = state(centre)
    huge = b'{"service_id": 1, "pad": "' + b"x" * 70_000 + b'"}'
    response = client.post(
        "/api/kiosk/tickets",
        data=huge,
        content_type="application/json",
        headers=kiosk_headers(creds),
    )
    assert response.status_code == 413
    assert response.get_json()["message_en"] == "The request body is too large."
    assert state(centre) == before


def test_an_inactive_service_is_refused_at_the_kiosk(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(update(Service).where(Service.code == "KD").values(active=False))
    response = take(client, creds, centre.service["KD"])
    assert response.status_code == 409
    assert response.get_json()["error"] == "service_unavailable"
    snapshot = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).get_json()
    assert "KD" not in [s["code"] for s in snapshot["services"]]


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"X-Device-Token": "not-a-token"}, 401), ("board", 403)],
)
def test_only_a_registered_kiosk_issues_tickets(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, headers: Any, status: int
) -> None:
    if headers == "board":
        headers = {"X-Device-Token": creds.device_tokens["board"]}
    before = state(centre)
    response = client.post(
        "/api/kiosk/tickets", json={"service_id": centre.service["HT"]}, headers=headers
    )
    assert response.status_code == status
    assert state(centre) == before


@pytest.mark.parametrize("change", ["revoked", "paired again"])
def test_a_kiosk_revoked_on_another_worker_issues_nothing_more_at_once(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, change: str
) -> None:
    """A worker remembers a kiosk between its tickets (server/web/identity.py), and the
    issuing transaction checks its token again: a revocation committed by another worker
    (written here without this process's ORM, so nothing in it hears of the change) stops
    the kiosk at its very next ticket."""
    assert take(client, creds, centre.service["HT"]).status_code == 201  # remembered now
    values = {"active": False} if change == "revoked" else {"token_hash": "0" * 64}
    with centre.db.engine.begin() as connection:
        connection.execute(update(Device).where(Device.kind == "kiosk").values(**values))
    before = state(centre)
    response = take(client, creds, centre.service["HT"])
    assert response.status_code == 401
    assert "thu hồi" in response.get_json()["message"]
    assert state(centre) == before


def test_the_board_snapshot_needs_a_board_token(
    client: FlaskClient, creds: DemoCredentials
) -> None:
    assert client.get("/api/board/snapshot").status_code == 401
    board = client.get(
        "/api/board/snapshot", headers={"X-Device-Token": creds.device_tokens["board"]}
    )
    assert board.status_code == 200
    assert [c["number"] for c in board.get_json()["counters"]] == [1, 2, 3, 4, 5, 6]


def test_a_clerk_works_the_queue_over_http(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    login: Any,
    published: Published,
) -> None:
    clerk: Staff = login("canbo1")
    counter = centre.counter[1]
    take(client, creds, centre.service["HT"])
    take(client, creds, centre.service["CT"])
    assert clerk.act(counter, "open").status_code == 200
    called = clerk.act(counter, "call-next").get_json()["result"]
    assert (called["number"], called["status"], called["counter_number"]) == ("A001", "called", 1)
    snapshot = clerk.get(f"/api/counters/{counter}").get_json()
    assert snapshot["current"]["number"] == "A001"
    assert [t["number"] for t in snapshot["waiting"]] == ["B001"]
    assert snapshot["counter"]["clerk"]["name"] == "Nguyễn Thị Hồng"
    for action in ("recall", "start", "finish"):
        response = clerk.act(counter, action, ticket_id=called["ticket_id"])
        assert response.status_code == 200, response.get_json()
    assert clerk.act(counter, "call-next").get_json()["result"]["number"] == "B001"
    moved = clerk.act(counter, "transfer", service_id=centre.service["TKQ"]).get_json()["result"]
    assert (moved["number"], moved["status"]) == ("B001", "waiting")
    assert clerk.act(counter, "pause", reason="Nghỉ giải lao").status_code == 200
    assert clerk.act(counter, "close").status_code == 200
    assert published.kinds()[-3:] == ["ticket_transferred", "counter_changed", "counter_changed"]


@pytest.mark.parametrize(
    ("action", "body", "status", "code"),
    [
        ("call-next", {}, 409, "counter_not_open"),
        ("finish", {}, 409, "counter_busy"),
        ("call", {}, 400, "invalid_input"),
        ("call", {"ticket_id": "A001"}, 400, "invalid_input"),
        ("transfer", {"service_id": None}, 400, "invalid_input"),
        ("pause", {"reason": 5}, 400, "invalid_input"),
        ("dance", {}, 404, "not_found"),
    ],
)
def test_bad_counter_requests_get_clear_errors(
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    login: Any,
    action: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    clerk: Staff = login("canbo1")
    take(client, creds, centre.service["HT"])
    before = state(centre)
    response = clerk.act(centre.counter[1], action, **body)
    assert response.status_code == status
    assert response.get_json()["error"] == code
    assert state(centre) == before


def test_a_clerk_cannot_act_for_another_counter_over_http(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, login: Any
) -> None:
    clerk: Staff = login("canbo4")
    before = state(centre)
    response = clerk.act(centre.counter[1], "open")
    assert response.status_code == 403
    assert "quầy số 1" in response.get_json()["message"]
    assert clerk.get(f"/api/counters/{centre.counter[1]}").status_code == 403
    assert clerk.get(f"/counter/{centre.counter[1]}").status_code == 403
    assert clerk.act(4242, "open").status_code == 404
    assert state(centre) == before


def test_counter_actions_need_a_signed_in_clerk_and_the_csrf_token(
    client: FlaskClient, centre: Centre, login: Any
) -> None:
    before = state(centre)
    anonymous = client.post(f"/api/counters/{centre.counter[1]}/open", json={})
    assert anonymous.status_code in (400, 401)  # no session: refused before anything runs
    clerk: Staff = login("canbo1")
    forged = clerk.client.post(f"/api/counters/{centre.counter[1]}/open", json={})
    assert forged.status_code == 400
    assert forged.get_json()["error"] == "csrf"
    assert state(centre) == before
    assert client.get(f"/api/counters/{centre.counter[1]}").status_code == 401


def test_sign_in_with_a_wrong_password_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/login", data={"username": "canbo1", "password": "wrong", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)
    assert client.get("/counter").status_code == 302  # still signed out


def test_the_clerk_sees_only_their_counters(login: Any) -> None:
    page = login("canbo1").get("/counter").get_data(as_text=True)
    assert "Quầy số 1" in page and "Quầy số 2" in page and "Quầy số 3" not in page


def test_the_phone_page_cancels_and_unknown_tokens_are_not_found(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    token = take(client, creds, centre.service["HT"]).get_json()["ticket"]["token"]
    assert client.post(f"/api/tickets/{token}/cancel").status_code == 200
    again = client.post(f"/api/tickets/{token}/cancel")
    assert again.status_code == 409 and again.get_json()["error"] == "wrong_ticket_state"
    assert client.get("/api/tickets/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert client.get("/api/tickets/../../etc").status_code == 404
    assert client.get("/t/short/qr.svg").status_code == 404


def test_the_manager_overview_is_for_managers(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, login: Any
) -> None:
    take(client, creds, centre.service["DD"])
    url = f"/api/sites/{centre.site_id}/overview"
    assert login("canbo1").get(url).status_code == 403
    overview = login("quanly").get(url).get_json()
    land = next(s for s in overview["services"] if s["code"] == "DD")
    assert land["waiting"] == 1 and land["oldest_queued_at"].endswith("+00:00")


def test_unknown_api_urls_and_methods_answer_json(client: FlaskClient) -> None:
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    wrong = client.get("/api/kiosk/tickets")
    assert wrong.status_code == 405 and wrong.get_json()["message_en"]


def test_pages_and_the_socket_client_are_served_locally(client: FlaskClient) -> None:
    for page in ("/", "/login", "/kiosk?device=x", "/board?device=x"):
        response = client.get(page)
        assert response.status_code == 200
        assert '<html lang="vi">' in response.get_data(as_text=True)
    script = client.get("/vendor/socket.io.min.js")
    assert script.status_code == 200 and b"Socket.IO" in script.data
    assert client.get("/vendor/../package.json").status_code == 404


def test_behind_a_trusted_proxy_the_phone_link_uses_the_public_address(
    make_app: AppFactory, creds: DemoCredentials, centre: Centre, published: Published
) -> None:
    forwarded = {
        **kiosk_headers(creds),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "xephang.tinh.gov.vn",
        "X-Forwarded-For": "10.1.2.3",
    }
    body = {"service_id": centre.service["HT"]}
    direct = (
        make_app(published).test_client().post("/api/kiosk/tickets", json=body, headers=forwarded)
    )
    assert direct.get_json()["ticket"]["phone_url"].startswith("http://localhost/t/")
    proxied = make_app(published, proxies=1).test_client()
    response = proxied.post("/api/kiosk/tickets", json=body, headers=forwarded)
    assert response.get_json()["ticket"]["phone_url"].startswith("https://xephang.tinh.gov.vn/t/")
