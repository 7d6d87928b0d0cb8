"""Whose turn it is at a printer: whether a job starts by recovering the printer is decided
when it is delivered, from how the delivery before it on that printer went (a job queued
behind one that is then cut short still prints whole, on a network printer and on a print
agent's); and two workers never print to one network printer at once (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.agent import PrintAgent
from kiosk.printer_url import parse_printer_url
from server.adapters.db.engine import Database
from server.adapters.db.models import User
from server.adapters.printing import spooler
from server.adapters.printing.escpos import encode_ticket, recovery
from server.domain.roles import Role
from server.runtime import Runtime
from server.services.printing import PrintOrder, print_test_ticket
from server.services.unit_of_work import UnitOfWork
from tests.printing.conftest import SetPrinter, sample
from tests.printing.escpos_stream import parse
from tests.printing.fake_printers import FaultyPrinter
from tests.printing.test_kiosk_printing import job

HOME = "http://localhost/"


@pytest.fixture
def faulty() -> Iterator[list[FaultyPrinter]]:
    made: list[FaultyPrinter] = []
    yield made
    for printer in made:
        printer.close()


def admin_id(database: Database) -> int:
    with database.reading() as session:
        return session.scalars(select(User.id).where(User.role == Role.ADMIN)).first() or 0


def queue_test_print(database: Database, kiosk_id: int) -> PrintOrder:
    return print_test_ticket(UnitOfWork(database), admin_id(database), kiosk_id, HOME)


def rows_of(data: bytes) -> list[bytes]:
    return parse(data, 576).rows


def printed_tickets(printer: FaultyPrinter) -> list[list[bytes]]:
    return [ticket for ticket in printer.paper.tickets if ticket]


def test_a_job_queued_behind_one_then_cut_short_still_prints_whole(
    client: FlaskClient,
    database: Database,
    kiosk_id: int,
    give_printer: SetPrinter,
    faulty: list[FaultyPrinter],
) -> None:
    # Inside the first job's first raster band, after the status requests and the recovery
    # a printer never printed on gets.
    printer = FaultyPrinter(drop_after=6 + len(recovery(parse_printer_url("tcp://h"), 576)) + 3000)
    faulty.append(printer)
    give_printer(printer.url)
    rt: Runtime = client.application.extensions["xephang"]
    # At peak: the second job is queued while the first has not gone out yet.
    first = queue_test_print(database, kiosk_id)
    second = queue_test_print(database, kiosk_id)
    spooler._run(rt, first, spooler._Verdict())
    assert job(database, first.job_id).status == "failed"
    assert printer.paper.waiting_for_raster > 0, "the printer still expects the image"
    spooler._run(rt, second, spooler._Verdict())
    assert job(database, second.job_id).status == "printed"
    assert printer.paper.waiting_for_raster == 0
    url = parse_printer_url(printer.url)
    assert printed_tickets(printer)[-1] == rows_of(encode_ticket(second.content, url, 576))


def test_a_print_agent_recovers_its_printer_after_its_own_job_was_cut_short(
    faulty: list[FaultyPrinter],
) -> None:
    printer = FaultyPrinter()
    faulty.append(printer)
    url = parse_printer_url(printer.url)
    agent = PrintAgent("http://127.0.0.1:9", "token", url)
    tickets = [encode_ticket(sample(number=f"A00{n}"), url, 576) for n in (1, 2, 3)]
    assert agent.print_job(tickets[0], width=576).ok
    # The next job is cut 3 KB into its first image (after the 6 bytes of status requests).
    printer.drop_at = printer.received + 6 + 3000
    assert not agent.print_job(tickets[1], width=576).ok
    assert printer.paper.waiting_for_raster > 0, "the printer still expects the image"
    assert agent.print_job(tickets[2], width=576).ok
    assert printer.paper.waiting_for_raster == 0
    assert printed_tickets(printer)[-1] == rows_of(tickets[2])


@pytest.mark.postgres
def test_two_workers_never_print_to_one_printer_at_once(
    database: Database,
    database_url: str,
    kiosk_id: int,
    give_printer: SetPrinter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("several workers need PostgreSQL; SQLite has one process")
    # A printer that would take two jobs at once, slowly enough for them to overlap.
    printer = FaultyPrinter(rate=40_000, concurrent=True)
    try:
        give_printer(printer.url)
        # Two workers: their own database connections, and no lock in common in memory.
        monkeypatch.setattr(spooler, "_lock_for", lambda url: threading.Lock())
        workers = [Database(database_url) for _ in range(2)]
        orders = [queue_test_print(database, kiosk_id) for _ in workers]
        threads = [
            threading.Thread(
                target=spooler._run,
                args=(Runtime(None, db, lambda changes: None), order, spooler._Verdict()),  # type: ignore[arg-type]
            )
            for db, order in zip(workers, orders, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for db in workers:
            db.dispose()
        assert printer.most_open == 1, "two jobs went to the printer at the same time"
        assert [job(database, order.job_id).status for order in orders] == ["printed"] * 2
        url = parse_printer_url(printer.url)
        assert sorted(printed_tickets(printer)[-2:]) == sorted(
            rows_of(encode_ticket(order.content, url, 576)) for order in orders
        )
    finally:
        printer.close()
