"""The managers' exports: a report's figures and the ticket list as CSV and XLSX files that
open cleanly in Excel and LibreOffice.

Headers are in Vietnamese (the English of each is kept beside it, for screens); days and
times are the site's local ones; numbers stay numbers. A CSV is written for the Excel that
will open it with a double click: Excel splits and reads a CSV by the computer's regional
settings, which in Vietnam are a semicolon between fields and a decimal comma (4,5), so
that is the default (VIETNAMESE); an English page gets commas and decimal points
(INTERNATIONAL). XLSX cells are real numbers, shown in each reader's own way.

Text that a spreadsheet would take for a formula (a service named "=HYPERLINK(…)") is
neutralised: a leading apostrophe in CSV, a plain string cell in XLSX. No Flask here: the
views stream or send what these functions return.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import (
    ERROR_CODES,
    ILLEGAL_CHARACTERS_RE,
)
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Service, Site, Ticket, TicketRating, User
from server.domain.errors import InvalidInput
from server.domain.statistics import RATING_LABELS, Rating
from server.domain.tickets import PRIORITY_LABELS, Channel, Priority, TicketStatus
from server.services.statistics import Figure, Report

Value = str | int | float | date | datetime | None

BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one
CSV_CHUNK_ROWS = 1000
READ_BATCH = 2000
XLSX_MAX_ROWS = 1_048_576
SHEET_NAME_MAX = 31


class Kind(StrEnum):
    """How a column's values are written: text, a count, minutes, or a share (0 to 1,
    written in percent in CSV and with a percent format in XLSX). Days and times are
    recognised by their type."""

    TEXT = "text"
    COUNT = "count"
    MINUTES = "minutes"
    PERCENT = "percent"


class CsvStyle(NamedTuple):
    """How a CSV separates its fields and writes a decimal number."""

    delimiter: str
    decimal: str


VIETNAMESE = CsvStyle(";", ",")
INTERNATIONAL = CsvStyle(",", ".")


class Column(NamedTuple):
    vi: str
    en: str
    kind: Kind = Kind.COUNT
    width: int = 0  # 0: as wide as the header


REPORT_COLUMNS: tuple[Column, ...] = (
    Column("Nhóm", "Group", Kind.TEXT, 24),
    Column("Đã cấp số", "Issued"),
    Column("Đã phục vụ", "Served"),
    Column("Vắng mặt", "No-show"),
    Column("Huỷ", "Cancelled"),
    Column("Chuyển", "Transferred"),
    Column("Hết hạn", "Expired"),
    Column("Chờ TB (phút)", "Mean wait (min)", Kind.MINUTES),
    Column("Chờ trung vị (phút)", "Median wait (min)", Kind.MINUTES),
    Column("Chờ P90 (phút)", "90th percentile wait (min)", Kind.MINUTES),
    Column("Chờ tối đa (phút)", "Longest wait (min)", Kind.MINUTES),
    Column("Tỉ lệ trong hạn (%)", "Called within target (%)", Kind.PERCENT),
    Column("Phục vụ TB (phút)", "Mean service (min)", Kind.MINUTES),
    Column("Phục vụ trung vị (phút)", "Median service (min)", Kind.MINUTES),
    Column("Phục vụ P90 (phút)", "90th percentile service (min)", Kind.MINUTES),
    Column("Phục vụ tối đa (phút)", "Longest service (min)", Kind.MINUTES),
    Column("Số lượt đánh giá", "Ratings"),
    *(Column(vi, en) for vi, en in RATING_LABELS.values()),
    Column("Tỉ lệ hài lòng (%)", "Satisfied (%)", Kind.PERCENT),
)

TICKET_COLUMNS: tuple[Column, ...] = (
    Column("Ngày", "Day", Kind.TEXT, 12),
    Column("Điểm", "Site", Kind.TEXT, 14),
    Column("Số", "Number", Kind.TEXT, 8),
    Column("Lĩnh vực", "Service", Kind.TEXT, 34),
    Column("Ưu tiên", "Priority", Kind.TEXT, 26),
    Column("Kênh", "Channel", Kind.TEXT, 12),
    Column("Trạng thái", "Status", Kind.TEXT, 17),
    Column("Giờ lấy số", "Issued at", Kind.TEXT, 12),
    Column("Giờ gọi lần đầu", "First called at", Kind.TEXT, 16),
    Column("Giờ bắt đầu", "Service started at", Kind.TEXT, 13),
    Column("Giờ kết thúc", "Ended at", Kind.TEXT, 13),
    Column("Chờ (phút)", "Wait (min)", Kind.MINUTES),
    Column("Phục vụ (phút)", "Service (min)", Kind.MINUTES),
    Column("Quầy", "Counter", Kind.COUNT, 7),
    Column("Cán bộ", "Clerk", Kind.TEXT, 26),
    Column("Đánh giá", "Rating", Kind.TEXT, 16),
)

STATUS_LABELS: dict[TicketStatus, tuple[str, str]] = {
    TicketStatus.WAITING: ("Đang chờ", "Waiting"),
    TicketStatus.CALLED: ("Đã gọi", "Called"),
    TicketStatus.SERVING: ("Đang phục vụ", "Being served"),
    TicketStatus.DONE: ("Đã phục vụ", "Served"),
    TicketStatus.NO_SHOW: ("Vắng mặt", "No-show"),
    TicketStatus.TRANSFERRED: ("Chuyển lĩnh vực", "Transferred"),
    TicketStatus.CANCELLED: ("Đã huỷ", "Cancelled"),
    TicketStatus.EXPIRED: ("Hết hạn", "Expired"),
}

CHANNEL_LABELS: dict[Channel, tuple[str, str]] = {
    Channel.KIOSK: ("Kiosk", "Kiosk"),
    Channel.PHONE: ("Điện thoại", "Phone"),
    Channel.STAFF: ("Cán bộ cấp", "Issued by staff"),
}

TICKETS_TITLE = "Danh sách số"

# A cell starting with one of these is taken for a formula by Excel or LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")

DAY_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M:%S"
XLSX_DAY = "dd/mm/yyyy"
XLSX_TIME = "hh:mm:ss"  # the cell holds the whole local date and time; the day has a column
XLSX_NUMBERS = {Kind.MINUTES: "0.0", Kind.PERCENT: "0.0%"}


def neutralise(text: str) -> str:
    """The text a spreadsheet shows as typed: an apostrophe before anything it would
    otherwise evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _day_range(first: date, last: date) -> str:
    return f"{first.strftime(DAY_FORMAT)} – {last.strftime(DAY_FORMAT)}"


