"""The managers' statistics from the command line: stats rebuild."""

from __future__ import annotations

import click

from server.cli.instance import open_database


@click.group()
def stats() -> None:
    """Managers' statistics: the roll-ups behind the reports."""


@stats.command("rebuild")
@click.option("--site", "site_code", help="Only this site (its code); default every site.")
def stats_rebuild(site_code: str | None) -> None:
    """Recompute the statistics roll-ups from the tickets and ratings (after an import,
    or to check them); the live upkeep keeps them right otherwise."""
    from server.domain.errors import NotFound
    from server.services import statistics
    from server.services.admin.sites import site_by_code
    from server.services.unit_of_work import UnitOfWork

    _, db = open_database()
    with UnitOfWork(db) as uow:
        site_ids = None
        if site_code:
            try:
                site_ids = [site_by_code(uow.session, site_code).id]
            except NotFound as error:
                raise click.ClickException(error.message_en) from error
        read = statistics.rebuild(uow.session, uow.dialect, site_ids)
        uow.commit()
    click.echo(f"Statistics rebuilt from {read} tickets.")
