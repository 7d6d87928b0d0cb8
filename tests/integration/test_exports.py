"""The managers' exports read back as Excel and LibreOffice would: the hand-built day of
test_statistics as CSV (the csv module) and XLSX (openpyxl), on a real database (SQLite
here, PostgreSQL in the second pass)."""

from __future__ import annotations

import csv
import io
import secrets
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, update

from server.adapters.db.models import Service, Site, Ticket, TicketRating, User
from server.domain.errors import InvalidInput
from server.domain.statistics import Rating
from server.domain.tickets import Channel, TicketStatus
from server.services import statistics
from server.services.exports import (
    INTERNATIONAL,
    REPORT_COLUMNS,
    TICKET_COLUMNS,
    Kind,
    neutralise,
    report_csv,
    report_xlsx,
    tickets_csv,
    tickets_xlsx,
)
from server.services.statistics import Figure
from server.services.tickets import issue_ticket
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock
from tests.integration.test_statistics import DAY, build_day, day_report

CENTRE = "Trung tâm Phục vụ hành chính công phường Tân Định"
SHEETS = [
    "Toàn trung tâm",
    "Theo lĩnh vực",
    "Theo quầy",
    "Theo cán bộ",
    "Theo giờ trong ngày",
    "Theo ngày",
]
HYPERLINK = '=HYPERLINK("http://example.com/x","Bấm vào đây")'
SCRIPT = "<script>alert(1)</script>"


def rate(uow: UnitOfWork, ticket_id: int, rating: Rating) -> None:
    """What the counter's rating tablet records (its use case is not ours to test)."""
    with uow.db.write_session() as session, session.begin():
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.counter_id is not None
        answer = TicketRating(
            ticket_id=ticket.id,
            site_id=ticket.site_id,
            counter_id=ticket.counter_id,
            clerk_id=ticket.clerk_id,
            rating=rating,
            at=datetime.now(UTC),
        )
        session.add(answer)
        session.flush()
        statistics.ticket_rated(session, uow.dialect, ticket, answer)


def rated_day(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> dict[str, int]:
    tickets = build_day(uow, centre, clock)
    rate(uow, tickets["A1"], Rating.VERY_SATISFIED)
    rate(uow, tickets["A2"], Rating.UNSATISFIED)
    return tickets


def rename(
    uow: UnitOfWork, centre: Centre, services: dict[str, str], clerks: dict[str, str]
) -> None:
    with uow.db.write_session() as session, session.begin():
        for code, name in services.items():
            service = session.get(Service, centre.service[code])
            assert service is not None
            service.name_vi = name
        for username, name in clerks.items():
            user = session.get(User, centre.user[username])
            assert user is not None
            user.full_name = name


def csv_text(data: bytes) -> str:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    text = data.decode("utf-8-sig")
    assert text.count("\n") == text.count("\r\n"), "every line ends in CRLF"
    return text


def csv_tables(data: bytes) -> tuple[str, dict[str, list[dict[str, str]]]]:
    """The report CSV's title line, and each table by its title, as rows by header."""
    rows = list(csv.reader(io.StringIO(csv_text(data), newline=""), delimiter=";"))
    title, tables = rows[0][0], {}
    index = 1
    while index < len(rows):
        assert rows[index] == [], "an empty line before every table"
        name, header = rows[index + 1][0], rows[index + 2]
        index += 3
        lines = []
        while index < len(rows) and rows[index]:
            lines.append(dict(zip(header, rows[index], strict=True)))
            index += 1
        tables[name] = lines
    return title, tables


def expected_values(figure: Figure) -> list[Any]:
    """A report line's figures in REPORT_COLUMNS order, read straight off the Figure."""
    wait, service = figure.wait, figure.service
    return [
        figure.issued,
        figure.served,
        figure.no_show,
        figure.cancelled,
        figure.transferred,
        figure.expired,
        wait.mean,
        wait.median,
        wait.p90,
        wait.max,
        figure.within_target,
        service.mean,
        service.median,
        service.p90,
        service.max,
        figure.rated,
        *(figure.ratings[r.value] for r in Rating),
        figure.satisfaction,
    ]


def as_csv(value: Any, column: Any) -> str:
    """A figure as the Vietnamese CSV writes it: a decimal comma."""
    if value is None:
        return ""
    return str(round(value * 100, 2) if column.kind is Kind.PERCENT else value).replace(".", ",")


def line(figures: list[Figure], label: str) -> Figure:
    (found,) = [f for f in figures if f.label_vi == label]
    return found


def ticket_csv_rows(uow: UnitOfWork, centre: Centre, first: date, last: date) -> list[list[str]]:
    with uow.db.reading() as session:
        data = b"".join(tickets_csv(session, [centre.site_id], first, last))
    rows = list(csv.reader(io.StringIO(csv_text(data), newline=""), delimiter=";"))
    assert rows[0] == [c.vi for c in TICKET_COLUMNS]
    return rows[1:]


def by_header(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip([c.vi for c in TICKET_COLUMNS], row, strict=True)) for row in rows]


