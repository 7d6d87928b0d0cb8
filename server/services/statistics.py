"""Statistics: roll-ups kept as tickets change, and the reports read from them.

The rules of what counts are in server.domain.statistics. Here, each use case that moves a
ticket adds its figures to the `ticket_stats` rows of the ticket's local day and month, in
the same transaction (one multi-row upsert), so the figures are as correct as the tickets
themselves and a report over a year reads a few thousand rows. `rebuild` recomputes the
rows from the tickets and ratings (after an import, or to check them).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, load_only

from server.adapters.db.models import (
    SERVICE_BINS,
    STAT_COUNTS,
    STAT_MAXIMA,
    WAIT_BINS,
    Counter,
    Service,
    Site,
    Ticket,
    TicketRating,
    User,
    ticket_stats,
)
from server.domain.errors import InvalidInput
from server.domain.statistics import (
    OUTCOME_OF,
    RATING_LABELS,
    SATISFIED_RATINGS,
    Dimension,
    Durations,
    Period,
    Rating,
    bin_index,
    share,
)
from server.domain.tickets import TicketStatus

Figures = dict[str, int]
RowKey = tuple[int, Period, date, Dimension, int]

ADDITIVE = (*STAT_COUNTS, *WAIT_BINS, *SERVICE_BINS)
MAX_REPORT_DAYS = 366 * 5
# The days a report may cover: no ticket exists outside them, and beyond them the date
# arithmetic of a report (a day after 9999-12-31, a local midnight before 0001-01-01 in
# UTC) overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


# -- what a ticket adds -------------------------------------------------------------------


def issued_figures(ticket: Ticket) -> Figures:
    # A transfer's new ticket is the same citizen: not issued twice.
    return {} if ticket.transferred_from_id is not None else {"issued": 1}


def wait_figures(ticket: Ticket, target_minutes: int) -> Figures:
    if ticket.first_called_at is None:
        return {}
    seconds = max(0, int((ticket.first_called_at - ticket.issued_at).total_seconds()))
    return {
        "wait_count": 1,
        "wait_seconds": seconds,
        "wait_within_target": int(seconds <= target_minutes * 60),
        "wait_max": seconds,
        WAIT_BINS[bin_index(seconds)]: 1,
    }


def end_figures(ticket: Ticket) -> Figures:
    outcome = OUTCOME_OF.get(TicketStatus(ticket.status))
    if outcome is None:
        return {}
    figures = {outcome.value: 1}
    if ticket.status == TicketStatus.DONE and ticket.started_at and ticket.ended_at:
        seconds = max(0, int((ticket.ended_at - ticket.started_at).total_seconds()))
        figures |= {
            "service_count": 1,
            "service_seconds": seconds,
            "service_max": seconds,
            SERVICE_BINS[bin_index(seconds)]: 1,
        }
    return figures


def rating_figures(rating: Rating) -> Figures:
    return {f"rating_{rating.value}": 1}


def _dimensions(
    ticket: Ticket, zone: ZoneInfo, counter_id: int | None, clerk_id: int | None
) -> list[tuple[Dimension, int]]:
    keys = [
        (Dimension.ALL, 0),
        (Dimension.SERVICE, ticket.service_id),
        (Dimension.HOUR, ticket.issued_at.astimezone(zone).hour),
    ]
    if counter_id is not None:
        keys.append((Dimension.COUNTER, counter_id))
    if clerk_id is not None:
        keys.append((Dimension.CLERK, clerk_id))
    return keys


def _row_keys(
    ticket: Ticket, zone: ZoneInfo, counter_id: int | None, clerk_id: int | None
) -> Iterator[RowKey]:
    for dimension, key in _dimensions(ticket, zone, counter_id, clerk_id):
        yield ticket.site_id, Period.DAY, ticket.day, dimension, key
        yield ticket.site_id, Period.MONTH, ticket.day.replace(day=1), dimension, key


# -- keeping the roll-ups -----------------------------------------------------------------


KEY_COLUMNS = tuple(c.name for c in ticket_stats.primary_key)


@lru_cache(maxsize=128)
def _upsert_statement(dialect: str, names: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE adding `names` to a roll-up row, built once per
    dialect and set of figures so SQLAlchemy compiles it once."""
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(ticket_stats)
    greatest = func.greatest if dialect == "postgresql" else func.max
    updates = {
        name: greatest(ticket_stats.c[name], insert.excluded[name])
        if name in STAT_MAXIMA
        else ticket_stats.c[name] + insert.excluded[name]
        for name in names
    }
    return insert.on_conflict_do_update(index_elements=list(KEY_COLUMNS), set_=updates)


