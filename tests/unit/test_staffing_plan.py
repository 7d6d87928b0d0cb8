"""The hour plan: Erlang C seeds, counters opened by their services' ranks, clerks seated
only where they may sit."""

from __future__ import annotations

from datetime import date

import pytest

from server.domain.staffing.plan import (
    ClerkSpec,
    CounterSpec,
    Demand,
    Target,
    plan_day,
    plan_hour,
    servers_by_service,
)

# The demo centre's layout (server/cli/demo.py): services and counters by id.
HT, CT, DD, LD, KD, TKQ = 1, 2, 3, 4, 5, 6
MINUTES = {HT: 12, CT: 5, DD: 20, LD: 15, KD: 15, TKQ: 3}
MIX = {HT: 0.30, CT: 0.30, DD: 0.09, LD: 0.09, KD: 0.07, TKQ: 0.15}
LAYOUT = {
    1: ({HT}, {CT}),
    2: ({HT, CT}, set()),
    3: ({CT}, {TKQ}),
    4: ({DD}, {KD}),
    5: ({LD}, {HT}),
    6: ({KD, TKQ}, {DD}),
}
COUNTERS = [
    CounterSpec(n, n, {**{s: 0 for s in main}, **{s: 1 for s in side}})
    for n, (main, side) in LAYOUT.items()
]
CLERKS = [
    ClerkSpec(100 + i, f"canbo{i + 1}", frozenset(seats))
    for i, seats in enumerate([{1, 2}, {2, 3}, {3}, {4}, {5}, {6}])
]
TARGETS = {s: Target(30, 0.8) for s in MINUTES}


def _demand(per_hour: float) -> dict[int, Demand]:
    return {s: Demand(per_hour * MIX[s], MINUTES[s], 0.05) for s in MINUTES}


def test_a_busy_hour_opens_every_counter_each_with_a_clerk_who_may_sit_there() -> None:
    plan = plan_hour(9, _demand(25), TARGETS, COUNTERS, CLERKS)
    assert plan.counters == 6
    # Erlang C service by service would want more counters than the hall has...
    assert plan.needed_alone > 6
    # ...but secondary services share the idle time: Hộ tịch is helped by counter 5.
    assert next(s for s in plan.services if s.service_id == HT).servers > 2
    for seat in plan.seats:
        clerk = next(c for c in CLERKS if c.clerk_id == seat.clerk_id)
        assert clerk.may_sit(seat.counter_id)


def test_a_quiet_hour_with_one_service_opens_one_counter() -> None:
    demand = {s: Demand(0, MINUTES[s]) for s in MINUTES}
    demand[CT] = Demand(4, 5)
    plan = plan_hour(16, demand, TARGETS, COUNTERS, CLERKS)
    assert plan.counters == 1
    # Chứng thực's own counter, rather than counter 2 shared with Hộ tịch
    assert plan.seats[0].number == 3
    assert plan.meets_targets
    assert next(s for s in plan.services if s.service_id == CT).needed == 1


def test_land_needs_its_own_counter_since_no_other_counter_has_it_as_main() -> None:
    demand = {s: Demand(0, MINUTES[s]) for s in MINUTES}
    demand[DD] = Demand(1, 20)
    plan = plan_hour(10, demand, TARGETS, COUNTERS, CLERKS)
    assert [seat.number for seat in plan.seats] == [4]
    # three times as many need a second counter: Kinh doanh's, which has Đất đai second
    demand[DD] = Demand(3, 20)
    assert [seat.number for seat in plan_hour(10, demand, TARGETS, COUNTERS).seats] == [4, 6]


def test_no_clerk_for_a_counter_means_it_stays_closed() -> None:
    demand = {s: Demand(0, MINUTES[s]) for s in MINUTES}
    demand[DD] = Demand(1, 20)
    without_land_clerk = [c for c in CLERKS if c.name != "canbo4"]
    plan = plan_hour(10, demand, TARGETS, COUNTERS, without_land_clerk)
    assert [seat.number for seat in plan.seats] == [6]  # Kinh doanh, with Đất đai second
    assert plan.services[DD - 1].servers > 0


def test_an_overloaded_hall_opens_everything_and_says_the_target_is_missed() -> None:
    plan = plan_hour(9, _demand(60), TARGETS, COUNTERS, CLERKS)
    assert plan.counters == 6
    assert not plan.meets_targets


def test_a_counter_with_two_main_services_splits_itself_by_their_load() -> None:
    two_mains = [c for c in COUNTERS if c.number == 2]
    servers = servers_by_service(two_mains, {HT: Demand(6, 10), CT: Demand(6, 5)})
    assert servers[HT] == pytest.approx(2 / 3)
    assert servers[CT] == pytest.approx(1 / 3)


def test_a_clerk_keeps_last_hours_counter_when_the_plan_allows() -> None:
    per_hour = {(h, s): 25 * MIX[s] for h in (8, 9) for s in MINUTES}
    day = plan_day(date(2026, 12, 7), per_hour, MINUTES, {}, TARGETS, COUNTERS, CLERKS)
    first, second = ({seat.counter_id: seat.clerk_id for seat in h.seats} for h in day.hours)
    assert first == second
    assert day.counter_hours == 12
