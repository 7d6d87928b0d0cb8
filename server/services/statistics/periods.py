"""The calendar of a report: the days it may cover, and which roll-up rows (whole months,
days at the ragged ends) add up to exactly its range.
"""

from __future__ import annotations

from datetime import date, timedelta

from server.domain.errors import InvalidInput
from server.domain.statistics import Period

# The days a report may cover: no ticket exists outside them, and beyond them the date
# arithmetic of a report (a day after 9999-12-31, a local midnight before 0001-01-01 in
# UTC) overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def check_days(first: date, last: date) -> None:
    """InvalidInput unless both days lie between FIRST_DAY and LAST_DAY."""
    if not (FIRST_DAY <= first <= LAST_DAY and FIRST_DAY <= last <= LAST_DAY):
        raise InvalidInput(
            f"Ngày phải trong khoảng {FIRST_DAY:%d/%m/%Y} đến {LAST_DAY:%d/%m/%Y}.",
            f"Dates must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.",
        )


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_span(first: date, last: date) -> tuple[date, date]:
    """The whole months that hold `first` to `last`."""
    return first.replace(day=1), next_month(last) - timedelta(days=1)


def periods_covering(first: date, last: date) -> list[tuple[Period, date, date]]:
    """The roll-up rows that add up to exactly `first`..`last`: (period, first start, last
    start). Whole months are read from their month rows, the ragged ends from day rows."""
    month = first if first.day == 1 else next_month(first)
    whole: list[date] = []
    while next_month(month) - timedelta(days=1) <= last:
        whole.append(month)
        month = next_month(month)
    if not whole:
        return [(Period.DAY, first, last)]
    pieces = [(Period.MONTH, whole[0], whole[-1])]
    if first < whole[0]:
        pieces.append((Period.DAY, first, whole[0] - timedelta(days=1)))
    after = next_month(whole[-1])
    if after <= last:
        pieces.append((Period.DAY, after, last))
    return pieces


Pieces = list[tuple[Period, date, date]]


def signed_periods(first: date, last: date) -> tuple[Pieces, Pieces]:
    """Rows to add and rows to take away that give `first`..`last` for additive figures,
    reading fewer rows than periods_covering: a ragged end covering most of its month is
    read as the month row minus the few day rows outside the range (a year ending on the
    25th: the month's row minus days 26 to 31, which are often still in the future and
    have no rows at all). Maxima cannot be subtracted: they use periods_covering."""
    plus: Pieces = []
    minus: Pieces = []
    for period, low, high in periods_covering(first, last):
        if period == Period.MONTH:
            plus.append((period, low, high))
            continue
        while low <= high:  # each month of a run of days on its own
            month = low.replace(day=1)
            month_end = next_month(month) - timedelta(days=1)
            end = min(high, month_end)
            if (end - low).days + 1 > month_end.day // 2:
                plus.append((Period.MONTH, month, month))
                if month < low:
                    minus.append((Period.DAY, month, low - timedelta(days=1)))
                if end < month_end:
                    minus.append((Period.DAY, end + timedelta(days=1), month_end))
            else:
                plus.append((Period.DAY, low, end))
            low = end + timedelta(days=1)
    return plus, minus
