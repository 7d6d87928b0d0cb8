"""What goes down the cable: image mode as raster bands, feeds and a cut that rebuild the
ticket exactly; text mode in CP1258 or TCVN-3 that decodes back to the Vietnamese; printer
URLs; and the printer's status answers."""

from __future__ import annotations

import errno
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy
from PIL import ImageChops

from kiosk import printers
from kiosk.printer_url import BadPrinterUrl, PrinterUrl, parse_printer_url
from kiosk.printers import PrinterStatus, PrintResult, ask_status, deliver, probe
from server.adapters.printing.escpos import (
    check_printer_url,
    encode_image,
    encode_ticket,
    split_tones,
)
from server.adapters.printing.ticket_layout import blocks, render_ticket
from server.domain.printing import PrintMode
from tests.printing.conftest import ALL_LETTERS, PAPER_NEAR_END, PAPER_OK, PAPER_OUT, sample
from tests.printing.escpos_stream import escpos_table, parse

# Runs once, in the SQLite pass (the ESC/POS bytes: no database).
pytestmark = pytest.mark.anydb

DUMMY = parse_printer_url("dummy://")
INIT, CUT = b"\x1b@", b"\x1dVB\x18"  # GS V 66 24: cut 3 mm under the last line
RASTER = b"\x1dv0"


@pytest.mark.parametrize("width", [576, 384])
def test_image_mode_is_raster_images_and_feeds_between_an_init_and_a_cut(width: int) -> None:
    data = encode_ticket(sample(), DUMMY, width)
    stream = parse(data, width)
    assert data.startswith(INIT) and data.endswith(CUT)
    assert RASTER in stream.commands
    assert stream.pieces == []  # no text: nothing depends on the printer's code pages
    assert all(width_bytes <= width // 8 for width_bytes, _rows in stream.raster)


@pytest.mark.parametrize("width", [576, 384])
def test_the_raster_bands_rebuild_the_rendered_ticket_exactly(width: int) -> None:
    ticket = render_ticket(sample(), width)
    printed = parse(encode_image(ticket, DUMMY), width).image(width)
    # The encoder drops the white margin above the first ink and below the last.
    inked = ImageChops.invert(ticket.convert("L")).getbbox()
    assert inked is not None
    expected = ticket.crop((0, inked[1], width, inked[3]))
    assert printed.size == expected.size
    assert ImageChops.difference(printed.convert("L"), expected.convert("L")).getbbox() is None


def test_a_ticket_is_under_30_kb_even_with_the_longest_names_and_a_priority() -> None:
    sizes = {width: len(encode_ticket(sample(), DUMMY, width)) for width in (576, 384)}
    assert sizes[576] < 30_000 and sizes[384] < 20_000, sizes


def test_text_mode_selects_cp1258_and_its_bytes_decode_back_to_the_vietnamese() -> None:
    content = sample()
    data = encode_ticket(content, DUMMY, 576, PrintMode.TEXT)
    stream = parse(data, 576)
    assert b"\x1bt\x34" in stream.commands  # ESC t 52: CP1258 in the default profile
    assert {table for table, _text in stream.pieces} == {52}
    text = unicodedata.normalize("NFC", stream.text("cp1258"))
    flowing = " ".join(text.split())
    for block in blocks(content):
        assert block.text in flowing
    assert data.endswith(CUT)
    assert stream.qr_codes == [content.phone_url.encode()]  # the printer's own QR command


def test_text_mode_in_tcvn3_switches_between_its_two_tables_and_decodes_back() -> None:
    content = sample(centre="ĐẠI HỌC Việt Nam – Đồng Tháp")
    url = parse_printer_url("dummy://?codepage=tcvn3")
    stream = parse(encode_ticket(content, url, 576, PrintMode.TEXT), 576)
    tables = {30: escpos_table("TCVN-3-1"), 31: escpos_table("TCVN-3-2")}
    assert {table for table, _text in stream.pieces} == {30, 31}
    text = " ".join(stream.text(tables).replace("Ð", "Đ").split())  # TCVN-3's capital Đ
    for block in blocks(content):
        assert block.text.replace("–", "-") in text  # TCVN-3 has no en dash


def test_a_printers_own_number_for_its_code_page_is_used() -> None:
    url = parse_printer_url("dummy://?codepage=cp1258&table=27")  # Xprinter-style numbering
    stream = parse(encode_ticket(sample(), url, 384, PrintMode.TEXT), 384)
    assert b"\x1bt\x1b" in stream.commands


def test_cp1258_writes_the_tone_after_the_letter_that_carries_the_other_marks() -> None:
    assert split_tones("Việt") == "Viê\u0323t"
    assert split_tones("ĐỒNG") == "ĐÔ\u0300NG"
    assert split_tones("à") == "à"  # CP1258 has it whole
    every = split_tones(ALL_LETTERS)
    assert unicodedata.normalize("NFC", every.encode("cp1258").decode("cp1258")) == ALL_LETTERS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp://192.168.1.50", {"scheme": "tcp", "host": "192.168.1.50", "port": 9100}),
        ("tcp://printer.local:9101?status=no", {"port": 9101, "query_status": False}),
        ("usb://04b8:0202", {"scheme": "usb", "vendor_id": 0x04B8, "product_id": 0x0202}),
        ("usb://0416:5011?out_ep=0x03", {"vendor_id": 0x0416, "out_ep": 3}),
        ("serial:///dev/ttyUSB0?baudrate=19200", {"path": "/dev/ttyUSB0", "baudrate": 19200}),
        ("serial:///dev/ttyS0", {"baudrate": 9600}),
        ("file:///dev/usb/lp0", {"scheme": "file", "path": "/dev/usb/lp0"}),
        ("dummy://", {"scheme": "dummy"}),
        ("tcp://10.0.0.9?profile=TM-T88V&codepage=TCVN-3&timeout=20", {"codepage": "tcvn3"}),
    ],
)
def test_printer_urls_name_each_kind_of_printer(text: str, expected: dict[str, object]) -> None:
    url = parse_printer_url(text)
    for name, value in expected.items():
        assert getattr(url, name) == value
    assert str(url) == text
    assert url.printed_by_server == (url.scheme in ("tcp", "dummy"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "http://printer",
        "tcp://",
        "tcp://host:99999",
        "usb://04b8",
        "usb://zz:01",
        "serial://ttyUSB0",
        "file://lp0",
        "dummy://?colour=red",
        "dummy://?codepage=utf8",
        "dummy://?table=300",
        "tcp://host?timeout=0",
    ],
)
def test_a_bad_printer_url_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(BadPrinterUrl) as refused:
        parse_printer_url(text)
    assert refused.value.message_vi.startswith("Địa chỉ máy in không hợp lệ")


