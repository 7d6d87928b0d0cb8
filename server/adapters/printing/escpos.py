"""ESC/POS encoding through python-escpos: a ticket turned into the bytes a printer takes.

Image mode (the default) sends the ticket as raster bit images (GS v 0), which any ESC/POS
printer prints whatever code pages it has; blank stretches between the blocks of ink are
sent as paper feeds (ESC J) rather than white raster lines, which keeps a ticket small.
Text mode sends the words in the printer's Vietnamese code page (CP1258 with the tone marks
as combining characters, or TCVN-3), the number in the printer's own font magnified, and
only the QR code as an image.

Delivering the bytes to a printer is kiosk/printers.py's job (the kiosk PC's print agent
uses it too, without the server).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from escpos.constants import GS
from escpos.escpos import Escpos
from escpos.magicencode import Encoder, MagicEncode
from escpos.printer import Dummy
from PIL import Image

from kiosk.printer_url import BadPrinterUrl, PrinterUrl
from kiosk.printers import BAND_HEIGHT, CUT, INIT, band_height, profile_for, slow_link
from kiosk.printers import recovery as recovery  # the print agent's too, so it lives there
from server.adapters.printing.ticket_layout import (
    QR_MODULE_DOTS,
    QR_QUIET_DOTS,
    Block,
    TicketContent,
    blocks,
    qr_image,
    render_ticket,
)
from server.domain.printing import PrintMode

BAND_GAP = 3  # blank raster lines worth a paper-feed command instead of white raster data
MAX_FEED = 255  # ESC J n feeds at most 255 dots at a time
CHARACTER_DOTS = 12  # font A of ESC/POS printers: 12 x 24 dots

# Vietnamese tone marks: CP1258 has the base letters (ă, â, ê, ô, ơ, ư, đ) but puts the five
# tones after them as combining characters.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")


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


def native_qr(url: PrinterUrl, width: int) -> bool:
    """Whether the printer draws the QR code itself (GS ( k): 87 bytes instead of an image.
    Always in text mode, and in image mode on a slow link, where the profile has it."""
    return bool(_dummy(url, width).profile.supports("qrCode"))


def encode_ticket(
    content: TicketContent, url: PrinterUrl, width: int, mode: PrintMode = PrintMode.IMAGE
) -> bytes:
    """The ESC/POS bytes of one ticket, ending with a cut. On a slow link the QR code goes
    as the printer's own command, after the image."""
    if mode == PrintMode.TEXT:
        return encode_text(content, url, width)
    if slow_link(url) and native_qr(url, width):
        image = render_ticket(content, width, with_qr=False)
        return encode_image(image, url, qr_text=content.phone_url)
    return encode_image(render_ticket(content, width), url)


def encode_image(image: Image.Image, url: PrinterUrl, qr_text: str | None = None) -> bytes:
    """A rendered ticket as raster bands and paper feeds, then (if given) the QR code of
    `qr_text` drawn by the printer, then a cut."""
    printer = _dummy(url, image.width)
    printer._raw(INIT)
    for band in _bands(image.convert("1")):
        if band.rows:
            _raster(printer, band, band_height(url))
        else:
            _feed(printer, band.height)
    if qr_text is not None:
        _printer_qr(printer, qr_text)
    printer._raw(CUT)
    data: bytes = printer.output
    return data


def _printer_qr(printer: Escpos, text: str) -> None:
    """The QR code by the printer's own command, centred, with its quiet zone above and
    below (the centring leaves more than enough beside it)."""
    _feed(printer, QR_QUIET_DOTS)
    printer.set(align="center")
    printer.qr(text, native=True, size=QR_MODULE_DOTS)
    printer.set(align="left")
    _feed(printer, QR_QUIET_DOTS)


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


def _raster(printer: Escpos, band: _Band, height: int = BAND_HEIGHT) -> None:
    """GS v 0: one raster bit image (ink = 1), in blocks of at most `height` lines."""
    for top in range(0, band.height, height):
        rows = band.rows[top : top + height]
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
    printer._raw(INIT)
    printer.set(align="center")
    for block in blocks(content):
        _text_block(printer, block, content, url, columns, width)
    printer.set_with_default()
    printer._raw(CUT)
    data: bytes = printer.output
    return data


def printed_lines(text: str, columns: int, codepage: str) -> list[str]:
    """`text` broken at spaces into lines of at most `columns` characters as the printer
    prints them (in CP1258 a tone is one more character after its letter), converted for
    the code page. A word is never broken: one longer than a line stands alone."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and len(_for_codepage(candidate, codepage)) > columns:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [_for_codepage(line, codepage) for line in [*lines, current]]


def _text_block(
    printer: Escpos,
    block: Block,
    content: TicketContent,
    url: PrinterUrl,
    columns: int,
    width: int,
) -> None:
    def lines(text: str, per_line: int) -> None:
        for line in printed_lines(text, per_line, url.codepage):
            printer.textln(line)

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
        if native_qr(url, width):
            _printer_qr(printer, content.phone_url)
            printer.set(align="center")
            return
        # No QR command: the code as an image, centred by white margins in the image itself
        # (justification of raster images is not honoured by every printer).
        qr = qr_image(content.phone_url)
        row = Image.new("1", (width, qr.height + 2 * QR_QUIET_DOTS), 1)
        row.paste(qr, ((width - qr.width) // 2, QR_QUIET_DOTS))
        printer.image(row, impl="bitImageRaster", fragment_height=band_height(url))
    else:
        lines(block.text, columns)
