"""The paper ticket: one layout, rendered with Pillow as a 1-bit raster image at the
printer's width, so Vietnamese prints on any ESC/POS printer whatever code pages it has.

A ticket carries no personal data, ever (Decree 356/2025 forbids names and phone numbers on
it): the centre, the service, the number, the priority category if one was declared, the
queue as it was, the time, and a QR code to the ticket's phone page.

The font is DejaVu Sans, installed by npm (`dejavu-fonts-ttf` in package.json) into
node_modules; XEPHANG_TICKET_FONT and XEPHANG_TICKET_FONT_BOLD name other TTF files.
The wait's words are in ticket_wait.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

import segno
from PIL import Image, ImageDraw, ImageFont

from server.adapters.printing.ticket_wait import (
    WAIT_WORDS,
    TicketWait,
    wait_words,
    warning_words,
)
from server.domain.printing import WIDTH_80MM

PROJECT_ROOT = Path(__file__).resolve().parents[3]
FONT_PACKAGE = Path("dejavu-fonts-ttf") / "ttf"
REGULAR_FONT = "DejaVuSans.ttf"
BOLD_FONT = "DejaVuSans-Bold.ttf"

CLOSING_LINE = "Vui lòng chờ gọi số"
QR_CAPTION = "Quét mã QR để theo dõi lượt trên điện thoại"
NUMBER_LABEL = "SỐ THỨ TỰ"
MAX_LINES = 3  # per paragraph; a longer name is cut with an ellipsis
CANVAS_HEIGHT = 2000  # drawn on a tall sheet, then cut to what was used
QR_MODULE_DOTS = 4  # 0.5 mm modules at 203 dpi: phones read them at arm's length
QR_QUIET_DOTS = 4 * QR_MODULE_DOTS  # the standard quiet zone around a QR code: 4 modules
DOTS_PER_INCH = 203
MIN_TEXT_DOTS = 23  # 8 points at 203 dpi: the smallest text (and figures) on any ticket
MIN_TEXT_COLUMN = 300  # dots left for the queue details beside the QR code, or it goes under


class FontMissing(RuntimeError):
    """The ticket font is not installed (run `npm ci`, or set XEPHANG_TICKET_FONT)."""


@dataclass(frozen=True)
class TicketContent:
    """Everything printed on a ticket. `issued_at` is already in the centre's local time."""

    centre: str
    service: str
    number: str
    issued_at: datetime
    phone_url: str
    people_ahead: int
    estimated_wait_minutes: int
    priority: str | None = None  # the declared category, e.g. "Người cao tuổi"
    closing_line: str = CLOSING_LINE
    wait: TicketWait | None = None  # the range quoted at issue; without it, the estimate


Style = Literal[
    "centre", "service", "label", "number", "priority", "info", "warning", "small", "closing"
]


@dataclass(frozen=True)
class Block:
    """One paragraph of the ticket, in printing order; the QR code follows the info blocks."""

    style: Style
    text: str


def blocks(content: TicketContent) -> list[Block]:
    """The ticket's text, top to bottom: shared by the image and the text mode."""
    found: list[Block] = [
        Block("centre", content.centre),
        Block("service", content.service),
        Block("label", NUMBER_LABEL),
        Block("number", content.number),
    ]
    if content.priority:
        found.append(Block("priority", f"ƯU TIÊN: {content.priority}"))
    found += [
        Block("info", f"Trước ông/bà: {content.people_ahead} người"),
        Block("info", f"Thời gian chờ dự kiến: {_wait_text(content)}"),
    ]
    warning = warning_words(content.wait)
    if warning:
        found.append(Block("warning", warning))
    found += [
        Block("small", f"Lấy số lúc {content.issued_at:%H:%M} ngày {content.issued_at:%d/%m/%Y}"),
        Block("small", QR_CAPTION),
        Block("closing", content.closing_line),
    ]
    return found


def _wait_text(content: TicketContent) -> str:
    if content.wait is not None:
        return wait_words(content.wait, content.people_ahead)
    # A content built without the range (a test print, an older caller): its one figure.
    minutes = content.estimated_wait_minutes
    return WAIT_WORDS["about"].format(minutes=minutes) if minutes > 0 else WAIT_WORDS["soon"]


def ticket_text(content: TicketContent) -> str:
    """Every character the ticket prints (for glyph checks)."""
    return "".join(block.text for block in blocks(content))


