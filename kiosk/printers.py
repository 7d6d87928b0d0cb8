"""Printers as devices, through python-escpos: ready ESC/POS bytes delivered to a printer
named by its URL (kiosk/printer_url.py), with its status asked first where it can answer.

Used by the server for network printers and by the kiosk PC's print agent for USB and
serial ones; it imports nothing of the server (the agent installs without it). Turning a
ticket into those bytes is server/adapters/printing/escpos.py's job.
"""

from __future__ import annotations

import array
import contextlib
import copy
import errno
import fcntl
import socket
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import IO, Any

from escpos.capabilities import CAPABILITIES, get_profile
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb

from kiosk.printer_url import BadPrinterUrl, PrinterUrl

CONNECT_TIMEOUT = 1.0  # a network printer on the office LAN answers in milliseconds
STATUS_TIMEOUT = 0.5  # a printer that has not answered its status by then never will
DRAIN_TIMEOUT = 10.0  # waiting for the printer to close its side after the job

# Real-time status requests (DLE EOT n) and the bits of their answers (Epson's ESC/POS).
PRINTER_STATUS = b"\x10\x04\x01"
PAPER_STATUS = b"\x10\x04\x04"
OFFLINE_BIT = 0x08
PAPER_NEAR_END_BITS = 0x0C
PAPER_END_BITS = 0x60


