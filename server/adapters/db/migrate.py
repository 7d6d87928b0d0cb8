"""Bringing a database up to date with the Alembic migrations in server/adapters/db/migrations."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from server.adapters.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# Any constant shared by every XepHang process: the key of PostgreSQL's advisory lock.
MIGRATION_LOCK = 0x58_45_50_48  # "XEPH"


# Workers starting together on SQLite wait for the one migrating; a first migration of a
# large database (0006 rebuilds the statistics) takes longer than one busy timeout.
SQLITE_WAIT_SECONDS = 300.0


def upgrade(database_url: str) -> None:
    """Apply every migration not yet applied; on SQLite, keep waiting while another
    process holds the database to migrate it (see _upgrade)."""
    deadline = time.monotonic() + SQLITE_WAIT_SECONDS
    while True:
        try:
            _upgrade(database_url)
            return
        except OperationalError as error:
            locked = "database is locked" in str(error.orig)
            if not locked or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _upgrade(database_url: str) -> None:
    """Apply every migration not yet applied (a no-op on an up-to-date database).

    Processes that start together (several workers, or `init` beside `serve`) take turns:
    on PostgreSQL under an advisory lock, on SQLite inside a write transaction that begins
    IMMEDIATE (SQLite's DDL is transactional). Only the first migrates; the others then
    find the database up to date.
    """
    config = alembic_config(database_url)
    db = Database(database_url)
    postgres = db.dialect == "postgresql"
    try:
        with db.engine.execution_options(write=True).connect() as connection:
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
            else:
                # Alembic runs SQLite's migrations one transaction each (its DDL is not
                # "transactional" to Alembic), so a worker that waited would apply the
                # next step again after the first worker's; begun here, the whole upgrade
                # is one IMMEDIATE transaction, which Alembic joins.
                connection.begin()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            finally:
                if postgres:
                    connection.rollback()
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    connection.commit()
    finally:
        db.dispose()
