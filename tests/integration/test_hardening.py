"""Issue 18, "Hardening from a hostile afternoon": each finding as a test that failed
before its fix."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import limits.storage.memory
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from server.adapters.db.engine import Database
from server.adapters.db.models import Device, Site, User
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials, create_demo_centre
from server.cli.main import cli
from server.domain.errors import InvalidInput
from server.runtime import Runtime
from server.services.credentials import new_device_token, token_hash
from server.services.printing import set_printer
from server.services.unit_of_work import UnitOfWork
from server.web import errors, sign_in_throttle
from server.web.security import limiter
from tests.conftest import (
    BULK_LIMITS,
    AppFactory,
    Centre,
    Published,
    Staff,
    csrf_token,
    kiosk_headers,
)
from tests.live import ROOT, LiveServer


def runtime_of(app: Flask) -> Runtime:
    found: Runtime = app.extensions["xephang"]
    return found


# -- 1. a second server on a port already taken ------------------------------------------


def test_a_second_server_on_a_port_in_use_refuses_to_start(
    live_server: LiveServer, instance: Path, database_url: str
) -> None:
    env = {
        **os.environ,
        "XEPHANG_INSTANCE": str(instance),
        "XEPHANG_DATABASE_URL": database_url,
        "XEPHANG_ASYNC_MODE": "eventlet",
        "XEPHANG_SECRET_KEY": "live-test-secret",
    }
    xephang = Path(sys.executable).with_name("xephang")
    second = subprocess.Popen(
        [str(xephang), "serve", "--host", "127.0.0.1", "--port", str(live_server.port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        output, _ = second.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        second.kill()
        second.wait()
        raise AssertionError("the second server started on a port already in use") from None
    assert second.returncode != 0
    text = output.decode()
    assert f"port {live_server.port} on 127.0.0.1 is already in use" in text
    assert "Traceback" not in text


def test_a_read_only_database_at_start_is_a_clear_message_not_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "xephang.db"
    sqlite3.connect(path).close()
    env = {
        "XEPHANG_INSTANCE": str(tmp_path),
        "XEPHANG_DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true",
    }
    result = CliRunner(env=env).invoke(cli, ["init"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "the database cannot be written" in result.output
    assert "readonly database" in result.output


# -- 4. clear 4xx instead of 500s --------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_bilingual(response: Any, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["message"] and body["message_en"] and body["message"] != body["message_en"]


def test_json_nested_a_thousand_levels_is_a_400_on_every_json_endpoint(
    app: Flask, login: Any, creds: DemoCredentials, centre: Centre
) -> None:
    manager = login("quanly")
    clerk = login("canbo1")
    body = '{"notice": ' + nested(1000) + "}"
    headers = {"Content-Type": "application/json"}
    answers = [
        manager.post(f"/api/sites/{centre.site_id}/notice", data=body, headers=headers),
        clerk.post(f"/api/counters/{centre.counter[1]}/pause", data=body, headers=headers),
        app.test_client().post(
            "/api/kiosk/tickets", data=body, headers={**headers, **kiosk_headers(creds)}
        ),
    ]
    for response in answers:
        assert_bilingual(response, 400)
        assert "nested" in response.get_json()["message_en"]


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b"], ids=["lone surrogate", "NUL"])
def test_a_lone_surrogate_or_a_nul_in_a_notice_or_a_pause_reason_is_a_400(
    login: Any, centre: Centre, bad: str
) -> None:
    manager = login("quanly")
    clerk = login("canbo1")
    # json.dumps writes "\ud800" as the escape a hostile client would send.
    notice = manager.post(
        f"/api/sites/{centre.site_id}/notice",
        data=json.dumps({"notice": bad}),
        headers={"Content-Type": "application/json"},
    )
    assert_bilingual(notice, 400)
    clerk.act(centre.counter[1], "open")
    pause = clerk.post(
        f"/api/counters/{centre.counter[1]}/pause",
        data=json.dumps({"reason": bad}),
        headers={"Content-Type": "application/json"},
    )
    assert_bilingual(pause, 400)


def test_a_nul_in_the_sign_in_form_or_a_query_string_is_a_400(
    client: FlaskClient, creds: DemoCredentials, login: Any
) -> None:
    response = client.post(
        "/login",
        data={"username": "canbo1\x00", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert client.get("/t/abc%00def").status_code == 400
    manager = login("quanly")  # signed in, so only the NUL can refuse the request
    assert manager.get("/api/statistics?site=all").status_code == 200
    assert manager.get("/api/statistics?site=all%00").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["from=9999-12-30&to=9999-12-31", "from=0001-01-01&to=0001-01-02", "to=9999-12-31"],
)
def test_days_far_outside_a_centres_life_are_a_clear_400(
    login: Any, centre: Centre, query: str
) -> None:
    manager = login("quanly")
    site = f"site={centre.site_id}"
    for url in (
        f"/api/statistics?{site}&{query}",
        f"/manager/statistics.csv?{site}&{query}",
        f"/manager/statistics.xlsx?{site}&{query}",
        f"/manager/tickets.csv?{site}&{query}",
        f"/manager/statistics?{site}&{query}",
        f"/admin/audit?{site}&{query}",
    ):
        response = manager.get(url)
        assert response.status_code == 400, (url, response.status_code)


def test_a_full_disk_is_a_503_with_a_message_and_the_health_check_says_writes_fail(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    app = make_app(published, **BULK_LIMITS)
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"ok": True}
    database = runtime_of(app).db
    if database.dialect != "sqlite":
        pytest.skip("a full disk is simulated with SQLite's max_page_count")

    @event.listens_for(database.engine, "connect")
    def no_room(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    database.engine.dispose()
    try:
        for _ in range(2000):  # until a page must be added
            response = client.post(
                "/api/kiosk/tickets",
                json={"service_id": centre.service["HT"], "note": "x" * 1000},
                headers=kiosk_headers(creds),
            )
            if response.status_code != 201:
                break
        assert_bilingual(response, 503)
        assert "storage" in response.get_json()["message_en"]
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["writes"] == "failing"
    finally:
        event.remove(database.engine, "connect", no_room)
        errors._last_write_failure = None


ODD_AUTH = [
    {"counter": 2**63},
    {"manager": 2**63},
    {"counter": 10**30},
    {"ticket": "x" * 100_000},
    {"ticket": "a\x00b"},
    {"ticket": "\ud800"},
    {"device": "a\x00b"},
    {"printer": "\ud800"},
    {"printer": "x" * 100_000},
]


@pytest.mark.parametrize("auth", ODD_AUTH)
def test_huge_or_odd_socket_auth_values_are_refused_with_a_message(
    make_app: AppFactory, creds: DemoCredentials, auth: dict[str, Any]
) -> None:
    app = make_app()
    clerk = Staff(app.test_client(), "quanly", creds.passwords["quanly"])
    sock = socketio.test_client(app, flask_test_client=clerk.client, auth=auth)
    assert not sock.is_connected()


# -- 3. sign-in throttling: a growing delay per address and username, never a lock -------


def sign_in(client: FlaskClient, username: str, password: str, address: str) -> Any:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The throttle's clock, moved by the test."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(sign_in_throttle, "now", lambda: now[0])
    return now


def test_guessing_one_clerks_password_never_locks_her_out_of_her_own_desk(
    app: Flask, creds: DemoCredentials, moment: list[float]
) -> None:
    client = app.test_client()
    attacker, desk = "10.0.9.9", "10.0.1.5"
    # The real limits: "10 per minute" failures per address; three guesses a minute.
    for _ in range(3):
        for _ in range(3):
            assert sign_in(client, "canbo1", "guess", attacker).status_code in (401, 429)
        moment[0] += 61
    for _ in range(40):
        sign_in(client, "canbo1", "guess", attacker)
    # The clerk, at her desk, with her password: signed in at once.
    assert sign_in(client, "canbo1", creds.passwords["canbo1"], desk).status_code == 302


def test_each_failure_beyond_the_free_ones_doubles_the_wait_and_the_page_says_how_long(
    app: Flask, creds: DemoCredentials, moment: list[float]
) -> None:
    client = app.test_client()
    here = "10.0.4.4"
    for _ in range(3):
        assert sign_in(client, "canbo2", "wrong", here).status_code == 401
    assert sign_in(client, "canbo2", "wrong", here).status_code == 401  # the 4th: wait 2 s
    refused = sign_in(client, "canbo2", creds.passwords["canbo2"], here)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 2
    assert "vui lòng chờ 2 giây rồi thử lại" in refused.get_data(as_text=True)
    moment[0] += 2
    assert sign_in(client, "canbo2", "wrong", here).status_code == 401  # the 5th: wait 4 s
    moment[0] += 3
    assert sign_in(client, "canbo2", "wrong", here).status_code == 429
    # Refused attempts do not count: after the 4 s, the wait is still the 5th failure's.
    moment[0] += 1
    assert sign_in(client, "canbo2", creds.passwords["canbo2"], here).status_code == 302
    # A success forgets the failures.
    assert sign_in(app.test_client(), "canbo2", "wrong", here).status_code == 401


def test_the_wait_is_said_in_english_too(
    app: Flask, creds: DemoCredentials, moment: list[float]
) -> None:
    client = app.test_client()
    client.set_cookie("lang", "en")
    for _ in range(4):
        sign_in(client, "canbo3", "wrong", "10.0.5.5")
    refused = sign_in(client, "canbo3", "wrong", "10.0.5.5")
    assert refused.status_code == 429
    assert "wait 2 seconds" in refused.get_data(as_text=True)


def test_two_failures_at_once_never_make_a_wait_longer_than_the_maximum(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two workers record a failure at the same moment: each step of one may fall between
    # two steps of the other (here: both clear a key before either writes to it).
    both_clearing = threading.Barrier(2, timeout=1)
    clear = limiter.storage.clear

    def clear_together(key: str) -> None:
        clear(key)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_clearing.wait()

    def fail() -> None:
        with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.6.6"}):
            sign_in_throttle.failed("canbo4")

    for _ in range(4):
        fail()
    monkeypatch.setattr(limiter.storage, "clear", clear_together)
    workers = [threading.Thread(target=fail) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.6.6"}):
        wait = sign_in_throttle.seconds_to_wait("canbo4")
    # Six failures: 8 s from now, whichever order the two took.
    assert 0 < wait <= sign_in_throttle.delay_after(6) <= sign_in_throttle.MAX_DELAY


def test_failures_are_remembered_for_an_hour_after_the_last_one(
    app: Flask, moment: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The storage's own clock (expiry of its keys) moves with the throttle's.
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: moment[0]))
    minute = 60.0
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.7.7"}):
        for _ in range(4):
            sign_in_throttle.failed("canbo5")
        assert sign_in_throttle.seconds_to_wait("canbo5") == 2
        moment[0] += 59 * minute
        sign_in_throttle.failed("canbo5")  # the 5th, just within the hour
        assert sign_in_throttle.seconds_to_wait("canbo5") == 4
        moment[0] += 2 * minute  # an hour after the first failure, not after the last
        sign_in_throttle.failed("canbo5")
        assert sign_in_throttle.seconds_to_wait("canbo5") == 8
        moment[0] += 61 * minute  # an hour after the last: all forgotten
        assert sign_in_throttle.seconds_to_wait("canbo5") == 0
        sign_in_throttle.failed("canbo5")
        assert sign_in_throttle.seconds_to_wait("canbo5") == 0


# -- 5. smaller findings -----------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
    ],
)
def test_sign_in_never_redirects_to_another_host(
    client: FlaskClient, creds: DemoCredentials, target: str
) -> None:
    response = client.post(
        f"/login?next={target}",
        data={
            "username": "quanly",
            "password": creds.passwords["quanly"],
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location


# -- 2. sessions end: sign-out, password reset, deactivation, role or counter change -----


def copy_of(app: Flask, staff: Staff) -> FlaskClient:
    """Another browser holding a copy of this session's cookie."""
    cookie = staff.client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def admin_post(admin: Staff, url: str, **data: Any) -> Any:
    return admin.client.post(url, data={**data, "csrf_token": admin.csrf})