class PrinterStatus(StrEnum):
    """What a printer says of itself. The same values as the server's
    server.domain.printing.PrinterStatus (a test keeps them equal): they travel between the
    print agent and the server as these strings."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    ERROR = "error"

    @property
    def is_fault(self) -> bool:
        return self in (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE, PrinterStatus.ERROR)


@dataclass(frozen=True)
class PrintResult:
    """How delivering one job went, and what the printer said of itself."""

    ok: bool
    status: PrinterStatus
    detail: str = ""


# -- profiles -----------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _profile_data(name: str, width: int) -> dict[str, Any]:
    if name not in CAPABILITIES["profiles"]:
        raise BadPrinterUrl(
            f"Địa chỉ máy in không hợp lệ: không có hồ sơ máy in “{name}”.",
            f"Bad printer URL: there is no printer profile “{name}”.",
        )
    data: dict[str, Any] = copy.deepcopy(get_profile(name).profile_data)
    # python-escpos checks images against the paper width and complains when it is unknown.
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = width
    return data


def profile_for(url: PrinterUrl, width: int) -> Any:
    """The python-escpos profile named in the URL, told the configured paper width."""
    data = _profile_data(url.profile, width)
    profile = get_profile(url.profile)
    profile.profile_data = data
    return profile


# -- delivery -----------------------------------------------------------------------------


class _Network(Network):  # type: ignore[misc]
    """A network printer that closes gracefully. The end of a job may still sit in our
    socket's buffer while a slow printer prints; a plain close() followed by any byte from
    the printer (a late status answer) sends a reset, and a reset drops that end. So: send
    our end-of-job, read until the printer closes its side (it has then received
    everything), and only then close."""

    drain_timeout = DRAIN_TIMEOUT

    def close(self) -> None:
        sock: socket.socket | None = getattr(self, "_device", None)
        if not sock:
            return
        self._device = False
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(self.drain_timeout)
            while sock.recv(256):
                pass
        except OSError:
            pass
        finally:
            sock.close()


# Linux's printer ioctls (<linux/lp.h>), answered by the usblp and parport drivers.
LPABORT = 0x0604  # fail a write at once when out of paper, instead of blocking until refilled
LPGETSTATUS = 0x060B  # the port's status byte
LP_PERRORP, LP_PSELECD, LP_POUTPA = 0x08, 0x10, 0x20  # no error, on line, paper out


class _AppendingFile(File):  # type: ignore[misc]
    """A device-file printer opened for appending (python-escpos truncates): the same on a
    device, and a plain file used as a printer keeps every job. On a printer device, the
    driver is told to fail a write when the paper is out (by default it blocks until paper
    comes back, and would then print a ticket long abandoned), and is asked its status."""

    def open(self, raise_not_found: bool = True) -> None:
        if getattr(self, "_device", False):
            self.close()
        try:
            handle = open(self.devfile, "ab")  # noqa: SIM115 - closed by close()
        except OSError as error:
            self.device = None
            raise DeviceNotFoundError(f"Could not open {self.devfile}: {error}") from error
        self.device = handle
        with contextlib.suppress(OSError):  # not a printer device (a plain file): no matter
            fcntl.ioctl(handle.fileno(), LPABORT, 1)

    def device_status(self) -> PrinterStatus | None:
        handle: IO[bytes] | None = getattr(self, "_device", None) or None
        if handle is None:
            return None
        try:
            answer = array.array("i", [0])
            fcntl.ioctl(handle.fileno(), LPGETSTATUS, answer, True)
        except OSError:
            return None  # not a printer device
        status = answer[0]
        if status & LP_POUTPA:
            return PrinterStatus.PAPER_OUT
        if not status & LP_PSELECD:
            return PrinterStatus.OFFLINE
        if not status & LP_PERRORP:
            return PrinterStatus.ERROR
        return PrinterStatus.ONLINE


def make_printer(url: PrinterUrl, timeout: float = CONNECT_TIMEOUT) -> Escpos:
    """A python-escpos printer for the URL, not yet opened."""
    profile = url.profile
    if url.scheme == "tcp":
        printer = _Network(url.host, port=url.port, timeout=timeout, profile=profile)
        printer.drain_timeout = url.send_timeout
        return printer
    if url.scheme == "usb":
        return Usb(
            url.vendor_id,
            url.product_id,
            timeout=int(url.send_timeout * 1000),
            in_ep=url.in_ep,
            out_ep=url.out_ep,
            profile=profile,
        )
    if url.scheme == "serial":
        return Serial(url.path, baudrate=url.baudrate, timeout=STATUS_TIMEOUT, profile=profile)
    if url.scheme == "file":
        return _AppendingFile(url.path, profile=profile)
    return Dummy(profile=profile)


def _answer(printer: Escpos, request: bytes) -> int | None:
    """The one-byte answer to a real-time status request; None if the printer cannot say."""
    try:
        printer._raw(request)
        answer = printer._read()
    except (NotImplementedError, TimeoutError):
        return None
    except Exception:  # pyusb and pyserial raise their own errors for a silent printer
        return None
    return answer[0] if answer else None


def ask_status(printer: Escpos) -> PrinterStatus | None:
    """What the printer says of its paper and whether it is on line; None if it does not
    answer (many USB-serial and some network printers never do) or cannot (a device file
    is written, never read: its driver is asked instead)."""
    if isinstance(printer, _AppendingFile):
        return printer.device_status()
    if type(printer)._read is Escpos._read:
        return None
    paper = _answer(printer, PAPER_STATUS)
    if paper is None:
        return None
    if paper & PAPER_END_BITS == PAPER_END_BITS:
        return PrinterStatus.PAPER_OUT
    state = _answer(printer, PRINTER_STATUS)
    if state is not None and state & OFFLINE_BIT:
        return PrinterStatus.OFFLINE
    if paper & PAPER_NEAR_END_BITS == PAPER_NEAR_END_BITS:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.ONLINE


def _set_timeout(printer: Escpos, seconds: float) -> None:
    if isinstance(printer, Network) and printer._device:
        printer._device.settimeout(seconds)


def _describe(error: BaseException) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())


def _status_of(error: BaseException) -> PrinterStatus:
    # The Linux usblp driver answers a write with ENOSPC when the printer is out of paper,
    # and EIO when it is off line or faulty.
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return PrinterStatus.PAPER_OUT
    if isinstance(error, DeviceNotFoundError | ConnectionError | TimeoutError):
        return PrinterStatus.OFFLINE
    if isinstance(error, OSError) and error.errno in (errno.EIO, errno.ENODEV, errno.ENOENT):
        return PrinterStatus.OFFLINE
    return PrinterStatus.ERROR


def _ensure_open(printer: Escpos) -> None:
    # python-escpos reopens (and a USB printer resets) on every open(): only when closed.
    if not getattr(printer, "_device", False):
        printer.open()


def _close(printer: Escpos) -> None:
    with contextlib.suppress(Exception):  # closing a printer that failed to open can fail
        printer.close()


def deliver(
    url: PrinterUrl,
    data: bytes,
    on_accepted: Callable[[PrinterStatus], None] | None = None,
    printer: Escpos | None = None,
    keep_open: bool = False,
) -> PrintResult:
    """Open the printer (unless `printer` is open already), ask its status (unless the URL
    says not to), and if it can print, call `on_accepted` and send `data`. Every failure
    comes back as a PrintResult, never as an exception: a printer fault must not lose the
    ticket it was printing. `keep_open` leaves a working printer open for the next job
    (the print agent's USB and serial printers); a failed one is always closed."""
    printer = printer or make_printer(url)
    status = PrinterStatus.ONLINE
    ok = False
    try:
        _ensure_open(printer)
        if url.query_status:
            _set_timeout(printer, STATUS_TIMEOUT)
            status = ask_status(printer) or PrinterStatus.ONLINE
            if status.is_fault:
                return PrintResult(False, status, f"the printer reports {status}")
        if on_accepted is not None:
            on_accepted(status)
        _set_timeout(printer, url.send_timeout)
        printer._raw(data)
        ok = True
        return PrintResult(True, status)
    except Exception as error:  # every back-end raises its own kinds
        return PrintResult(False, _status_of(error), _describe(error))
    finally:
        if not (ok and keep_open):
            _close(printer)


def probe(url: PrinterUrl, printer: Escpos | None = None, keep_open: bool = False) -> PrintResult:
    """The printer's status without printing."""
    printer = printer or make_printer(url)
    ok = False
    try:
        _ensure_open(printer)
        _set_timeout(printer, STATUS_TIMEOUT)
        status = ask_status(printer) or PrinterStatus.ONLINE
        ok = not status.is_fault
        return PrintResult(ok, status, "" if ok else f"the printer reports {status}")
    except Exception as error:
        return PrintResult(False, _status_of(error), _describe(error))
    finally:
        if not (ok and keep_open):
            _close(printer)
