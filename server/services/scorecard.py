"""How reliable the quoted waits were: each wait told to a citizen (server.adapters.db.models
.WaitQuote) graded against the ticket's real first call, per service, per hour and overall.

Definitions (minutes; "real" is from the quote's `at` to the ticket's `first_called_at`,
seconds included; the quote's figures are whole minutes):

- graded: quotes whose ticket was called. Quotes of tickets never called (cancelled,
  expired, still waiting) are left out of every figure but counted as `not_called`.
  A quote made after the ticket's first call (which the server never writes) counts
  nowhere.
- MAE: mean of |real - median|.
- bias: mean of (real - median); positive: citizens waited longer than they were told.
- within: share called at or after `low` and at or before `high`. A quote without a
  `high` ("perhaps not before closing") is within when the ticket was called at or after
  `low`: the citizen was told "from `low` minutes, perhaps not today", and a call at any
  time after `low` kept that promise. It is never `later`.
- later: share called after `high`; earlier: share called before `low`.
- Quotes of kind "issued" (kiosk and paper) and "update" (the phone's figure when it
  moved) are graded apart: "issued" is the promise a citizen decides on; "update" shows
  whether the phone's figure, told closer to the call, deserves more trust.
- The hour is the local hour of the quote at its site (for "issued": the hour of issue);
  the days are the site's local days of the quote.
- A transferred citizen's new ticket has its own quotes, graded against its own first
  call.

Computed with SQL aggregates (sums grouped by service, kind and local hour, one query per
site and span of constant UTC offset), so a year of a province reads a few thousand rows;
the range is still bounded (MAX_SCORECARD_DAYS).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, and_, case, cast, extract, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.adapters.db.models import Service, Site, Ticket, WaitQuote
from server.domain.errors import InvalidInput, NotFound
from server.domain.statistics import share
from server.services.statistics import check_days

MAX_SCORECARD_DAYS = 366
KINDS = ("issued", "update")


@dataclass
class Tally:
    """The additive sums behind a grade."""

    graded: int = 0
    not_called: int = 0
    absolute_error: float = 0.0  # minutes
    error: float = 0.0  # minutes, real - median
    within: int = 0
    later: int = 0
    earlier: int = 0

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class Grade:
    """One line of the scorecard: a service, an hour, or all of them."""

    key: str
    label_vi: str
    label_en: str
    graded: int
    not_called: int
    mae: float | None  # minutes
    bias: float | None  # minutes; positive: waited longer than told
    within: float | None  # shares, 0 to 1
    later: float | None
    earlier: float | None

    @classmethod
    def of(cls, key: str, label_vi: str, label_en: str, tally: Tally) -> Grade:
        n = tally.graded
        return cls(
            key=key,
            label_vi=label_vi,
            label_en=label_en,
            graded=n,
            not_called=tally.not_called,
            mae=round(tally.absolute_error / n, 2) if n else None,
            bias=round(tally.error / n, 2) if n else None,
            within=share(tally.within, n),
            later=share(tally.later, n),
            earlier=share(tally.earlier, n),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Grades:
    """The grades of one kind of quote."""

    total: Grade
    by_service: list[Grade] = field(default_factory=list)
    by_hour: list[Grade] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.as_dict(),
            "by_service": [g.as_dict() for g in self.by_service],
            "by_hour": [g.as_dict() for g in self.by_hour],
        }


@dataclass
class Scorecard:
    site_ids: list[int]
    site_names: list[str]
    first: date
    last: date
    service_id: int | None
    issued: Grades
    updates: Grades

    def as_dict(self) -> dict[str, Any]:
        return {
            "site_ids": self.site_ids,
            "site_names": self.site_names,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "service_id": self.service_id,
            "issued": self.issued.as_dict(),
            "updates": self.updates.as_dict(),
        }


def check_range(first: date, last: date) -> None:
    """InvalidInput unless `first`..`last` is a range of at most MAX_SCORECARD_DAYS."""
    check_days(first, last)
    if last < first:
        raise InvalidInput(
            "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must not be before the start."
        )
    if (last - first).days >= MAX_SCORECARD_DAYS:
        raise InvalidInput(
            f"Độ tin cậy của thời gian chờ chỉ tính tối đa {MAX_SCORECARD_DAYS} ngày mỗi lần.",
            f"The wait scorecard covers at most {MAX_SCORECARD_DAYS} days at a time.",
        )


def offset_spans(
    zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime, int]]:
    """(from, to, UTC offset in seconds) over `start`..`end` (UTC), split where the zone's
    offset changes. Offsets change on a whole UTC hour in every zone in use; Vietnam never
    changes (one span)."""
    step = timedelta(hours=1)
    begin = start
    offset = _offset(zone, start)
    moment = start.replace(minute=0, second=0, microsecond=0) + step
    while moment < end:
        now = _offset(zone, moment)
        if now != offset:
            yield begin, moment, offset
            begin, offset = moment, now
        moment += step
    yield begin, end, offset


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta else 0


def _minutes(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """Minutes from `start` to `end` (UTC datetimes), seconds included."""
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 1440.0
    return cast(extract("epoch", end - start), Float) / 60.0


def _local_hour(dialect: str, moment: Any, offset: int) -> ColumnElement[Any]:
    # The offset is written into the SQL (an int we computed, not input): PostgreSQL takes
    # an expression with a bound parameter in SELECT and in GROUP BY for two expressions.
    if dialect == "sqlite":
        return cast(func.strftime("%H", moment, literal_column(f"'{offset:+d} seconds'")), Integer)
    return extract("hour", moment + literal_column(f"INTERVAL '{offset:d} seconds'"))


def _tallies(
    session: Session, site: Site, first: date, last: date, service_id: int | None
) -> dict[tuple[int, str, int], Tally]:
    """(service, kind, local hour) -> sums, for one site's quotes of `first`..`last`."""
    dialect = session.get_bind().dialect.name
    zone = ZoneInfo(site.timezone)
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
    called = Ticket.first_called_at
    result: dict[tuple[int, str, int], Tally] = {}
    for span_start, span_end, offset in offset_spans(zone, start, end):
        # Each quote's real wait computed once (None: not graded), then summed: a
        # MATERIALIZED CTE, as SQLite would otherwise recompute it in each sum (0.31 s
        # instead of 0.20 s for a ward's month).
        rows = (
            select(
                WaitQuote.service_id.label("service"),
                WaitQuote.kind.label("kind"),
                _local_hour(dialect, WaitQuote.at, offset).label("hour"),
                case((called >= WaitQuote.at, _minutes(dialect, WaitQuote.at, called))).label(
                    "real"
                ),
                case((called.is_(None), 1), else_=0).label("not_called"),
                WaitQuote.low_minutes.label("low"),
                WaitQuote.median_minutes.label("median"),
                WaitQuote.high_minutes.label("high"),
            )
            .join(Ticket, Ticket.id == WaitQuote.ticket_id)
            .where(
                WaitQuote.site_id == site.id,
                WaitQuote.at >= span_start,
                WaitQuote.at < span_end,
            )
        )
        if service_id is not None:
            rows = rows.where(WaitQuote.service_id == service_id)
        q = rows.cte("quotes").prefix_with("MATERIALIZED")

        def count(condition: ColumnElement[bool]) -> Any:
            return func.sum(case((condition, 1), else_=0))

        query = select(
            q.c.service,
            q.c.kind,
            q.c.hour,
            func.count(q.c.real),
            func.sum(q.c.not_called),
            func.sum(func.abs(q.c.real - q.c.median)),
            func.sum(q.c.real - q.c.median),
            count(and_(q.c.real >= q.c.low, q.c.high.is_(None) | (q.c.real <= q.c.high))),
            count(q.c.real > q.c.high),
            count(q.c.real < q.c.low),
        ).group_by(q.c.service, q.c.kind, q.c.hour)
        for service, kind, local_hour, *sums in session.execute(query):
            tally = Tally(
                int(sums[0] or 0),
                int(sums[1] or 0),
                float(sums[2] or 0),
                float(sums[3] or 0),
                int(sums[4] or 0),
                int(sums[5] or 0),
                int(sums[6] or 0),
            )
            result.setdefault((service, kind, int(local_hour)), Tally()).add(tally)
    return result


