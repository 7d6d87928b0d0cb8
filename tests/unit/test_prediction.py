"""The wait predictor (server.domain.prediction): each rule of the hall it plays forward."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.domain.prediction import (
    AtCounter,
    CounterNow,
    Flag,
    Forecast,
    Habits,
    Hall,
    Hours,
    PastPause,
    PastTicket,
    ServiceTimes,
    learn,
    predict,
)
from server.domain.prediction.forecast import play
from server.domain.prediction.habits import SLOTS, shrunk_service_times
from server.domain.roles import CounterState
from server.domain.selection import Candidate
from server.domain.tickets import TicketStatus

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NINE = datetime(2026, 11, 24, 9, 0, tzinfo=ZONE)  # an ordinary Tuesday morning
HOURS = Hours(time(7, 30), time(17, 30), ZONE, time(12, 15), time(13, 30))
LAND, CIVIL, CERT = 1, 2, 3


def steady(minutes: float) -> ServiceTimes:
    """A service that always takes about `minutes` (a narrow lognormal)."""
    return ServiceTimes(mu=math.log(minutes * 60), sigma=0.02, samples=1000)


# Ten-minute services, instant calls and walks to the counter, nobody absent, nobody else
# coming.
HABITS = Habits(
    service_times={LAND: steady(10), CIVIL: steady(10), CERT: steady(10)},
    walk_up_seconds=(1.0,),
    notice_seconds=(1.0,),
    turnaround_seconds=0.0,
)


def waiting(
    ticket_id: int, service: int = LAND, minutes_ago: float = 30, priority: bool = False
) -> Candidate:
    return Candidate(ticket_id, service, priority, NINE - timedelta(minutes=minutes_ago))


def counter(
    counter_id: int = 1,
    ranks: Mapping[int, int] | None = None,
    state: CounterState = CounterState.OPEN,
    streak: int = 0,
    current: AtCounter | None = None,
    since: datetime | None = None,
) -> CounterNow:
    return CounterNow(counter_id, state, ranks or {LAND: 0}, streak, current, since)


def hall(
    tickets: Sequence[Candidate],
    counters: Sequence[CounterNow],
    now: datetime = NINE,
    quoted: Sequence[int] = (),
    streak_bound: int = 3,
) -> Hall:
    return Hall(
        now=now,
        hours=HOURS,
        max_priority_streak=streak_bound,
        waiting=tickets,
        counters=counters,
        quoted_services=quoted,
        expected_minutes={LAND: 10, CIVIL: 10, CERT: 10},
    )


def forecast(h: Hall, habits: Habits = HABITS, runs: int = 60, seed: int = 1) -> Forecast:
    return predict(h, habits, runs=runs, seed=seed)


def median(f: Forecast, ticket_id: int) -> float:
    return f.tickets[ticket_id].median


def arrivals(per_hour: Mapping[int, float]) -> dict[int, tuple[float, ...]]:
    """Citizens per minute for every half hour of the day, per service."""
    return {s: tuple(rate / 60 for _ in range(SLOTS)) for s, rate in per_hour.items()}


# -- the calling rules ------------------------------------------------------------------------


def test_a_free_counter_calls_the_first_ticket_now_and_the_next_after_one_service() -> None:
    f = forecast(hall([waiting(1, minutes_ago=20), waiting(2, minutes_ago=10)], [counter()]))
    assert median(f, 1) == pytest.approx(0, abs=0.1)
    assert median(f, 2) == pytest.approx(10, abs=0.5)


def test_a_free_counter_takes_a_moment_to_notice_a_new_number() -> None:
    habits = replace(HABITS, notice_seconds=(6.0, 12.0, 18.0))
    f = forecast(hall([], [counter()], quoted=[LAND]), habits, runs=300)
    assert (f.services[LAND].p10, f.services[LAND].p90) == (0.1, 0.3)


def test_a_priority_ticket_overtakes_waiting_normal_ones() -> None:
    tickets = [
        waiting(1, minutes_ago=20),
        waiting(2, minutes_ago=10),
        waiting(3, minutes_ago=1, priority=True),
    ]
    f = forecast(hall(tickets, [counter()]))
    assert median(f, 3) == pytest.approx(0, abs=0.1)
    assert median(f, 1) == pytest.approx(10, abs=0.5)
    assert median(f, 2) == pytest.approx(20, abs=0.5)


def test_priority_overtakes_only_within_the_streak_bound() -> None:
    tickets = [waiting(1, minutes_ago=20), waiting(2, minutes_ago=1, priority=True)]
    at_bound = forecast(hall(tickets, [counter(streak=3)], streak_bound=3))
    assert median(at_bound, 1) == pytest.approx(0, abs=0.1)  # the normal ticket's turn
    assert median(at_bound, 2) == pytest.approx(10, abs=0.5)
    below = forecast(hall(tickets, [counter(streak=2)], streak_bound=3))
    assert median(below, 2) == pytest.approx(0, abs=0.1)


def test_priority_citizens_still_to_come_push_a_normal_ticket_back() -> None:
    tickets = [waiting(i, minutes_ago=60 - i) for i in range(1, 6)]
    calm = forecast(hall(tickets, [counter()]))
    priority_coming = Habits(
        service_times=HABITS.service_times,
        arrivals=arrivals({LAND: 6}),  # one every ten minutes, all priority
        priority_share={LAND: 1.0},
        walk_up_seconds=(1.0,),
        turnaround_seconds=0.0,
    )
    normal_coming = Habits(
        service_times=HABITS.service_times,
        arrivals=arrivals({LAND: 6}),
        priority_share={LAND: 0.0},
        walk_up_seconds=(1.0,),
        turnaround_seconds=0.0,
    )
    assert median(calm, 5) == pytest.approx(40, abs=1)
    assert median(forecast(hall(tickets, [counter()]), normal_coming), 5) == pytest.approx(
        40, abs=1
    )
    # Up to three priority calls in a row each time: the last normal ticket waits longer.
    assert median(forecast(hall(tickets, [counter()]), priority_coming), 5) > 55


def test_a_counter_calls_its_main_service_before_its_secondary_one() -> None:
    tickets = [waiting(1, CERT, minutes_ago=40), waiting(2, LAND, minutes_ago=5)]
    f = forecast(hall(tickets, [counter(ranks={LAND: 0, CERT: 1})]))
    assert median(f, 2) == pytest.approx(0, abs=0.1)
    assert median(f, 1) == pytest.approx(10, abs=0.5)


def test_main_services_arriving_later_keep_a_secondary_ticket_waiting() -> None:
    tickets = [waiting(1, CERT, minutes_ago=40)]
    busy = Habits(
        service_times=HABITS.service_times,
        arrivals=arrivals({LAND: 12}),  # a land citizen every five minutes
        walk_up_seconds=(1.0,),
        turnaround_seconds=0.0,
    )
    ranks = {LAND: 0, CERT: 1}
    f = forecast(hall(tickets, [counter(ranks=ranks, current=serving(LAND, minutes=1))]), busy)
    assert median(f, 1) > 60  # land keeps coming faster than the counter serves it


def test_a_service_shared_by_two_counters_waits_half_as_long() -> None:
    tickets = [waiting(i, minutes_ago=60 - i) for i in range(1, 9)]
    one = forecast(hall(tickets, [counter(1)]))
    two = forecast(hall(tickets, [counter(1), counter(2, ranks={CIVIL: 0, LAND: 1})]))
    assert median(one, 8) == pytest.approx(70, abs=1)
    assert median(two, 8) == pytest.approx(30, abs=1)


def test_a_counter_serves_one_ticket_at_a_time() -> None:
    tickets = [waiting(1, LAND), waiting(2, CIVIL, minutes_ago=29)]
    f = forecast(hall(tickets, [counter(ranks={LAND: 0, CIVIL: 0})]))
    assert median(f, 1) == pytest.approx(0, abs=0.1)
    assert median(f, 2) == pytest.approx(10, abs=0.5)


def test_each_service_takes_its_own_time() -> None:
    habits = replace(HABITS, service_times={LAND: steady(10), CIVIL: steady(4)})
    tickets = [waiting(1, CIVIL, minutes_ago=30), waiting(2, LAND, 20), waiting(3, CIVIL, 10)]
    f = forecast(hall(tickets, [counter(ranks={LAND: 0, CIVIL: 0})]), habits)
    assert median(f, 2) == pytest.approx(4, abs=0.5)  # after one civil-status citizen
    assert median(f, 3) == pytest.approx(14, abs=0.5)  # and one land citizen


def test_a_service_takes_the_time_of_the_hour_it_is_called_in() -> None:
    # Five minutes as a rule, twenty in the nine o'clock hour (enough times of its own).
    slow_at_nine = ServiceTimes(math.log(300), 0.02, 1000, mu_by_hour={9: math.log(1200)})
    habits = replace(HABITS, service_times={LAND: slow_at_nine})
    tickets = [waiting(1, minutes_ago=20), waiting(2, minutes_ago=10)]
    at_nine = forecast(hall(tickets, [counter()]), habits)
    assert median(at_nine, 2) == pytest.approx(20, abs=0.5)
    two_pm = datetime(2026, 11, 24, 14, 0, tzinfo=ZONE)
    at_two = forecast(hall(tickets, [counter()], now=two_pm), habits)
    assert median(at_two, 2) == pytest.approx(5, abs=0.5)


def test_each_call_costs_the_walk_to_the_counter_before_the_service() -> None:
    walking = replace(HABITS, walk_up_seconds=(120.0,))
    tickets = [waiting(1, minutes_ago=20), waiting(2, minutes_ago=10)]
    f = forecast(hall(tickets, [counter()]), walking)
    assert median(f, 2) == pytest.approx(12, abs=0.1)


def test_an_absent_citizen_holds_the_counter_for_the_time_it_takes_to_mark_them() -> None:
    # Everybody is absent, and is marked so two minutes after the call: no service time.
    absent = replace(HABITS, no_show_share=1.0, no_show_seconds=(120.0,))
    tickets = [waiting(i, minutes_ago=30 - i) for i in range(1, 4)]
    f = forecast(hall(tickets, [counter()]), absent)
    assert median(f, 2) == pytest.approx(2, abs=0.1)
    assert median(f, 3) == pytest.approx(4, abs=0.1)


# -- the counters' state now ------------------------------------------------------------------


def serving(service: int = LAND, minutes: float = 0) -> AtCounter:
    start = NINE - timedelta(minutes=minutes)
    return AtCounter(service, called_at=start - timedelta(seconds=30), started_at=start)


def test_the_time_already_spent_on_the_current_ticket_shortens_the_wait() -> None:
    tickets = [waiting(1)]
    just_started = forecast(hall(tickets, [counter(current=serving(minutes=1))]))
    nearly_done = forecast(hall(tickets, [counter(current=serving(minutes=9))]))
    assert median(just_started, 1) == pytest.approx(9, abs=0.5)
    assert median(nearly_done, 1) == pytest.approx(1, abs=0.5)


def test_a_ticket_in_service_lasts_as_long_as_in_the_hour_it_started() -> None:
    # Five minutes as a rule, twenty when started in the eight o'clock hour.
    slow_at_eight = ServiceTimes(math.log(300), 0.02, 1000, mu_by_hour={8: math.log(1200)})
    habits = replace(HABITS, service_times={LAND: slow_at_eight})
    f = forecast(hall([waiting(1)], [counter(current=serving(minutes=5))]), habits)
    assert median(f, 1) == pytest.approx(15, abs=0.5)


def test_a_ticket_overrunning_its_service_time_is_expected_to_end_soon() -> None:
    f = forecast(hall([waiting(1)], [counter(current=serving(minutes=25))]))
    assert median(f, 1) < 1


def test_a_called_citizen_not_yet_come_may_be_absent() -> None:
    habits = Habits(
        service_times=HABITS.service_times,
        no_show_share=0.5,
        no_show_seconds=(120.0,),  # absentees are marked after two minutes
        walk_up_seconds=(30.0, 60.0),
        turnaround_seconds=0.0,
    )
    called = AtCounter(LAND, called_at=NINE - timedelta(seconds=90))
    f = forecast(hall([waiting(1)], [counter(current=called)]), habits)
    # Nobody comes after 90 seconds: they will be marked absent in 30 seconds.
    assert f.tickets[1].p90 == pytest.approx(0.5, abs=0.05)
    walking = AtCounter(LAND, called_at=NINE - timedelta(seconds=45))
    g = forecast(hall([waiting(1)], [counter(current=walking)]), habits, runs=200)
    # After 45 seconds, one in two who come has come; all absentees are still away: two in
    # three are absent (the counter is free at two minutes), one in three is walking (15
    # more seconds, then ten minutes of service).
    assert g.tickets[1].median == pytest.approx(1.25, abs=0.01)
    assert g.tickets[1].p90 == pytest.approx(10.25, abs=0.5)


def test_a_counter_holding_a_ticket_of_a_service_it_no_longer_calls_frees_up_after_it() -> None:
    # Its services were changed while a civil-status citizen walked up: the rest of that
    # walk and a civil-status service (configured ten minutes) come first.
    called = AtCounter(CIVIL, called_at=NINE)
    f = forecast(hall([waiting(1)], [counter(ranks={LAND: 0}, current=called)]))
    assert median(f, 1) == pytest.approx(10, abs=0.5)


def test_a_paused_counter_is_expected_back_after_a_typical_pause() -> None:
    just_paused = counter(state=CounterState.PAUSED, since=NINE - timedelta(minutes=1))
    f = forecast(hall([waiting(1)], [just_paused]))
    assert median(f, 1) == pytest.approx(14, abs=0.1)
    assert f.tickets[1].flags == frozenset()


def test_a_counter_paused_for_an_hour_is_not_expected_back() -> None:
    gone = counter(state=CounterState.PAUSED, since=NINE - timedelta(minutes=61))
    f = forecast(hall([waiting(1)], [gone]))
    assert f.tickets[1].flags == {Flag.NO_COUNTER}


def test_the_lunch_break_does_not_count_as_pause_time() -> None:
    after_lunch = datetime(2026, 11, 24, 13, 35, tzinfo=ZONE)
    lunch_pause = counter(state=CounterState.PAUSED, since=after_lunch - timedelta(minutes=85))
    f = forecast(hall([waiting(1)], [lunch_pause], now=after_lunch))
    # 10 minutes of pause outside lunch: back in about 5.
    assert median(f, 1) == pytest.approx(5, abs=0.1)


def test_a_paused_counter_returns_after_the_rest_of_a_pause_like_the_sites_past_ones() -> None:
    habits = replace(HABITS, pause_seconds=(600.0, 1200.0))  # ten or twenty minutes
    paused = counter(state=CounterState.PAUSED, since=NINE - timedelta(minutes=12))
    f = forecast(hall([waiting(1)], [paused]), habits)
    # Twelve minutes in, only the twenty-minute pauses are left: eight more.
    assert f.tickets[1].p10 == pytest.approx(8)
    assert f.tickets[1].p90 == pytest.approx(8)


def test_open_counters_pause_now_and_then_as_the_sites_counters_did() -> None:
    tickets = [waiting(i, minutes_ago=60 - i) for i in range(1, 9)]
    steady_clerks = forecast(hall(tickets, [counter()]))
    pausing = replace(HABITS, pauses=(0.5,) * SLOTS, pause_seconds=(900.0,))
    with_pauses = forecast(hall(tickets, [counter()]), pausing)
    assert median(steady_clerks, 8) == pytest.approx(70, abs=1)
    # A 15-minute pause an hour: over 70 minutes of calls, one or two pauses.
    assert 80 < median(with_pauses, 8) < 105
    # The same pauses, due only in the afternoon, change nothing this morning.
    afternoon = replace(pausing, pauses=(0.0,) * 26 + (0.5,) * 22)
    assert median(forecast(hall(tickets, [counter()]), afternoon), 8) == pytest.approx(70, abs=1)


def test_a_citizen_sent_on_from_another_service_keeps_the_place_of_their_first_number() -> None:
    land = counter(1, ranks={LAND: 0})
    civil = counter(2, ranks={CIVIL: 0}, current=serving(CIVIL, minutes=5))
    tickets = [waiting(1, LAND, minutes_ago=30), waiting(2, CIVIL, minutes_ago=20)]
    staying = forecast(hall(tickets, [land, civil]))
    assert median(staying, 2) == pytest.approx(5, abs=0.5)
    # Every land citizen is sent on to civil status after a minute: the first, who came
    # before ticket 2, is called there first.
    sent_on = replace(HABITS, transfer_share=1.0, transfer_seconds=(60.0,), transfer_to={CIVIL: 1})
    moved = forecast(hall(tickets, [land, civil]), sent_on)
    assert median(moved, 2) == pytest.approx(15, abs=0.5)


# -- citizens giving up ---------------------------------------------------------------------


def test_citizens_ahead_who_give_up_shorten_the_wait() -> None:
    tickets = [waiting(i, minutes_ago=10) for i in range(1, 9)]
    # Half of all citizens give up in their first 20 minutes, the others stay.
    impatient = replace(HABITS, patience=tuple([1.0] * 20 + [0.5] * 221))
    f = forecast(hall(tickets, [counter()]), impatient, runs=200)
    # Those waiting 10 minutes now are as likely to give up as not within 10 more minutes:
    # of the seven ahead of the last, the first is called at once, about half of the others
    # have left by their turn.
    assert 35 < median(f, 8) < 55
    assert median(forecast(hall(tickets, [counter()])), 8) == pytest.approx(70, abs=1)


# -- hours ------------------------------------------------------------------------------------


def test_nobody_is_called_during_the_lunch_break() -> None:
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=ZONE)
    tickets = [waiting(i, minutes_ago=30 - i) for i in range(1, 4)]
    f = forecast(hall(tickets, [counter()], now=noon))
    assert median(f, 2) == pytest.approx(10, abs=0.5)
    assert median(f, 3) == pytest.approx(90, abs=0.5)  # 13:30: after lunch
    assert f.tickets[3].flags == {Flag.MAY_MISS_LUNCH}
    assert f.tickets[3].deadline == time(12, 15)
    assert f.tickets[3].warning == (
        "Có thể không kịp trước 12:15",
        "May not be called before 12:15",
    )
    assert f.tickets[2].flags == frozenset()


def test_nobody_is_called_after_closing() -> None:
    late = datetime(2026, 11, 24, 17, 5, tzinfo=ZONE)
    tickets = [waiting(i, minutes_ago=30 - i) for i in range(1, 6)]
    f = forecast(hall(tickets, [counter()], now=late))
    assert median(f, 3) == pytest.approx(20, abs=0.5)
    assert math.isinf(median(f, 4))  # it would be 17:35
    assert f.tickets[4].flags == {Flag.MAY_MISS_CLOSING}
    assert f.tickets[4].warning == (
        "Có thể không kịp trước 17:30",
        "May not be called before 17:30",
    )


def test_before_opening_the_first_call_is_at_opening() -> None:
    early = datetime(2026, 11, 24, 7, 20, tzinfo=ZONE)
    f = forecast(hall([waiting(1, minutes_ago=5)], [counter()], now=early))
    assert median(f, 1) == pytest.approx(10, abs=0.1)


# -- no counter -------------------------------------------------------------------------------


def test_a_service_no_counter_can_serve_now_is_flagged() -> None:
    closed = counter(2, ranks={CIVIL: 0}, state=CounterState.CLOSED)
    f = forecast(hall([waiting(1, CIVIL)], [counter(1), closed], quoted=[LAND, CIVIL]))
    for quote in (f.tickets[1], f.services[CIVIL], f.priority_services[CIVIL]):
        assert quote.flags == {Flag.NO_COUNTER}
        assert math.isinf(quote.median)
        assert quote.warning == ("Chưa có quầy phục vụ", "No counter serves this now")
    assert f.services[LAND].flags == frozenset()


# -- a ticket issued now ----------------------------------------------------------------------


def test_a_new_ticket_is_quoted_behind_its_class_of_its_service() -> None:
    tickets = [waiting(i, minutes_ago=30 - i) for i in range(1, 4)]
    f = forecast(hall(tickets, [counter()], quoted=[LAND]))
    assert f.services[LAND].median == pytest.approx(30, abs=0.5)
    assert f.priority_services[LAND].median == pytest.approx(0, abs=0.1)
    # The quotes hold nobody up: the waiting tickets' own quotes are unchanged.
    assert median(f, 3) == pytest.approx(20, abs=0.5)


def test_a_new_ticket_quote_matches_the_quote_of_that_ticket_once_issued() -> None:
    busy = Habits(
        service_times={LAND: ServiceTimes(math.log(600), 0.5, 500)},
        arrivals=arrivals({LAND: 4}),
        priority_share={LAND: 0.1},
        no_show_share=0.05,
        no_show_seconds=(60.0, 120.0),
        walk_up_seconds=(20.0, 40.0),
    )
    tickets = [waiting(i, minutes_ago=30 - i) for i in range(1, 6)]
    before = forecast(hall(tickets, [counter(1), counter(2)], quoted=[LAND]), busy, runs=400)
    issued = [*tickets, waiting(99, minutes_ago=0)]
    after = forecast(hall(issued, [counter(1), counter(2)]), busy, runs=400)
    assert before.services[LAND].median == pytest.approx(median(after, 99), rel=0.1)


# -- determinism ------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_forecast_and_another_seed_another() -> None:
    noisy = Habits(
        service_times={LAND: ServiceTimes(math.log(600), 0.6, 100)},
        arrivals=arrivals({LAND: 3}),
        priority_share={LAND: 0.2},
        walk_up_seconds=(10.0, 30.0, 60.0),
    )
    h = hall([waiting(i, minutes_ago=30 - i) for i in range(1, 6)], [counter()], quoted=[LAND])
    assert forecast(h, noisy, seed=7) == forecast(h, noisy, seed=7)
    assert forecast(h, noisy, seed=7) != forecast(h, noisy, seed=8)


def test_play_gives_the_forecast_and_the_call_times_of_its_runs() -> None:
    noisy = Habits(service_times={LAND: ServiceTimes(math.log(600), 0.6, 100)})
    h = hall([waiting(i, minutes_ago=30 - i) for i in range(1, 4)], [counter()], quoted=[LAND])
    forecast, minutes = play(h, noisy, runs=40, seed=3)
    assert forecast == predict(h, noisy, runs=40, seed=3)
    runs = minutes[("ticket", 3)]
    assert len(runs) == 40 and list(runs) == sorted(runs)
    assert runs[0] <= forecast.tickets[3].p10 <= forecast.tickets[3].median <= runs[-1]
    assert set(minutes) == {
        ("ticket", 1),
        ("ticket", 2),
        ("ticket", 3),
        ("normal", LAND),
        ("priority", LAND),
    }


def test_at_least_one_run_is_needed() -> None:
    with pytest.raises(ValueError):
        predict(hall([], [counter()]), HABITS, runs=0)


# -- learning ---------------------------------------------------------------------------------


def test_a_new_service_takes_its_configured_minutes_until_its_times_add_up() -> None:
    few = shrunk_service_times([60.0, 60.0], configured_minutes=20)
    assert few.mean_minutes > 12  # two one-minute tickets do not make a one-minute service
    many = shrunk_service_times([60.0] * 500, configured_minutes=20)
    assert many.mean_minutes == pytest.approx(1, rel=0.1)
    assert shrunk_service_times([], configured_minutes=20).mean_minutes == pytest.approx(20)
    assert Habits().times(42, expected_minutes=7).mean_minutes == pytest.approx(7)


def test_an_hour_with_enough_times_of_its_own_gets_its_own_figure() -> None:
    slow_morning = [1200.0] * 100 + [300.0] * 100
    times = shrunk_service_times(slow_morning, 10, hours=[9] * 100 + [14] * 100)
    assert math.exp(times.mu_at(9)) > math.exp(times.mu) > math.exp(times.mu_at(14))
    assert times.mu_at(16) == times.mu


def past_day(day: int, hour: int = 9) -> list[PastTicket]:
    """Ten citizens of land between `hour`:00 and `hour`:30, each served in five minutes
    after a 30-second walk, the tenth absent."""
    issued = datetime(2026, 11, day, hour, 0, tzinfo=ZONE)
    tickets = []
    for i in range(10):
        called = issued + timedelta(minutes=3 * i + 1)
        if i == 9:
            tickets.append(
                PastTicket(
                    LAND,
                    False,
                    issued + timedelta(minutes=3 * i),
                    TicketStatus.NO_SHOW,
                    counter_id=1,
                    first_called_at=called,
                    ended_at=called + timedelta(seconds=90),
                )
            )
            continue
        start = called + timedelta(seconds=30)
        tickets.append(
            PastTicket(
                LAND,
                i == 0,
                issued + timedelta(minutes=3 * i),
                TicketStatus.DONE,
                counter_id=1,
                first_called_at=called,
                started_at=start,
                ended_at=start + timedelta(minutes=5),
            )
        )
    return tickets


def test_learning_reads_rates_service_times_walk_up_and_no_shows_from_the_past() -> None:
    past = (
        past_day(16)
        + past_day(17)
        + [
            PastTicket(
                CIVIL, False, datetime(2026, 11, 17, 9, 5, tzinfo=ZONE), TicketStatus.CANCELLED
            ),
            PastTicket(
                LAND,
                False,
                datetime(2026, 11, 17, 9, 6, tzinfo=ZONE),
                TicketStatus.DONE,
                transferred_in=True,
            ),
        ]
    )
    habits = learn(past, {LAND: 20, CIVIL: 10, CERT: 5}, ZONE)
    assert habits.days == 2
    slot = 9 * 2  # 09:00-09:30
    assert habits.arrivals[LAND][slot] == pytest.approx(10 / 30)  # ten in half an hour
    assert habits.arrivals[LAND][slot + 1] == 0
    assert habits.arrivals[CIVIL][slot] == pytest.approx(0.5 / 30)
    assert habits.no_show_share == pytest.approx(0.1)
    assert habits.no_show_seconds == (90.0, 90.0)
    assert set(habits.walk_up_seconds) == {30.0}
    assert habits.turnaround_seconds == pytest.approx(0.0, abs=60)
    # 18 real five-minute times against 10 pseudo-times of the configured 20 minutes.
    assert 5 < habits.service_times[LAND].mean_minutes < 12
    assert habits.service_times[CERT].mean_minutes == pytest.approx(5)
    assert habits.priority_share[LAND] == pytest.approx((2 + 50 * 2 / 21) / (20 + 50))


def test_no_shows_are_counted_among_citizens_called_on_their_own_number() -> None:
    # A citizen sent on from another counter is in the hall already: their call at the
    # second counter is not one a citizen could miss.
    nine = datetime(2026, 11, 17, 9, 0, tzinfo=ZONE)
    called = nine + timedelta(minutes=1)
    started = called + timedelta(seconds=30)

    def ticket(status: TicketStatus, transferred_in: bool = False) -> PastTicket:
        came = status != TicketStatus.NO_SHOW
        ended = started + timedelta(minutes=5)
        return PastTicket(
            LAND, False, nine, status, transferred_in, 1, called, started if came else None, ended
        )

    past = [ticket(TicketStatus.NO_SHOW)] + [ticket(TicketStatus.DONE)] * 3
    sent_on = [ticket(TicketStatus.DONE, transferred_in=True)] * 4
    assert learn(past + sent_on, {LAND: 5}, ZONE).no_show_share == pytest.approx(1 / 4)


def test_patience_counts_those_called_as_having_waited_at_least_that_long() -> None:
    ten = datetime(2026, 11, 17, 10, 0, tzinfo=ZONE)
    past = [
        PastTicket(CIVIL, False, ten, TicketStatus.CANCELLED, ended_at=ten + timedelta(minutes=5)),
        PastTicket(
            CIVIL, False, ten, TicketStatus.DONE, first_called_at=ten + timedelta(minutes=2)
        ),
        PastTicket(
            CIVIL, False, ten, TicketStatus.DONE, first_called_at=ten + timedelta(minutes=8)
        ),
        PastTicket(
            CIVIL, False, ten, TicketStatus.DONE, first_called_at=ten + timedelta(minutes=9)
        ),
    ]
    patience = learn(past, {CIVIL: 10}, ZONE).patience
    # Four waited past minute 2; one of the three still waiting at minute 5 gave up then.
    assert patience[:7] == (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, pytest.approx(2 / 3))
    assert learn(past[1:], {CIVIL: 10}, ZONE).patience == ()


def test_transfers_are_learned_apart_from_service_times() -> None:
    nine = datetime(2026, 11, 17, 9, 0, tzinfo=ZONE)

    def ticket(status: TicketStatus, minutes: float, transferred_in: bool = False) -> PastTicket:
        service = CIVIL if transferred_in else LAND
        start = nine + timedelta(seconds=30)
        end = start + timedelta(minutes=minutes)
        return PastTicket(service, False, nine, status, transferred_in, 1, nine, start, end)

    past = [ticket(TicketStatus.DONE, 10)] * 3 + [
        ticket(TicketStatus.TRANSFERRED, 2),
        ticket(TicketStatus.DONE, 5, transferred_in=True),
    ]
    habits = learn(past, {LAND: 10, CIVIL: 5}, ZONE)
    assert habits.transfer_share == pytest.approx(1 / 4)
    assert habits.transfer_seconds == (120.0,)
    assert habits.transfer_to == {CIVIL: 1.0}
    assert habits.service_times[LAND].samples == 3  # a transfer is no service time


def test_pauses_are_learned_per_counter_and_working_day() -> None:
    tickets = past_day(16) + past_day(17)  # counter 1 on two days
    nine = datetime(2026, 11, 16, 9, 0, tzinfo=ZONE)
    pauses = [
        PastPause(1, nine, nine + timedelta(minutes=10)),
        PastPause(1, nine + timedelta(hours=2), nine + timedelta(hours=2, minutes=20)),
        PastPause(1, nine + timedelta(days=1), nine + timedelta(days=1, minutes=15)),
    ]
    habits = learn(tickets, {LAND: 5}, ZONE, pauses)
    assert habits.pauses[9 * 2] == 1.0  # two pauses at 09:00 over two counter-days
    assert habits.pauses[11 * 2] == 0.5  # (the half hours of the day)
    assert sum(habits.pauses) == 1.5
    assert habits.pause_seconds == (600.0, 900.0, 1200.0)


def test_a_busier_day_than_usual_brings_more_citizens() -> None:
    usual = Habits(
        service_times=HABITS.service_times,
        arrivals=arrivals({LAND: 6}),
        priority_share={LAND: 1.0},
        walk_up_seconds=(1.0,),
        turnaround_seconds=0.0,
    )
    tickets = [waiting(i, minutes_ago=60 - i) for i in range(1, 6)]
    quiet = hall(tickets, [counter()])
    # 90 minutes open at 6 an hour: 9 expected so far; 60 came.
    busy = replace(quiet, issued_today=60)
    assert median(forecast(busy, usual), 5) > median(forecast(quiet, usual), 5) + 10
