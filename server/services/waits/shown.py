"""Quotes as shown: a forecast's quote in whole minutes from now (`Wait`), and the `wait`
object of every payload (`wait_json`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.adapters.db.models import Site
from server.domain.prediction import Flag, Forecast, Hours, Quote
from server.services.waits.hall import site_hours


@dataclass(frozen=True)
class Wait:
    """A quote as shown, in whole minutes from `at`: `high` None when the ticket may not
    be called before closing; an infinite figure is shown as the time left to closing."""

    low: int
    median: int
    high: int | None
    no_counter: bool
    warning: tuple[str, str, str] | None  # (vi, en, "HH:MM")


NO_WAIT = Wait(0, 0, 0, False, None)


def as_shown(quote: Quote, hours: Hours, now: datetime, elapsed: float = 0.0) -> Wait:
    """A quote made `elapsed` minutes ago, as shown at `now`: P10 down, median to the
    nearest minute, P90 up (each less what has elapsed since, never below zero)."""
    left = max(0.0, (hours.at(now, hours.closes_at) - now).total_seconds() / 60)

    def minutes(value: float) -> float:
        return left if math.isinf(value) else max(0.0, value - elapsed)

    low = math.floor(minutes(quote.p10))
    median = max(low, round(minutes(quote.median)))
    high = None if math.isinf(quote.p90) else max(median, math.ceil(minutes(quote.p90)))
    no_counter = Flag.NO_COUNTER in quote.flags
    warning = None
    if quote.deadline is not None and quote.warning is not None and not no_counter:
        vi, en = quote.warning
        warning = (vi, en, f"{quote.deadline:%H:%M}")
    return Wait(low, median, high, no_counter, warning)


def wait_json(wait: Wait) -> dict[str, Any]:
    """The `wait` object of the payloads: {"low", "median", "high" (null: perhaps not
    before closing), "no_counter", "warning" (null, or {"vi", "en", "until": "HH:MM"}:
    the ticket may be called only after the lunch break or not before closing)}."""
    return {
        "low": wait.low,
        "median": wait.median,
        "high": wait.high,
        "no_counter": wait.no_counter,
        "warning": None
        if wait.warning is None
        else {"vi": wait.warning[0], "en": wait.warning[1], "until": wait.warning[2]},
    }


def service_waits(
    forecast: Forecast, site: Site, service_id: int, now: datetime
) -> tuple[Wait, Wait]:
    """A normal and a priority ticket of the service issued now."""
    hours = site_hours(site)
    missing = Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
    normal = forecast.services.get(service_id, missing)
    priority = forecast.priority_services.get(service_id, normal)
    return as_shown(normal, hours, now), as_shown(priority, hours, now)


def ticket_quote(
    forecast: Forecast, ticket_id: int, service_id: int, is_priority: bool
) -> Quote | None:
    """A waiting ticket's quote; one the forecast has not seen (issued since) gets its
    service's for a ticket issued now."""
    quote = forecast.tickets.get(ticket_id)
    if quote is None:
        by_service = forecast.priority_services if is_priority else forecast.services
        quote = by_service.get(service_id) or forecast.services.get(service_id)
    return quote


def ticket_wait(
    forecast: Forecast,
    site: Site,
    ticket_id: int,
    service_id: int,
    is_priority: bool,
    now: datetime,
) -> Wait:
    """A waiting ticket's wait as shown at `now` (its quote less the minutes since)."""
    quote = ticket_quote(forecast, ticket_id, service_id, is_priority)
    if quote is None:
        quote = Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
    elapsed = max(0.0, (now - forecast.at).total_seconds() / 60)
    return as_shown(quote, site_hours(site), now, elapsed)
