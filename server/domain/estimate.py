"""Estimated wait shown on the kiosk, the ticket, the phone page and the board."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Fewer real service times than this and the configured minutes are a better guess.
MIN_SAMPLES = 3


def average_service_seconds(recent_seconds: Sequence[float], expected_minutes: float) -> float:
    """The mean of recent real service times, or the service's configured minutes when
    there are too few of them yet (first tickets of the day, a new service)."""
    if len(recent_seconds) < MIN_SAMPLES:
        return expected_minutes * 60.0
    return sum(recent_seconds) / len(recent_seconds)


def estimate_wait_minutes(
    people_ahead: int,
    open_counters: int,
    recent_seconds: Sequence[float],
    expected_minutes: float,
) -> int:
    """Whole minutes until a ticket with `people_ahead` before it is likely to be called.

    The people ahead are shared among the open counters that serve the service; with none
    open yet (early morning) the estimate assumes one will open, rather than infinity.
    """
    if people_ahead <= 0:
        return 0
    per_ticket = average_service_seconds(recent_seconds, expected_minutes)
    seconds = people_ahead * per_ticket / max(open_counters, 1)
    return math.ceil(seconds / 60.0)