def _title(report_title: str, site_names: Sequence[str], first: date, last: date) -> str:
    return " · ".join([report_title, ", ".join(site_names), _day_range(first, last)])


# -- the report ---------------------------------------------------------------------------


def _figure_row(section: str, figure: Figure) -> list[Value]:
    label: Value = figure.label_vi
    if section == "day":
        label = date.fromisoformat(figure.key)
    wait, service = figure.wait, figure.service
    return [
        label,
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
        *(figure.ratings.get(rating.value, 0) for rating in RATING_LABELS),
        figure.satisfaction,
    ]


def _csv_value(value: Value, kind: Kind, style: CsvStyle) -> str | int:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DAY_FORMAT)
    if kind is Kind.PERCENT:
        value = round(value * 100, 2)
    if isinstance(value, float):
        return str(value).replace(".", style.decimal)
    return value


def _csv_row(
    values: Sequence[Value], columns: Sequence[Column], style: CsvStyle
) -> list[str | int]:
    return [
        _csv_value(value, column.kind, style) for value, column in zip(values, columns, strict=True)
    ]


def report_csv(report: Report, style: CsvStyle = VIETNAMESE) -> bytes:
    """The report as one CSV file (UTF-8 with BOM, CRLF): a title line, then each section
    as a title line, a Vietnamese header row and its lines, an empty line between tables."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(_title("Báo cáo", report.site_names, report.first, report.last))])
    for name, title_vi, _title_en, figures in report.sections:
        writer.writerow([])
        writer.writerow([title_vi])
        writer.writerow([column.vi for column in REPORT_COLUMNS])
        for figure in figures:
            writer.writerow(_csv_row(_figure_row(name, figure), REPORT_COLUMNS, style))
    return (BOM + buffer.getvalue()).encode("utf-8")


def _sheet_name(title: str) -> str:
    name = FORBIDDEN_IN_SHEET_NAMES.sub(" ", title).strip().strip("'")
    return name[:SHEET_NAME_MAX].strip() or "Sheet"


class _Sheet:
    """A write-only sheet: a bold title row, a bold frozen header row, column widths, then
    rows of typed cells (text as plain strings, never formulas)."""

    def __init__(
        self, workbook: Any, name: str, title: str, columns: Sequence[Column], widths: list[int]
    ) -> None:
        self.sheet = workbook.create_sheet(_sheet_name(name))
        self.columns = columns
        self.bold = Font(bold=True)
        # One formatted cell per (column, format), refilled row after row: a write-only
        # sheet writes a row out as it is appended (30,000 rows of new styled cells cost
        # more than the writing).
        self.formatted: dict[tuple[int, str], Any] = {}
        for index, width in enumerate(widths, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A3"
        self.sheet.print_title_rows = "2:2"
        self.rows = 2
        self.sheet.append([self._text(title, bold=True)])
        self.sheet.append([self._text(column.vi, bold=True) for column in columns])

    def _text(self, text: str, bold: bool = False) -> Any:
        cell = WriteOnlyCell(self.sheet)
        # Set the value first (openpyxl infers the type), then force a string: "=…" would
        # otherwise be a formula and "#N/A" an error value.
        cell.value = text
        cell.data_type = "s"
        if text.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # stays text when someone edits the cell
        if bold:
            cell.font = self.bold
        return cell

    def _formatted(self, index: int, value: Value, number_format: str) -> Any:
        cell = self.formatted.get((index, number_format))
        if cell is None:
            cell = self.formatted[index, number_format] = WriteOnlyCell(self.sheet)
            cell.number_format = number_format
        cell.value = value
        return cell

    def append(self, values: Sequence[Value]) -> None:
        cells: list[Any] = []
        for index, (value, column) in enumerate(zip(values, self.columns, strict=True)):
            if isinstance(value, str):
                text = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML refuses
                plain = not text.startswith(FORMULA_STARTS) and text not in ERROR_CODES
                cells.append(text if plain else self._text(text))
            elif isinstance(value, datetime):
                cells.append(self._formatted(index, value, XLSX_TIME))
            elif isinstance(value, date):
                cells.append(self._formatted(index, value, XLSX_DAY))
            elif value is not None and column.kind in XLSX_NUMBERS:
                cells.append(self._formatted(index, value, XLSX_NUMBERS[column.kind]))
            else:
                cells.append(value)
        self.sheet.append(cells)
        self.rows += 1

    def finish(self) -> None:
        """Filter buttons on the header row, over every row written."""
        self.sheet.auto_filter.ref = f"A2:{get_column_letter(len(self.columns))}{self.rows}"


def _widths(columns: Sequence[Column]) -> list[int]:
    return [column.width or max(len(column.vi) + 2, 8) for column in columns]


def _new_workbook() -> Any:
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "XepHang"
    return workbook


def _xlsx_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook: one sheet per section, each with a title row (the
    section, the centres and the days), a bold frozen header row and numeric cells."""
    workbook = _new_workbook()
    for name, title_vi, _title_en, figures in report.sections:
        widths = _widths(REPORT_COLUMNS)
        widths[0] = min(max([widths[0], *(len(f.label_vi) + 2 for f in figures)]), 60)
        title = _title(title_vi, report.site_names, report.first, report.last)
        sheet = _Sheet(workbook, title_vi, title, REPORT_COLUMNS, widths)
        for figure in figures:
            sheet.append(_figure_row(name, figure))
        sheet.finish()
    return _xlsx_bytes(workbook)