def test_text_mode_needs_a_profile_that_knows_the_code_page_or_its_number() -> None:
    check_printer_url(parse_printer_url("dummy://?profile=TM-T88V"), PrintMode.TEXT)
    no_cp1258 = parse_printer_url("dummy://?profile=TM-T88IV-SA")
    check_printer_url(no_cp1258, PrintMode.IMAGE)  # images need no code page
    with pytest.raises(BadPrinterUrl):
        check_printer_url(no_cp1258, PrintMode.TEXT)
    check_printer_url(parse_printer_url("dummy://?profile=TM-T88IV-SA&table=52"), PrintMode.TEXT)
    with pytest.raises(BadPrinterUrl):
        check_printer_url(parse_printer_url("dummy://?profile=NoSuchPrinter"))


@dataclass
class Answering(Dummy):  # type: ignore[misc]
    """A printer that answers status requests with the bytes it is given."""

    answers: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        Dummy.__init__(self)

    def _read(self) -> bytes:
        return self.answers.pop(0) if self.answers else b""


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        ([bytes((PAPER_OK,)), b"\x12"], PrinterStatus.ONLINE),
        ([bytes((PAPER_NEAR_END,)), b"\x12"], PrinterStatus.PAPER_LOW),
        ([bytes((PAPER_OUT,))], PrinterStatus.PAPER_OUT),
        ([bytes((PAPER_OK,)), b"\x1a"], PrinterStatus.OFFLINE),  # bit 3: off line (cover open)
        ([], None),  # a printer that never answers
    ],
)
def test_the_printers_status_answers(answers: list[bytes], status: PrinterStatus | None) -> None:
    assert ask_status(Answering(answers=answers)) == status


