"""A worker killed with kill -9 in the middle of a ticket load, and the board in a real
Chromium catching up when it comes back."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from playwright.sync_api import expect

from server.domain.tickets import TicketStatus
from tests.browser.conftest import Screens
from tests.live import http_session
from tests.province import Province, issue_over_http

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_a_worker_killed_mid_load_loses_no_acknowledged_ticket(
    province: Province, screens: Screens
) -> None:
    a, b = province.workers
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def kiosk() -> None:
        with http_session() as http:
            while not stop.is_set():
                try:
                    response = issue_over_http(http, a, province.creds, province.service["HT"])
                except requests.RequestException:
                    return  # the worker died under us: that issue was never acknowledged
                if response.status_code == 201:
                    with lock:
                        acknowledged.append(response.json()["ticket"]["ticket_id"])

    board = screens.open(
        f"{a.url}/board?device={province.creds.device_tokens['board']}", 1920, 1080
    )
    expect(board.locator("#counters tr")).to_have_count(10)
    threads = [threading.Thread(target=kiosk) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    a.kill()  # kill -9 in the middle of the load
    stop.set()
    for thread in threads:
        thread.join(15)
    assert len(acknowledged) >= 150
    stored = {t.id: t for t in province.tickets()}
    assert set(acknowledged) <= set(stored)  # every acknowledged issue survived the crash
    waiting = sum(1 for t in stored.values() if t.status == TicketStatus.WAITING)
    restarted = time.monotonic()
    a.start()
    print("\nSTART", time.monotonic()-restarted)
    civil = board.locator("#waiting li").first.locator(".count")
    expect(civil).to_have_text(str(waiting), timeout=5000)
    assert time.monotonic() - restarted < 5.0 + 1.0
    with http_session() as http:  # and the other worker served all along
        assert issue_over_http(http, b, province.creds, province.service["HT"]).ok
