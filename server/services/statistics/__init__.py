"""Statistics: roll-ups kept as tickets change, and the reports read from them.

The rules of what counts are in server.domain.statistics. Here, each use case that moves a
ticket adds its figures to the `ticket_stats` rows of the ticket's local day and month, in
the same transaction (one multi-row upsert), so the figures are as correct as the tickets
themselves and a report over a year reads a few thousand rows.

    rollups.py   what a ticket adds, and the upsert that keeps the rows (ticket use cases)
    rebuild.py   recompute the rows from the tickets and ratings (after an import, or to
                 check them; `xephang stats rebuild`, migration 0006)
    periods.py   the days a report may cover, and the rows that add up to exactly them
    sums.py      the summed rows of a range, per dimension and key
    report.py    the managers' report (Figure, Report) read from those sums

Callers import from here: `from server.services.statistics import report`.
"""

from server.services.statistics.periods import (
    FIRST_DAY,
    LAST_DAY,
    Pieces,
    check_days,
    periods_covering,
    signed_periods,
)
from server.services.statistics.rebuild import READ_RATING, READ_TICKET, rebuild
from server.services.statistics.report import (
    MAX_REPORT_DAYS,
    RATING_CHOICES,
    Figure,
    Report,
    report,
)
from server.services.statistics.rollups import (
    KEY_COLUMNS,
    Figures,
    RowKey,
    add,
    end_figures,
    issued_figures,
    rating_figures,
    ticket_ended,
    ticket_first_called,
    ticket_issued,
    ticket_rated,
    wait_figures,
)
from server.services.statistics.sums import ADDITIVE

__all__ = [
    "ADDITIVE",
    "FIRST_DAY",
    "KEY_COLUMNS",
    "LAST_DAY",
    "MAX_REPORT_DAYS",
    "RATING_CHOICES",
    "READ_RATING",
    "READ_TICKET",
    "Figure",
    "Figures",
    "Pieces",
    "Report",
    "RowKey",
    "add",
    "check_days",
    "end_figures",
    "issued_figures",
    "periods_covering",
    "rating_figures",
    "rebuild",
    "report",
    "signed_periods",
    "ticket_ended",
    "ticket_first_called",
    "ticket_issued",
    "ticket_rated",
    "wait_figures",
]
