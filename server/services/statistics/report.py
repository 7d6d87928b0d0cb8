"""The managers' report: the figures of some sites over a range of days, per service,
counter, clerk, hour of day and day, read from the roll-ups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    SERVICE_BINS,
    WAIT_BINS,
    Counter,
    Service,
    Site,
    User,
    ticket_stats,
)
from server.domain.errors import InvalidInput
from server.domain.statistics import (
    RATING_LABELS,
    SATISFIED_RATINGS,
    Dimension,
    Durations,
    Period,
    Rating,
    share,
)
from server.services.statistics.periods import check_days
from server.services.statistics.sums import grouped, sums_by_dimension

MAX_REPORT_DAYS = 366 * 5


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
    by_dimension = sums_by_dimension(session, ids, first, last)

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
        for (day,), sums in grouped(session, days, [c.start])
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
