"""The centre's screens from the command line: create-device (a kiosk, a board or a
rating tablet, through the admin screens' use case), devices (the list), set-printer (a
kiosk's ticket printer)."""

from __future__ import annotations

import click
from sqlalchemy import select

from server.cli.instance import open_database


@click.command("create-device")
@click.option("--site", "site_code", required=True)
@click.option("--kind", type=click.Choice(["kiosk", "board", "rating"]), required=True)
@click.option("--name", required=True)
@click.option(
    "--counter",
    "counter_number",
    type=int,
    help="For a rating tablet: the number of the counter it stands at.",
)
def create_device(site_code: str, kind: str, name: str, counter_number: int | None) -> None:
    """Register a kiosk, a board or a counter's rating tablet and print its token (shown
    only this once)."""
    from server.domain.errors import DomainError
    from server.domain.roles import DeviceKind
    from server.services.admin.common import COMMAND_LINE
    from server.services.admin.counters import counter_ids
    from server.services.admin.sites import site_by_code
    from server.services.devices import DeviceSettings, pair_device
    from server.services.devices import create_device as register_device
    from server.services.unit_of_work import UnitOfWork

    if (kind == DeviceKind.RATING) != (counter_number is not None):
        raise click.UsageError("--counter is needed for a rating tablet, and only for one")
    _, db = open_database()
    try:
        with db.reading() as session:
            site = site_by_code(session, site_code)
            site_id = site.id
            numbers = () if counter_number is None else (counter_number,)
            counter_id = next(iter(counter_ids(session, site, numbers)), None)
        settings = DeviceSettings(name=name, counter_id=counter_id)
        # Registered as on the admin screen, then paired at once with its one-time code:
        # the token is printed here instead of being typed on the device.
        code = register_device(UnitOfWork(db), COMMAND_LINE, site_id, DeviceKind(kind), settings)
        paired = pair_device(UnitOfWork(db), code.code)
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    click.echo(paired.token)


@click.command()
def devices() -> None:
    """List the registered devices, with each kiosk's printer and its status, and each
    rating tablet's counter."""
    from server.adapters.db.models import Counter, Device, Site

    _, db = open_database()
    with db.reading() as session:
        rows = session.execute(
            select(Device, Site.code, Counter.number)
            .join(Site, Site.id == Device.site_id)
            .outerjoin(Counter, Counter.id == Device.counter_id)
            .order_by(Device.id)
        ).all()
        for device, site_code, counter_number in rows:
            line = f"{device.id:>4}  {site_code:<12} {device.kind:<7} {device.name}"
            if counter_number is not None:
                line += f"  [counter {counter_number}]"
            if device.printer_url:
                line += (
                    f"  [{device.printer_url} {device.printer_mode} {device.printer_width}:"
                    f" {device.printer_status}]"
                )
            click.echo(line)
    db.dispose()


@click.command("set-printer")
@click.option("--device-id", type=int, required=True, help="The kiosk (see `xephang devices`).")
@click.option(
    "--printer",
    "printer_url",
    required=True,
    help="tcp://HOST:9100, usb://VID:PID, serial:///dev/ttyUSB0?baudrate=9600, "
    "file:///dev/usb/lp0, dummy://, or '' for none.",
)
@click.option("--width", type=int, help="Dots per line: 576 for 80 mm paper, 384 for 58 mm.")
@click.option("--mode", type=click.Choice(["image", "text"]), help="image (default) or text.")
def set_printer(device_id: int, printer_url: str, width: int | None, mode: str | None) -> None:
    """Give a kiosk its ticket printer."""
    from server.domain.errors import DomainError
    from server.domain.printing import PrintMode
    from server.services.printing import set_printer as set_kiosk_printer
    from server.services.unit_of_work import UnitOfWork

    _, db = open_database()
    try:
        settings = set_kiosk_printer(
            UnitOfWork(db), device_id, printer_url, width, PrintMode(mode) if mode else None
        )
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    printer = settings.printer_url or "no printer"
    click.echo(f"{settings.name}: {printer} ({settings.mode}, {settings.width} dots)")
    for warning in settings.warnings:  # e.g. a width the printer's profile disagrees with
        click.echo(f"Warning: {warning}", err=True)
