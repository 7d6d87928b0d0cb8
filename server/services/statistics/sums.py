"""Summing roll-up rows over a range of days: per dimension and key, the additive figures
added and subtracted as periods.signed_periods says, the maxima over the exact rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    SERVICE_BINS,
    STAT_COUNTS,
    STAT_MAXIMA,
    WAIT_BINS,
    ticket_stats,
)
from server.domain.statistics import Dimension
from server.services.statistics.periods import Pieces, periods_covering, signed_periods

ADDITIVE = (*STAT_COUNTS, *WAIT_BINS, *SERVICE_BINS)


def in_pieces(pieces: Pieces) -> ColumnElement[bool]:
    c = ticket_stats.c
    return or_(
        *(
            and_(c.period == period.value, c.start.between(low, high))
            for period, low, high in pieces
        )
    )


def summed_columns(
    names: Sequence[str] = ADDITIVE, maxima: Sequence[str] = STAT_MAXIMA
) -> list[Any]:
    c = ticket_stats.c
    return [func.sum(c[name]).label(name) for name in names] + [
        func.max(c[name]).label(name) for name in maxima
    ]


def grouped(
    session: Session,
    query: Select[Any],
    group: Sequence[Any],
    names: Sequence[str] = ADDITIVE,
    maxima: Sequence[str] = STAT_MAXIMA,
) -> Iterator[tuple[tuple[Any, ...], dict[str, int]]]:
    """The summed roll-up rows of `query`, one per group: (the group's values, the sums by
    column name). Plain tuples and dicts: a year's report reads ~500 rows of 150 sums."""
    width = len(group)
    summed = (*names, *maxima)
    result = session.execute(query.add_columns(*summed_columns(names, maxima)).group_by(*group))
    for row in result:
        yield row[:width], dict(zip(summed, (value or 0 for value in row[width:]), strict=True))


def sums_by_dimension(
    session: Session, ids: Sequence[int], first: date, last: date
) -> dict[str, dict[int, dict[str, int]]]:
    """Every dimension's figures summed over the range: the additive ones from
    signed_periods (added rows minus subtracted rows), the maxima from the exact rows."""
    c = ticket_stats.c
    plus, minus = signed_periods(first, last)
    found: dict[str, dict[int, dict[str, int]]] = {d.value: {} for d in Dimension}
    group = [c.dimension, c.key]

    def rows(pieces: Pieces, names: Sequence[str], maxima: Sequence[str]) -> Any:
        query = select(*group).where(c.site_id.in_(ids), in_pieces(pieces))
        return grouped(session, query, group, names, maxima)

    for (dimension, key), sums in rows(plus, ADDITIVE, ()):
        found[dimension][key] = sums
    if minus:
        for (dimension, key), taken in rows(minus, ADDITIVE, ()):
            sums = found[dimension].get(key)
            if sums is not None:
                for name, value in taken.items():
                    sums[name] -= value
    for (dimension, key), peaks in rows(periods_covering(first, last), (), STAT_MAXIMA):
        found[dimension].setdefault(key, {}).update(peaks)
    # A key whose only rows were taken away (all its figures in the excluded days) is gone.
    for lines in found.values():
        for key in [k for k, sums in lines.items() if not any(sums.values())]:
            del lines[key]
    return found