# -- the ticket list ----------------------------------------------------------------------


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput(
            "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must not be before the start."
        )


def _in_range(site_ids: Sequence[int], first: date, last: date) -> list[ColumnElement[bool]]:
    return [Ticket.site_id.in_(site_ids), Ticket.day.between(first, last)]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round(max(0, int((end - start).total_seconds())) / 60, 1)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Spreadsheets know no time zones: a naive local time is what the centre reads.
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def ticket_rows(
    session: Session, site_ids: Sequence[int], first: date, last: date
) -> Iterator[list[Value]]:
    """One row per ticket of the sites from `first` to `last` (local days, both included),
    in TICKET_COLUMNS order, by site, day and issue time; times are naive local datetimes.

    The range is checked at once; the rows are read in batches as the iterator is
    consumed, so the session must stay open until then."""
    _check_range(first, last)
    query = (
        select(
            Ticket.day,
            Site.code.label("site"),
            Site.timezone,
            Ticket.number,
            Service.name_vi.label("service"),
            Ticket.priority,
            Ticket.channel,
            Ticket.status,
            Ticket.issued_at,
            Ticket.first_called_at,
            Ticket.started_at,
            Ticket.ended_at,
            Counter.number.label("counter"),
            User.full_name,
            User.username,
            TicketRating.rating,
        )
        .join(Site, Site.id == Ticket.site_id)
        .join(Service, Service.id == Ticket.service_id)
        .outerjoin(Counter, Counter.id == Ticket.counter_id)
        .outerjoin(User, User.id == Ticket.clerk_id)
        .outerjoin(TicketRating, TicketRating.ticket_id == Ticket.id)
        .where(*_in_range(site_ids, first, last))
        .order_by(Ticket.site_id, Ticket.day, Ticket.issued_at, Ticket.id)
        .execution_options(yield_per=READ_BATCH)
    )
    return _rows(session, query)


