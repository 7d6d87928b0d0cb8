"""The instance's database, as every command that uses it opens it: migrated first."""

from __future__ import annotations

import click
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.config import Config


def open_database() -> tuple[Config, Database]:
    """The configuration and its database, brought up to date with the migrations."""
    config = Config.from_env()
    try:
        upgrade(config.database_url)
    except OperationalError as error:
        # A read-only file or folder, a full disk, a server that refuses us: say so, with
        # the database's own words, instead of a traceback.
        shown = make_url(config.database_url).render_as_string(hide_password=True)
        raise click.ClickException(
            f"Không ghi được vào cơ sở dữ liệu / the database cannot be written: {shown}\n"
            f"  {error.orig}"
        ) from None
    return config, Database(config.database_url)