def _upsert(session: Session, dialect: str, rows: Mapping[RowKey, Figures]) -> None:
    """Add figures to roll-up rows, creating them as needed."""
    if not rows:
        return
    names = tuple(sorted({name for figures in rows.values() for name in figures}))
    values = [
        {
            "site_id": site_id,
            "period": period.value,
            "start": start,
            "dimension": dimension.value,
            "key": key,
            **{name: figures.get(name, 0) for name in names},
        }
        for (site_id, period, start, dimension, key), figures in rows.items()
    ]
    session.execute(_upsert_statement(dialect, names), values)


def add(
    session: Session,
    dialect: str,
    ticket: Ticket,
    figures: Figures,
    counter_id: int | None = None,
    clerk_id: int | None = None,
    zone: ZoneInfo | None = None,
) -> None:
    """Add one ticket's figures to its site, service, hour (and counter and clerk); the
    site's time zone is read unless the caller knows it."""
    if not figures:
        return
    if zone is None:
        site = session.get(Site, ticket.site_id)
        assert site is not None
        zone = ZoneInfo(site.timezone)
    _upsert(
        session, dialect, {key: figures for key in _row_keys(ticket, zone, counter_id, clerk_id)}
    )


def ticket_issued(
    session: Session, dialect: str, ticket: Ticket, zone: ZoneInfo | None = None
) -> None:
    add(session, dialect, ticket, issued_figures(ticket), zone=zone)


def ticket_first_called(session: Session, dialect: str, ticket: Ticket) -> None:
    figures = wait_figures(ticket, ticket.service.target_minutes)
    add(session, dialect, ticket, figures, ticket.counter_id, ticket.clerk_id)


def ticket_ended(session: Session, dialect: str, ticket: Ticket) -> None:
    add(session, dialect, ticket, end_figures(ticket), ticket.counter_id, ticket.clerk_id)


def ticket_rated(session: Session, dialect: str, ticket: Ticket, rating: TicketRating) -> None:
    figures = rating_figures(Rating(rating.rating))
    add(session, dialect, ticket, figures, rating.counter_id, rating.clerk_id)


# What a rebuild reads of tickets and ratings: only the columns the figures need (anything
# else raises), so that migration 0006, which rebuilds with this code, still runs on the
# schema of its revision after later migrations add columns to these tables.
READ_TICKET = load_only(
    Ticket.site_id,
    Ticket.service_id,
    Ticket.day,
    Ticket.status,
    Ticket.issued_at,
    Ticket.first_called_at,
    Ticket.started_at,
    Ticket.ended_at,
    Ticket.transferred_from_id,
    Ticket.counter_id,
    Ticket.clerk_id,
    raiseload=True,
)
READ_RATING = load_only(
    TicketRating.rating, TicketRating.counter_id, TicketRating.clerk_id, raiseload=True
)


def _month_span(first: date, last: date) -> tuple[date, date]:
    """The whole months that hold `first` to `last`."""
    return first.replace(day=1), _next_month(last) - timedelta(days=1)


