"""Accounts from the command line: create-user and create-api-token. Both go through the
use cases of the admin screens (the same checks, audit entry and change event), as the
command line's actor (server.services.admin.common.COMMAND_LINE)."""

from __future__ import annotations

import sys

import click

from server.cli.instance import open_database


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["admin", "manager", "clerk"]), default="clerk", show_default=True
)
@click.option("--name", "full_name", default="", help="Full name shown on screens.")
@click.option(
    "--site", "site_code", help="Site code: for a clerk's --counter, or the site a manager runs."
)
@click.option(
    "--counter",
    "counter_numbers",
    type=int,
    multiple=True,
    help="A counter number the clerk works at (repeatable).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    username: str,
    role: str,
    full_name: str,
    site_code: str | None,
    counter_numbers: tuple[int, ...],
    password_stdin: bool,
) -> None:
    """Create a staff account."""
    from server.domain.errors import DomainError
    from server.domain.roles import Role
    from server.services.admin.accounts import UserSettings
    from server.services.admin.accounts import create_user as create_account
    from server.services.admin.common import COMMAND_LINE
    from server.services.admin.counters import counter_ids
    from server.services.admin.sites import site_by_code
    from server.services.unit_of_work import UnitOfWork

    if counter_numbers and not site_code:
        raise click.UsageError("--counter needs --site with an existing site code")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _, db = open_database()
    try:
        site_ids: tuple[int, ...] = ()
        counters: tuple[int, ...] = ()
        if site_code:
            with db.reading() as session:
                site = site_by_code(session, site_code)
                site_ids = (site.id,)
                counters = counter_ids(session, site, counter_numbers)
        settings = UserSettings(
            username=username,
            full_name=full_name or username,
            role=Role(role),
            counter_ids=counters,
            site_ids=site_ids,
        )
        create_account(UnitOfWork(db), COMMAND_LINE, settings, password)
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    click.echo(f"Created {role} {username}.")


@click.command("create-api-token")
@click.option("--name", required=True, help='The integration, e.g. "Cổng dịch vụ công tỉnh".')
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["queue:read", "tickets:issue", "statistics:read"]),
    help="What the token may do (repeatable).",
)
@click.option("--site", "site_code", help="The one site it may act on (its code); default all.")
def create_api_token(name: str, scopes: tuple[str, ...], site_code: str | None) -> None:
    """Create an integration API token and print it (shown only this once; only its hash
    is stored). Revoke it at /admin/api-tokens."""
    from server.domain.errors import DomainError
    from server.services import api_tokens
    from server.services.admin.common import COMMAND_LINE
    from server.services.admin.sites import site_by_code
    from server.services.unit_of_work import UnitOfWork

    _, db = open_database()
    try:
        site_id = None
        if site_code:
            with db.reading() as session:
                site_id = site_by_code(session, site_code).id
        created = api_tokens.create(UnitOfWork(db), name, scopes, site_id, COMMAND_LINE)
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    click.echo(created.token)