# -- fonts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFonts:
    regular: Path
    bold: Path

    @classmethod
    def from_env(cls) -> TicketFonts:
        node_modules = Path(os.environ.get("XEPHANG_NODE_MODULES", PROJECT_ROOT / "node_modules"))
        fonts = cls(
            regular=Path(
                os.environ.get("XEPHANG_TICKET_FONT", node_modules / FONT_PACKAGE / REGULAR_FONT)
            ),
            bold=Path(
                os.environ.get("XEPHANG_TICKET_FONT_BOLD", node_modules / FONT_PACKAGE / BOLD_FONT)
            ),
        )
        for path in (fonts.regular, fonts.bold):
            if not path.is_file():
                raise FontMissing(
                    f"ticket font {path} not found: run `npm ci` (package dejavu-fonts-ttf) "
                    "or set XEPHANG_TICKET_FONT and XEPHANG_TICKET_FONT_BOLD"
                )
        return fonts

    def font(self, bold: bool, size: int) -> ImageFont.FreeTypeFont:
        return _load(self.bold if bold else self.regular, size)


@lru_cache(maxsize=64)
def _load(path: Path, size: int) -> ImageFont.FreeTypeFont:
    # Loading a TTF takes milliseconds; a kiosk prints the same few sizes all day.
    return ImageFont.truetype(str(path), size)


@lru_cache(maxsize=1)
def default_fonts() -> TicketFonts:
    return TicketFonts.from_env()


# -- rendering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Look:
    bold: bool
    size: int  # at 576 dots
    space_before: int


LOOKS: dict[Style, _Look] = {
    "centre": _Look(False, 24, 0),
    "service": _Look(True, 32, 6),
    "label": _Look(False, 22, 10),
    "priority": _Look(True, 26, 6),
    "info": _Look(True, 23, 0),
    "warning": _Look(True, 23, 4),
    "small": _Look(False, 20, 4),
    "closing": _Look(True, 28, 12),
}
NUMBER_SIZE = 160  # at 576 dots: digits about 15 mm tall


def _scale(width: int) -> float:
    # Text shrinks less than the paper: 58 mm tickets stay readable.
    return max(width / WIDTH_80MM, 0.75)


def text_size(style: Style, width: int) -> int:
    """The font size in dots of a paragraph style on paper `width` dots wide: never under
    MIN_TEXT_DOTS (8 points), so the figures of a 58 mm ticket stay readable."""
    return max(round(LOOKS[style].size * _scale(width)), MIN_TEXT_DOTS)


