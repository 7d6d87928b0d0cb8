"""The ticket list of some sites over some days, one row per ticket, as CSV (streamed in
chunks) and XLSX.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Service, Site, Ticket, TicketRating, User
from server.domain.errors import InvalidInput
from server.domain.statistics import RATING_LABELS, Rating
from server.domain.tickets import PRIORITY_LABELS, Channel, Priority, TicketStatus
from server.services.exports.columns import Column, Kind, Value, heading
from server.services.exports.csv_files import VIETNAMESE, CsvStyle, csv_stream
from server.services.exports.xlsx_files import (
    XLSX_MAX_ROWS,
    Sheet,
    column_widths,
    new_workbook,
    xlsx_bytes,
)

READ_BATCH = 2000

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
    return csv_stream(ticket_rows(session, site_ids, first, last), TICKET_COLUMNS, style)


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
    workbook = new_workbook()
    title = heading(TICKETS_TITLE, names, first, last)
    sheet = Sheet(workbook, TICKETS_TITLE, title, TICKET_COLUMNS, column_widths(TICKET_COLUMNS))
    for row in rows:
        sheet.append(row)
    sheet.finish()
    return xlsx_bytes(workbook)
