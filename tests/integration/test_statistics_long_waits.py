"""Statistics on the worst days: waits from a minute to eight hours, service times past
four hours. The median and P90 of every service must stay within the bound the report
states (server.domain.statistics.reading_bound) of the exact values read from the tickets
themselves, from the live upkeep and from a rebuild (SQLite here, PostgreSQL in the second
pass)."""

from __future__ import annotations

import heapq
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import select

from server.adapters.db.migrate import alembic_config
from server.adapters.db.models import ticket_stats
from server.domain.statistics import Durations, reading_bound
from server.domain.tickets import TicketStatus
from server.services import statistics
from server.services.counters import open_counter
from server.services.statistics import Figure
from server.services.tickets import call_ticket, finish, issue_ticket, start_serving
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock

DAY = date(2026, 11, 26)
OPENING = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)  # 07:30 in Hồ Chí Minh City
ROUNDING = 0.05  # figures are in minutes, to a tenth

# The demo centre's counters and the services each one may call (see server/cli/demo.py).
SERVES = {
    1: {"HT", "CT"},
    2: {"HT", "CT"},
    3: {"CT", "TKQ"},
    4: {"DD", "KD"},
    5: {"LD", "HT"},
    6: {"KD", "TKQ", "DD"},
}


@dataclass(frozen=True)
class Citizen:
    service: str
    arrives: float  # minutes after opening
    waits: float  # minutes the plan would have them wait, if a counter is free then
    served_for: float  # minutes at the counter


def _between(draw: random.Random, low: float, high: float) -> float:
    """Spread evenly on a log scale: as many waits of 1-2 minutes as of 4-8 hours."""
    return math.exp(draw.uniform(math.log(low), math.log(high)))


def peak_day_plan() -> list[Citizen]:
    """150 citizens of a bad day at an island ward: numbers taken from 07:30 to 11:30;
    waits planned from 1 minute to 8 hours (results to collect, TKQ, mostly in the
    afternoon); a few services of 1 to 5 hours (a land dossier checked at the counter)."""
    draw = random.Random(20)
    plan = []
    for service in ("HT", "CT", "DD", "LD", "KD", "TKQ"):
        for n in range(25):
            low = 180.0 if service == "TKQ" else 1.0
            long_service = service in ("DD", "KD") and n % 5 == 0
            plan.append(
                Citizen(
                    service=service,
                    arrives=draw.uniform(0, 240),
                    waits=_between(draw, low, 480),
                    served_for=_between(draw, 60, 300) if long_service else _between(draw, 1, 20),
                )
            )
    return plan


def live_through(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, plan: Sequence[Citizen]
) -> None:
    """Run the plan through the real use cases: each citizen is called when their planned
    wait is over, by the first free counter that serves them (or when one frees up), and
    served for their planned time. Finishing goes before issuing, issuing before calling."""
    clerks = {number: centre.user[f"canbo{number}"] for number in SERVES}
    clock.now = OPENING
    for number, clerk in clerks.items():
        open_counter(uow, centre.counter[number], clerk)
    busy_until: dict[int, float] = {}
    events: list[tuple[float, int, int, Citizen | int]] = []  # (minute, kind, order, what)
    for order, citizen in enumerate(plan):
        heapq.heappush(events, (citizen.arrives, 1, order, citizen))
    tickets: dict[int, int] = {}
    order = len(plan)
    while events:
        minute, kind, order_of, what = heapq.heappop(events)
        clock.now = OPENING + timedelta(minutes=minute)
        if kind == 0:  # a counter finishes its citizen
            assert isinstance(what, int)
            finish(uow, centre.counter[what], clerks[what])
            del busy_until[what]
            continue
        citizen = plan[order_of]
        if kind == 1:
            tickets[order_of] = issue_ticket(
                uow, centre.site_id, centre.service[citizen.service]
            ).ticket_id
            heapq.heappush(events, (minute + citizen.waits, 2, order_of, citizen))
            continue
        free = [
            n for n, codes in SERVES.items() if citizen.service in codes and n not in busy_until
        ]
        if not free:
            soonest = min(t for n, t in busy_until.items() if citizen.service in SERVES[n])
            heapq.heappush(events, (soonest, 2, order_of, citizen))
            continue
        number = free[0]
        call_ticket(uow, centre.counter[number], clerks[number], tickets[order_of])
        start_serving(uow, centre.counter[number], clerks[number])
        busy_until[number] = minute + citizen.served_for
        order += 1
        heapq.heappush(events, (busy_until[number], 0, order, number))


