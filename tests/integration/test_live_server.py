"""Against a real `xephang serve` (eventlet) on 127.0.0.1: many kiosks and clerks at once
over HTTP, and a board listening over Socket.IO (websocket transport), through a forced
disconnect and a server restart."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
import requests

from server.cli.demo import SERVICES, DemoCredentials
from server.domain.tickets import TicketStatus
from tests.conftest import Centre
from tests.live import TIMEOUT, Board, LiveServer, http_session, run_all

pytestmark = pytest.mark.server

PREFIX = {code: prefix for code, _vi, _en, _picto, prefix, _minutes in SERVICES}
WIDTH = 3  # the demo centre's services all print three digits


# -- helpers ------------------------------------------------------------------------------


def clerk(server: LiveServer, creds: DemoCredentials, username: str) -> requests.Session:
    http = server.session_for(username, creds.passwords[username])
    http.trust_env = False
    return http


def issue(
    http: requests.Session,
    server: LiveServer,
    creds: DemoCredentials,
    service_id: int,
    priority: str | None = None,
) -> requests.Response:
    return http.post(
        f"{server.url}/api/kiosk/tickets",
        json={"service_id": service_id, "priority": priority},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=TIMEOUT,
    )


def issue_ok(
    http: requests.Session, server: LiveServer, creds: DemoCredentials, service_id: int
) -> dict[str, Any]:
    response = issue(http, server, creds, service_id)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    return ticket


def act(
    http: requests.Session, server: LiveServer, counter_id: int, action: str, **body: Any
) -> requests.Response:
    return http.post(f"{server.url}/api/counters/{counter_id}/{action}", json=body, timeout=TIMEOUT)


def act_ok(
    http: requests.Session, server: LiveServer, counter_id: int, action: str, **body: Any
) -> dict[str, Any]:
    response = act(http, server, counter_id, action, **body)
    assert response.status_code == 200, f"{action} at counter {counter_id}: {response.text}"
    payload = response.json()
    assert payload["ok"] is True
    result: dict[str, Any] = payload["result"]
    return result


def board_snapshot(server: LiveServer, creds: DemoCredentials) -> dict[str, Any]:
    with http_session() as http:
        response = http.get(
            f"{server.url}/api/board/snapshot",
            headers={"X-Device-Token": creds.device_tokens["board"]},
            timeout=TIMEOUT,
        )
    assert response.status_code == 200, response.text
    snapshot: dict[str, Any] = response.json()
    return snapshot


def counter_on_board(snapshot: dict[str, Any], number: int) -> dict[str, Any]:
    for counter in snapshot["counters"]:
        if counter["number"] == number:
            found: dict[str, Any] = counter
            return found
    raise AssertionError(f"counter {number} is not on the board: {snapshot['counters']}")


# -- kiosks -------------------------------------------------------------------------------

KIOSKS = 20
TICKETS_PER_KIOSK = 50
KIOSK_SERVICES = ["HT", "CT", "DD"]


def test_twenty_kiosks_issuing_at_once_get_a_thousand_distinct_numbers_without_gaps(
    live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    start = threading.Barrier(KIOSKS, timeout=30)

    def kiosk(index: int) -> list[tuple[str, int, dict[str, Any]]]:
        code = KIOSK_SERVICES[index % len(KIOSK_SERVICES)]
        results: list[tuple[str, int, dict[str, Any]]] = []
        with http_session() as http:
            start.wait()
            for _ in range(TICKETS_PER_KIOSK):
                response = issue(http, live_server, creds, centre.service[code])
                body = response.json() if response.status_code == 201 else {"text": response.text}
                results.append((code, response.status_code, body))
        return results

    began = time.monotonic()
    per_kiosk = run_all([partial(kiosk, i) for i in range(KIOSKS)], timeout=90)
    elapsed = time.monotonic() - began
    results = [result for kiosk_results in per_kiosk for result in kiosk_results]

    assert len(results) == KIOSKS * TICKETS_PER_KIOSK
    failures = [(code, status, body) for code, status, body in results if status != 201]
    assert not failures, f"{len(failures)} requests failed, e.g. {failures[:3]}"

    numbers: dict[str, list[str]] = defaultdict(list)
    ticket_ids: list[int] = []
    for code, _status, body in results:
        numbers[code].append(body["ticket"]["number"])
        ticket_ids.append(body["ticket"]["ticket_id"])
    assert len(set(ticket_ids)) == len(ticket_ids)
    for index, code in enumerate(KIOSK_SERVICES):
        kiosks = len(range(index, KIOSKS, len(KIOSK_SERVICES)))
        expected = [
            f"{PREFIX[code]}{n:0{WIDTH}d}" for n in range(1, kiosks * TICKETS_PER_KIOSK + 1)
        ]
        assert sorted(numbers[code]) == expected, f"service {code}"

    tickets = centre.tickets()
    assert len(tickets) == KIOSKS * TICKETS_PER_KIOSK
    assert {t.id for t in tickets} == set(ticket_ids)
    by_service: dict[int, list[int]] = defaultdict(list)
    for ticket in tickets:
        by_service[ticket.service_id].append(ticket.sequence)
        assert ticket.status == TicketStatus.WAITING
    assert set(by_service) == {centre.service[code] for code in KIOSK_SERVICES}
    for code in KIOSK_SERVICES:
        sequences = sorted(by_service[centre.service[code]])
        assert sequences == list(range(1, len(numbers[code]) + 1)), f"service {code}"
    print(f"\n{len(results)} tickets issued by {KIOSKS} kiosks in {elapsed:.2f}s")


# -- clerks -------------------------------------------------------------------------------

# One counter per clerk (canbo1 may also work at counter 2, but sits at 1 here).
DESKS = {f"canbo{n}": n for n in range(1, 7)}
TICKETS_PER_SERVICE = 20
MAX_ROUNDS = 60


@dataclass
class Call:
    ticket_id: int
    number: str
    counter_id: int
    clerk: str


def test_six_clerks_calling_next_at_once_never_get_the_same_ticket(
    live_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    # Every service of the centre, so each counter has its own work and shares some of it:
    # counters 1, 2 and 5 all serve HT; 1, 2 and 3 serve CT; 4 and 6 serve DD and KD.
    with http_session() as http:
        for _ in range(TICKETS_PER_SERVICE):
            for code in PREFIX:
                issue_ok(http, live_server, creds, centre.service[code])
    issued = len(PREFIX) * TICKETS_PER_SERVICE
    sessions = {username: clerk(live_server, creds, username) for username in DESKS}
    for username, number in DESKS.items():
        act_ok(sessions[username], live_server, centre.counter[number], "open")

    clerks = list(DESKS)
    barrier = threading.Barrier(len(clerks), timeout=30)
    empty: list[list[bool]] = [[False] * len(clerks) for _ in range(MAX_ROUNDS)]

    def work(index: int) -> tuple[list[Call], int]:
        username = clerks[index]
        http = sessions[username]
        counter_id = centre.counter[DESKS[username]]
        calls: list[Call] = []
        try:
            for round_ in range(MAX_ROUNDS):
                barrier.wait()  # everyone presses "next" at the same moment
                response = act(http, live_server, counter_id, "call-next")
                if response.status_code == 409 and response.json()["error"] == "queue_empty":
                    empty[round_][index] = True
                else:
                    assert response.status_code == 200, f"{username}: {response.text}"
                    result = response.json()["result"]
                    assert result["status"] == TicketStatus.CALLED
                    calls.append(Call(result["ticket_id"], result["number"], counter_id, username))
                    ticket_id = result["ticket_id"]
                    act_ok(http, live_server, counter_id, "start", ticket_id=ticket_id)
                    done = act_ok(http, live_server, counter_id, "finish", ticket_id=ticket_id)
                    assert done["status"] == TicketStatus.DONE
                barrier.wait()  # the round's results are all written
                if all(empty[round_]):
                    return calls, round_ + 1
        except BaseException:
            barrier.abort()  # release the other clerks at once instead of at the timeout
            raise
        return calls, MAX_ROUNDS

    began = time.monotonic()
    outcomes = run_all([partial(work, i) for i in range(len(clerks))], timeout=120)
    elapsed = time.monotonic() - began
    calls = [call for clerk_calls, _rounds in outcomes for call in clerk_calls]
    rounds = outcomes[0][1]
    assert rounds < MAX_ROUNDS, "the queues never emptied"

    ids = [call.ticket_id for call in calls]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, f"tickets called twice: {sorted(duplicates)}"
    assert len(calls) == len(set(ids)) == issued
    assert all(clerk_calls for clerk_calls, _rounds in outcomes), "a clerk had no work"

    tickets = {t.id: t for t in centre.tickets()}
    assert set(tickets) == set(ids)
    for call in calls:
        ticket = tickets[call.ticket_id]
        assert ticket.status == TicketStatus.DONE, call
        assert ticket.counter_id == call.counter_id, call
        assert ticket.clerk_id == centre.user[call.clerk], call
        assert ticket.number == call.number, call
    served = {username: sum(c.clerk == username for c in calls) for username in clerks}
    print(f"\n{issued} tickets served in {rounds} rounds, {elapsed:.2f}s: {served}")


# -- the board ----------------------------------------------------------------------------


@pytest.fixture
def board(live_server: LiveServer, creds: DemoCredentials) -> Iterator[Board]:
    watcher = Board(live_server, creds)
    yield watcher
    watcher.close()


def test_board_client_receives_a_call_within_a_second(
    live_server: LiveServer, creds: DemoCredentials, centre: Centre, board: Board
) -> None:
    board.connect()
    canbo1 = clerk(live_server, creds, "canbo1")
    counter_id = centre.counter[1]
    with http_session() as http:
        ticket = issue_ok(http, live_server, creds, centre.service["HT"])
    act_ok(canbo1, live_server, counter_id, "open")
    issued, _ = board.wait_for("ticket_issued")
    assert issued.message["ticket"]["number"] == ticket["number"]
    board.wait_for("counter_changed")
    before = board_snapshot(live_server, creds)

    sent = time.monotonic()
    result = act_ok(canbo1, live_server, counter_id, "call-next")
    called, seqs = board.wait_for("ticket_called")
    latency = called.at - sent

    assert result["ticket_id"] == ticket["ticket_id"]
    assert latency < 1.0, f"the board heard the call after {latency:.3f}s"
    assert seqs == [called.message["seq"]], "other changes came before the call"
    assert called.message["ticket"]["number"] == ticket["number"] == "A001"
    assert called.message["counter"]["number"] == 1
    assert called.message["seq"] > before["seq"]
    print(f"\nthe board heard the call {latency * 1000:.1f} ms after the clerk pressed")


def test_board_resyncs_after_a_forced_disconnect(
    live_server: LiveServer, creds: DemoCredentials, centre: Centre, board: Board
) -> None:
    desks = {"canbo1": 1, "canbo2": 2, "canbo5": 5}  # 1, 2 and 5 all serve HT
    staff = {username: clerk(live_server, creds, username) for username in desks}
    counter = {username: centre.counter[number] for username, number in desks.items()}
    kiosk = http_session()
    seen: list[int] = []

    def press(username: str, action: str, **body: Any) -> dict[str, Any]:
        return act_ok(staff[username], live_server, counter[username], action, **body)

    def ht() -> dict[str, Any]:
        return issue_ok(kiosk, live_server, creds, centre.service["HT"])

    # The server publishes after the request, in the background: before the board under
    # test connects, a board that stayed has heard the last call, so what the board hears
    # next can only be new.
    witness = Board(live_server, creds)

    def published(number: str) -> None:
        while witness.wait_for("ticket_called")[0].message["ticket"]["number"] != number:
            pass

    witness.connect()
    board.connect()
    first = board_snapshot(live_server, creds)
    seen.append(first["seq"])
    for username in desks:
        press(username, "open")
    a = ht()
    press("canbo1", "call-next")
    called, seqs = board.wait_for("ticket_called")
    seen.extend(seqs)
    assert called.message["ticket"]["number"] == a["number"]
    assert seqs == list(range(first["seq"] + 1, first["seq"] + 6)), "a change was lost"

    # 1. The board drops its connection; the hall carries on: B is issued and called to 2.
    board.close()
    assert board.disconnected.wait(5)
    b = ht()
    assert press("canbo2", "call-next")["ticket_id"] == b["ticket_id"]
    published(b["number"])
    board.connect()
    snapshot = board_snapshot(live_server, creds)
    assert snapshot["seq"] > max(seen)
    assert counter_on_board(snapshot, 1)["current"]["number"] == a["number"]
    assert counter_on_board(snapshot, 2)["current"]["number"] == b["number"]
    assert [e.message["seq"] for e in board.drain()] == [], "changes from before the connect"
    seen.append(snapshot["seq"])

    # 2. The server goes away under the board's feet and comes back on the same port.
    # Nobody is left waiting across the restart: after closing time (17:00 local) the
    # server expires today's waiting tickets when it starts, as it should.
    live_server.stop()
    assert board.disconnected.wait(10), "the board did not notice the server was gone"
    assert not board.client.connected
    live_server.start()
    witness.connect()
    # While the board is away: C and D are issued, counter 1 moves on from A to C.
    # The clerks' browser sessions survive the restart (the secret key is the same).
    kiosk.close()
    kiosk = http_session()
    c, d = ht(), ht()
    press("canbo1", "start", ticket_id=a["ticket_id"])
    press("canbo1", "finish", ticket_id=a["ticket_id"])
    assert press("canbo1", "call-next")["ticket_id"] == c["ticket_id"]
    published(c["number"])

    # The board reconnects and, like the page's script, fetches a snapshot first.
    board.connect()
    snapshot = board_snapshot(live_server, creds)
    assert snapshot["seq"] > max(seen)
    current = counter_on_board(snapshot, 1)["current"]
    assert current is not None
    assert (current["number"], current["status"]) == (c["number"], TicketStatus.CALLED)
    assert counter_on_board(snapshot, 2)["current"]["number"] == b["number"]
    assert counter_on_board(snapshot, 5)["current"] is None
    latest = snapshot["recent_calls"][0]
    assert (latest["number"], latest["counter_number"]) == (c["number"], 1)
    waiting_ht = next(s for s in snapshot["services"] if s["code"] == "HT")
    assert waiting_ht["waiting"] == 1  # D
    assert board.drain() == [], "changes made while the board was away were replayed"

    # Live events carry on right after the snapshot's seq: nothing in between is missed.
    assert press("canbo5", "call-next")["ticket_id"] == d["ticket_id"]
    called, seqs = board.wait_for("ticket_called")
    assert seqs == [snapshot["seq"] + 1]
    assert called.message["ticket"]["number"] == d["number"]
    assert called.message["counter"]["number"] == 5
    kiosk.close()
    witness.close()