def test_a_printer_out_of_paper_is_not_sent_the_job() -> None:
    printer = Answering(answers=[bytes((PAPER_OUT,))])
    accepted: list[PrinterStatus] = []
    result = deliver(DUMMY, b"JOB", on_accepted=accepted.append, printer=printer)
    assert result == PrintResult(False, PrinterStatus.PAPER_OUT, "the printer reports paper_out")
    assert accepted == [] and b"JOB" not in printer.output


def test_a_file_printer_keeps_every_job_and_a_missing_device_is_offline(tmp_path: Path) -> None:
    paper = tmp_path / "lp0"
    url = parse_printer_url(f"file://{paper}")
    assert deliver(url, b"first").ok and deliver(url, b"second").ok
    assert paper.read_bytes() == b"firstsecond"
    gone = deliver(PrinterUrl(scheme="file", path=str(tmp_path / "no" / "lp0")), b"x")
    assert (gone.ok, gone.status) == (False, PrinterStatus.OFFLINE)


@pytest.mark.parametrize(
    ("port_status", "expected"),
    [
        (0x18, PrinterStatus.ONLINE),  # no error, selected
        (0x38, PrinterStatus.PAPER_OUT),
        (0x08, PrinterStatus.OFFLINE),  # not selected: off line, cover open
        (0x10, PrinterStatus.ERROR),
    ],
)
def test_a_device_file_printer_reports_what_its_kernel_driver_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port_status: int, expected: PrinterStatus
) -> None:
    """/dev/usb/lp0 cannot answer ESC/POS status requests; the usblp driver's ioctls can.
    The driver is also told to fail a write when the paper is out, not block until refilled."""
    asked: list[int] = []

    def ioctl(fd: int, request: int, arg: Any = 0, mutate: bool = False) -> int:
        asked.append(request)
        if request == printers.LPGETSTATUS:
            arg[0] = port_status
        return 0

    monkeypatch.setattr("kiosk.printers.fcntl.ioctl", ioctl)
    url = parse_printer_url(f"file://{tmp_path / 'lp0'}")
    assert probe(url).status == expected
    assert asked == [printers.LPABORT, printers.LPGETSTATUS]


@dataclass
class Failing(Dummy):  # type: ignore[misc]
    """A printer whose writes fail as the kernel says."""

    error: OSError = field(default_factory=lambda: OSError(errno.EIO, "I/O error"))

    def __post_init__(self) -> None:
        Dummy.__init__(self)

    def _raw(self, msg: bytes) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), PrinterStatus.PAPER_OUT),
        (OSError(errno.EIO, "Input/output error"), PrinterStatus.OFFLINE),
        (OSError(errno.ENODEV, "No such device"), PrinterStatus.OFFLINE),
        (ConnectionResetError(errno.ECONNRESET, "reset"), PrinterStatus.OFFLINE),
        (OSError(errno.EPERM, "Operation not permitted"), PrinterStatus.ERROR),
    ],
)
def test_a_failed_write_says_what_the_printer_suffers(
    error: OSError, status: PrinterStatus
) -> None:
    result = deliver(DUMMY, b"JOB", printer=Failing(error=error))
    assert (result.ok, result.status) == (False, status)
    assert result.detail.startswith(type(error).__name__)


def test_the_agent_and_the_server_name_printer_states_alike() -> None:
    """The print agent reports kiosk.printers.PrinterStatus values over Socket.IO; the server
    reads them as server.domain.printing.PrinterStatus: the two must stay the same set."""
    from server.domain.printing import PrinterStatus as ServerStatus

    assert {s.value for s in PrinterStatus} == {s.value for s in ServerStatus}
    assert {s.value for s in PrinterStatus if s.is_fault} == {
        s.value for s in ServerStatus if s.is_fault
    }