def _rows(session: Session, query: Executable) -> Iterator[list[Value]]:
    for row in session.execute(query):
        zone = ZoneInfo(row.timezone)  # cached by zoneinfo
        status = TicketStatus(row.status)
        yield [
            row.day,
            row.site,
            row.number,
            row.service,
            PRIORITY_LABELS[Priority(row.priority)][0] if row.priority else None,
            CHANNEL_LABELS[Channel(row.channel)][0],
            STATUS_LABELS[status][0],
            _local(row.issued_at, zone),
            _local(row.first_called_at, zone),
            _local(row.started_at, zone),
            _local(row.ended_at, zone),
            _minutes(row.issued_at, row.first_called_at),
            # As in the statistics: only a finished service has a service time.
            _minutes(row.started_at, row.ended_at) if status is TicketStatus.DONE else None,
            row.counter,
            (row.full_name or row.username) if row.username else None,
            RATING_LABELS[Rating(row.rating)][0] if row.rating else None,
        ]


def _csv_stream(
    rows: Iterable[list[Value]], columns: Sequence[Column], style: CsvStyle
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([column.vi for column in columns])
    yield buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, 1):
        writer.writerow(_csv_row(row, columns, style))
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def tickets_csv(
    session: Session,
    site_ids: Sequence[int],
    first: date,
    last: date,
    style: CsvStyle = VIETNAMESE,
) -> Iterator[bytes]:
    """The ticket list as CSV (UTF-8 with BOM, CRLF), in chunks of a thousand rows for a
    streaming response; the header comes first, before any ticket is read. The range is
    checked at once; keep the session open until the iterator is exhausted."""
    return _csv_stream(ticket_rows(session, site_ids, first, last), TICKET_COLUMNS, style)


def tickets_xlsx(session: Session, site_ids: Sequence[int], first: date, last: date) -> bytes:
    """The ticket list as an XLSX workbook of one sheet (title row, frozen header row, real
    local date and time cells), written row by row in openpyxl's write-only mode."""
    rows = ticket_rows(session, site_ids, first, last)
    in_range = _in_range(site_ids, first, last)
    count = session.scalar(select(func.count()).select_from(Ticket).where(*in_range)) or 0
    if count > XLSX_MAX_ROWS - 2:
        raise InvalidInput(
            f"Quá nhiều số ({count:,}) cho một tệp XLSX: hãy chọn ít ngày hơn hoặc tải CSV.",
            f"Too many tickets ({count:,}) for one XLSX file: choose fewer days or use CSV.",
        )
    names = list(session.scalars(select(Site.name).where(Site.id.in_(site_ids)).order_by(Site.id)))
    workbook = _new_workbook()
    title = _title(TICKETS_TITLE, names, first, last)
    sheet = _Sheet(workbook, TICKETS_TITLE, title, TICKET_COLUMNS, _widths(TICKET_COLUMNS))
    for row in rows:
        sheet.append(row)
    sheet.finish()
    return _xlsx_bytes(workbook)
