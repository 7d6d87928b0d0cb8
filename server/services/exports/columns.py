"""What every export shares: a column (its Vietnamese and English header, how its values
are written), the local day and time formats, the title line, and the neutralising of text
a spreadsheet would take for a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

Value = str | int | float | date | datetime | None


class Kind(StrEnum):
    """How a column's values are written: text, a count, minutes, or a share (0 to 1,
    written in percent in CSV and with a percent format in XLSX). Days and times are
    recognised by their type."""

    TEXT = "text"
    COUNT = "count"
    MINUTES = "minutes"
    PERCENT = "percent"


class Column(NamedTuple):
    vi: str
    en: str
    kind: Kind = Kind.COUNT
    width: int = 0  # 0: as wide as the header


# A cell starting with one of these is taken for a formula by Excel or LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DAY_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M:%S"


def neutralise(text: str) -> str:
    """The text a spreadsheet shows as typed: an apostrophe before anything it would
    otherwise evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _day_range(first: date, last: date) -> str:
    return f"{first.strftime(DAY_FORMAT)} – {last.strftime(DAY_FORMAT)}"


def heading(report_title: str, site_names: Sequence[str], first: date, last: date) -> str:
    return " · ".join([report_title, ", ".join(site_names), _day_range(first, last)])
