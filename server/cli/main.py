"""The `xephang` command, one module per area:
- serving.py: init, serve, demo, expire;
- accounts.py: create-user, create-api-token;
- devices.py: create-device, devices, set-printer;
- printing.py: print-sample and agent (the kiosk print agent), which need no database;
- statistics.py: stats rebuild;
- voice.py: voice build (the board's voice clips).

Synthetic history for demos and benchmarks is a development tool, not a command of the
server: `.venv/bin/python -m bench.history` (bench/history.py).
"""

from __future__ import annotations

import click

from server.cli import accounts, devices, notify, printing, serving, statistics, voice


@click.group()
def cli() -> None:
    """XepHang: queue tickets for public administration service centres."""


for command in (
    serving.init,
    serving.serve,
    serving.demo,
    accounts.create_user,
    devices.create_device,
    accounts.create_api_token,
    serving.expire,
    statistics.stats,
    voice.voice,
    devices.devices,
    devices.set_printer,
    printing.print_sample,
    printing.agent,
    notify.notify,
):
    cli.add_command(command)
