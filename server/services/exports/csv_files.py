"""Writing CSV: UTF-8 with a BOM and CRLF, the separator and decimal mark of the Excel that
will open the file (see the package's docstring), formulas neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple

from server.services.exports.columns import (
    DAY_FORMAT,
    TIME_FORMAT,
    Column,
    Kind,
    Value,
    neutralise,
)

BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only when it starts with one
CSV_CHUNK_ROWS = 1000


class CsvStyle(NamedTuple):
    """How a CSV separates its fields and writes a decimal number."""

    delimiter: str
    decimal: str


VIETNAMESE = CsvStyle(";", ",")
INTERNATIONAL = CsvStyle(",", ".")


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


def csv_row(values: Sequence[Value], columns: Sequence[Column], style: CsvStyle) -> list[str | int]:
    return [
        _csv_value(value, column.kind, style) for value, column in zip(values, columns, strict=True)
    ]


def csv_stream(
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
        writer.writerow(csv_row(row, columns, style))
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