class _Sheet:
    """A tall 1-bit sheet and a cursor moving down it."""

    def __init__(self, width: int, fonts: TicketFonts) -> None:
        self.width = width
        self.fonts = fonts
        self.scale = _scale(width)
        self.margin = max(8, width // 64)
        self.image = Image.new("1", (width, CANVAS_HEIGHT), 1)
        self.draw = ImageDraw.Draw(self.image)
        self.y = self.margin

    def paragraph(
        self, text: str, style: Style, left: int, right: int, centred: bool, inverted: bool = False
    ) -> None:
        look = LOOKS[style]
        font = self.fonts.font(look.bold, text_size(style, self.width))
        ascent, descent = font.getmetrics()
        # Vietnamese stacks two marks over capitals (Ấ, Ễ): room above the ascent for them.
        above = round(font.size * 0.2)
        line_height = above + ascent + descent
        self.y += round(look.space_before * self.scale)
        for line in wrap(text, font, right - left - (2 * above if inverted else 0)):
            length = font.getlength(line)
            x = (left + right - length) / 2 if centred else left
            baseline = self.y + above + ascent
            if inverted:
                pad = above
                self.draw.rectangle(
                    (x - pad, self.y, x + length + pad, self.y + line_height), fill=0
                )
            left_, top, ink = _line_ink(line, font)
            # Through the mask: only the ink is laid down, never a white box over a
            # neighbour's accents or descenders.
            self.image.paste(1 if inverted else 0, (round(x) + left_, baseline + top), ink)
            self.y += line_height

    def number(self, text: str) -> None:
        size = round(NUMBER_SIZE * self.width / WIDTH_80MM)
        room = self.width - 2 * self.margin
        font = self.fonts.font(True, size)
        while font.getlength(text) > room and size > 20:
            size = size * 9 // 10
            font = self.fonts.font(True, size)
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        self.y += round(8 * self.scale)
        x = (self.width - (right - left)) / 2 - left
        self.draw.text((x, self.y - top), text, font=font, fill=0, anchor="ls")
        self.y += round(bottom - top) + round(8 * self.scale)

    def cut(self) -> Image.Image:
        return self.image.crop((0, 0, self.width, min(self.y + self.margin, CANVAS_HEIGHT)))


_INK_THRESHOLD = [0] * 85 + [255] * 171


@lru_cache(maxsize=512)
def _line_ink(line: str, font: ImageFont.FreeTypeFont) -> tuple[int, int, Image.Image]:
    """The ink of one line of text as a 1-bit mask, with its offset from the (left,
    baseline) point. Cached: most lines of a ticket (the centre, the service, the captions)
    are the same on every ticket, and drawing text is most of the rendering time."""
    left, top, right, bottom = (round(v) for v in font.getbbox(line, anchor="ls"))
    # Drawn smooth, then cut at a third of a dot's coverage: FreeType's own 1-bit drawing
    # loses thin strokes at small sizes (the horn of Ư and Ơ), and thermal dots print
    # a little thin anyway.
    coverage = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(coverage).text((-left, -top), line, font=font, fill=255, anchor="ls")
    return left, top, coverage.point(_INK_THRESHOLD, "1")


@lru_cache(maxsize=256)
def wrap(text: str, font: ImageFont.FreeTypeFont, room: float) -> tuple[str, ...]:
    """Break `text` at spaces into lines that fit `room` dots (a word longer than a line is
    left to overflow rather than cut mid-syllable); at most MAX_LINES, the last one ending
    with an ellipsis if text was left over. Cached: the centre's and the services' names
    come back on every ticket."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and font.getlength(candidate) > room:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    if len(lines) > MAX_LINES:
        last = lines[MAX_LINES - 1]
        while last and font.getlength(last + "…") > room:
            last = last[:-1]
        lines = [*lines[: MAX_LINES - 1], last.rstrip() + "…"]
    return tuple(lines)


def qr_image(url: str, module: int = QR_MODULE_DOTS) -> Image.Image:
    """The QR code of `url` as a 1-bit image, `module` dots per module, no border (the
    paper around it is the quiet zone)."""
    code = segno.make(url, error="m", boost_error=False)
    size = int(code.symbol_size(border=0)[0])
    pixels = bytes(0 if dark else 255 for row in code.matrix for dark in row)
    small = Image.frombytes("L", (size, size), pixels).convert("1")
    return small.resize((size * module, size * module), Image.Resampling.NEAREST)


def render_ticket(
    content: TicketContent,
    width: int = WIDTH_80MM,
    fonts: TicketFonts | None = None,
    with_qr: bool = True,
) -> Image.Image:
    """The ticket as a 1-bit image exactly `width` dots wide (576 for 80 mm paper, 384 for
    58 mm), as tall as its content. Without the QR code (`with_qr=False`) when the printer
    draws it itself, after the image."""
    sheet = _Sheet(width, fonts or default_fonts())
    left, right = sheet.margin, width - sheet.margin
    qr = qr_image(content.phone_url) if with_qr else None
    # On 80 mm paper the QR sits to the right of the queue details; on narrower paper that
    # would leave the text too little room: it goes under them, at the left (the band is
    # then sent only as wide as the code).
    beside = qr is not None and right - left - qr.width - QR_QUIET_DOTS >= MIN_TEXT_COLUMN
    info_top: int | None = None
    for block in blocks(content):
        if block.style == "number":
            sheet.number(block.text)
            continue
        if block.style == "closing" and qr is not None:
            # The QR's quiet zone (4 modules) is clear of any ink; the closing line goes
            # under it.
            assert info_top is not None
            if beside:
                sheet.image.paste(qr, (right - qr.width, info_top))
                sheet.y = max(sheet.y, info_top + qr.height + QR_QUIET_DOTS)
            else:
                sheet.image.paste(qr, (left, sheet.y + QR_QUIET_DOTS))
                sheet.y += qr.height + 2 * QR_QUIET_DOTS
        if block.style in ("info", "warning", "small"):
            if info_top is None:
                sheet.y += max(round(12 * sheet.scale), QR_QUIET_DOTS)
                info_top = sheet.y
            text_right = right - qr.width - QR_QUIET_DOTS if beside and qr else right
            # The warning is printed white on black: the one line the eye must not miss.
            inverted = block.style == "warning"
            sheet.paragraph(
                block.text, block.style, left, text_right, centred=False, inverted=inverted
            )
        else:
            # Left-aligned: the printer is sent each band only up to its last ink.
            inverted = block.style == "priority"
            sheet.paragraph(block.text, block.style, left, right, centred=False, inverted=inverted)
    return sheet.cut()