def works(client: FlaskClient, centre: Centre) -> bool:
    return bool(client.get(f"/api/counters/{centre.counter[1]}").status_code == 200)


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(
    app: Flask, login: Any, centre: Centre
) -> None:
    clerk = login("canbo1")
    thief = copy_of(app, clerk)
    assert works(thief, centre)
    clerk.post("/logout")
    assert not works(clerk.client, centre)
    assert not works(thief, centre)


def test_a_password_reset_ends_the_old_sessions_and_closes_their_sockets(
    app: Flask, login: Any, centre: Centre
) -> None:
    clerk, admin = login("canbo1"), login("admin")
    sock = socketio.test_client(
        app, flask_test_client=clerk.client, auth={"counter": centre.counter[1]}
    )
    assert sock.is_connected()
    answer = admin_post(
        admin, f"/admin/users/{centre.user['canbo1']}/password", password="a-new-passw0rd!"
    )
    assert answer.status_code == 303
    assert not works(clerk.client, centre)
    assert not sock.is_connected()
    assert works(admin.client, centre)  # the admin's own session is untouched
    assert admin.client.get("/admin/users").status_code == 200


def test_reactivating_an_account_does_not_revive_its_old_cookies(
    app: Flask, login: Any, centre: Centre
) -> None:
    clerk, admin = login("canbo1"), login("admin")
    thief = copy_of(app, clerk)
    user = centre.user["canbo1"]
    admin_post(admin, f"/admin/users/{user}/active")  # unchecked: deactivate
    admin_post(admin, f"/admin/users/{user}/active", active="1")
    assert not works(clerk.client, centre)
    assert not works(thief, centre)


