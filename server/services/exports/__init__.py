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

    columns.py      a column, the day and time formats, the title line, neutralising
    csv_files.py    writing CSV (separators by region, streamed in chunks)
    xlsx_files.py   writing XLSX (write-only sheets, typed cells)
    report.py       the statistics report, one table or sheet per section
    ticket_list.py  the ticket list, one row per ticket

Callers import from here: `from server.services.exports import report_csv`.
"""

from server.services.exports.columns import Column, Kind, Value, neutralise
from server.services.exports.csv_files import INTERNATIONAL, VIETNAMESE, CsvStyle
from server.services.exports.report import REPORT_COLUMNS, report_csv, report_xlsx
from server.services.exports.ticket_list import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    TICKET_COLUMNS,
    ticket_rows,
    tickets_csv,
    tickets_xlsx,
)
from server.services.exports.xlsx_files import XLSX_MAX_ROWS

__all__ = [
    "CHANNEL_LABELS",
    "INTERNATIONAL",
    "REPORT_COLUMNS",
    "STATUS_LABELS",
    "TICKET_COLUMNS",
    "VIETNAMESE",
    "XLSX_MAX_ROWS",
    "Column",
    "CsvStyle",
    "Kind",
    "Value",
    "neutralise",
    "report_csv",
    "report_xlsx",
    "ticket_rows",
    "tickets_csv",
    "tickets_xlsx",
]
