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
import time
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
DRAIN_TIMEOUT = 1.0  # after a confirmed job: waiting for the printer to close its side
# A job is confirmed by the printer's answer to a status request sent after it; the answer
# comes once the printer has taken every byte before it. It must come within the time the
# link needs to carry the job, plus this margin.
CONFIRM_MARGIN = 2.0
# What a slow thermal printer takes of raster data when its link is faster than its head
# (USB, network): about 60 mm of an 80 mm ticket a second.
PRINT_BYTES_PER_SECOND = 8000
BITS_PER_SERIAL_BYTE = 10  # a start bit, 8 data bits, a stop bit
# Below this a link is slow (a serial line under 40,000 baud): an 80 mm ticket would take
# 6 s or more, so the QR code goes as the printer's own command, not as an image.
SLOW_BYTES_PER_SECOND = 4000
BAND_HEIGHT = 255  # raster blocks of at most this many lines: small printer buffers cope
SLOW_BAND_HEIGHT = 24  # on a slow link: a printer left mid-image needs little to recover
INIT = b"\x1b@"
CUT_FEED_DOTS = 24  # GS V 66 n: feed n dots past the cutter (3 mm) then cut
CUT = b"\x1dVB" + bytes((CUT_FEED_DOTS,))

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


def profile_width(url: PrinterUrl) -> int | None:
    """The paper width in dots that python-escpos's profile gives the URL's printer (Epson
    TM-T88V: 512), or None if the profile does not say."""
    _profile_data(url.profile, 0)  # an unknown profile is a bad URL
    pixels = get_profile(url.profile).profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


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


def link_bytes_per_second(url: PrinterUrl) -> float:
    """How fast the printer takes a job: its baud rate on a serial line, otherwise its own
    printing speed."""
    if url.scheme == "serial":
        return url.baudrate / BITS_PER_SERIAL_BYTE
    return PRINT_BYTES_PER_SECOND


def slow_link(url: PrinterUrl) -> bool:
    return link_bytes_per_second(url) < SLOW_BYTES_PER_SECOND


def band_height(url: PrinterUrl) -> int:
    """The most lines of a raster block sent to this printer (the server's encoding)."""
    return SLOW_BAND_HEIGHT if slow_link(url) else BAND_HEIGHT


def recovery(url: PrinterUrl, width: int) -> bytes:
    """What brings a printer back to a known state whatever it was doing: a printer left in
    the middle of a raster image (its job cut short) waits for the rest of the image and
    would print the next job's bytes as noise. Zeros complete the largest image block this
    printer is ever sent (white dots; outside an image a zero is NUL, which ESC/POS printers
    ignore, and as a command's missing parameters it asks for nothing), then ESC @ resets,
    and a cut parts the broken piece from the next ticket. Sent before a job whenever the
    delivery before it on the printer did not end well, or is not known (the server's
    spooler for network printers, the print agent for its own)."""
    return bytes(width // 8 * band_height(url)) + INIT + CUT


def job_deadline(url: PrinterUrl, size: int) -> float:
    """Seconds allowed for a job of `size` bytes, from its first byte to the printer's
    confirmation: the link's time for it plus a margin, or the URL's `timeout=`."""
    if url.send_timeout is not None:
        return url.send_timeout
    return CONFIRM_MARGIN + size / link_bytes_per_second(url)


def make_printer(url: PrinterUrl, timeout: float = CONNECT_TIMEOUT) -> Escpos:
    """A python-escpos printer for the URL, not yet opened."""
    profile = url.profile
    if url.scheme == "tcp":
        return _Network(url.host, port=url.port, timeout=timeout, profile=profile)
    if url.scheme == "usb":
        return Usb(
            url.vendor_id,
            url.product_id,
            timeout=int(job_deadline(url, 0) * 1000),
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
    seconds = max(seconds, 0.05)
    if isinstance(printer, Network) and printer._device:
        printer._device.settimeout(seconds)
    elif isinstance(printer, Serial) and printer._device:
        printer._device.timeout = seconds
        printer._device.write_timeout = seconds
    elif isinstance(printer, Usb):
        printer.timeout = int(seconds * 1000)  # per write and read, in milliseconds


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
    says not to), and if it can print, call `on_accepted`, send `data`, and wait for the
    printer to confirm it: a job is printed only when the printer took every byte and then
    answered a status request, within job_deadline(). A printer that stops reading, or
    never answers, has failed the job. (With `status=no` nothing can be asked: a job is
    then printed once its bytes are sent.) Every failure comes back as a PrintResult, never
    as an exception: a printer fault must not lose the ticket it was printing. `keep_open`
    leaves a working printer open for the next job (the print agent's USB and serial
    printers); a failed one is always closed."""
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
        deadline = time.monotonic() + job_deadline(url, len(data))
        _set_timeout(printer, deadline - time.monotonic())
        printer._raw(data)
        if url.query_status and url.scheme != "dummy":
            _set_timeout(printer, deadline - time.monotonic())
            confirmed = _confirmation(printer)
            if confirmed is None:
                seconds = job_deadline(url, len(data))
                return PrintResult(
                    False,
                    PrinterStatus.ERROR,
                    f"the printer did not confirm the job within {seconds:.0f} s",
                )
            status = confirmed
            if status.is_fault:
                return PrintResult(False, status, f"the printer reports {status} after the job")
        ok = True
        return PrintResult(True, status)
    except Exception as error:  # every back-end raises its own kinds
        return PrintResult(False, _status_of(error), _describe(error))
    finally:
        if isinstance(printer, _Network) and not ok:
            printer.drain_timeout = 0.0  # nothing to wait for from a failed printer
        if not (ok and keep_open):
            _close(printer)


def _confirmation(printer: Escpos) -> PrinterStatus | None:
    """The printer's status asked after a job; None if it did not answer. A device file
    is asked through its driver once the driver took the job (a plain file used as a
    printer cannot answer: it took the bytes, that is all it can do)."""
    if isinstance(printer, _AppendingFile):
        handle = getattr(printer, "_device", None)
        if handle:
            handle.flush()
        return printer.device_status() or PrinterStatus.ONLINE
    return ask_status(printer)


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
