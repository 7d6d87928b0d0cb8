"""Statistics on a hand-built day whose answers were worked out by hand, on a real
database (SQLite here, PostgreSQL in the second pass)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.adapters.db.models import ticket_stats
from server.domain.errors import InvalidInput
from server.domain.statistics import Durations
from server.domain.tickets import Priority
from server.services import statistics
from server.services.counters import open_counter
from server.services.statistics import Figure, Report
from server.services.tickets import (
    call_ticket,
    cancel_by_citizen,
    expire_leftovers,
    finish,
    issue_ticket,
    mark_no_show,
    start_serving,
    transfer,
)
from server.services.unit_of_work import UnitOfWork
from tests.conftest import MORNING, Centre, FakeClock

DAY = date(2026, 11, 26)  # MORNING is 09:00 on this day in Hồ Chí Minh City


def at(clock: FakeClock, minutes: float) -> None:
    clock.now = MORNING + timedelta(minutes=minutes)


def build_day(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> dict[str, int]:
    """Seven citizens of 26/11, minute by minute from 09:00 local (the schedule is in
    the comments; waits and service times in seconds)."""
    ht, ct = centre.service["HT"], centre.service["CT"]
    c1, c2 = centre.counter[1], centre.counter[2]
    clerk1, clerk2 = centre.user["canbo1"], centre.user["canbo2"]
    at(clock, 0)
    t = {
        name: issue_ticket(uow, centre.site_id, service, priority).ticket_id
        for name, service, priority in [
            ("A1", ht, None),
            ("A2", ht, None),
            ("A3", ht, None),
            ("A4", ht, None),
            ("A5", ht, None),
            ("B1", ct, None),
            ("B2", ct, Priority.ELDERLY),
        ]
    }
    open_counter(uow, c1, clerk1)
    open_counter(uow, c2, clerk2)

    def serve(counter: int, clerk: int, ticket: int, called: float, ended: float) -> None:
        at(clock, called)
        call_ticket(uow, counter, clerk, ticket)
        start_serving(uow, counter, clerk)
        at(clock, ended)
        finish(uow, counter, clerk)

    serve(c1, clerk1, t["A1"], 2, 6)  # wait 120, service 240
    serve(c2, clerk2, t["A2"], 5.5, 15.5)  # wait 330, service 600
    at(clock, 9)
    call_ticket(uow, c1, clerk1, t["A3"])  # wait 540
    at(clock, 11)
    mark_no_show(uow, c1, clerk1)
    at(clock, 16)
    call_ticket(uow, c2, clerk2, t["B1"])  # wait 960
    at(clock, 17)
    t["M"] = transfer(uow, c2, clerk2, ht).ticket_id  # B1 moves to HT, queued from 09:17
    at(clock, 20)
    cancel_by_citizen(uow, centre.ticket(t["A5"]).token)
    serve(c1, clerk1, t["A4"], 31, 43)  # wait 1,860 (past the 30-minute target), service 720
    serve(c1, clerk1, t["M"], 44, 50)  # wait 1,620 in HT, service 360
    at(clock, 60)
    expire_leftovers(uow, centre.site_id, closing=True)  # B2 expires
    return t


def day_report(uow: UnitOfWork, centre: Centre, first: date = DAY, last: date = DAY) -> Report:
    with uow.db.reading() as session:
        return statistics.report(session, [centre.site_id], first, last)


def line(figures: list[Figure], label: str) -> Figure:
    (found,) = [f for f in figures if f.label_vi == label]
    return found


def test_a_days_figures_match_the_hand_count(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_day(uow, centre, clock)
    report = day_report(uow, centre)
    total = report.total
    # The transfer's new ticket is the same citizen: 7 issued, not 8.
    counts = (total.issued, total.served, total.no_show, total.cancelled)
    assert counts == (7, 4, 1, 1)
    assert (total.transferred, total.expired) == (1, 1)
    # Waits 120, 330, 540, 960, 1620, 1860 s: mean 905 s; median (rank 3) 540 s in the
    # 9-10 minute bin; p90 (rank 6) 1,860 s, capped at the maximum; 5 of 6 within 30 min.
    assert total.wait == Durations(count=6, mean=15.1, median=10.0, p90=31.0, max=31.0)
    assert total.within_target == 0.8333
    # Service 240, 360, 600, 720 s: mean 480 s, median (rank 2) 360 s in the 6-7 bin.
    assert total.service == Durations(count=4, mean=8.0, median=7.0, p90=12.0, max=12.0)

    ht = line(report.by_service, "Tư pháp - Hộ tịch")
    assert (ht.issued, ht.served, ht.no_show, ht.cancelled, ht.transferred) == (5, 4, 1, 1, 0)
    # HT waits 120, 330, 540, 1620, 1860: rank 3 is 540 s, rank 5 is 1,860 s.
    assert ht.wait == Durations(count=5, mean=14.9, median=10.0, p90=31.0, max=31.0)
    assert ht.within_target == 0.8
    ct = line(report.by_service, "Chứng thực")
    assert (ct.issued, ct.served, ct.transferred, ct.expired) == (2, 0, 1, 1)
    # One wait of 960 s: the 16-17 bin's edge is capped at the maximum, 16 minutes.
    assert ct.wait == Durations(count=1, mean=16.0, median=16.0, p90=16.0, max=16.0)
    assert ct.within_target == 1.0

    counter1, counter2 = line(report.by_counter, "Quầy 1"), line(report.by_counter, "Quầy 2")
    assert (counter1.served, counter1.no_show, counter1.transferred) == (3, 1, 0)
    # Counter 1 called A1, A3, A4 and M: 120, 540, 1860, 1620 s (mean 1,035 s = 17.25
    # minutes, rounded half to even).
    assert counter1.wait == Durations(count=4, mean=17.2, median=10.0, p90=31.0, max=31.0)
    assert counter1.service == Durations(count=3, mean=7.3, median=7.0, p90=12.0, max=12.0)
    assert (counter2.served, counter2.transferred) == (1, 1)
    assert counter2.wait == Durations(count=2, mean=10.8, median=6.0, p90=16.0, max=16.0)

    by_clerk = {f.label_vi: f for f in report.by_clerk}
    assert set(by_clerk) == {"Nguyễn Thị Hồng", "Trần Văn Minh"}
    assert by_clerk["Nguyễn Thị Hồng"].wait == counter1.wait
    assert by_clerk["Trần Văn Minh"].served == 1

    # Everyone took a ticket (or was transferred) between 09:00 and 10:00 local.
    assert [f.label_vi for f in report.by_hour] == ["09:00–10:00"]
    assert report.by_hour[0].wait == total.wait
    assert [f.key for f in report.by_day] == ["2026-11-26"]
    assert report.by_day[0].issued == 7


def test_a_rebuild_from_the_tickets_gives_the_same_rows_as_the_live_upkeep(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_day(uow, centre, clock)

    def rows() -> list[Any]:
        with uow.db.reading() as session:
            return sorted(tuple(r) for r in session.execute(select(ticket_stats)).all())

    live = rows()
    assert len(live) > 10
    with uow:
        read = statistics.rebuild(uow.session, uow.dialect)
        uow.commit()
    assert read == 8
    assert rows() == live


def test_hours_and_days_are_local_across_midnight(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    ht, counter, clerk = centre.service["HT"], centre.counter[1], centre.user["canbo1"]
    centre.open_around_the_clock()
    clock.now = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)  # 23:30 local on the 26th
    late = issue_ticket(uow, centre.site_id, ht).ticket_id
    open_counter(uow, counter, clerk)
    clock.now = datetime(2026, 11, 26, 17, 10, tzinfo=UTC)  # 00:10 local on the 27th
    early = issue_ticket(uow, centre.site_id, ht).ticket_id
    clock.now = datetime(2026, 11, 26, 17, 15, tzinfo=UTC)
    call_ticket(uow, counter, clerk, late)  # waited 45 minutes, across midnight
    assert centre.ticket(early).day == date(2026, 11, 27)

    first = day_report(uow, centre, DAY, DAY)
    assert (first.total.issued, first.total.wait.count, first.total.wait.max) == (1, 1, 45.0)
    assert [f.label_vi for f in first.by_hour] == ["23:00–24:00"]
    second = day_report(uow, centre, date(2026, 11, 27), date(2026, 11, 27))
    assert (second.total.issued, second.total.wait.count) == (1, 0)
    assert [f.label_vi for f in second.by_hour] == ["00:00–01:00"]
    both = day_report(uow, centre, DAY, date(2026, 11, 27))
    assert [(f.key, f.issued) for f in both.by_day] == [("2026-11-26", 1), ("2026-11-27", 1)]
    assert [f.label_vi for f in both.by_hour] == ["00:00–01:00", "23:00–24:00"]


def test_a_range_across_months_adds_month_rows_and_day_rows_without_double_counting(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    ht = centre.service["HT"]
    days = [date(2026, 9, 30), date(2026, 10, 1), date(2026, 10, 15), date(2026, 10, 31)]
    days += [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 30), date(2026, 12, 1)]
    for day in days:
        clock.now = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
        issue_ticket(uow, centre.site_id, ht)
        expire_leftovers(uow, centre.site_id, closing=True)

    def issued(first: date, last: date) -> int:
        return day_report(uow, centre, first, last).total.issued

    assert issued(date(2026, 10, 1), date(2026, 11, 30)) == 6  # two whole months
    assert issued(date(2026, 9, 30), date(2026, 12, 1)) == 8  # months and both ends
    assert issued(date(2026, 10, 2), date(2026, 11, 1)) == 3  # no whole month
    assert issued(date(2026, 10, 31), date(2026, 11, 30)) == 4  # a ragged start
    full = day_report(uow, centre, date(2026, 9, 1), date(2026, 12, 31))
    assert [f.key for f in full.by_day] == [d.isoformat() for d in days]
    assert full.total.expired == 8


def test_a_report_refuses_a_backward_or_endless_range(uow: UnitOfWork, centre: Centre) -> None:
    with pytest.raises(InvalidInput):
        day_report(uow, centre, DAY, DAY - timedelta(days=1))
    with pytest.raises(InvalidInput):
        day_report(uow, centre, date(2000, 1, 1), DAY)
