"""Tools for a kiosk's printer that need no server nor database: print-sample (check a
printer and its URL while installing a kiosk) and agent (the kiosk print agent)."""

from __future__ import annotations

import logging
import sys

import click


@click.command("print-sample")
@click.option("--printer", "printer_url", default="dummy://", show_default=True)
@click.option("--width", type=int, default=576, show_default=True)
@click.option("--mode", type=click.Choice(["image", "text"]), default="image", show_default=True)
@click.option("--centre", default="Trung tâm Phục vụ hành chính công", show_default=True)
@click.option("--png", type=click.Path(dir_okay=False), help="Also save the ticket as a PNG.")
def print_sample(printer_url: str, width: int, mode: str, centre: str, png: str | None) -> None:
    """Print a sample ticket straight to a printer, without the server (to check a printer
    and its URL while installing a kiosk)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.printer_url import BadPrinterUrl, parse_printer_url
    from kiosk.printers import deliver
    from server.adapters.printing.escpos import encode_ticket
    from server.adapters.printing.ticket_layout import TicketContent, render_ticket
    from server.domain.printing import PrintMode
    from server.services.printing import TEST_CLOSING, TEST_NUMBER, TEST_SERVICE

    try:
        url = parse_printer_url(printer_url)
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    content = TicketContent(
        centre=centre,
        service=TEST_SERVICE,
        number=TEST_NUMBER,
        issued_at=datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")),  # Vietnam's time, not the PC's
        phone_url="https://dichvucong.gov.vn/",
        people_ahead=0,
        estimated_wait_minutes=0,
        closing_line=TEST_CLOSING,
    )
    if png:
        render_ticket(content, width).save(png)
    try:
        data = encode_ticket(content, url, width, PrintMode(mode))
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    result = deliver(url, data)
    click.echo(f"{url}: {'printed' if result.ok else 'FAILED'} ({result.status}) {result.detail}")
    if not result.ok:
        sys.exit(1)


@click.command()
@click.option("--server", required=True, help="The XepHang server, e.g. http://192.168.1.10:8000")
@click.option(
    "--token",
    envvar="XEPHANG_DEVICE_TOKEN",
    required=True,
    help="The kiosk's device token (or XEPHANG_DEVICE_TOKEN, kept out of the process list).",
)
@click.option("--printer", "printer_url", required=True, help="usb://VID:PID, serial://…, file://…")
@click.option(
    "--status-seconds",
    type=float,
    default=15.0,
    show_default=True,
    help="How often the printer's status is checked and reported.",
)
def agent(server: str, token: str, printer_url: str, status_seconds: float) -> None:
    """The kiosk print agent: prints its kiosk's tickets on a USB or serial printer."""
    from kiosk.agent import PrintAgent
    from kiosk.printer_url import BadPrinterUrl, parse_printer_url

    try:
        url = parse_printer_url(printer_url)
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print_agent = PrintAgent(server, token, url, status_seconds)
    try:
        print_agent.run()
    except KeyboardInterrupt:
        print_agent.stop()
