"""Atomicity at the database itself: many threads, each with its own connection to the same
SQLite file, issuing and calling at once. (The live server serialises requests on one
eventlet hub; here the transactions really overlap, as they do across processes.)"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

from server.db import Database
from server.domain.errors import QueueEmpty
from server.domain.tickets import TicketStatus
from server.services.counters import open_counter
from server.services.tickets import call_next, issue_ticket, mark_no_show
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock, Published


def test_threads_issuing_at_once_never_share_or_skip_a_number(
    database: Database, centre: Centre, clock: FakeClock
) -> None:
    codes = ["HT", "CT", "DD", "LD"]
    start = threading.Barrier(16)

    def kiosk(index: int) -> list[str]:
        uow = UnitOfWork(database, Published(), clock)
        start.wait()
        service = centre.service[codes[index % len(codes)]]
        return [issue_ticket(uow, centre.site_id, service).number for _ in range(25)]

    with ThreadPoolExecutor(16) as pool:
        numbers = [n for batch in pool.map(kiosk, range(16)) for n in batch]
    assert len(numbers) == 400 == len(set(numbers))
    for prefix in "ABCD":
        mine = sorted(n for n in numbers if n.startswith(prefix))
        assert mine == [f"{prefix}{i:03d}" for i in range(1, 101)]


def test_clerks_calling_at_once_never_get_the_same_ticket(
    database: Database, centre: Centre, clock: FakeClock, uow: UnitOfWork
) -> None:
    # Counters 1, 2 and 5 all serve civil status (HT); 2 and 3 serve certification (CT).
    pairs = [(1, "canbo1"), (2, "canbo2"), (3, "canbo3"), (5, "canbo5")]
    for number, clerk in pairs:
        open_counter(uow, centre.counter[number], centre.user[clerk])
    for _ in range(60):
        issue_ticket(uow, centre.site_id, centre.service["HT"])
        issue_ticket(uow, centre.site_id, centre.service["CT"])
    start = threading.Barrier(len(pairs))

    def clerk_at(pair: tuple[int, str]) -> list[int]:
        counter, user = centre.counter[pair[0]], centre.user[pair[1]]
        mine = UnitOfWork(database, Published(), clock)
        called = []
        start.wait()
        while True:
            try:
                called.append(call_next(mine, counter, user).ticket_id)
            except QueueEmpty:
                return called
            mark_no_show(mine, counter, user)

    with ThreadPoolExecutor(len(pairs)) as pool:
        calls = [t for batch in pool.map(clerk_at, pairs) for t in batch]
    assert len(calls) == 120
    assert [t for t, n in Tally(calls).items() if n > 1] == []
    assert {t.status for t in centre.tickets()} == {TicketStatus.NO_SHOW}
