"""Two workers on one PostgreSQL database with Redis between them: events cross workers,
clerks on both never share a ticket, kiosks on both never share a number."""

from __future__ import annotations

import threading
import time
from collections import Counter as Tally
from functools import partial

import pytest
import requests
from sqlalchemy import text

from server.domain.tickets import TicketStatus
from server.services.tickets import issue_ticket
from server.services.unit_of_work import UnitOfWork
from tests.live import TIMEOUT, Board, http_session, run_all
from tests.province import Province, issue_over_http

pytestmark = pytest.mark.server

TICKETS_PER_KIOSK = 60


def test_a_ticket_issued_on_one_worker_reaches_a_board_on_the_other(province: Province) -> None:
    a, b = province.workers
    board = Board(b, province.creds)
    board.connect()
    try:
        with http_session() as http:
            sent = time.monotonic()
            response = issue_over_http(http, a, province.creds, province.service["DD"])
        assert response.status_code == 201, response.text
        received, _ = board.wait_for("ticket_issued", timeout=2.0)
        assert received.message["ticket"]["number"] == "C001"
        assert received.at - sent < 1.0
    finally:
        board.close()


def test_a_worker_waiting_for_postgresql_keeps_answering_everyone_else(
    province: Province,
) -> None:
    """While one request waits for PostgreSQL (here: for a row another transaction holds),
    the same worker answers other requests at once: psycopg must wait through eventlet,
    not block the whole worker (every phone, board and clerk on it) in C."""
    worker = province.workers[0]
    waiting: list[int] = []
    holder = province.db.engine.connect()
    try:
        holder.execute(text("SELECT id FROM sites FOR UPDATE"))  # until rollback
        with http_session() as http:
            kiosk = threading.Thread(
                target=lambda: waiting.append(
                    issue_over_http(
                        http, worker, province.creds, province.service["HT"]
                    ).status_code
                )
            )
            kiosk.start()  # its commit needs the site's row (the sequence number)
            time.sleep(0.5)
            started = time.monotonic()
            try:
                health = http.get(f"{worker.url}/healthz", timeout=3).status_code
            except requests.Timeout:
                health = 0
            took = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    kiosk.join(TIMEOUT)
    assert health == 200 and took < 1.0, f"the worker stood still for {took:.1f} s"
    assert waiting == [201]  # and the kiosk got its ticket once the row was free


@pytest.mark.timeout(300)
def test_ten_clerks_on_two_workers_never_call_one_ticket_twice(province: Province) -> None:
    uow = UnitOfWork(province.db)
    # 1,000 waiting tickets spread over the services the ten counters serve.
    codes = ["HT", "CT", "DD", "LD", "KD", "TKQ"]
    for index in range(1000):
        issue_ticket(uow, province.creds.site_id, province.service[codes[index % len(codes)]])
    clerks = [(n, f"canbo{n}") for n in range(1, 11)]
    start = threading.Barrier(len(clerks))

    def clerk(number: int, username: str) -> list[int]:
        worker = province.workers[number % 2]
        http = worker.session_for(username, province.password(username))
        http.trust_env = False
        url = f"{worker.url}/api/counters/{province.counter[number]}"
        assert http.post(f"{url}/open", json={}, timeout=TIMEOUT).ok
        called: list[int] = []
        start.wait()
        while True:
            response = http.post(f"{url}/call-next", json={}, timeout=TIMEOUT)
            if response.status_code == 409 and response.json()["error"] == "queue_empty":
                return called
            assert response.status_code == 200, response.text
            ticket_id = response.json()["result"]["ticket_id"]
            called.append(ticket_id)
            done = http.post(f"{url}/no-show", json={"ticket_id": ticket_id}, timeout=TIMEOUT)
            assert done.status_code == 200, done.text

    tasks = [partial(clerk, n, u) for n, u in clerks]
    calls = [t for batch in run_all(tasks, timeout=240) for t in batch]
    assert len(calls) == 1000
    assert [t for t, n in Tally(calls).items() if n > 1] == []
    tickets = province.tickets()
    assert {t.status for t in tickets} == {TicketStatus.NO_SHOW}
    assert sorted(calls) == [t.id for t in tickets]


# 3,000 requests, about a minute here. (10,000 took four minutes: with 2,000 waiting per
# service, each publication's states grow with the queue; no hall has such queues.)
@pytest.mark.timeout(600)
def test_fifty_kiosks_on_two_workers_get_three_thousand_numbers_without_gaps(
    province: Province,
) -> None:
    codes = ["HT", "CT", "DD", "LD", "KD"]
    start = threading.Barrier(50)

    def kiosk(index: int) -> list[str]:
        worker = province.workers[index % 2]
        service = province.service[codes[index % len(codes)]]
        numbers = []
        with http_session() as http:
            start.wait()
            for _ in range(TICKETS_PER_KIOSK):
                response = issue_over_http(http, worker, province.creds, service)
                assert response.status_code == 201, response.text
                numbers.append(response.json()["ticket"]["number"])
        return numbers

    tasks = [partial(kiosk, i) for i in range(50)]
    numbers = [n for batch in run_all(tasks, timeout=600) for n in batch]
    assert len(numbers) == 50 * TICKETS_PER_KIOSK == len(set(numbers))
    for prefix in "ABCDE":
        mine = sorted(int(n[1:]) for n in numbers if n.startswith(prefix))
        assert mine == list(range(1, 10 * TICKETS_PER_KIOSK + 1))
    stored = province.tickets()
    assert len(stored) == 50 * TICKETS_PER_KIOSK
    by_service = Tally(t.service_id for t in stored)
    assert set(by_service.values()) == {10 * TICKETS_PER_KIOSK}
