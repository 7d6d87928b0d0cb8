"""ESC/POS through python-escpos: a ticket turned into the bytes a printer takes, and those
bytes delivered to a printer named by its URL (kiosk/printer_url.py), with its status asked
first where it can answer.

Image mode (the default) sends the ticket as raster bit images (GS v 0), which any ESC/POS
printer prints whatever code pages it has; blank stretches between the blocks of ink are
sent as paper feeds (ESC J) rather than white raster lines, which keeps a ticket small.
Text mode sends the words in the printer's Vietnamese code page (CP1258 with the tone marks
as combining characters, or TCVN-3), the number in the printer's own font magnified, and
only the QR code as an image.
"""

from __future__ import annotations

import array
import contextlib
import copy
import errno
import fcntl
import socket
import textwrap
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from escpos.capabilities import CAPABILITIES, get_profile
from escpos.constants import GS
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.magicencode import Encoder, MagicEncode
from escpos.printer import Dummy, File, Network, Serial, Usb
from PIL import Image

from kiosk.printer_url import BadPrinterUrl, PrinterUrl
from kiosk.ticket_layout import Block, TicketContent, blocks, qr_image, render_ticket
from server.domain.printing import PrinterStatus, PrintMode

BAND_GAP = 3  # blank raster lines worth a paper-feed command instead of white raster data
MAX_FEED = 255  # ESC J n feeds at most 255 dots at a time
BAND_HEIGHT = 255  # raster blocks of at most this many lines: small printer buffers cope
CONNECT_TIMEOUT = 1.0  # a network printer on the office LAN answers in milliseconds
STATUS_TIMEOUT = 0.5  # a printer that has not answered its status by then never will
DRAIN_TIMEOUT = 10.0  # waiting for the printer to close its side after the job
CHARACTER_DOTS = 12  # font A of ESC/POS printers: 12 x 24 dots

# Real-time status requests (DLE EOT n) and the bits of their answers (Epson's ESC/POS).
PRINTER_STATUS = b"\x10\x04\x01"
PAPER_STATUS = b"\x10\x04\x04"
OFFLINE_BIT = 0x08
PAPER_NEAR_END_BITS = 0x0C
PAPER_END_BITS = 0x60

# Vietnamese tone marks: CP1258 has the base letters (ă, â, ê, ô, ơ, ư, đ) but puts the five
# tones after them as combining characters.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


@dataclass(frozen=True)
class PrintResult:
    """How delivering one job went, and what the printer said of itself."""

    ok: bool
    status: PrinterStatus
    detail: str = ""


# -- encoding -----------------------------------------------------------------------------


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


def _dummy(url: PrinterUrl, width: int) -> Dummy:
    printer = Dummy(profile=url.profile)
    printer.profile = profile_for(url, width)
    return printer


def check_printer_url(url: PrinterUrl, mode: PrintMode = PrintMode.IMAGE) -> None:
    """Raise BadPrinterUrl for what parsing alone cannot tell: an unknown profile, or for
    text mode a code page the profile does not have (and no table= number for it)."""
    profile = profile_for(url, 576)
    if mode == PrintMode.TEXT:
        _code_tables(url, profile)


def encode_ticket(
    content: TicketContent, url: PrinterUrl, width: int, mode: PrintMode = PrintMode.IMAGE
) -> bytes:
    """The ESC/POS bytes of one ticket, ending with a cut."""
    if mode == PrintMode.TEXT:
        return encode_text(content, url, width)
    return encode_image(render_ticket(content, width), url)


def encode_image(image: Image.Image, url: PrinterUrl) -> bytes:
    """A rendered ticket as raster bands and paper feeds, then a cut."""
    printer = _dummy(url, image.width)
    printer.hw("INIT")
    for band in _bands(image.convert("1")):
        if band.rows:
            _raster(printer, band)
        else:
            _feed(printer, band.height)
    # GS V 66: feed to the cutter and cut, so no blank paper is wasted before the cut.
    printer.cut(feed=False)
    data: bytes = printer.output
    return data


@dataclass(frozen=True)
class _Band:
    """A stretch of raster lines: packed rows (white = 1, as Pillow packs mode "1") cut
    after the last byte with ink; no rows for a blank stretch."""

    height: int
    width_bytes: int = 0
    rows: tuple[bytes, ...] = ()


def _bands(image: Image.Image) -> Iterator[_Band]:
    """The bands of ink and the blank stretches between them (white at the top and the
    bottom is the paper's own margin: not fed). A gap shorter than BAND_GAP lines stays
    inside its band. Each band is cut after its rightmost ink: GS v 0 prints a narrower
    image at the left edge on every printer, so white right of the text is never sent."""
    stride = (image.width + 7) // 8
    raw = image.tobytes()
    rows = [raw[i * stride : (i + 1) * stride] for i in range(image.height)]
    used = [len(row.rstrip(b"\xff")) for row in rows]  # bytes up to the last ink
    inked = [i for i, n in enumerate(used) if n]
    if not inked:
        return
    row, last = inked[0], inked[-1] + 1
    while row < last:
        start = row
        if not used[row]:
            while not used[row]:
                row += 1
            yield _Band(row - start)
            continue
        end = row
        while end < last:
            if used[end]:
                end += 1
                continue
            gap_end = end
            while not used[gap_end]:
                gap_end += 1
            if gap_end - end >= BAND_GAP:
                break
            end = gap_end
        yield _Band(end - start, max(used[start:end]), tuple(rows[start:end]))
        row = end