def rebuild(
    session: Session,
    dialect: str,
    site_ids: Sequence[int] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> int:
    """Recompute the roll-ups of some sites (default all) over whole months from their
    tickets and ratings; returns the number of tickets read. Runs in the caller's
    transaction."""
    if site_ids is None:
        site_ids = list(session.scalars(select(Site.id)))
    span = select(func.min(Ticket.day), func.max(Ticket.day)).where(Ticket.site_id.in_(site_ids))
    bounds: Any = session.execute(span).one()  # (None, None) when there are no tickets
    first = first or bounds[0]
    last = last or bounds[1]
    if first is None or last is None:
        return 0
    first, last = _month_span(first, last)
    session.execute(
        delete(ticket_stats).where(
            ticket_stats.c.site_id.in_(site_ids),
            ticket_stats.c.start.between(first, last),
        )
    )
    zones = {id_: ZoneInfo(zone) for id_, zone in session.execute(select(Site.id, Site.timezone))}
    targets = dict(session.execute(select(Service.id, Service.target_minutes)).all())
    rows: dict[RowKey, Tally[str]] = {}
    maxima: dict[RowKey, dict[str, int]] = {}

    def collect(
        ticket: Ticket, figures: Figures, counter_id: int | None, clerk_id: int | None
    ) -> None:
        if not figures:  # as `add`: nothing to add makes no row
            return
        for key in _row_keys(ticket, zones[ticket.site_id], counter_id, clerk_id):
            tally = rows.get(key)
            if tally is None:  # not setdefault: that would build a Counter on every call
                tally = rows[key] = Tally()
            for name, value in figures.items():
                if name in STAT_MAXIMA:
                    peaks = maxima.setdefault(key, {})
                    peaks[name] = max(peaks.get(name, 0), value)
                else:
                    tally[name] += value

    in_range = and_(Ticket.site_id.in_(site_ids), Ticket.day.between(first, last))
    count = 0
    tickets = select(Ticket).options(READ_TICKET).where(in_range)
    for ticket in session.scalars(tickets.execution_options(yield_per=2000)):
        count += 1
        collect(ticket, issued_figures(ticket), None, None)
        people = (ticket.counter_id, ticket.clerk_id)
        collect(ticket, wait_figures(ticket, targets[ticket.service_id]), *people)
        collect(ticket, end_figures(ticket), *people)
    rated = (
        select(Ticket, TicketRating)
        .options(READ_TICKET, READ_RATING)
        .join(TicketRating, TicketRating.ticket_id == Ticket.id)
    )
    for ticket, rating in session.execute(rated.where(in_range)):
        collect(ticket, rating_figures(Rating(rating.rating)), rating.counter_id, rating.clerk_id)
    session.expunge_all()

    batch: dict[RowKey, Figures] = {}
    for key, tally in rows.items():
        batch[key] = {**tally, **maxima.get(key, {})}
        if len(batch) >= 500:
            _upsert(session, dialect, batch)
            batch = {}
    _upsert(session, dialect, batch)
    return count


# -- reading them -------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of a report: a site, service, counter, clerk, hour or day."""

    key: str
    label_vi: str
    label_en: str
    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred: int = 0
    expired: int = 0
    wait: Durations = field(default_factory=lambda: Durations.of(0, 0, 0, ()))
    service: Durations = field(default_factory=lambda: Durations.of(0, 0, 0, ()))
    within_target: float | None = None
    ratings: dict[str, int] = field(default_factory=dict)
    satisfaction: float | None = None

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "wait": vars(self.wait), "service": vars(self.service)}


