"""Vietnam's public holidays, as a default list for the forecast: the fixed days, and the
lunar ones (Tết, the Hùng Kings' day) from a table of their solar dates.

The government fixes the days off each year (Tết's bridge days, swapped weekends), so this
is an approximation: Tết's eve to its fourth day. A centre's own list, when there is one,
should be passed to the forecast instead.
"""

from __future__ import annotations

from datetime import date, timedelta

# The first day of the lunar year (Tết Nguyên Đán).
TET = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# The tenth day of the third lunar month (Giỗ Tổ Hùng Vương).
HUNG_KINGS = {
    2023: date(2023, 4, 29),
    2024: date(2024, 4, 18),
    2025: date(2025, 4, 7),
    2026: date(2026, 4, 26),
}
FIXED = ((1, 1), (4, 30), (5, 1), (9, 1), (9, 2))
TET_DAYS_OFF = range(-1, 4)  # the eve to the fourth day


def vietnam_holidays(first_year: int, last_year: int) -> frozenset[date]:
    """The public holidays of the years from `first_year` to `last_year` (included) that
    this table knows."""
    days: set[date] = set()
    for year in range(first_year, last_year + 1):
        days.update(date(year, month, day) for month, day in FIXED)
        if year in TET:
            days.update(TET[year] + timedelta(days=d) for d in TET_DAYS_OFF)
        if year in HUNG_KINGS:
            days.add(HUNG_KINGS[year])
    return frozenset(days)