def workbook(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def sheet_rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_no_formulas(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        assert sheets
        for name in sheets:
            xml = package.read(name)
            assert b"<f>" not in xml and b"<f " not in xml, name


def site_code(uow: UnitOfWork, centre: Centre) -> str:
    with uow.db.reading() as session:
        site = session.get(Site, centre.site_id)
        assert site is not None
        return site.code


# -- the report ---------------------------------------------------------------------------


def test_the_report_csv_has_every_table_with_vietnamese_headers_and_the_reports_numbers(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    rated_day(uow, centre, clock)
    report = day_report(uow, centre)
    title, tables = csv_tables(report_csv(report))

    assert CENTRE in title and "26/11/2026 – 26/11/2026" in title
    assert list(tables) == SHEETS
    for (_name, title_vi, _en, figures), lines in zip(
        report.sections, tables.values(), strict=True
    ):
        assert title_vi in tables
        assert [row["Nhóm"] for row in lines] == [f.label_vi for f in figures]
        for row, figure in zip(lines, figures, strict=True):
            values = zip(expected_values(figure), REPORT_COLUMNS[1:], strict=True)
            assert [row[c.vi] for c in REPORT_COLUMNS[1:]] == [as_csv(v, c) for v, c in values]

    (total,) = tables["Toàn trung tâm"]
    assert total["Nhóm"] == "Tổng cộng"
    assert (total["Đã cấp số"], total["Đã phục vụ"], total["Chờ TB (phút)"]) == ("7", "4", "15,1")
    # 5 of 6 waits within target; one of two ratings satisfied; decimals with a comma.
    assert (total["Tỉ lệ trong hạn (%)"], total["Tỉ lệ hài lòng (%)"]) == ("83,33", "50,0")
    assert (total["Rất hài lòng"], total["Chưa hài lòng"], total["Số lượt đánh giá"]) == (
        "1",
        "1",
        "2",
    )
    services = {row["Nhóm"]: row for row in tables["Theo lĩnh vực"]}
    assert services["Tư pháp - Hộ tịch"]["Tỉ lệ trong hạn (%)"] == "80,0"
    # Nothing served in Chứng thực: no service time, an empty cell rather than 0.
    assert services["Chứng thực"]["Phục vụ TB (phút)"] == ""
    assert services["Chứng thực"]["Tỉ lệ hài lòng (%)"] == ""
    assert {row["Nhóm"] for row in tables["Theo cán bộ"]} == {"Nguyễn Thị Hồng", "Trần Văn Minh"}
    assert [row["Nhóm"] for row in tables["Theo ngày"]] == ["26/11/2026"]


def test_the_csv_is_written_for_the_excel_that_opens_it(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    """Excel splits a double-clicked CSV by the computer's regional settings: in Vietnam a
    semicolon between fields and a decimal comma; an English page gets the other way."""
    rated_day(uow, centre, clock)
    report = day_report(uow, centre)
    vietnamese = csv_text(report_csv(report)).splitlines()
    english = csv_text(report_csv(report, INTERNATIONAL)).splitlines()
    assert vietnamese[4].startswith("Tổng cộng;7;4;") and ";15,1;" in vietnamese[4]
    assert english[4].startswith("Tổng cộng,7,4,") and ",15.1," in english[4]
    with uow.db.reading() as session:
        first = b"".join(tickets_csv(session, [centre.site_id], DAY, DAY, INTERNATIONAL))
    header, row = csv_text(first).splitlines()[:2]
    assert header.startswith("Ngày,Điểm,Số,") and ",2.0,4.0," in row


def test_the_report_xlsx_has_a_sheet_per_table_with_numeric_cells(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    rated_day(uow, centre, clock)
    report = day_report(uow, centre)
    data = report_xlsx(report)
    book = workbook(data)

    assert book.sheetnames == SHEETS
    assert_no_formulas(data)
    for (name, _vi, _en, figures), sheet_name in zip(report.sections, SHEETS, strict=True):
        sheet = book[sheet_name]
        title, header, *lines = sheet_rows(sheet)
        assert title[0] == f"{sheet_name} · {CENTRE} · 26/11/2026 – 26/11/2026"
        assert header == [c.vi for c in REPORT_COLUMNS]
        assert sheet["A1"].font.b and all(cell.font.b for cell in sheet[2])
        assert sheet.freeze_panes == "A3"
        assert len(lines) == len(figures)
        for row, figure in zip(lines, figures, strict=True):
            assert row[1:] == expected_values(figure)
            if name != "day":
                assert row[0] == figure.label_vi

    services = book["Theo lĩnh vực"]
    assert services["A3"].value == "Tư pháp - Hộ tịch"
    assert services.column_dimensions["A"].width >= len("Tư pháp - Hộ tịch")
    within = REPORT_COLUMNS.index(next(c for c in REPORT_COLUMNS if c.vi.startswith("Tỉ lệ trong")))
    cell = services.cell(row=3, column=within + 1)
    assert (cell.value, cell.number_format, cell.data_type) == (0.8, "0.0%", "n")
    mean = services.cell(row=3, column=8)
    assert (mean.value, mean.number_format) == (14.9, "0.0")
    assert services.cell(row=3, column=2).value == 5
    day = book["Theo ngày"]["A3"]
    assert (day.value, day.number_format) == (datetime(2026, 11, 26), "dd/mm/yyyy")


# -- the ticket list ----------------------------------------------------------------------


EXPECTED_TICKETS = [
    ("A001", "Tư pháp - Hộ tịch", "Đã phục vụ"),
    ("A002", "Tư pháp - Hộ tịch", "Đã phục vụ"),
    ("A003", "Tư pháp - Hộ tịch", "Vắng mặt"),
    ("A004", "Tư pháp - Hộ tịch", "Đã phục vụ"),
    ("A005", "Tư pháp - Hộ tịch", "Đã huỷ"),
    ("B001", "Chứng thực", "Chuyển lĩnh vực"),
    ("B002", "Chứng thực", "Hết hạn"),
    # B001 moved to Hộ tịch at 09:17, keeping its number, and was served there.
    ("B001", "Tư pháp - Hộ tịch", "Đã phục vụ"),
]


def test_the_ticket_csv_has_one_row_per_ticket_with_local_times_and_vietnamese_labels(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    rated_day(uow, centre, clock)
    tickets = by_header(ticket_csv_rows(uow, centre, DAY, DAY))

    assert [(t["Số"], t["Lĩnh vực"], t["Trạng thái"]) for t in tickets] == EXPECTED_TICKETS
    first = tickets[0]
    assert first == {
        "Ngày": "26/11/2026",
        "Điểm": site_code(uow, centre),
        "Số": "A001",
        "Lĩnh vực": "Tư pháp - Hộ tịch",
        "Ưu tiên": "",
        "Kênh": "Kiosk",
        "Trạng thái": "Đã phục vụ",
        "Giờ lấy số": "09:00:00",
        "Giờ gọi lần đầu": "09:02:00",  # 02:02:00 in UTC
        "Giờ bắt đầu": "09:02:00",
        "Giờ kết thúc": "09:06:00",
        "Chờ (phút)": "2,0",
        "Phục vụ (phút)": "4,0",
        "Quầy": "1",
        "Cán bộ": "Nguyễn Thị Hồng",
        "Đánh giá": "Rất hài lòng",
    }
    second = tickets[1]
    assert (second["Giờ gọi lần đầu"], second["Chờ (phút)"], second["Phục vụ (phút)"]) == (
        "09:05:30",
        "5,5",
        "10,0",
    )
    assert (second["Quầy"], second["Cán bộ"], second["Đánh giá"]) == (
        "2",
        "Trần Văn Minh",
        "Chưa hài lòng",
    )
    elderly = tickets[6]
    assert (elderly["Ưu tiên"], elderly["Giờ gọi lần đầu"], elderly["Chờ (phút)"]) == (
        "Người cao tuổi",
        "",
        "",
    )
    assert elderly["Giờ kết thúc"] == "10:00:00"  # expired at closing
    moved = tickets[7]
    assert (moved["Giờ lấy số"], moved["Giờ gọi lần đầu"], moved["Chờ (phút)"]) == (
        "09:17:00",
        "09:44:00",
        "27,0",
    )
    # A no-show or a transfer has no service time; the list agrees with the report.
    assert tickets[2]["Phục vụ (phút)"] == tickets[5]["Phục vụ (phút)"] == ""
    report = day_report(uow, centre).total
    waits = [float(t["Chờ (phút)"].replace(",", ".")) for t in tickets if t["Chờ (phút)"]]
    services = [
        float(t["Phục vụ (phút)"].replace(",", ".")) for t in tickets if t["Phục vụ (phút)"]
    ]
    assert (len(waits), round(sum(waits) / len(waits), 1)) == (report.wait.count, report.wait.mean)
    assert (len(services), sum(services) / len(services)) == (report.served, report.service.mean)


def test_the_ticket_xlsx_has_real_local_date_and_time_cells(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    rated_day(uow, centre, clock)
    with uow.db.reading() as session:
        data = tickets_xlsx(session, [centre.site_id], DAY, DAY)
    book = workbook(data)
    assert_no_formulas(data)
    assert book.sheetnames == ["Danh sách số"]
    sheet = book["Danh sách số"]
    title, header, *rows = sheet_rows(sheet)
    assert title[0] == f"Danh sách số · {CENTRE} · 26/11/2026 – 26/11/2026"
    assert header == [c.vi for c in TICKET_COLUMNS]
    assert sheet.freeze_panes == "A3" and all(cell.font.b for cell in sheet[2])
    assert (sheet.auto_filter.ref, sheet.print_title_rows) == ("A2:P10", "$2:$2")
    tickets = by_header(rows)
    assert [(t["Số"], t["Lĩnh vực"], t["Trạng thái"]) for t in tickets] == EXPECTED_TICKETS

    first = tickets[0]
    assert first["Ngày"] == datetime(2026, 11, 26)
    assert first["Giờ gọi lần đầu"] == datetime(2026, 11, 26, 9, 2)  # naive local time
    assert tickets[1]["Giờ gọi lần đầu"] == datetime(2026, 11, 26, 9, 5, 30)
    assert (first["Chờ (phút)"], first["Phục vụ (phút)"], first["Quầy"]) == (2.0, 4.0, 1)
    assert (first["Cán bộ"], first["Đánh giá"]) == ("Nguyễn Thị Hồng", "Rất hài lòng")
    assert (first["Ưu tiên"], tickets[6]["Ưu tiên"]) == (None, "Người cao tuổi")
    assert tickets[6]["Giờ gọi lần đầu"] is None
    assert sheet["A3"].number_format == "dd/mm/yyyy"
    assert sheet["I3"].number_format == "hh:mm:ss"
    assert sheet["L3"].number_format == "0.0"


def test_the_ticket_list_takes_local_days(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    ht = centre.service["HT"]
    with uow.db.write_session() as session, session.begin():  # a site open around the clock
        session.execute(update(Site).values(opens_at=time(0, 0), closes_at=time.max))
    clock.now = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)  # 00:30 local on the 26th
    issue_ticket(uow, centre.site_id, ht, channel=Channel.STAFF)
    clock.now = datetime(2026, 11, 26, 16, 45, tzinfo=UTC)  # 23:45 local on the 26th
    issue_ticket(uow, centre.site_id, ht)
    clock.now = datetime(2026, 11, 26, 17, 5, tzinfo=UTC)  # 00:05 local on the 27th
    issue_ticket(uow, centre.site_id, ht)

    day = by_header(ticket_csv_rows(uow, centre, DAY, DAY))
    assert [(t["Ngày"], t["Giờ lấy số"], t["Kênh"]) for t in day] == [
        ("26/11/2026", "00:30:00", "Cán bộ cấp"),
        ("26/11/2026", "23:45:00", "Kiosk"),
    ]
    assert {t["Trạng thái"] for t in day} == {"Đang chờ"}
    both = ticket_csv_rows(uow, centre, DAY, DAY + timedelta(days=1))
    assert [row[0] for row in both] == ["26/11/2026", "26/11/2026", "27/11/2026"]
    assert ticket_csv_rows(uow, centre, DAY + timedelta(days=2), DAY + timedelta(days=9)) == []


def test_a_backward_range_is_refused_before_anything_is_sent(
    uow: UnitOfWork, centre: Centre
) -> None:
    with uow.db.reading() as session:
        with pytest.raises(InvalidInput):
            tickets_csv(session, [centre.site_id], DAY, DAY - timedelta(days=1))
        with pytest.raises(InvalidInput):
            tickets_xlsx(session, [centre.site_id], DAY, DAY - timedelta(days=1))


def test_a_busy_month_streams_in_chunks_ordered_by_day_and_issue_time(
    uow: UnitOfWork, centre: Centre
) -> None:
    """5,000 tickets over 25 days, inserted newest first within each day."""
    ht = centre.service["HT"]
    rows = []
    for offset in range(25):
        day = date(2026, 11, 1) + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC)  # 07:30 local
        for sequence in range(200, 0, -1):
            at = start + timedelta(minutes=2 * sequence)
            rows.append(
                {
                    "site_id": centre.site_id,
                    "service_id": ht,
                    "day": day,
                    "sequence": sequence,
                    "number": f"A{sequence:03d}",
                    "status": TicketStatus.EXPIRED,
                    "channel": Channel.KIOSK,
                    "token": secrets.token_urlsafe(16),
                    "queued_at": at,
                    "issued_at": at,
                    "ended_at": start + timedelta(hours=10),
                }
            )
    with uow.db.write_session() as session, session.begin():
        session.execute(insert(Ticket), rows)

    first, last = date(2026, 11, 1), date(2026, 11, 30)
    with uow.db.reading() as session:
        chunks = list(tickets_csv(session, [centre.site_id], first, last))
        data = tickets_xlsx(session, [centre.site_id], first, last)
    # The header goes out before any ticket is read, then a chunk per thousand rows.
    assert len(chunks) == 6 and chunks[0].count(b"\r\n") == 1
    text = b"".join(chunks).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]
    assert len(lines) == 5000
    keys = [(datetime.strptime(r[0], "%d/%m/%Y"), r[7]) for r in lines]
    assert keys == sorted(keys)
    assert lines[0][2:3] + lines[0][7:8] == ["A001", "07:32:00"]

    sheet = load_workbook(io.BytesIO(data), read_only=True)["Danh sách số"]
    assert sum(1 for _ in sheet.iter_rows()) == 5002


# -- text a spreadsheet would run ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+84 912", "'+84 912"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Tư pháp - Hộ tịch", "Tư pháp - Hộ tịch"),
        (SCRIPT, SCRIPT),
        ("", ""),
    ],
)
def test_text_a_spreadsheet_would_evaluate_gets_an_apostrophe(text: str, shown: str) -> None:
    assert neutralise(text) == shown


def test_formula_and_markup_names_come_out_as_plain_text(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_day(uow, centre, clock)
    rename(uow, centre, {"HT": HYPERLINK, "CT": SCRIPT}, {"canbo2": "@SUM(1+1)"})
    report = day_report(uow, centre)

    _title, tables = csv_tables(report_csv(report))
    assert [row["Nhóm"] for row in tables["Theo lĩnh vực"]] == ["'" + HYPERLINK, SCRIPT]
    assert "'@SUM(1+1)" in {row["Nhóm"] for row in tables["Theo cán bộ"]}
    tickets = by_header(ticket_csv_rows(uow, centre, DAY, DAY))
    assert tickets[0]["Lĩnh vực"] == "'" + HYPERLINK
    assert tickets[5]["Lĩnh vực"] == SCRIPT
    assert tickets[1]["Cán bộ"] == "'@SUM(1+1)"

    for data in (report_xlsx(report), tickets_xlsx_of(uow, centre)):
        assert_no_formulas(data)
        book = workbook(data)
        cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
        texts = {cell.value for cell in cells if cell.data_type == "s"}
        assert {HYPERLINK, SCRIPT, "@SUM(1+1)"} <= texts
        dangerous = [cell for cell in cells if cell.value == HYPERLINK]
        assert dangerous and all(cell.quotePrefix for cell in dangerous)


def tickets_xlsx_of(uow: UnitOfWork, centre: Centre) -> bytes:
    with uow.db.reading() as session:
        return tickets_xlsx(session, [centre.site_id], DAY, DAY)


# -- LibreOffice, where installed ---------------------------------------------------------


def test_libreoffice_reads_the_ticket_xlsx(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the XLSX was read by openpyxl only")
    rated_day(uow, centre, clock)
    rename(uow, centre, {"CT": HYPERLINK}, {})
    source = tmp_path / "tickets.xlsx"
    source.write_bytes(tickets_xlsx_of(uow, centre))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",  # comma, quote, UTF-8
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    text = (tmp_path / "tickets.csv").read_text(encoding="utf-8-sig")
    assert "Tư pháp - Hộ tịch" in text and "Nguyễn Thị Hồng" in text
    assert "09:02:00" in text and "02:02:00" not in text
    assert HYPERLINK.replace('"', '""') in text  # the text itself, not a computed link
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2 + len(EXPECTED_TICKETS)


def test_the_exported_columns_each_have_an_english_translation() -> None:
    for columns in (REPORT_COLUMNS, TICKET_COLUMNS):
        assert all(column.vi and column.en for column in columns)
        assert len({c.vi for c in columns}) == len({c.en for c in columns}) == len(columns)
