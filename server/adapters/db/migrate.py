"""Bringing a database up to date with the Alembic migrations in server/adapters/db/migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from server.adapters.db.engine import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


# Any constant shared by every XepHang process: the key of PostgreSQL's advisory lock.
MIGRATION_LOCK = 0x58_45_50_48  # "XEPH"


def upgrade(database_url: str) -> None:
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
