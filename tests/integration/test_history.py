"""Synthetic history (bench/history.py, run as `python -m bench.history`): a small seeded
fill on the real database (SQLite, or PostgreSQL in the second pass) looks like a centre's
past and keeps every rule the live system keeps: times in order, numbers unique per
service and day, sequence rows at the last number, transfers keeping their number,
roll-ups equal to a rebuild and to counts straight from the tickets, and the counters
calling by the server's own rule."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bench import history
from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import (
    Counter as CounterRow,
)
from server.adapters.db.models import (
    Service,
    Site,
    Ticket,
    TicketRating,
    TicketSequence,
    User,
    ticket_stats,
)
from server.cli.demo import DemoCredentials
from server.cli.main import cli
from server.domain import selection
from server.domain.tickets import TicketStatus
from server.services import statistics
from tests.databases import Databases

SITES, DAYS, PER_DAY, SEED = 2, 20, 60, 7
END = date(2026, 11, 25)  # a Wednesday
FIRST = END - timedelta(days=DAYS - 1)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def filled(
    backend: Databases,
    demo_template: tuple[str, DemoCredentials],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Database, history.History]]:
    """The demo centre plus two synthetic sites of 20 days, filled once for the module;
    the tests only read it (or roll their changes back)."""
    url = backend.copy(demo_template[0], tmp_path_factory.mktemp("history"))
    db = Database(url)
    made = history.fill(db, SITES, DAYS, PER_DAY, seed=SEED, end=END)
    yield db, made
    db.dispose()
    backend.drop(url)


def site_ids(made: history.History) -> list[int]:
    return [site_id for site_id, _ in made.sites]


def tickets_of(db: Database, made: history.History) -> list[Ticket]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(Ticket).where(Ticket.site_id.in_(site_ids(made))).order_by(Ticket.id)
            )
        )


def test_the_fill_makes_new_sites_like_the_demo_centre(
    filled: tuple[Database, history.History],
) -> None:
    db, made = filled
    assert [code for _, code in made.sites] == ["hist-01", "hist-02"]
    with db.reading() as session:
        for site_id in site_ids(made):
            site = session.get(Site, site_id)
            assert site is not None and site.timezone == "Asia/Ho_Chi_Minh"
            assert [s.code for s in site.services] == ["HT", "CT", "DD", "LD", "KD", "TKQ"]
            assert len(site.counters) == 6  # 60 a day is one set of the demo's counters
            clerks = session.scalars(
                select(User).join(User.counters).where(CounterRow.site_id == site_id).distinct()
            ).all()
            assert len(clerks) == 6 and all(c.username.startswith(site.code) for c in clerks)
        # The demo centre is untouched and its tickets are not mixed in.
        assert session.scalar(select(func.count()).select_from(Site)) == 3


def test_the_volume_is_around_the_asked_per_day(filled: tuple[Database, history.History]) -> None:
    db, made = filled
    expected = history.expected_tickets(SITES, DAYS, PER_DAY, END)
    with db.reading() as session:
        first_tickets = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.site_id.in_(site_ids(made)), Ticket.transferred_from_id.is_(None))
        )
    assert first_tickets is not None
    assert 0.85 * expected <= first_tickets <= 1.15 * expected
    # 20 days ending on a Wednesday: 17 working days (Mondays to Saturdays).
    assert made.open_days == 17
    days = {t.day for t in tickets_of(db, made)}
    assert min(days) >= FIRST and max(days) <= END
    assert all(day.weekday() != 6 for day in days)


def test_the_busiest_hour_is_mid_morning(filled: tuple[Database, history.History]) -> None:
    db, made = filled
    by_hour = Counter(
        t.issued_at.astimezone(ZONE).hour
        for t in tickets_of(db, made)
        if t.transferred_from_id is None
    )
    busiest, _ = by_hour.most_common(1)[0]
    assert busiest in (8, 9)
    assert set(by_hour) <= {7, 8, 9, 10, 11, 13, 14, 15, 16}  # the kiosk's hours
    morning = sum(n for hour, n in by_hour.items() if hour < 12)
    assert morning > sum(by_hour.values()) / 2


def test_outcomes_fall_in_plausible_bands(filled: tuple[Database, history.History]) -> None:
    db, made = filled
    tickets = tickets_of(db, made)
    statuses = Counter(t.status for t in tickets if t.transferred_from_id is None)
    total = sum(statuses.values())
    assert set(statuses) <= {
        TicketStatus.DONE,
        TicketStatus.NO_SHOW,
        TicketStatus.CANCELLED,
        TicketStatus.TRANSFERRED,
        TicketStatus.EXPIRED,
    }  # every ticket of the past is finished
    assert 0.03 <= statuses[TicketStatus.NO_SHOW] / total <= 0.08
    # Cancelling follows from waiting: 60 a day at six counters hardly wait (see below).
    assert statuses[TicketStatus.CANCELLED] / total <= 0.04
    assert 0.005 <= statuses[TicketStatus.TRANSFERRED] / total <= 0.04
    assert statuses[TicketStatus.DONE] / total >= 0.85
    priority = sum(1 for t in tickets if t.priority and t.transferred_from_id is None)
    assert 0.04 <= priority / total <= 0.12
    served = sum(1 for t in tickets if t.status == TicketStatus.DONE)
    assert 0.3 <= made.ratings / served <= 0.5


def test_every_tickets_times_are_in_order(filled: tuple[Database, history.History]) -> None:
    db, made = filled
    for t in tickets_of(db, made):
        assert t.ended_at is not None, t.number
        moments = [t.issued_at, t.first_called_at, t.called_at, t.started_at, t.ended_at]
        present = [m for m in moments if m is not None]
        assert present == sorted(present), (t.id, t.status, moments)
        assert t.queued_at <= t.issued_at
        assert t.day == t.queued_at.astimezone(ZONE).date()
        called = t.first_called_at is not None
        assert called == (t.counter_id is not None) == (t.clerk_id is not None)
        assert (t.started_at is not None) == (
            t.status in (TicketStatus.DONE, TicketStatus.TRANSFERRED)
        )
        if t.status in (TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.TRANSFERRED):
            assert called


def test_numbers_are_unique_per_service_and_day_and_the_sequences_hold_the_last(
    filled: tuple[Database, history.History],
) -> None:
    db, made = filled
    tickets = tickets_of(db, made)
    by_id = {t.id: t for t in tickets}
    with db.reading() as session:
        formats = {s.id: s.number_format for s in session.scalars(select(Service))}
        sequences = {
            (row.site_id, row.service_id, row.day): row.last_value
            for row in session.scalars(
                select(TicketSequence).where(TicketSequence.site_id.in_(site_ids(made)))
            )
        }
    numbered: dict[tuple[int, int, date], list[int]] = {}
    for t in tickets:
        if t.transferred_from_id is None:
            numbered.setdefault((t.site_id, t.service_id, t.day), []).append(t.sequence)
            assert t.number == formats[t.service_id].display(t.sequence)
        else:  # a transfer keeps the number, the token and the place in line
            first = by_id[t.transferred_from_id]
            assert first.status == TicketStatus.TRANSFERRED
            assert (t.number, t.token, t.queued_at) == (first.number, first.token, first.queued_at)
            assert t.service_id != first.service_id and t.issued_at == first.ended_at
    for key, values in numbered.items():
        assert sorted(values) == list(range(1, len(values) + 1)), key  # no gap, no twice
    assert sequences == {key: max(values) for key, values in numbered.items()}
    # Within a site's day, ids follow the issue order, as the live system hands them out.
    for a, b in itertools.pairwise(tickets):
        assert (a.site_id, a.day) != (b.site_id, b.day) or a.issued_at <= b.issued_at


def stat_rows(session: Any, made: history.History) -> list[tuple[Any, ...]]:
    query = select(ticket_stats).where(ticket_stats.c.site_id.in_(site_ids(made)))
    return sorted(tuple(row) for row in session.execute(query))


def test_the_roll_ups_equal_a_rebuild_from_the_tickets(
    filled: tuple[Database, history.History],
) -> None:
    db, made = filled
    with db.write_session() as session, session.begin():
        before = stat_rows(session, made)
        assert len(before) > 500
        read = statistics.rebuild(session, db.dialect, site_ids(made))
        after = stat_rows(session, made)
        session.rollback()
    assert read == made.tickets
    assert after == before


def test_the_report_totals_equal_counts_from_the_tickets_table(
    filled: tuple[Database, history.History],
) -> None:
    db, made = filled
    ids = site_ids(made)
    with db.reading() as session:

        def count(*where: Any) -> int:
            query = select(func.count()).select_from(Ticket).where(Ticket.site_id.in_(ids))
            return session.scalar(query.where(*where)) or 0

        def status(value: TicketStatus) -> int:
            return count(Ticket.status == value)

        report = statistics.report(session, ids, FIRST, END)
        total = report.total
        assert total.issued == count(Ticket.transferred_from_id.is_(None))
        assert total.served == status(TicketStatus.DONE)
        assert total.no_show == status(TicketStatus.NO_SHOW)
        assert total.cancelled == status(TicketStatus.CANCELLED)
        assert total.transferred == status(TicketStatus.TRANSFERRED)
        assert total.expired == status(TicketStatus.EXPIRED)
        assert total.wait.count == count(Ticket.first_called_at.is_not(None))
        assert total.service.count == status(TicketStatus.DONE)
        rated = session.scalar(
            select(func.count()).select_from(TicketRating).where(TicketRating.site_id.in_(ids))
        )
        assert total.rated == rated == made.ratings
        assert sum(f.issued for f in report.by_day) == total.issued
        one = statistics.report(session, ids[:1], FIRST, END)
        assert one.total.issued == count(
            Ticket.site_id == ids[0], Ticket.transferred_from_id.is_(None)
        )


FreshDatabase = Callable[[], Database]


@pytest.fixture
def fresh_database(backend: Databases, tmp_path: Path) -> Iterator[FreshDatabase]:
    made: list[tuple[str, Database]] = []

    def make() -> Database:
        url = backend.new(f"history{len(made)}_{tmp_path.name[-6:]}")
        upgrade(url)
        made.append((url, Database(url)))
        return made[-1][1]

    yield make
    for url, db in made:
        db.dispose()
        backend.drop(url)


def test_the_same_seed_gives_the_same_history(fresh_database: FreshDatabase) -> None:
    def fill(seed: int) -> list[tuple[Any, ...]]:
        db = fresh_database()
        history.fill(db, 1, 4, 30, seed=seed, end=END)
        return [
            (t.number, t.status, t.token, t.issued_at, t.ended_at, t.counter_id, t.priority)
            for t in tickets_of(db, history.History([(1, "hist-01")], END, END, 0))
        ]

    first = fill(3)
    assert first and fill(3) == first
    assert fill(4) != first


def test_waits_follow_the_load_at_the_same_counters(fresh_database: FreshDatabase) -> None:
    def waits(per_day: int) -> tuple[float, int]:
        db = fresh_database()
        made = history.fill(db, 1, 5, per_day, seed=5, end=END)  # Saturday to Wednesday
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(CounterRow)) == 6
        tickets = tickets_of(db, made)
        seconds = [
            (t.first_called_at - t.issued_at).total_seconds()
            for t in tickets
            if t.first_called_at is not None
        ]
        cancelled = sum(1 for t in tickets if t.status == TicketStatus.CANCELLED)
        return sum(seconds) / len(seconds) / 60, cancelled

    quiet, busy = waits(60), waits(190)
    assert busy[0] > 3 * quiet[0] and busy[0] > 5  # minutes, on average
    assert busy[1] > quiet[1]  # citizens give up when they wait


def test_any_range_of_days_adds_up_from_month_and_day_rows(
    filled: tuple[Database, history.History],
) -> None:
    """Ragged ranges (a month row minus its days outside, or day rows) give exactly what
    the tickets of those days say, maxima included."""
    db, made = filled
    ids = site_ids(made)
    span = (END - FIRST).days
    day = timedelta(days=1)
    ranges = [  # 6-25 Nov: most of November, so its month row minus the other days
        (FIRST, END),
        (FIRST + day, END - 2 * day),
        (FIRST - 10 * day, END + 3 * day),  # October's ragged end and November's
        (FIRST + span // 2 * day, END),  # a few days: day rows
        (FIRST + 5 * day, FIRST + 6 * day),
    ]
    with db.reading() as session:
        tickets = list(session.scalars(select(Ticket).where(Ticket.site_id.in_(ids))))
        for first, last in ranges:
            inside = [t for t in tickets if first <= t.day <= last]
            waits = [
                (t.first_called_at - t.issued_at).total_seconds()
                for t in inside
                if t.first_called_at is not None
            ]
            report = statistics.report(session, ids, first, last)
            total = report.total
            assert total.issued == sum(t.transferred_from_id is None for t in inside)
            assert total.served == sum(t.status == TicketStatus.DONE for t in inside)
            assert total.wait.count == len(waits)
            assert total.wait.max == (round(max(waits) / 60, 1) if waits else None)
            by_service = {f.key: f.issued for f in report.by_service}
            for service_id in {t.service_id for t in inside}:
                expected = sum(
                    t.service_id == service_id and t.transferred_from_id is None for t in inside
                )
                assert by_service.get(str(service_id), 0) == expected


def test_the_dev_tool_fills_new_sites_with_past_tickets(tmp_path: Path) -> None:
    """`python -m bench.history ...` on an instance folder, as a developer runs it."""
    env: dict[str, str | None] = {"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None}
    runner = CliRunner(env=env)
    assert runner.invoke(cli, ["demo"]).exit_code == 0
    args = ["--sites", "1", "--days", "3", "--per-day", "20", "--end", "2026-11-25"]
    printed = runner.invoke(history.main, [*args, "--manager", "quanly"], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    assert "hist-01" in printed.output and "canbo" not in printed.output  # no password asked
    db = Database(f"sqlite:///{tmp_path / 'xephang.db'}")
    with db.reading() as session:
        site = session.scalars(select(Site).where(Site.code == "hist-01")).one()
        days = set(session.scalars(select(Ticket.day).where(Ticket.site_id == site.id)))
        assert {d.isoformat() for d in days} == {"2026-11-23", "2026-11-24", "2026-11-25"}
        manager = session.scalars(select(User).where(User.username == "quanly")).one()
        assert site.id in {s.id for s in manager.sites}
    db.dispose()
    refused = runner.invoke(history.main, [*args, "--manager", "canbo1"])
    assert refused.exit_code != 0 and "no manager 'canbo1'" in refused.output


def test_the_simulated_counters_call_by_the_servers_rule(
    fresh_database: FreshDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The simulation asks server.domain.selection.choose_next which ticket each counter
    calls: no copy of the rule to drift from the server's."""
    calls: list[bool] = []
    real = selection.choose_next

    def spy(*args: Any, **kwargs: Any) -> Any:
        chosen = real(*args, **kwargs)
        calls.append(chosen is not None)
        return chosen

    monkeypatch.setattr(history, "choose_next", spy)
    made = history.fill(fresh_database(), 1, 1, 40, seed=2, end=END)
    assert sum(calls) >= made.tickets // 2  # most tickets were called through the rule
