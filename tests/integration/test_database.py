"""The embedded database: Alembic migrations that match the models, and SQLite set up for
concurrent writers (WAL, a busy timeout, write transactions that begin IMMEDIATE)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import IntegrityError

from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import Base, Ticket
from server.config import _secret_key
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


def test_workers_starting_together_migrate_once_without_tripping_over_each_other(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "XEPHANG_DATABASE_URL": fresh_database_url,
        "XEPHANG_INSTANCE": str(tmp_path),
    }
    xephang = Path(sys.executable).with_name("xephang")
    workers = [
        subprocess.Popen(
            [str(xephang), "init"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=60)[0].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    engine = create_engine(fresh_database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert diff == [] and len(versions) == 1


@pytest.mark.sqlite  # PostgreSQL's workers take turns under an advisory lock held throughout
def test_an_upgrade_commits_once_so_a_waiting_worker_finds_it_whole(
    fresh_database_url: str,
) -> None:
    """Another worker waits for the upgrade's lock; if the upgrade committed after each
    step, the waiting worker would slip in between and apply a step a second time
    ("duplicate column name", seen with four workers starting together on SQLite)."""
    commits: list[str] = []

    def count(connection: object) -> None:
        commits.append(str(getattr(connection, "engine", "")))

    event.listen(Engine, "commit", count)
    try:
        upgrade(fresh_database_url)
    finally:
        event.remove(Engine, "commit", count)
    assert len(commits) == 1


def test_workers_starting_together_share_one_generated_secret_key(tmp_path: Path) -> None:
    start = threading.Barrier(8)

    def worker() -> str:
        start.wait()
        return _secret_key(tmp_path)

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: worker(), range(8)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]