@dataclass
class Report:
    site_ids: list[int]
    site_names: list[str]
    first: date
    last: date
    total: Figure
    by_service: list[Figure]
    by_counter: list[Figure]
    by_clerk: list[Figure]
    by_hour: list[Figure]
    by_day: list[Figure]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (by hand: dataclasses.asdict deep-copies, a third of a year's report)."""
        return {
            "site_ids": self.site_ids,
            "site_names": self.site_names,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "total": self.total.as_dict(),
            **{
                f"by_{name}": [line.as_dict() for line in lines]
                for name, _, _, lines in self.sections
                if name != "total"
            },
        }

    @property
    def sections(self) -> list[tuple[str, str, str, list[Figure]]]:
        """(name, Vietnamese title, English title, lines) of every table of the report."""
        return [
            ("total", "Toàn trung tâm", "Whole centre", [self.total]),
            ("service", "Theo lĩnh vực", "By service", self.by_service),
            ("counter", "Theo quầy", "By counter", self.by_counter),
            ("clerk", "Theo cán bộ", "By clerk", self.by_clerk),
            ("hour", "Theo giờ trong ngày", "By hour of day", self.by_hour),
            ("day", "Theo ngày", "By day", self.by_day),
        ]


def _figure(key: str, label_vi: str, label_en: str, sums: Mapping[str, int]) -> Figure:
    ratings = {r.value: int(sums.get(f"rating_{r.value}", 0)) for r in Rating}
    rated = sum(ratings.values())
    satisfied = sum(ratings[r.value] for r in SATISFIED_RATINGS)

    def durations(prefix: str, bins: Sequence[str]) -> Durations:
        return Durations.of(
            int(sums.get(f"{prefix}_count") or 0),
            int(sums.get(f"{prefix}_seconds") or 0),
            int(sums.get(f"{prefix}_max") or 0),
            [int(sums.get(name) or 0) for name in bins],
        )

    wait = durations("wait", WAIT_BINS)
    return Figure(
        key=key,
        label_vi=label_vi,
        label_en=label_en,
        issued=int(sums.get("issued") or 0),
        served=int(sums.get("served") or 0),
        no_show=int(sums.get("no_show") or 0),
        cancelled=int(sums.get("cancelled") or 0),
        transferred=int(sums.get("transferred") or 0),
        expired=int(sums.get("expired") or 0),
        wait=wait,
        service=durations("service", SERVICE_BINS),
        within_target=share(int(sums.get("wait_within_target") or 0), wait.count),
        ratings=ratings,
        satisfaction=share(satisfied, rated),
    )


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def periods_covering(first: date, last: date) -> list[tuple[Period, date, date]]:
    """The roll-up rows that add up to exactly `first`..`last`: (period, first start, last
    start). Whole months are read from their month rows, the ragged ends from day rows."""
    month = first if first.day == 1 else _next_month(first)
    whole: list[date] = []
    while _next_month(month) - timedelta(days=1) <= last:
        whole.append(month)
        month = _next_month(month)
    if not whole:
        return [(Period.DAY, first, last)]
    pieces = [(Period.MONTH, whole[0], whole[-1])]
    if first < whole[0]:
        pieces.append((Period.DAY, first, whole[0] - timedelta(days=1)))
    after = _next_month(whole[-1])
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
            month_end = _next_month(month) - timedelta(days=1)
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


def _in_pieces(pieces: Pieces) -> ColumnElement[bool]:
    c = ticket_stats.c
    return or_(
        *(
            and_(c.period == period.value, c.start.between(low, high))
            for period, low, high in pieces
        )
    )


def _sums(names: Sequence[str] = ADDITIVE, maxima: Sequence[str] = STAT_MAXIMA) -> list[Any]:
    c = ticket_stats.c
    return [func.sum(c[name]).label(name) for name in names] + [
        func.max(c[name]).label(name) for name in maxima
    ]


def _grouped(
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
    result = session.execute(query.add_columns(*_sums(names, maxima)).group_by(*group))
    for row in result:
        yield row[:width], dict(zip(summed, (value or 0 for value in row[width:]), strict=True))


def _by_dimension(
    session: Session, ids: Sequence[int], first: date, last: date
) -> dict[str, dict[int, dict[str, int]]]:
    """Every dimension's figures summed over the range: the additive ones from
    signed_periods (added rows minus subtracted rows), the maxima from the exact rows."""
    c = ticket_stats.c
    plus, minus = signed_periods(first, last)
    found: dict[str, dict[int, dict[str, int]]] = {d.value: {} for d in Dimension}
    group = [c.dimension, c.key]

    def rows(pieces: Pieces, names: Sequence[str], maxima: Sequence[str]) -> Any:
        query = select(*group).where(c.site_id.in_(ids), _in_pieces(pieces))
        return _grouped(session, query, group, names, maxima)

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


def check_days(first: date, last: date) -> None:
    """InvalidInput unless both days lie between FIRST_DAY and LAST_DAY."""
    if not (FIRST_DAY <= first <= LAST_DAY and FIRST_DAY <= last <= LAST_DAY):
        raise InvalidInput(
            f"Ngày phải trong khoảng {FIRST_DAY:%d/%m/%Y} đến {LAST_DAY:%d/%m/%Y}.",
            f"Dates must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}.",
        )


def report(session: Session, site_ids: Sequence[int] | None, first: date, last: date) -> Report:
    """The figures of some sites (None: every site) from `first` to `last`, both local days
    included."""
    check_days(first, last)
    if last < first:
        raise InvalidInput(
            "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must not be before the start."
        )
    if (last - first).days > MAX_REPORT_DAYS:
        raise InvalidInput(
            "Khoảng thời gian quá dài (tối đa 5 năm).",
            "The date range is too long (5 years at most).",
        )
    sites = list(
        session.scalars(
            select(Site).where(Site.id.in_(site_ids)) if site_ids is not None else select(Site)
        ).all()
    )
    ids = sorted(s.id for s in sites)
    c = ticket_stats.c
    by_dimension = _by_dimension(session, ids, first, last)

    several = len(ids) > 1
    site_code = {s.id: s.code for s in sites}

    def where_label(site_id: int, vi: str, en: str) -> tuple[str, str]:
        return (
            (f"{site_code[site_id]} · {vi}", f"{site_code[site_id]} · {en}")
            if several
            else (vi, en)
        )

    services = {s.id: s for s in session.scalars(select(Service).where(Service.site_id.in_(ids)))}
    counters = {k.id: k for k in session.scalars(select(Counter).where(Counter.site_id.in_(ids)))}
    clerk_ids = list(by_dimension[Dimension.CLERK])
    clerks = {u.id: u for u in session.scalars(select(User).where(User.id.in_(clerk_ids)))}

    by_service = []
    for service in sorted(services.values(), key=lambda s: (s.site_id, s.position, s.id)):
        if service.id in by_dimension[Dimension.SERVICE]:
            vi, en = where_label(service.site_id, service.name_vi, service.name_en)
            by_service.append(
                _figure(str(service.id), vi, en, by_dimension[Dimension.SERVICE][service.id])
            )
    by_counter = []
    for counter in sorted(counters.values(), key=lambda k: (k.site_id, k.number)):
        if counter.id in by_dimension[Dimension.COUNTER]:
            vi, en = where_label(
                counter.site_id, f"Quầy {counter.number}", f"Counter {counter.number}"
            )
            by_counter.append(
                _figure(str(counter.id), vi, en, by_dimension[Dimension.COUNTER][counter.id])
            )
    by_clerk = []
    for clerk_id, sums in by_dimension[Dimension.CLERK].items():
        user = clerks.get(clerk_id)
        name = (user.full_name or user.username) if user else f"#{clerk_id}"
        by_clerk.append(_figure(str(clerk_id), name, name, sums))
    by_clerk.sort(key=lambda f: f.label_vi)
    by_hour = [
        _figure(
            str(hour), f"{hour:02d}:00–{hour + 1:02d}:00", f"{hour:02d}:00–{hour + 1:02d}:00", sums
        )
        for hour, sums in sorted(by_dimension[Dimension.HOUR].items())
    ]
    days = select(c.start).where(
        c.site_id.in_(ids),
        c.period == Period.DAY.value,
        c.dimension == Dimension.ALL.value,
        c.start.between(first, last),
    )
    by_day = [
        _figure(day.isoformat(), day.strftime("%d/%m/%Y"), day.isoformat(), sums)
        for (day,), sums in _grouped(session, days, [c.start])
    ]
    by_day.sort(key=lambda f: f.key)
    total = _figure("all", "Tổng cộng", "Total", by_dimension[Dimension.ALL].get(0, {}))
    return Report(
        site_ids=ids,
        site_names=[s.name for s in sorted(sites, key=lambda s: s.id)],
        first=first,
        last=last,
        total=total,
        by_service=by_service,
        by_counter=by_counter,
        by_clerk=by_clerk,
        by_hour=by_hour,
        by_day=by_day,
    )


RATING_CHOICES = [(r.value, vi, en) for r, (vi, en) in RATING_LABELS.items()]