def nearest_rank(values: Sequence[int], fraction: float) -> int:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def exact_durations(centre: Centre) -> dict[str, dict[str, list[int]]]:
    """Every wait and service time in seconds, by service code, from the tickets."""
    code_of = {service_id: code for code, service_id in centre.service.items()}
    found: dict[str, dict[str, list[int]]] = defaultdict(lambda: {"wait": [], "service": []})
    for ticket in centre.tickets():
        durations = found[code_of[ticket.service_id]]
        if ticket.first_called_at is not None:
            durations["wait"].append(
                int((ticket.first_called_at - ticket.issued_at).total_seconds())
            )
        if ticket.status == TicketStatus.DONE and ticket.started_at and ticket.ended_at:
            durations["service"].append(int((ticket.ended_at - ticket.started_at).total_seconds()))
    return found


def assert_within_the_stated_bound(reported: Durations, seconds: Sequence[int], what: str) -> None:
    assert reported.count == len(seconds), what
    for name, fraction in (("median", 0.5), ("p90", 0.9)):
        exact = nearest_rank(seconds, fraction)
        figure = getattr(reported, name)
        assert figure is not None, what
        # Never below the exact value, and at most the stated bound above it.
        assert exact / 60 - ROUNDING <= figure <= reading_bound(exact) + ROUNDING, (
            f"{what} {name}: reported {figure} for an exact {exact / 60:.1f} minutes"
        )


def assert_every_service_within_bound(uow: UnitOfWork, centre: Centre) -> dict[str, Figure]:
    with uow.db.reading() as session:
        report = statistics.report(session, [centre.site_id], DAY, DAY)
    code_of = {str(service_id): code for code, service_id in centre.service.items()}
    lines = {code_of[line.key]: line for line in report.by_service}
    exact = exact_durations(centre)
    assert set(lines) == set(exact) == set(SERVES[1] | SERVES[3] | SERVES[4] | SERVES[5])
    for code, line in lines.items():
        assert_within_the_stated_bound(line.wait, exact[code]["wait"], f"{code} wait")
        assert_within_the_stated_bound(line.service, exact[code]["service"], f"{code} service")
    every_wait = [s for durations in exact.values() for s in durations["wait"]]
    assert_within_the_stated_bound(report.total.wait, every_wait, "centre wait")
    return lines


def test_median_and_p90_stay_within_the_stated_bound_on_a_day_of_waits_up_to_eight_hours(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    live_through(uow, centre, clock, peak_day_plan())
    exact = exact_durations(centre)
    waits = [s for durations in exact.values() for s in durations["wait"]]
    services = [s for durations in exact.values() for s in durations["service"]]
    # The day is the one the issue describes: waits from a minute to past eight hours,
    # result collection's median past four hours, services past four hours.
    assert min(waits) < 2 * 60 and max(waits) > 8 * 3600
    assert nearest_rank(exact["TKQ"]["wait"], 0.5) > 4 * 3600
    assert max(services) > 4 * 3600

    live = assert_every_service_within_bound(uow, centre)
    # Result collection's median is not its maximum any more.
    assert live["TKQ"].wait.median is not None and live["TKQ"].wait.max is not None
    assert live["TKQ"].wait.median < live["TKQ"].wait.max

    with uow:
        statistics.rebuild(uow.session, uow.dialect)
        uow.commit()
    rebuilt = assert_every_service_within_bound(uow, centre)
    assert {code: (f.wait, f.service) for code, f in rebuilt.items()} == {
        code: (f.wait, f.service) for code, f in live.items()
    }


def test_migration_0006_rebuilds_the_roll_ups_of_the_tickets_already_there(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database_url: str
) -> None:
    live_through(uow, centre, clock, peak_day_plan())

    def rows() -> list[tuple[object, ...]]:
        with uow.db.reading() as session:
            return sorted(tuple(r) for r in session.execute(select(ticket_stats)).all())

    live = rows()
    # Back to the 66 bins of 0005 (whose columns 30-65 now hold other bins), then forward:
    # the migration's rebuild gives exactly the rows the live upkeep wrote.
    uow.db.dispose()
    config = alembic_config(database_url)
    command.downgrade(config, "0005")
    command.upgrade(config, "head")
    assert rows() == live
