"""Revoking a device against a real `xephang serve` (eventlet): a board listening over
Socket.IO is cut off at once and its token no longer connects; with two workers behind
Redis, the worker that did not revoke it cuts its own connection within seconds."""

from __future__ import annotations

import time

import pytest
import requests
import socketio
from sqlalchemy import select

from server.adapters.db.models import Device
from server.cli.demo import DemoCredentials
from server.web.sockets import DEVICE_CHECK_SECONDS
from tests.conftest import Centre
from tests.live import TIMEOUT, Board, LiveServer, http_session
from tests.province import Province

pytestmark = pytest.mark.server


def board_id(db_reading: Centre | Province) -> int:
    with db_reading.db.reading() as session:
        found = session.scalar(select(Device.id).where(Device.kind == "board"))
        assert found is not None
        return found


def admin_session(server: LiveServer, password: str) -> requests.Session:
    http = server.session_for("admin", password)
    http.trust_env = False
    return http


def revoke(http: requests.Session, server: LiveServer, device_id: int) -> None:
    response = http.post(
        f"{server.url}/admin/devices/{device_id}/revoke", allow_redirects=False, timeout=TIMEOUT
    )
    assert response.status_code == 303, response.text


def test_a_revoked_board_is_disconnected_within_a_second_and_cannot_reconnect(
    live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    board = Board(live_server, creds)
    board.connect()
    admin = admin_session(live_server, creds.passwords["admin"])
    started = time.monotonic()
    revoke(admin, live_server, board_id(centre))
    assert board.disconnected.wait(1.0), "the revoked board is still connected"
    assert time.monotonic() - started < 1.0
    # the same token, from a new connection (as the board's own retries would be)
    again = Board(live_server, creds)
    refusals: list[object] = []
    again.client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect()
    assert "thu hồi" in str(refusals), refusals
    with http_session() as http:
        snapshot = http.get(
            f"{live_server.url}/api/board/snapshot",
            headers={"X-Device-Token": creds.device_tokens["board"]},
            timeout=TIMEOUT,
        )
    assert snapshot.status_code == 401
    board.close()


def test_a_board_on_another_worker_is_cut_off_by_that_worker(province: Province) -> None:
    revoking, holding = province.workers
    board = Board(holding, province.creds)
    board.connect()
    admin = admin_session(revoking, province.password("admin"))
    started = time.monotonic()
    revoke(admin, revoking, board_id(province))
    # The other worker reads the revocation at its next check of its devices.
    assert board.disconnected.wait(DEVICE_CHECK_SECONDS * 3), "still connected to worker 2"
    assert time.monotonic() - started < DEVICE_CHECK_SECONDS * 3
    for worker in province.workers:
        with pytest.raises(socketio.exceptions.ConnectionError):
            Board(worker, province.creds).connect()
    board.close()
