"""The outbox's sender as its own process: `xephang notify run` (issue 15). A kill -9
loses nothing and sends nothing twice: see server/services/notifications/."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import click

from server.cli.instance import open_database


@click.group()
def notify() -> None:
    """Messages to citizens' phones (SMS, Zalo)."""


@notify.command("run")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
@click.option("--rounds", type=int, default=None, help="Stop after this many rounds.")
@click.option(
    "--lease",
    default=120.0,
    show_default=True,
    help="Seconds after which a message claimed by a dead sender is marked unknown.",
)
def notify_run(interval: float, rounds: int | None, lease: float) -> None:
    """Send the outbox's messages through XEPHANG_NOTIFY_CHANNEL until stopped."""
    from server.adapters.notify import channel_from_env
    from server.services.notifications import Sender

    channel = channel_from_env(os.environ)
    if channel is None:
        raise click.ClickException("XEPHANG_NOTIFY_CHANNEL is not set (smpp, zalo or gammu).")
    config, db = open_database()
    sender = Sender(db, channel, public_url=config.public_url or "", lease=timedelta(seconds=lease))
    click.echo(f"Sending notifications through {channel.name}.", err=True)
    try:
        sender.run(interval, time.sleep, rounds)
    finally:
        channel.close()
