"""The wait scorecard (server.services.scorecard.Scorecard) as CSV and XLSX: the quotes
given at issue, then those the phone showed when its figure moved; per service, per hour
and in total.
"""

from __future__ import annotations

import csv
import io

from server.services.exports.columns import Column, Kind, Value, heading, neutralise
from server.services.exports.csv_files import BOM, VIETNAMESE, CsvStyle, csv_row
from server.services.exports.xlsx_files import Sheet, column_widths, new_workbook, xlsx_bytes
from server.services.scorecard import Grade, Scorecard

SCORECARD_COLUMNS: tuple[Column, ...] = (
    Column("Nhóm", "Group", Kind.TEXT, 24),
    Column("Số lượt đã chấm", "Quotes graded"),
    Column("Chưa được gọi", "Not called"),
    Column("Sai số trung bình (phút)", "Mean absolute error (min)", Kind.MINUTES),
    Column("Lệch (phút)", "Bias (min)", Kind.MINUTES),
    Column("Trong khoảng đã báo (%)", "Called within the range shown (%)", Kind.PERCENT),
    Column("Muộn hơn khoảng (%)", "Called later than the range (%)", Kind.PERCENT),
    Column("Sớm hơn khoảng (%)", "Called earlier than the range (%)", Kind.PERCENT),
)

TITLE = "Độ tin cậy của thời gian chờ dự kiến"


KINDS = (
    ("Lấy số", "Báo lúc lấy số", "issued"),
    ("Cập nhật", "Báo lại trên điện thoại", "updates"),
)


def _tables(card: Scorecard) -> list[tuple[str, str, list[Grade]]]:
    """(sheet name, Vietnamese title, lines) of each table; sheet names stay within
    XLSX's 31 characters."""
    tables = []
    for short, kind_vi, name in KINDS:
        grades = getattr(card, name)
        tables.append((f"{short} - Tổng", f"{kind_vi} · Tổng cộng", [grades.total]))
        tables.append((f"{short} - Lĩnh vực", f"{kind_vi} · Theo lĩnh vực", grades.by_service))
        tables.append((f"{short} - Giờ", f"{kind_vi} · Theo giờ", grades.by_hour))
    return tables


def _row(grade: Grade) -> list[Value]:
    return [
        grade.label_vi,
        grade.graded,
        grade.not_called,
        grade.mae,
        grade.bias,
        grade.within,
        grade.later,
        grade.earlier,
    ]


def scorecard_csv(card: Scorecard, style: CsvStyle = VIETNAMESE) -> bytes:
    """The scorecard as one CSV file (UTF-8 with BOM, CRLF), as the statistics report:
    a title line, then each table's title, Vietnamese headers and lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(heading(TITLE, card.site_names, card.first, card.last))])
    for _sheet, title, grades in _tables(card):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow([column.vi for column in SCORECARD_COLUMNS])
        for grade in grades:
            writer.writerow(csv_row(_row(grade), SCORECARD_COLUMNS, style))
    return (BOM + buffer.getvalue()).encode("utf-8")


def scorecard_xlsx(card: Scorecard) -> bytes:
    """The scorecard as an XLSX workbook, one sheet per table."""
    workbook = new_workbook()
    for sheet_name, title, grades in _tables(card):
        widths = column_widths(SCORECARD_COLUMNS)
        widths[0] = min(max([widths[0], *(len(g.label_vi) + 2 for g in grades)]), 60)
        sheet = Sheet(
            workbook,
            sheet_name,
            heading(f"{TITLE} · {title}", card.site_names, card.first, card.last),
            SCORECARD_COLUMNS,
            widths,
        )
        for grade in grades:
            sheet.append(_row(grade))
        sheet.finish()
    return xlsx_bytes(workbook)