def test_moving_a_clerk_to_other_counters_ends_the_session_and_its_socket(
    app: Flask, login: Any, centre: Centre, database: Database
) -> None:
    clerk, admin = login("canbo1"), login("admin")
    sock = socketio.test_client(
        app, flask_test_client=clerk.client, auth={"counter": centre.counter[1]}
    )
    assert sock.is_connected()
    form = {
        "username": "canbo1",
        "full_name": "Cán bộ 1",
        "role": "clerk",
        "counters": str(centre.counter[3]),
    }
    answer = admin_post(admin, f"/admin/users/{centre.user['canbo1']}", **form)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    with database.reading() as session:
        moved = session.get(User, centre.user["canbo1"])
        assert moved is not None and [c.id for c in moved.counters] == [centre.counter[3]]
    assert not sock.is_connected()
    assert clerk.client.get(f"/api/counters/{centre.counter[3]}").status_code == 401


def test_an_unrelated_change_keeps_the_session(
    app: Flask, login: Any, centre: Centre, database: Database
) -> None:
    clerk = login("canbo1")
    with database.write_session() as session, session.begin():
        user = session.get(User, centre.user["canbo1"])
        assert user is not None
        user.full_name = "Nguyễn Văn Một"
    assert works(clerk.client, centre)


def test_database_errors_never_carry_bound_values(database: Database) -> None:
    secret = "argon2-hash-that-must-not-be-logged"
    with (
        pytest.raises(IntegrityError) as raised,
        database.write_session() as session,
        session.begin(),
    ):
        session.add(User(username="canbo1", full_name="x", password_hash=secret))
    assert secret not in str(raised.value)
    assert Database(database.url).engine.hide_parameters


