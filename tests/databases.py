"""The database the tests run on: a SQLite file by default, or PostgreSQL when
XEPHANG_TEST_DATABASE_URL names a server (an account that may create databases).

Either way the demo centre is built once per run into a template, and each test gets a
copy of its own: a copied file for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL

TEST_DATABASE_URL = os.environ.get("XEPHANG_TEST_DATABASE_URL", "")


class SQLiteFiles:
    dialect = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def new(self, name: str) -> str:
        return f"sqlite:///{self.folder / (name + '.db')}"

    def seal(self, url: str) -> None:
        """Fold the WAL into the file, so that a plain copy is the whole database."""
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def copy(self, template_url: str, folder: Path) -> str:
        path = folder / "xephang.db"
        shutil.copyfile(make_url(template_url).database or "", path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Files go with the test's temporary folder."""


class PostgresDatabases:
    dialect = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self.admin: URL = make_url(admin_url)
        self.engine = create_engine(
            self.admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        with self.engine.connect():
            pass  # fail now, clearly, if the server is not there
        self.prefix = f"xephang_test_{uuid.uuid4().hex[:8]}"

    def _execute(self, sql: str) -> None:
        with self.engine.connect() as connection:
            connection.execute(text(sql))

    def new(self, name: str) -> str:
        database = f"{self.prefix}_{name}"
        self._execute(f'CREATE DATABASE "{database}"')
        return self.admin.set(database=database).render_as_string(hide_password=False)

    def seal(self, url: str) -> None:
        """Nothing to do: a template only needs to have no open connection."""

    def copy(self, template_url: str, folder: Path) -> str:
        template = make_url(template_url).database
        database = f"{self.prefix}_{uuid.uuid4().hex[:10]}"
        self._execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        return self.admin.set(database=database).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            names = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                {"p": f"{self.prefix}%"},
            ).scalars()
            for name in list(names):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


Databases = SQLiteFiles | PostgresDatabases


def databases(folder: Path) -> Databases:
    if TEST_DATABASE_URL:
        return PostgresDatabases(TEST_DATABASE_URL)
    return SQLiteFiles(folder)
