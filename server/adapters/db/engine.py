"""Engines and sessions.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every write
transaction begins IMMEDIATE: it takes the write lock up front, so two writers queue up
instead of one failing half-way with "database is locked". Reads begin DEFERRED and never
wait for writers. PostgreSQL needs none of this: row locks do the same job there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite would
        # otherwise begin lazily, and always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """One engine per process, with a session factory for reads and one for writes."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(
            url,
            echo=echo,
            pool_pre_ping=not url.startswith("sqlite"),
            # Errors and logs never carry bound values: password and token hashes, names.
            hide_parameters=True,
        )
        if self.engine.dialect.name == "sqlite":
            _configure_sqlite(self.engine)
        if self.engine.dialect.name == "postgresql":
            self._warm_up_adapters()
        write_engine = self.engine.execution_options(write=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(write_engine, expire_on_commit=False)

    def _warm_up_adapters(self) -> None:
        # psycopg builds its type adapters on first use, and threads making their first
        # queries at once can race there ("cannot adapt type 'date'", psycopg issue 1230):
        # use each type once, before any thread does.
        with self.engine.connect() as connection:
            connection.execute(
                text("SELECT CAST(:day AS date), CAST(:moment AS timestamp), :number, :word"),
                {"day": date(2026, 1, 1), "moment": datetime(2026, 1, 1), "number": 1, "word": "x"},
            )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def write_session(self) -> Session:
        return self._writer()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A short read-only session; whatever it began is rolled back at the end."""
        with self._reader() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