def test_the_kiosk_page_and_exports_are_never_stored_by_a_cache(
    client: FlaskClient, login: Any, creds: DemoCredentials, centre: Centre
) -> None:
    kiosk = client.get(f"/kiosk?device={creds.device_tokens['kiosk']}")
    assert kiosk.status_code == 200
    assert kiosk.headers["Cache-Control"] == "no-store"
    manager = login("quanly")
    for url in (
        f"/manager/statistics.csv?site={centre.site_id}",
        f"/manager/statistics.xlsx?site={centre.site_id}",
        f"/manager/tickets.csv?site={centre.site_id}",
        f"/manager/tickets.xlsx?site={centre.site_id}",
    ):
        response = manager.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # Scripts and styles may still be cached.
    assert "no-store" not in client.get("/static/js/live.js").headers.get("Cache-Control", "")


def test_a_form_posted_to_the_notice_endpoint_is_refused_and_the_notice_stays(
    login: Any, centre: Centre
) -> None:
    manager = login("quanly")
    url = f"/api/sites/{centre.site_id}/notice"
    assert manager.post(url, json={"notice": "Nghỉ trưa 12:00-13:00"}).status_code == 200
    refused = manager.client.post(url, data={"notice": ""}, headers={"X-CSRFToken": manager.csrf})
    assert refused.status_code == 415
    assert refused.get_json()["message_en"] == "The body must be JSON."
    overview = manager.get(f"/api/sites/{centre.site_id}/overview").get_json()
    assert "Nghỉ trưa 12:00-13:00" in json.dumps(overview, ensure_ascii=False)


def test_fullwidth_digits_are_no_id(login: Any, centre: Centre) -> None:
    clerk = login("canbo1")
    fullwidth = str(centre.counter[1]).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    assert clerk.get(f"/api/counters/{centre.counter[1]}").status_code == 200
    assert clerk.get(f"/api/counters/{fullwidth}").status_code == 404


