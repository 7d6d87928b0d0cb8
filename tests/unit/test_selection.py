from datetime import UTC, datetime, timedelta

from server.domain.selection import Candidate, calling_order, choose_next, people_ahead

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
LAND, CIVIL, CERT = 1, 2, 3


def ticket(ticket_id: int, minute: int, service: int = LAND, priority: bool = False) -> Candidate:
    return Candidate(ticket_id, service, priority, T0 + timedelta(minutes=minute))


def pick(
    candidates: list[Candidate],
    ranks: dict[int, int] | None = None,
    streak: int = 0,
    bound: int = 3,
) -> int | None:
    chosen = choose_next(candidates, ranks or {LAND: 0}, streak, bound)
    return None if chosen is None else chosen.ticket_id


def test_first_come_first_served_within_the_same_class() -> None:
    assert pick([ticket(3, 7), ticket(1, 2), ticket(2, 5)]) == 1


def test_equal_times_go_to_the_earlier_ticket() -> None:
    assert pick([ticket(8, 5), ticket(7, 5)]) == 7


def test_priority_goes_before_a_normal_ticket_that_waited_longer() -> None:
    assert pick([ticket(1, 0), ticket(2, 30, priority=True)]) == 2


def test_priority_tickets_among_themselves_are_first_come_first_served() -> None:
    assert pick([ticket(5, 9, priority=True), ticket(4, 3, priority=True), ticket(1, 0)]) == 4


def test_after_the_bound_a_waiting_normal_ticket_goes_first() -> None:
    queue = [ticket(1, 0), ticket(2, 10, priority=True)]
    assert pick(queue, streak=2, bound=3) == 2
    assert pick(queue, streak=3, bound=3) == 1


def test_the_bound_does_not_hold_back_priority_when_nobody_else_waits() -> None:
    assert pick([ticket(2, 10, priority=True)], streak=10, bound=3) == 2


def test_a_run_of_priority_arrivals_never_starves_normal_tickets() -> None:
    # Simulate a counter facing an endless stream of priority citizens.
    normal = ticket(1, 0)
    streak, calls = 0, []
    for n in range(8):
        queue = [normal, ticket(100 + n, n + 1, priority=True)]
        chosen = choose_next(queue, {LAND: 0}, streak, 3)
        assert chosen is not None
        calls.append(chosen.ticket_id)
        streak = streak + 1 if chosen.is_priority else 0
        if chosen.ticket_id == normal.ticket_id:
            break
    assert calls == [100, 101, 102, 1]


def test_main_services_go_before_secondary_ones() -> None:
    ranks = {CIVIL: 0, CERT: 1}
    assert pick([ticket(1, 0, CERT), ticket(2, 20, CIVIL)], ranks) == 2


def test_priority_on_a_secondary_service_still_goes_first() -> None:
    ranks = {CIVIL: 0, CERT: 1}
    assert pick([ticket(1, 0, CIVIL), ticket(2, 20, CERT, priority=True)], ranks) == 2


def test_services_the_counter_does_not_serve_are_ignored() -> None:
    assert pick([ticket(1, 0, LAND)], {CIVIL: 0}) is None
    assert pick([]) is None


def test_people_ahead_counts_only_the_same_service_in_queue_order() -> None:
    me = ticket(10, 20)
    queue = [
        ticket(1, 0),  # ahead
        ticket(2, 25, priority=True),  # priority: ahead although later
        ticket(3, 30),  # behind
        ticket(4, 5, CIVIL),  # another service
        me,
    ]
    assert people_ahead(me, queue) == 2


def test_a_priority_ticket_has_only_earlier_priority_tickets_ahead() -> None:
    me = ticket(10, 20, priority=True)
    queue = [ticket(1, 0), ticket(2, 10, priority=True), ticket(3, 30, priority=True), me]
    assert people_ahead(me, queue) == 1


def test_a_transferred_citizen_keeps_the_place_of_the_first_issue_time() -> None:
    # Transferred at minute 40 but first issued at minute 1: ahead of those issued later.
    transferred = Candidate(50, CIVIL, False, T0 + timedelta(minutes=1))
    assert pick([ticket(20, 30, CIVIL), transferred], {CIVIL: 0}) == 50


def test_the_clerks_list_shows_the_calling_order() -> None:
    ranks = {CIVIL: 0, CERT: 1}
    queue = [
        ticket(1, 0, CERT),
        ticket(2, 5, CIVIL),
        ticket(3, 9, CERT, priority=True),
        ticket(4, 1, CIVIL),
        ticket(5, 2, LAND),  # not served here
    ]
    assert [c.ticket_id for c in calling_order(queue, ranks)] == [3, 4, 2, 1]
