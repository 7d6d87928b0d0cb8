"""Writing XLSX with openpyxl's write-only mode: a bold title row, a bold frozen header row,
typed cells (real numbers, local dates and times), text never taken for a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import (
    ERROR_CODES,
    ILLEGAL_CHARACTERS_RE,
)
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from server.services.exports.columns import FORMULA_STARTS, Column, Kind, Value

XLSX_MAX_ROWS = 1_048_576
SHEET_NAME_MAX = 31
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")

XLSX_DAY = "dd/mm/yyyy"
XLSX_TIME = "hh:mm:ss"  # the cell holds the whole local date and time; the day has a column
XLSX_NUMBERS = {Kind.MINUTES: "0.0", Kind.PERCENT: "0.0%"}


def _sheet_name(title: str) -> str:
    name = FORBIDDEN_IN_SHEET_NAMES.sub(" ", title).strip().strip("'")
    return name[:SHEET_NAME_MAX].strip() or "Sheet"


class Sheet:
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


def column_widths(columns: Sequence[Column]) -> list[int]:
    return [column.width or max(len(column.vi) + 2, 8) for column in columns]


def new_workbook() -> Any:
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "XepHang"
    return workbook


def xlsx_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