def test_socket_io_long_polling_is_off(client: FlaskClient) -> None:
    response = client.get("/socket.io/?EIO=4&transport=polling")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///dev/usb/../../etc/passwd",
        "serial:///etc/shadow",
        "tcp://169.254.169.254:80",
        "tcp://[fe80::1]:9100",
        "tcp://0.0.0.0:9100",
        "tcp://2852039166:80",  # 169.254.169.254 as one number (inet_aton reads it)
        "tcp://0xa9fea9fe:80",
        "tcp://169.254.43518:80",
        "tcp://0251.0376.0251.0376:80",
        "tcp://[::ffff:169.254.169.254]:80",
        "tcp://[::ffff:a9fe:a9fe]:80",
        "tcp://[ff02::1]:9100",
        "tcp://240.0.0.1:9100",
    ],
)
def test_a_kiosk_printer_is_only_what_a_printer_can_be(
    database: Database, creds: DemoCredentials, centre: Centre, url: str
) -> None:
    kiosk_id = kiosk_device_id(database, centre)
    with pytest.raises(InvalidInput):
        set_printer(UnitOfWork(database), kiosk_id, url)


@pytest.mark.parametrize(
    "url",
    [
        "file:///dev/usb/lp0",
        "serial:///dev/ttyUSB0",
        "serial:///dev/ttyS1",
        "tcp://192.168.1.50",
        "tcp://10.0.0.5:9100",
        "tcp://[fd00::5]:9100",
        "usb://0416:5011",
        "dummy://",
    ],
)
def test_real_printers_are_still_accepted(database: Database, centre: Centre, url: str) -> None:
    set_printer(UnitOfWork(database), kiosk_device_id(database, centre), url)


def fake_resolver(*addresses: str) -> Any:
    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[Any]:
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 9100)) for a in addresses]

    return getaddrinfo


@pytest.mark.parametrize(
    "addresses", [("169.254.169.254",), ("192.168.1.50", "169.254.169.254"), ("::1",)]
)
def test_a_printer_name_resolving_to_no_printer_is_refused(
    database: Database,
    centre: Centre,
    monkeypatch: pytest.MonkeyPatch,
    addresses: tuple[str, ...],
) -> None:
    monkeypatch.delenv("XEPHANG_PRINTER_LOOPBACK", raising=False)
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(*addresses))
    with pytest.raises(InvalidInput, match="cannot be"):
        set_printer(UnitOfWork(database), kiosk_device_id(database, centre), "tcp://printer.lan")


def test_a_printer_name_that_does_not_resolve_is_refused(
    database: Database, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver())
    with pytest.raises(InvalidInput) as refused:
        set_printer(UnitOfWork(database), kiosk_device_id(database, centre), "tcp://printer.lan")
    assert "reachable when it is set" in refused.value.message_en
    assert "printer.lan" in refused.value.message_vi


def test_a_printer_name_on_the_lan_is_accepted(
    database: Database, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("192.168.1.50", "10.0.0.5"))
    set_printer(UnitOfWork(database), kiosk_device_id(database, centre), "tcp://printer.lan")


@pytest.mark.parametrize("url", ["tcp://127.0.0.1:9100", "tcp://[::1]:9100", "tcp://127.1:9100"])
def test_a_printer_on_the_servers_own_loopback_needs_it_allowed(
    database: Database, centre: Centre, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    kiosk_id = kiosk_device_id(database, centre)
    monkeypatch.delenv("XEPHANG_PRINTER_LOOPBACK", raising=False)
    with pytest.raises(InvalidInput):
        set_printer(UnitOfWork(database), kiosk_id, url)
    monkeypatch.setenv("XEPHANG_PRINTER_LOOPBACK", "1")
    if url != "tcp://127.1:9100":  # a short numeric form stays refused
        set_printer(UnitOfWork(database), kiosk_id, url)


def kiosk_device_id(database: Database, centre: Centre) -> int:
    with database.reading() as session:
        found = session.scalars(
            select(Device.id).where(Device.site_id == centre.site_id, Device.kind == "kiosk")
        ).first()
    assert found is not None
    return found


def test_the_demo_survives_a_renamed_site_code_and_renews_only_its_own_devices(
    database: Database, centre: Centre
) -> None:
    paired = new_device_token()
    with database.write_session() as session, session.begin():
        site = session.get(Site, centre.site_id)
        assert site is not None
        site.code = "TANDINH-2"
        session.add(
            Device(
                site_id=centre.site_id,
                kind="kiosk",
                name="Kiosk tầng 2",
                token_hash=token_hash(paired),
            )
        )
    with database.write_session() as session, session.begin():
        again = create_demo_centre(session)
    assert again.site_id == centre.site_id
    with database.reading() as session:
        assert session.scalar(select(func.count(Site.id))) == 1
        hashes = set(session.scalars(select(Device.token_hash)))
    assert token_hash(paired) in hashes  # the kiosk paired since still works
    assert token_hash(again.device_tokens["kiosk"]) in hashes
