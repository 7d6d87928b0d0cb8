"""The paper ticket as an image: the printer's width, a QR code a phone reads, and every
Vietnamese letter drawn from the font (never the missing-glyph box)."""

from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from server.adapters.printing.ticket_layout import (
    MAX_LINES,
    MIN_TEXT_COLUMN,
    QR_QUIET_DOTS,
    Style,
    TicketContent,
    TicketFonts,
    blocks,
    qr_image,
    render_ticket,
    text_size,
    ticket_text,
    wrap,
)
from server.adapters.printing.ticket_layout import (
    _line_ink as line_ink,
)
from server.adapters.printing.ticket_wait import TicketWait, wait_words
from server.cli.demo import SERVICES
from server.domain.tickets import PRIORITY_LABELS
from tests.printing.conftest import ALL_LETTERS, sample

# Runs once, in the SQLite pass (the ticket's picture: no database).
pytestmark = pytest.mark.anydb

WIDTHS = [576, 384]


def decoded_qr(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert all(code.format == zxingcpp.BarcodeFormat.QRCode for code in found)
    return [code.text for code in found]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_qr_code_on_the_ticket_decodes_to_the_tickets_phone_page(width: int) -> None:
    content = sample(phone_url="http://192.168.1.10:8000/t/Zq3x-9Lk_2mPaaQ7rT0b1w")
    assert decoded_qr(render_ticket(content, width)) == [content.phone_url]


@pytest.mark.parametrize("width", [*WIDTHS, 512])
def test_the_ticket_is_exactly_as_wide_as_the_printer_and_one_bit_deep(width: int) -> None:
    image = render_ticket(sample(), width)
    assert image.width == width
    assert image.mode == "1"
    assert 300 < image.height < 1200


def test_the_number_is_printed_over_12_mm_tall() -> None:
    """Only the number changes between D012 and D013: the rows that differ are the
    number's, and they span over 100 dots (12 mm of 203 dpi paper), in one piece of ink."""
    image = render_ticket(sample(number="D012"), 576)
    other = render_ticket(sample(number="D013"), 576)
    stride = (image.width + 7) // 8
    first, second = image.tobytes(), other.tobytes()
    changed = [
        row
        for row in range(image.height)
        if first[row * stride : (row + 1) * stride] != second[row * stride : (row + 1) * stride]
    ]
    assert max(changed) - min(changed) >= 100
    assert any(top <= min(changed) and max(changed) < bottom for top, bottom in _ink_runs(image))


def _ink_runs(image: Image.Image) -> list[tuple[int, int]]:
    width_bytes = (image.width + 7) // 8
    raw = image.tobytes()
    inked = [
        raw[row * width_bytes : (row + 1) * width_bytes].strip(b"\xff") != b""
        for row in range(image.height)
    ]
    runs, start = [], None
    for row, ink in enumerate([*inked, False]):
        if ink and start is None:
            start = row
        elif not ink and start is not None:
            runs.append((start, row))
            start = None
    return runs


def test_every_character_the_demo_centre_prints_is_in_the_fonts_character_map() -> None:
    fonts = TicketFonts.from_env()
    texts = [
        ticket_text(sample(service=vi, priority=label))
        for _code, vi, *_rest in SERVICES
        for label, _en in PRIORITY_LABELS.values()
    ]
    printed = set("".join(texts)) | set(ALL_LETTERS) | set("0123456789:/–…")
    for path in (fonts.regular, fonts.bold):
        cmap = TTFont(path).getBestCmap()
        missing = sorted(c for c in printed if not c.isspace() and ord(c) not in cmap)
        assert missing == [], f"{path.name} lacks {missing}"


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    image = Image.new("1", (64, 64), 1)
    ImageDraw.Draw(image).text((8, 8), char, font=font, fill=0)
    return image.tobytes()


@pytest.mark.parametrize("bold", [False, True])
def test_no_vietnamese_letter_is_drawn_as_the_missing_glyph_box(bold: bool) -> None:
    font = TicketFonts.from_env().font(bold, 40)
    notdef = _glyph(font, "\ue000")  # a private-use code point: no font draws it
    blank = _glyph(font, " ")
    assert notdef != blank  # the box is really drawn, so the comparison means something
    boxed = [c for c in ALL_LETTERS if _glyph(font, c) == notdef]
    assert boxed == []
    # ...and a letter with its marks is not drawn like the bare letter.
    for letter in "ẩặễộựỹ":
        bare = unicodedata.normalize("NFD", letter)[0]
        assert _glyph(font, letter) != _glyph(font, bare)


def test_a_ticket_says_what_the_issue_asks_for_and_nothing_personal() -> None:
    content = sample()
    text = [block.text for block in blocks(content)]
    assert text == [
        "Trung tâm Phục vụ hành chính công phường Tân Định",
        "Lao động - Thương binh và Xã hội",
        "SỐ THỨ TỰ",
        "D012",
        "ƯU TIÊN: Người có công với cách mạng",
        "Trước ông/bà: 3 người",
        "Thời gian chờ dự kiến: khoảng 15 phút",
        "Lấy số lúc 09:05 ngày 26/11/2026",
        "Quét mã QR để theo dõi lượt trên điện thoại",
        "Vui lòng chờ gọi số",
    ]
    # Decree 356/2025: no name, no phone number, no identity number on a ticket; the
    # content has no field that could carry one.
    assert {f.name for f in dataclasses.fields(TicketContent)} == {
        "centre",
        "service",
        "number",
        "issued_at",
        "phone_url",
        "people_ahead",
        "estimated_wait_minutes",
        "priority",
        "closing_line",
        "wait",
    }


def test_a_ticket_without_priority_has_no_priority_line() -> None:
    assert not any(block.style == "priority" for block in blocks(sample(priority=None)))


def test_a_long_name_wraps_and_a_too_long_one_ends_with_an_ellipsis() -> None:
    font = TicketFonts.from_env().font(True, 32)
    lines = wrap("Lao động - Thương binh và Xã hội", font, 400)
    assert len(lines) == 2 and " ".join(lines) == "Lao động - Thương binh và Xã hội"
    endless = " ".join(["Đăng ký kinh doanh hộ cá thể"] * 10)
    cut = wrap(endless, font, 400)
    assert len(cut) == MAX_LINES and cut[-1].endswith("…")
    assert all(font.getlength(line) <= 400 for line in cut)


def test_a_number_too_wide_for_58_mm_paper_is_shrunk_to_fit() -> None:
    image = render_ticket(sample(number="A12345"), 384)
    assert image.width == 384
    columns_with_ink = image.convert("L").point(lambda v: 255 - v).getbbox()
    assert columns_with_ink is not None and columns_with_ink[2] <= 384 - 6


# -- the wait, as a range (issue 13) ---------------------------------------------------------

QUOTE = {
    "low": 14,
    "median": 19,
    "high": 23,
    "no_counter": False,
    "warning": {
        "vi": "Có thể không kịp trước 11:30",
        "en": "May not be called before 11:30",
        "until": "11:30",
    },
}


def printed_at(image: Image.Image, text: str, phone_url: str, style: Style = "info") -> bool:
    """Whether `text`, a paragraph of the style `style`, is in the ticket's image exactly as
    the layout draws it: each of its lines (wrapped beside the QR code, or under it on
    narrow paper), ink for ink at the left margin."""
    fonts = TicketFonts.from_env()
    font = fonts.font(style in ("info", "warning"), text_size(style, image.width))
    margin = max(8, image.width // 64)
    room = image.width - 2 * margin
    beside = room - qr_image(phone_url).width - QR_QUIET_DOTS
    lines = wrap(text, font, beside if beside >= MIN_TEXT_COLUMN else room)
    return all(_line_found(image, line, font, margin) for line in lines)


def _line_found(image: Image.Image, line: str, font: ImageFont.FreeTypeFont, x: int) -> bool:
    left, _top, ink = line_ink(line, font)
    wanted = ink.tobytes()
    inked = ImageChops.invert(image.convert("L")).convert("1")  # ink: 1
    for y in range(image.height - ink.height):
        crop = inked.crop((x + left, y, x + left + ink.width, y + ink.height))
        # Every dot of the line's ink is black there (a neighbour's accents may add more).
        if ImageChops.logical_and(crop, ink).tobytes() == wanted:
            return True
    return False


def test_the_paper_prints_the_range_quoted_at_issue_and_the_warning_under_it() -> None:
    content = sample(wait=TicketWait.of(QUOTE), people_ahead=3)
    text = [block.text for block in blocks(content)]
    # 14 rounds down and 23 up to 5-minute steps: never narrower than quoted.
    assert "Thời gian chờ dự kiến: khoảng 10-25 phút" in text
    warning = text.index("Có thể không kịp trước 11:30")
    assert text[warning - 1] == "Thời gian chờ dự kiến: khoảng 10-25 phút"
    image = render_ticket(content, 576)
    url = content.phone_url
    assert printed_at(image, "Trước ông/bà: 3 người", url)  # the check finds what is printed...
    assert not printed_at(image, "Trước ông/bà: 4 người", url)  # ...and only that
    assert printed_at(image, "Thời gian chờ dự kiến: khoảng 10-25 phút", url)
    # The warning is white on black: its ink is there, inverted, under the range.
    assert "Có thể không kịp trước 11:30" in ticket_text(content)
    plain = render_ticket(sample(wait=TicketWait.of({**QUOTE, "warning": None})), 576)
    assert image.height > plain.height
    assert decoded_qr(image) == [content.phone_url]


@pytest.mark.parametrize(
    ("quote", "ahead", "said"),
    [
        ({"low": 3, "median": 5, "high": 8}, 2, "khoảng 3-8 phút"),
        ({"low": 14, "median": 19, "high": 23}, 3, "khoảng 10-25 phút"),
        ({"low": 32, "median": 40, "high": 47}, 6, "khoảng 30-50 phút"),
        ({"low": 58, "median": 75, "high": 93}, 9, "khoảng 55-100 phút"),
        ({"low": 20, "median": 20, "high": 20}, 4, "khoảng 20 phút"),
        ({"low": 0, "median": 0, "high": 0}, 0, "sắp được gọi"),
        ({"low": 0, "median": 1, "high": 2}, 1, "sắp được gọi"),
        ({"low": 0, "median": 2, "high": 6}, 0, "sắp được gọi"),
        ({"low": 0, "median": 2, "high": 6}, 1, "khoảng 0-6 phút"),
        ({"low": 42, "median": 70, "high": None}, 12, "từ 40 phút, có thể sau giờ đóng cửa"),
        ({"low": 0, "median": 0, "high": None}, 3, "có thể sau giờ đóng cửa"),
        ({"low": 0, "median": 0, "high": 0, "no_counter": True}, 5, "Chưa có quầy phục vụ"),
    ],
)
def test_a_wait_is_said_as_a_rounded_range(quote: dict[str, Any], ahead: int, said: str) -> None:
    assert wait_words(TicketWait.of(quote), ahead) == said


def test_no_counter_prints_no_figure_and_no_warning() -> None:
    content = sample(wait=TicketWait.of({**QUOTE, "no_counter": True}))
    text = ticket_text(content)
    assert "Thời gian chờ dự kiến: Chưa có quầy phục vụ" in text
    assert "kịp" not in text and "khoảng" not in text
    for width in WIDTHS:
        image = render_ticket(content, width)
        assert printed_at(image, "Thời gian chờ dự kiến: Chưa có quầy phục vụ", content.phone_url)
