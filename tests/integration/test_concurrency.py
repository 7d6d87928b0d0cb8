"""Atomicity at the database itself: many threads, each with its own connection to the same
SQLite file, issuing and calling at once. (The live server serialises requests on one
eventlet hub; here the transactions really overlap, as they do across processes.)"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select, update

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, Ticket
from server.domain.errors import CounterBusy, DomainError, QueueEmpty
from server.domain.roles import CounterState
from server.domain.tickets import TicketStatus
from server.services.counters import close_counter, open_counter
from server.services.tickets import call_next, issue_ticket, mark_no_show, start_serving
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


def test_two_screens_of_one_counter_calling_at_once_call_one_ticket(
    database: Database, centre: Centre, clock: FakeClock, uow: UnitOfWork
) -> None:
    # A double tap, or the same counter open in two tabs: never two citizens at one desk.
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    for _ in range(60):
        issue_ticket(uow, centre.site_id, centre.service["HT"])
    for _ in range(25):
        start = threading.Barrier(2)

        def tap(start: threading.Barrier = start) -> int | None:
            mine = UnitOfWork(database, Published(), clock)
            start.wait()
            try:
                return call_next(mine, counter, clerk).ticket_id
            except CounterBusy:
                return None

        with ThreadPoolExecutor(2) as pool:
            results = [r for r in pool.map(lambda _: tap(), range(2)) if r is not None]
        assert len(results) == 1
        mark_no_show(uow, counter, clerk)


def test_a_clerk_never_overwrites_a_change_committed_meanwhile(
    database: Database, centre: Centre, clock: FakeClock, uow: UnitOfWork
) -> None:
    # The citizen cancels from the phone while the clerk presses "start": whichever
    # commits second must see the first, never silently undo it.
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    issued = issue_ticket(uow, centre.site_id, centre.service["HT"])
    call_next(uow, counter, clerk)
    citizen = UnitOfWork(database, Published(), clock)
    outcome: list[object] = []
    with citizen:
        citizen.session.execute(
            select(Ticket).where(Ticket.id == issued.ticket_id).with_for_update()
        ).one()
        citizen.session.execute(
            update(Ticket)
            .where(Ticket.id == issued.ticket_id)
            .values(status=TicketStatus.CANCELLED)
        )

        def press_start() -> None:
            try:
                outcome.append(
                    start_serving(UnitOfWork(database, Published(), clock), counter, clerk)
                )
            except DomainError as error:
                outcome.append(error)

        clerk_thread = threading.Thread(target=press_start)
        clerk_thread.start()
        clerk_thread.join(0.5)  # the clerk's transaction must be waiting for ours
        assert outcome == []
        citizen.commit()
    clerk_thread.join(15)
    assert len(outcome) == 1 and isinstance(outcome[0], DomainError)
    assert centre.ticket(issued.ticket_id).status == TicketStatus.CANCELLED


def test_one_clerk_opening_two_counters_at_once_holds_one_open(
    database: Database, centre: Centre, clock: FakeClock, uow: UnitOfWork
) -> None:
    # Two tabs of one clerk, each opening its own counter at the same moment ("đổi quầy"
    # twice at once): the clerk's own row decides, so exactly one counter ends up open.
    clerk = centre.user["canbo1"]
    counters = [centre.counter[1], centre.counter[2]]
    for _ in range(20):
        start = threading.Barrier(2)

        def open_at(counter: int, start: threading.Barrier = start) -> None:
            mine = UnitOfWork(database, Published(), clock)
            start.wait()
            open_counter(mine, counter, clerk)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(open_at, counters))
        with database.reading() as session:
            held = session.scalars(
                select(Counter.id).where(
                    Counter.clerk_id == clerk, Counter.state == CounterState.OPEN
                )
            ).all()
        assert len(held) == 1
        for counter in counters:
            close_counter(uow, counter, clerk)
