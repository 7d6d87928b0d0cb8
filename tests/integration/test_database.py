"""The embedded database: Alembic migrations that match the models, and SQLite set up for
concurrent writers (WAL, a busy timeout, write transactions that begin IMMEDIATE)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from server.db import Database
from server.migrate import upgrade
from server.models import Base, Ticket
from tests.conftest import MORNING, Centre


def test_migrations_build_exactly_the_schema_of_the_models(fresh_database_url: str) -> None:
    url = fresh_database_url
    upgrade(url)
    upgrade(url)  # a second run is a no-op
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.sqlite
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(database: Database) -> None:
    with database.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.sqlite
def test_a_write_transaction_takes_the_write_lock_when_it_begins(
    database: Database, database_url: str
) -> None:
    path = database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with database.write_session() as writer:
        writer.begin()
        writer.execute(text("SELECT 1"))  # no write yet, but the lock is already held
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        writer.rollback()
    other.execute("BEGIN IMMEDIATE")  # free again
    other.execute("ROLLBACK")
    # Readers begin DEFERRED and never take it.
    with database.reading() as reader:
        reader.execute(text("SELECT 1"))
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    other.close()


def a_ticket(centre: Centre, **overrides: object) -> Ticket:
    fields: dict[str, object] = {
        "site_id": centre.site_id,
        "service_id": centre.service["HT"],
        "day": date(2026, 11, 26),
        "sequence": 1,
        "number": "A001",
        "token": "t" * 22,
        "queued_at": MORNING,
        "issued_at": MORNING,
    }
    return Ticket(**{**fields, **overrides})


def test_the_database_refuses_two_tickets_with_one_number(
    database: Database, centre: Centre
) -> None:
    with database.write_session() as session, session.begin():
        session.add(a_ticket(centre))
    with pytest.raises(IntegrityError), database.write_session() as session, session.begin():
        session.add(a_ticket(centre, token="u" * 22))


def test_times_come_back_in_utc_whatever_was_stored(database: Database, centre: Centre) -> None:
    hanoi_nine = MORNING.astimezone(timezone(timedelta(hours=7)))
    with database.write_session() as session, session.begin():
        session.add(a_ticket(centre, queued_at=hanoi_nine, issued_at=hanoi_nine))
    [stored] = centre.tickets()
    assert stored.queued_at == MORNING and stored.queued_at.utcoffset() == timedelta(0)
    naive = a_ticket(centre, sequence=2, number="A002", queued_at=MORNING.replace(tzinfo=None))
    with pytest.raises(Exception, match="naive"), database.write_session() as session:
        session.add(naive)
        session.commit()