def scorecard(
    session: Session,
    site_ids: Sequence[int] | None,
    first: date,
    last: date,
    service_id: int | None = None,
) -> Scorecard:
    """The grades of the waits quoted at some sites (None: every site) from `first` to
    `last` (local days, both included), for one service or all; InvalidInput for a range
    over MAX_SCORECARD_DAYS, NotFound for a service of none of the sites."""
    check_range(first, last)
    query = select(Site).order_by(Site.id)
    if site_ids is not None:
        query = query.where(Site.id.in_(site_ids))
    sites = list(session.scalars(query))
    ids = [s.id for s in sites]
    services = {s.id: s for s in session.scalars(select(Service).where(Service.site_id.in_(ids)))}
    if service_id is not None and service_id not in services:
        raise NotFound(
            f"Không có lĩnh vực số {service_id} ở điểm này.",
            f"There is no service {service_id} at this site.",
        )
    tallies: dict[tuple[int, str, int], Tally] = {}
    for site in sites:
        tallies.update(_tallies(session, site, first, last, service_id))

    several = len(sites) > 1
    code = {s.id: s.code for s in sites}

    def grades(kind: str) -> Grades:
        overall = Tally()
        per_service: dict[int, Tally] = {}
        per_hour: dict[int, Tally] = {}
        for (quoted_service, quote_kind, hour), tally in tallies.items():
            if quote_kind != kind:
                continue
            overall.add(tally)
            per_service.setdefault(quoted_service, Tally()).add(tally)
            per_hour.setdefault(hour, Tally()).add(tally)
        by_service = []
        for sid in sorted(per_service, key=lambda s: _service_order(services.get(s), s)):
            service = services.get(sid)
            vi = service.name_vi if service else f"#{sid}"
            en = service.name_en if service else f"#{sid}"
            if several and service:
                vi, en = f"{code[service.site_id]} · {vi}", f"{code[service.site_id]} · {en}"
            by_service.append(Grade.of(str(sid), vi, en or vi, per_service[sid]))
        by_hour = [
            Grade.of(str(h), f"{h:02d}:00–{h + 1:02d}:00", f"{h:02d}:00–{h + 1:02d}:00", t)
            for h, t in sorted(per_hour.items())
        ]
        return Grades(Grade.of("all", "Tổng cộng", "Total", overall), by_service, by_hour)

    return Scorecard(
        site_ids=ids,
        site_names=[s.name for s in sites],
        first=first,
        last=last,
        service_id=service_id,
        issued=grades("issued"),
        updates=grades("update"),
    )


def _service_order(service: Service | None, service_id: int) -> tuple[int, int, int]:
    if service is None:
        return (0, 0, service_id)
    return (service.site_id, service.position, service.id)
