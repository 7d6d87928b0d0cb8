from server.domain.estimate import average_service_seconds, estimate_wait_minutes


def test_nobody_ahead_means_no_wait() -> None:
    assert estimate_wait_minutes(0, 2, [600.0] * 5, 10) == 0


def test_the_configured_minutes_are_used_until_there_are_enough_real_times() -> None:
    assert average_service_seconds([60.0, 60.0], expected_minutes=10) == 600.0
    assert estimate_wait_minutes(3, 1, [60.0, 60.0], expected_minutes=10) == 30


def test_recent_real_service_times_replace_the_configured_minutes() -> None:
    recent = [240.0, 300.0, 360.0]  # 5 minutes on average
    assert average_service_seconds(recent, expected_minutes=20) == 300.0
    assert estimate_wait_minutes(4, 1, recent, expected_minutes=20) == 20


def test_people_ahead_are_shared_among_open_counters_and_rounded_up() -> None:
    recent = [300.0] * 5
    assert estimate_wait_minutes(5, 2, recent, 10) == 13  # 5 x 5 min / 2 = 12.5 -> 13


def test_with_no_counter_open_yet_the_estimate_assumes_one() -> None:
    assert estimate_wait_minutes(2, 0, [], 7) == 14
