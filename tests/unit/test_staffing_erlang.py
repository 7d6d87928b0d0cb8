"""Erlang C against published figures.

Sources (values as printed there, to the digits they print):
- Call Centre Helper, "Erlang C formula – made simple with an easy worked example": 100
  calls in 30 minutes, 3 minutes each (10 erlangs), 11 agents: probability of waiting
  68.21 %; 14 agents reach 80 % answered within 20 seconds.
- Westbay Engineers / erlang.com, "The Erlang-C formula": 360 calls per half hour, 240 s
  each (48 erlangs), 55 agents, target 15 s: probability of waiting 0.2387 (23.87 %),
  average speed of answer 8.2 s, service level 84.6 %.
- Textbook M/M/m exercise (120 customers an hour, 3 minutes each, 10 assistants: 6
  erlangs): "from the Erlang C curve, the probability of waiting is about 0.10".
- Closed forms: M/M/1 waits with probability rho; M/M/2 with a^2 / (2 + a).
"""

from __future__ import annotations

import math

import pytest

from server.domain.staffing.erlang import (
    counters_needed,
    erlang_b,
    mean_wait_minutes,
    offered_load,
    probability_of_waiting,
    service_level,
)


def test_call_centre_helper_worked_example() -> None:
    load = offered_load(200, 3)  # 100 calls per half hour
    assert load == pytest.approx(10)
    assert probability_of_waiting(11, load) == pytest.approx(0.6821, abs=5e-5)
    assert counters_needed(200, 3, within_minutes=20 / 60, share=0.8) == 14
    assert service_level(13, 200, 3, 20 / 60) < 0.8 <= service_level(14, 200, 3, 20 / 60)


def test_westbay_48_erlangs_on_55_agents() -> None:
    arrivals, minutes = 720, 4  # 360 per half hour, 240 seconds
    assert offered_load(arrivals, minutes) == pytest.approx(48)
    assert probability_of_waiting(55, 48) == pytest.approx(0.2387, abs=5e-5)
    assert mean_wait_minutes(55, arrivals, minutes) * 60 == pytest.approx(8.2, abs=0.05)
    assert service_level(55, arrivals, minutes, 15 / 60) == pytest.approx(0.846, abs=5e-4)


def test_textbook_six_erlangs_on_ten_servers_wait_about_one_time_in_ten() -> None:
    assert probability_of_waiting(10, offered_load(120, 3)) == pytest.approx(0.10, abs=0.005)


@pytest.mark.parametrize("load", [0.1, 0.5, 0.9])
def test_one_server_waits_with_probability_rho(load: float) -> None:
    assert probability_of_waiting(1, load) == pytest.approx(load)


@pytest.mark.parametrize("load", [0.3, 1.0, 1.7])
def test_two_servers_match_the_closed_form(load: float) -> None:
    assert probability_of_waiting(2, load) == pytest.approx(load**2 / (2 + load))


def test_erlang_b_of_one_server_is_a_over_one_plus_a() -> None:
    assert erlang_b(1, 3.0) == pytest.approx(3 / 4)


def test_large_halls_do_not_overflow() -> None:
    # 150 erlangs: a^c / c! would overflow a float; the recursion does not.
    waiting = probability_of_waiting(170, 150)
    assert 0 < waiting < 1
    assert math.isfinite(mean_wait_minutes(170, 150 * 60 / 5, 5))


def test_overloaded_or_empty_halls() -> None:
    assert probability_of_waiting(3, 3.0) == 1.0
    assert service_level(3, 60, 3, 10) == 0.0  # 3 erlangs on 3 counters never keeps up
    assert mean_wait_minutes(3, 60, 3) == math.inf
    assert probability_of_waiting(2, 0) == 0.0
    assert service_level(0, 0, 5, 10) == 1.0
    assert counters_needed(0, 12, 30, 0.8) == 0


def test_a_longer_target_or_a_lower_share_never_needs_more_counters() -> None:
    strict = counters_needed(30, 12, 10, 0.9)
    assert counters_needed(30, 12, 30, 0.9) <= strict
    assert counters_needed(30, 12, 10, 0.8) <= strict
    # 6 erlangs need at least 7 counters, whatever the target.
    assert counters_needed(30, 12, 1000, 0.5) >= 7
