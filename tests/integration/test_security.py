"""Hardening: rate limits that answer 429 and recover after their window, security headers
on every response, session cookies over HTTPS only when the server is reached by HTTPS,
request size and CSRF refusals that change nothing."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask.testing import FlaskClient
from limits.storage import MemoryStorage
from sqlalchemy import func, select

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, Device, Ticket
from server.app import create_app
from server.cli.demo import DemoCredentials
from server.config import Config
from server.services.credentials import new_device_token, token_hash
from server.web.security import CONTENT_SECURITY_POLICY, limiter
from tests.conftest import AppFactory, Centre, Published, Staff, csrf_token, kiosk_headers
from tests.live import LiveServer, http_session, running
from tests.province import REDIS_URL

TINY = "2 per 1 second"


def after_window(seconds: float) -> None:
    """Wait until a fixed window of `seconds`, opened by the first request, has closed."""
    time.sleep(seconds + 0.1)


def take(client: FlaskClient, headers: dict[str, str], service_id: int) -> Any:
    return client.post("/api/kiosk/tickets", json={"service_id": service_id}, headers=headers)


def ticket_count(centre: Centre) -> int:
    with centre.db.reading() as session:
        return session.scalar(select(func.count(Ticket.id))) or 0


def another_kiosk(database: Database, centre: Centre) -> dict[str, str]:
    token = new_device_token()
    with database.write_session() as session, session.begin():
        session.add(
            Device(
                site_id=centre.site_id,
                kind="kiosk",
                name="Ki-ốt tầng 2",
                token_hash=token_hash(token),
            )
        )
    return {"X-Device-Token": token}


def sign_in(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def assert_bilingual_429(response: Any) -> None:
    assert response.status_code == 429
    assert response.get_json() == {
        "error": "too_many_requests",
        "message": "Quá nhiều yêu cầu, vui lòng thử lại sau.",
        "message_en": "Too many requests, try again later.",
    }
    assert response.headers["Retry-After"].isdigit()


# -- ticket issuing, per kiosk device ----------------------------------------------------


def test_a_kiosk_over_its_limit_gets_a_bilingual_429_and_recovers_after_the_window(
    make_app: AppFactory,
    published: Published,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
) -> None:
    client = make_app(published, ratelimit_issue=TINY).test_client()
    kiosk, hall = kiosk_headers(creds), another_kiosk(database, centre)
    service = centre.service["HT"]
    assert [take(client, kiosk, service).status_code for _ in range(2)] == [201, 201]
    refused = take(client, kiosk, service)
    assert_bilingual_429(refused)
    assert ticket_count(centre) == 2  # the refused request issued nothing
    # The limit is the device's, not the address's: the other kiosk, from the same address,
    # still issues.
    assert take(client, hall, service).status_code == 201
    after_window(1)
    again = take(client, kiosk, service)
    assert again.status_code == 201
    assert again.get_json()["ticket"]["number"] == "A004"


def test_a_hit_starts_no_timer_thread_and_expired_counts_are_swept_by_a_later_hit(
    make_app: AppFactory,
    published: Published,
    creds: DemoCredentials,
    centre: Centre,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # limits' memory storage starts a 10 ms timer after a hit whenever the last one has
    # run out: with kiosks issuing seconds apart, a thread for every ticket.
    client = make_app(published, ratelimit_issue=TINY).test_client()
    kiosk, service = kiosk_headers(creds), centre.service["HT"]
    assert take(client, kiosk, service).status_code == 201
    started: list[threading.Timer] = []

    class Counted(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", Counted)
    statuses = []
    for _ in range(2):
        time.sleep(0.05)  # any timer of the hit before has run out
        statuses.append(take(client, kiosk, service).status_code)
    assert statuses == [201, 429]
    assert started == []

    # What the timer was for: the memory of counts whose window is over.
    storage = limiter.storage
    assert isinstance(storage, MemoryStorage)
    assert any(token_hash(kiosk["X-Device-Token"]) in key for key in storage.storage)
    monkeypatch.setattr(storage, "SWEEP_SECONDS", 0.0, raising=False)
    after_window(1)
    assert take(client, another_kiosk(database, centre), service).status_code == 201
    assert not any(token_hash(kiosk["X-Device-Token"]) in key for key in storage.storage)
    assert started == []


def test_the_default_limit_lets_a_busy_kiosk_issue_and_stops_a_flood(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    assert Config(Path("."), "", "").ratelimit_issue == "30 per minute;600 per hour"
    statuses = [
        take(client, kiosk_headers(creds), centre.service["CT"]).status_code for _ in range(31)
    ]
    assert statuses == [201] * 30 + [429]


def test_a_request_without_a_device_token_is_refused_not_counted_against_the_kiosk(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    client = make_app(published, ratelimit_issue=TINY).test_client()
    service = centre.service["HT"]
    assert [take(client, {}, service).status_code for _ in range(2)] == [401, 401]
    assert take(client, {}, service).status_code == 429  # anonymous: counted by address
    assert take(client, kiosk_headers(creds), service).status_code == 201


def test_a_kiosk_still_issues_when_the_limits_storage_is_down(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    # Nothing listens on port 1: every count fails, and is logged, not fatal.
    client = make_app(published, ratelimit_storage="redis://127.0.0.1:1/0").test_client()
    response = take(client, kiosk_headers(creds), centre.service["HT"])
    assert response.status_code == 201, response.get_json()


# -- the phone page: unknown tickets per client address, never a phone following its own --


def test_lookups_of_unknown_tickets_are_limited_per_address_and_recover(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    client = make_app(published, ratelimit_public=TINY).test_client()
    token = take(client, kiosk_headers(creds), centre.service["HT"]).get_json()["ticket"]["token"]
    guesser = {"REMOTE_ADDR": "192.168.1.77"}
    unknown = "x" * 32
    # The page, its snapshot, its QR and its cancel share one allowance of unknown tickets.
    assert client.get(f"/api/tickets/{unknown}", environ_base=guesser).status_code == 404
    assert client.get(f"/t/{unknown}a/qr.svg", environ_base=guesser).status_code == 404
    assert_bilingual_429(client.get(f"/api/tickets/{unknown}b", environ_base=guesser))
    page = client.get(f"/t/{unknown}c", environ_base=guesser)
    assert page.status_code == 429 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Quá nhiều yêu cầu, vui lòng thử lại sau." in text
    assert "Too many requests, try again later." in text
    assert client.get(f"/t/{unknown}/qr.svg", environ_base=guesser).status_code == 429
    assert client.post(f"/api/tickets/{unknown}/cancel", environ_base=guesser).status_code == 429
    # A real ticket from the same address is never refused, nor another address.
    assert client.get(f"/api/tickets/{token}", environ_base=guesser).status_code == 200
    assert client.get(f"/t/{token}", environ_base=guesser).status_code == 200
    other = client.get(f"/api/tickets/{unknown}", environ_base={"REMOTE_ADDR": "192.168.1.78"})
    assert other.status_code == 404
    assert all(client.get("/healthz", environ_base=guesser).status_code == 200 for _ in range(5))
    after_window(1)
    assert client.get(f"/api/tickets/{unknown}", environ_base=guesser).status_code == 404


def test_forty_phones_behind_one_address_following_their_tickets_are_never_refused(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    # Issue 12: a centre's Wi-Fi is one address; 340 of 640 refreshes were refused in a
    # minute when every change of the hall made every phone fetch its ticket again.
    app = make_app(published, ratelimit_public=TINY, ratelimit_issue="1000 per minute")
    client = app.test_client()
    services = [centre.service[code] for code in ("HT", "CT", "DD", "LD")]
    tokens = [
        take(client, kiosk_headers(creds), services[n % 4]).get_json()["ticket"]["token"]
        for n in range(40)
    ]
    wifi = {"REMOTE_ADDR": "192.168.1.1"}
    clerk = Staff(app.test_client(), "canbo4", creds.passwords["canbo4"])
    assert clerk.act(centre.counter[4], "open").status_code == 200
    refused = 0
    for _ in range(4):  # a burst of calls, each making every phone refresh
        called = clerk.act(centre.counter[4], "call-next")
        assert called.status_code == 200
        for token in tokens:
            for url in (f"/api/tickets/{token}", f"/t/{token}", f"/api/tickets/{token}"):
                refused += client.get(url, environ_base=wifi).status_code == 429
        ticket_id = called.get_json()["result"]["ticket_id"]
        assert clerk.act(centre.counter[4], "no-show", ticket_id=ticket_id).status_code == 200
    assert refused == 0
    # A guess from that address still counts against it, without refusing the phones.
    for guess in ("g" * 20, "h" * 20, "i" * 20):
        client.get(f"/api/tickets/{guess}", environ_base=wifi)
    assert client.get(f"/api/tickets/{'j' * 20}", environ_base=wifi).status_code == 429
    assert client.get(f"/api/tickets/{tokens[0]}", environ_base=wifi).status_code == 200
    assert client.post(f"/api/tickets/{tokens[0]}/cancel", environ_base=wifi).status_code == 200


# -- sign-in, per address and per username -----------------------------------------------


def test_failed_sign_ins_from_one_address_are_throttled_then_allowed_again(
    make_app: AppFactory, published: Published, creds: DemoCredentials
) -> None:
    client = make_app(published, ratelimit_login="2 per 2 seconds").test_client()
    office = "10.0.1.1"
    assert sign_in(client, "canbo1", "wrong", office).status_code == 401
    assert sign_in(client, "canbo2", "wrong", office).status_code == 401
    # Even the right password waits: the address has used its allowance.
    refused = sign_in(client, "canbo3", creds.passwords["canbo3"], office)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau 1 phút." in page
    assert 'name="username"' in page  # the form again, a page a clerk can read
    assert client.get("/counter").status_code == 302  # not signed in
    after_window(2)
    assert sign_in(client, "canbo3", creds.passwords["canbo3"], office).status_code == 302


def test_failed_sign_ins_against_one_username_never_block_it_from_another_address(
    make_app: AppFactory, published: Published, creds: DemoCredentials
) -> None:
    # Issue 18: per username from any address, guesses locked the clerk out. Each address
    # now has its own tally (tests/integration/test_hardening.py has the growing delay).
    client = make_app(published, ratelimit_login="2 per 2 seconds").test_client()
    assert sign_in(client, "canbo1", "guess1", "10.0.2.1").status_code == 401
    assert sign_in(client, "CANBO1 ", "guess2", "10.0.2.2").status_code == 401
    assert sign_in(client, "canbo1", creds.passwords["canbo1"], "10.0.2.3").status_code == 302


def test_successful_sign_ins_of_a_whole_office_are_never_throttled(
    make_app: AppFactory, published: Published, creds: DemoCredentials
) -> None:
    app = make_app(published, ratelimit_login="2 per 2 seconds")
    for username in ("canbo1", "canbo2", "canbo3", "canbo4"):
        client = app.test_client()
        response = sign_in(client, username, creds.passwords[username], "10.0.3.1")
        assert response.status_code == 302


# -- headers and cookies -----------------------------------------------------------------


def test_every_response_carries_the_security_headers(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    token = take(client, kiosk_headers(creds), centre.service["HT"]).get_json()["ticket"]["token"]
    urls = [
        "/",
        "/login",
        "/kiosk?device=x",
        "/board?device=x",
        f"/t/{token}",
        f"/t/{token}/qr.svg",
        f"/api/tickets/{token}",
        "/api/nothing-here",
        "/static/css/xephang.css",
        "/vendor/socket.io.min.js",
        "/healthz",
    ]
    for url in urls:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, url
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert directives["object-src"] == "'none'", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "same-origin", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert "camera=()" in headers["Permissions-Policy"], url
        assert "Strict-Transport-Security" not in headers, url
    assert client.get("/").headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("settings", "https"),
    [
        ({}, False),
        ({"public_url": "http://192.168.1.10:8000"}, False),
        ({"public_url": "https://hcc.example.gov.vn"}, True),
        ({"public_url": "https://hcc.example.gov.vn", "secure_cookies": False}, False),
        ({"public_url": "http://192.168.1.10:8000", "secure_cookies": True}, True),
    ],
)
def test_cookies_are_secure_and_hsts_sent_only_when_the_server_is_reached_by_https(
    make_app: AppFactory, published: Published, settings: dict[str, Any], https: bool
) -> None:
    app = make_app(published, **settings)
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is https
    assert app.config["REMEMBER_COOKIE_SECURE"] is https
    assert ("Strict-Transport-Security" in response.headers) is https
    if https:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XEPHANG_INSTANCE", str(tmp_path))
    monkeypatch.setenv("XEPHANG_SECRET_KEY", "from-env")
    monkeypatch.setenv("XEPHANG_PUBLIC_URL", "https://hcc.example.gov.vn")
    monkeypatch.setenv("XEPHANG_RATELIMIT_ISSUE", "50 per minute")
    monkeypatch.setenv("XEPHANG_RATELIMIT_PUBLIC", "100 per minute")
    monkeypatch.setenv("XEPHANG_RATELIMIT_LOGIN", "5 per minute")
    monkeypatch.setenv("XEPHANG_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/0")
    config = Config.from_env()
    assert (config.ratelimit_issue, config.ratelimit_public, config.ratelimit_login) == (
        "50 per minute",
        "100 per minute",
        "5 per minute",
    )
    assert config.ratelimit_storage == "redis://127.0.0.1:6379/0"
    assert config.https_only
    monkeypatch.setenv("XEPHANG_SECURE_COOKIES", "0")
    assert not Config.from_env().https_only
    monkeypatch.delenv("XEPHANG_PUBLIC_URL")
    monkeypatch.setenv("XEPHANG_SECURE_COOKIES", "1")
    assert Config.from_env().https_only


def test_a_mistyped_limit_stops_the_server_at_start(instance: Path, database_url: str) -> None:
    config = Config(instance, database_url, "k", async_mode="threading", ratelimit_issue="lots")
    with pytest.raises(ValueError):
        create_app(config)


# -- request size and CSRF ---------------------------------------------------------------


def counter_states(centre: Centre) -> list[tuple[int, str]]:
    with centre.db.reading() as session:
        return [(c.id, c.state) for c in session.scalars(select(Counter).order_by(Counter.id))]


def test_an_oversized_post_gets_a_json_413_not_a_500(
    client: FlaskClient, login: Any, creds: DemoCredentials, centre: Centre
) -> None:
    token = take(client, kiosk_headers(creds), centre.service["HT"]).get_json()["ticket"]["token"]
    clerk: Staff = login("canbo1")
    before = counter_states(centre)
    huge = b'{"reason": "' + b"x" * 70_000 + b'"}'
    for response in (
        clerk.post(
            f"/api/counters/{centre.counter[1]}/pause", data=huge, content_type="application/json"
        ),
        client.post(f"/api/tickets/{token}/cancel", data=huge, content_type="application/json"),
    ):
        assert response.status_code == 413
        assert response.get_json()["error"] == "request_entity_too_large"
        assert response.get_json()["message"] == "Dữ liệu gửi lên quá lớn."
    form = client.post("/login", data={"username": "canbo1", "password": "x" * 70_000})
    assert form.status_code == 413
    assert counter_states(centre) == before
    assert client.get(f"/api/tickets/{token}").get_json()["ticket"]["status"] == "waiting"


def test_a_sign_in_form_without_its_csrf_token_is_refused(
    client: FlaskClient, creds: DemoCredentials
) -> None:
    client.get("/login")  # a session exists, but the form does not carry its token
    response = client.post(
        "/login", data={"username": "canbo1", "password": creds.passwords["canbo1"]}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "csrf"
    assert client.get("/counter").status_code == 302  # still signed out
    forged = client.post(
        "/login",
        data={"username": "canbo1", "password": creds.passwords["canbo1"], "csrf_token": "x"},
    )
    assert forged.status_code == 400
    assert client.get("/counter").status_code == 302


def test_a_counter_action_without_the_csrf_header_is_refused_and_changes_nothing(
    login: Any, centre: Centre
) -> None:
    clerk: Staff = login("canbo1")
    before = counter_states(centre)
    url = f"/api/counters/{centre.counter[1]}/open"
    for headers in ({}, {"X-CSRFToken": "not-the-token"}):
        response = clerk.client.post(url, json={}, headers=headers)
        assert response.status_code == 400
        assert response.get_json()["error"] == "csrf"
        assert response.get_json()["message_en"]
    assert counter_states(centre) == before
    assert clerk.act(centre.counter[1], "open").status_code == 200  # with it, it works


# -- the real server (eventlet) ----------------------------------------------------------


@pytest.mark.server
def test_the_real_server_limits_a_kiosk_and_recovers(
    instance: Path, database_url: str, creds: DemoCredentials, centre: Centre
) -> None:
    env = {"XEPHANG_RATELIMIT_ISSUE": "2 per 2 seconds"}
    with running(instance, database_url, env) as server, http_session() as http:

        def issue() -> requests.Response:
            return http.post(
                f"{server.url}/api/kiosk/tickets",
                json={"service_id": centre.service["HT"]},
                headers=kiosk_headers(creds),
                timeout=10,
            )

        assert [issue().status_code for _ in range(2)] == [201, 201]
        refused = issue()
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert refused.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        after_window(2)
        assert issue().status_code == 201


@pytest.mark.server
def test_two_workers_count_one_kiosk_together_in_redis(
    instance: Path, database_url: str, creds: DemoCredentials, centre: Centre
) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        if os.environ.get("XEPHANG_REQUIRE_SERVICES"):
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    env = {"XEPHANG_RATELIMIT_ISSUE": "2 per 2 seconds", "XEPHANG_RATELIMIT_STORAGE": REDIS_URL}
    with (
        running(instance, database_url, env) as first,
        running(instance, database_url, env) as second,
        http_session() as http,
    ):

        def issue(server: LiveServer) -> int:
            return http.post(
                f"{server.url}/api/kiosk/tickets",
                json={"service_id": centre.service["HT"]},
                headers=kiosk_headers(creds),
                timeout=10,
            ).status_code

        assert [issue(first), issue(second)] == [201, 201]
        # Each worker alone has seen one ticket; together they have seen the limit.
        assert [issue(first), issue(second)] == [429, 429]
        after_window(2)
        assert issue(second) == 201