_INVERT = bytes(255 - value for value in range(256))


def _raster(printer: Escpos, band: _Band) -> None:
    """GS v 0: one raster bit image (ink = 1), in blocks of at most BAND_HEIGHT lines."""
    for top in range(0, band.height, BAND_HEIGHT):
        rows = band.rows[top : top + BAND_HEIGHT]
        data = b"".join(row[: band.width_bytes] for row in rows).translate(_INVERT)
        header = (
            GS
            + b"v0\x00"
            + printer._int_low_high(band.width_bytes, 2)
            + printer._int_low_high(len(rows), 2)
        )
        printer._raw(header + data)


def _feed(printer: Escpos, dots: int) -> None:
    while dots > 0:
        step = min(dots, MAX_FEED)
        printer._raw(b"\x1bJ" + bytes((step,)))  # ESC J n: feed n dots
        dots -= step


def _code_tables(url: PrinterUrl, profile: Any) -> dict[str, int]:
    """The ESC t numbers of the Vietnamese code page(s) of text mode on this printer."""
    known: dict[str, int] = {name: int(n) for name, n in profile.get_code_pages().items()}
    names = ["CP1258"] if url.codepage == "cp1258" else ["TCVN-3-1", "TCVN-3-2"]
    if url.table is not None:
        return {name: url.table + offset for offset, name in enumerate(names)}
    if not all(name in known for name in names):
        raise BadPrinterUrl(
            f"Hồ sơ máy in “{url.profile}” không có bảng mã {url.codepage}: "
            "hãy ghi số bảng mã của máy (table=…).",
            f"The printer profile “{url.profile}” has no {url.codepage} code page: "
            "give the printer's number for it (table=…).",
        )
    return {name: known[name] for name in names}


def split_tones(text: str) -> str:
    """Vietnamese as CP1258 writes it: each letter precomposed where CP1258 has it, otherwise
    its base letter (with any circumflex, breve or horn) followed by its tone mark."""
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in decomposed if c in TONE_MARKS)
            rest = "".join(c for c in decomposed if c not in TONE_MARKS)
            out.append(unicodedata.normalize("NFC", rest) + tones)
        else:
            out.append(char)
    return "".join(out)


TCVN3_PLAIN = str.maketrans({"Đ": "Ð", "–": "-", "…": "..."})


def _for_codepage(text: str, codepage: str) -> str:
    if codepage == "cp1258":
        return split_tones(text)
    # TCVN-3's capital D with stroke is the code point of the Icelandic eth in escpos' table,
    # and it has no typographic dashes or ellipsis.
    return unicodedata.normalize("NFC", text).translate(TCVN3_PLAIN)


def encode_text(content: TicketContent, url: PrinterUrl, width: int) -> bytes:
    """A ticket in the printer's own font and Vietnamese code page; only the QR code is an
    image. For printers that have CP1258 or TCVN-3 (check with a test print)."""
    printer = _dummy(url, width)
    printer.magic = MagicEncode(printer, encoder=Encoder(_code_tables(url, printer.profile)))
    columns = width // CHARACTER_DOTS
    printer.hw("INIT")
    printer.set(align="center")
    for block in blocks(content):
        _text_block(printer, block, content, url, columns, width)
    printer.set_with_default()
    printer.cut(feed=False)
    data: bytes = printer.output
    return data


def _text_block(
    printer: Escpos,
    block: Block,
    content: TicketContent,
    url: PrinterUrl,
    columns: int,
    width: int,
) -> None:
    def lines(text: str, per_line: int) -> None:
        for line in textwrap.wrap(text, per_line) or [""]:
            printer.textln(_for_codepage(line, url.codepage))

    if block.style == "number":
        size = max(1, min(6, int(width * 0.9) // (CHARACTER_DOTS * max(len(block.text), 1))))
        printer.set(custom_size=True, width=size, height=size, bold=True)
        printer.textln(block.text)
        printer.set(normal_textsize=True, bold=False)
    elif block.style in ("service", "closing"):
        printer.set(double_height=True, bold=True)
        lines(block.text, columns)
        printer.set(normal_textsize=True, bold=False)
    elif block.style == "priority":
        printer.set(bold=True, invert=True)
        lines(block.text, columns)
        printer.set(bold=False, invert=False)
    elif block.style == "small" and block.text.startswith("Quét"):
        lines(block.text, columns)
        # The QR code, centred by white margins in the image itself (justification of
        # raster images is not honoured by every printer).
        qr = qr_image(content.phone_url)
        row = Image.new("1", (width, qr.height), 1)
        row.paste(qr, ((width - qr.width) // 2, 0))
        printer.image(row, impl="bitImageRaster", fragment_height=BAND_HEIGHT)
    else:
        lines(block.text, columns)


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
