"""The kiosk print agent: `xephang-agent --server URL --printer URL` (token in
XEPHANG_DEVICE_TOKEN), or `xephang agent` where the whole server is installed.

The kiosk PC installs only this package (`pip install ./kiosk`: python-escpos and the
Socket.IO client, no Flask, no SQLAlchemy; .importlinter keeps kiosk/ free of the server).

It runs on the kiosk PC that a USB or serial printer hangs on, connects to the server over
Socket.IO (websocket transport) with the kiosk's device token, and then, for as long as it
runs: receives the `print` jobs of its kiosk (ready ESC/POS bytes: the server renders the
ticket), prints each, answers `printed` with how it went, and reports its printer's status
(`printer_status`) when it changes and every STATUS_SECONDS besides. It reconnects by itself
whenever the server or the network goes away, and starts even if the server is not up yet.

Jobs are never queued here: a ticket that could not print was shown on the kiosk's screen
instead, and printing it minutes later would only hand it to the wrong citizen.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Sequence
from typing import Any

import socketio

from kiosk.printer_url import BadPrinterUrl, PrinterUrl, parse_printer_url
from kiosk.printers import PrinterStatus, PrintResult, deliver, make_printer, probe, recovery

log = logging.getLogger(__name__)

STATUS_SECONDS = 15.0
DEFAULT_WIDTH = 576  # dots: 80 mm paper, when the server does not say


class PrintAgent:
    def __init__(
        self,
        server: str,
        token: str,
        printer: PrinterUrl,
        status_seconds: float = STATUS_SECONDS,
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.url = printer
        self.status_seconds = status_seconds
        self.status = PrinterStatus.UNKNOWN
        self.detail = ""
        # One job or status check at a time; the printer stays open between jobs (a USB
        # printer resets when it is opened).
        self._lock = threading.Lock()
        self._printer = make_printer(printer)
        # Whether this agent's last job on its printer ended well. Not known at start (the
        # agent before it may have been killed mid-job): the first job recovers the printer.
        self._last_job_whole = False
        self._stopped = threading.Event()
        self.client = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,  # for ever
            reconnection_delay=1,
            reconnection_delay_max=5,
        )
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", self._on_disconnect)
        self.client.on("connect_error", self._on_connect_error)
        self.client.on("print", self._on_print)

    def _auth(self) -> dict[str, Any]:
        # Called on every (re)connect: the server learns the printer's state at once.
        return {"printer": self.token, "status": self.status.value, "detail": self.detail}

    def _remember(self, result: PrintResult) -> bool:
        changed = (result.status, result.detail) != (self.status, self.detail)
        self.status, self.detail = result.status, result.detail
        return changed

    def check_printer(self) -> bool:
        """Ask the printer how it is; True if that changed."""
        with self._lock:
            result = probe(self.url, self._printer, keep_open=True)
            return self._remember(result)

    def print_job(self, data: bytes, width: int = DEFAULT_WIDTH) -> PrintResult:
        """Print a job of `width` dots; after a job that failed or was cut short (or first
        of all), bring the printer back to a known state before it: it may still wait for
        the rest of an image and would print this ticket as noise."""
        with self._lock:
            if not self._last_job_whole:
                data = recovery(self.url, width) + data
            result = deliver(self.url, data, printer=self._printer, keep_open=True)
            self._last_job_whole = result.ok
            self._remember(result)
        return result

    def _on_connect(self) -> None:
        log.info("connected to %s as the print agent (printer %s)", self.server, self.url)

    def _on_disconnect(self, *reason: Any) -> None:
        log.warning("lost the server (%s); reconnecting", reason[0] if reason else "?")

    def _on_connect_error(self, data: Any) -> None:
        log.warning("the server refused or could not be reached: %s", data)

    def _on_print(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("data"), bytes):
            log.warning("ignored a malformed print job")
            return
        job_id = message.get("job_id")
        width = message.get("width")
        result = self.print_job(
            message["data"], width if isinstance(width, int) and width > 0 else DEFAULT_WIDTH
        )
        log.info("job %s: %s (%s)", job_id, "printed" if result.ok else "failed", result.status)
        self._send(
            "printed",
            {
                "job_id": job_id,
                "ok": result.ok,
                "status": result.status.value,
                "detail": result.detail,
                "size": len(message["data"]) if result.ok else 0,
            },
        )

    def _send(self, event: str, message: dict[str, Any]) -> None:
        try:
            self.client.emit(event, message)
        except socketio.exceptions.BadNamespaceError:
            log.warning("not connected: %s not sent", event)

    def _watch_printer(self) -> None:
        while not self._stopped.wait(self.status_seconds):
            self.check_printer()
            if self.client.connected:
                # Sent even unchanged: it clears a fault the server set while it could not
                # hear from us.
                self._send("printer_status", {"status": self.status.value, "detail": self.detail})

    def run(self) -> None:
        """Connect and serve until stopped (Ctrl+C, or stop() from another thread)."""
        self.check_printer()
        log.info("printer %s: %s", self.url, self.status)
        watcher = threading.Thread(target=self._watch_printer, name="printer-status", daemon=True)
        watcher.start()
        self.client.connect(
            self.server, auth=self._auth, transports=["websocket"], wait_timeout=5, retry=True
        )
        self.client.wait()

    def stop(self) -> None:
        self._stopped.set()
        self.client.disconnect()


def _parser() -> argparse.ArgumentParser:
    # Each option may come from the environment instead (deploy/systemd/xephang-agent.service
    # reads them from /etc/xephang/agent.env): the token then stays out of the process list.
    parser = argparse.ArgumentParser(
        prog="xephang-agent",
        description="XepHang's kiosk print agent: prints its kiosk's tickets on a USB, "
        "serial or device-file printer.",
    )
    server = os.environ.get("XEPHANG_SERVER")
    token = os.environ.get("XEPHANG_DEVICE_TOKEN")
    printer = os.environ.get("XEPHANG_PRINTER")
    parser.add_argument(
        "--server",
        default=server,
        required=server is None,
        help="the XepHang server, e.g. http://192.168.1.10:8000 (or XEPHANG_SERVER)",
    )
    parser.add_argument(
        "--token",
        default=token,
        required=token is None,
        help="the kiosk's device token (better: XEPHANG_DEVICE_TOKEN, kept out of `ps`)",
    )
    parser.add_argument(
        "--printer",
        default=printer,
        required=printer is None,
        help="usb://VID:PID, serial:///dev/ttyUSB0, file:///dev/usb/lp0 (or XEPHANG_PRINTER)",
    )
    parser.add_argument(
        "--status-seconds",
        type=float,
        default=STATUS_SECONDS,
        help=f"how often the printer's status is checked and reported (default {STATUS_SECONDS:g})",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """The `xephang-agent` command: run the agent until Ctrl+C or SIGTERM."""
    parser = _parser()
    options = parser.parse_args(argv)
    try:
        printer = parse_printer_url(options.printer)
    except BadPrinterUrl as error:
        parser.error(f"{error.message_vi} / {error.message_en}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    agent = PrintAgent(options.server, options.token, printer, options.status_seconds)
    try:
        agent.run()
    except KeyboardInterrupt:
        agent.stop()


if __name__ == "__main__":
    main()
