"""The managers' report (server.services.statistics.Report) as CSV and XLSX: one table per
section, one line per figure.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from server.domain.statistics import RATING_LABELS
from server.services.exports.columns import Column, Kind, Value, heading, neutralise
from server.services.exports.csv_files import BOM, VIETNAMESE, CsvStyle, csv_row
from server.services.exports.xlsx_files import Sheet, column_widths, new_workbook, xlsx_bytes
from server.services.statistics import Figure, Report

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


def report_csv(report: Report, style: CsvStyle = VIETNAMESE) -> bytes:
    """The report as one CSV file (UTF-8 with BOM, CRLF): a title line, then each section
    as a title line, a Vietnamese header row and its lines, an empty line between tables."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(heading("Báo cáo", report.site_names, report.first, report.last))])
    for name, title_vi, _title_en, figures in report.sections:
        writer.writerow([])
        writer.writerow([title_vi])
        writer.writerow([column.vi for column in REPORT_COLUMNS])
        for figure in figures:
            writer.writerow(csv_row(_figure_row(name, figure), REPORT_COLUMNS, style))
    return (BOM + buffer.getvalue()).encode("utf-8")


def report_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook: one sheet per section, each with a title row (the
    section, the centres and the days), a bold frozen header row and numeric cells."""
    workbook = new_workbook()
    for name, title_vi, _title_en, figures in report.sections:
        widths = column_widths(REPORT_COLUMNS)
        widths[0] = min(max([widths[0], *(len(f.label_vi) + 2 for f in figures)]), 60)
        title = heading(title_vi, report.site_names, report.first, report.last)
        sheet = Sheet(workbook, title_vi, title, REPORT_COLUMNS, widths)
        for figure in figures:
            sheet.append(_figure_row(name, figure))
        sheet.finish()
    return xlsx_bytes(workbook)
