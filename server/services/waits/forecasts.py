"""This worker's cache: per site, the habits learned and the latest forecast, keyed by
the site's `event_seq`. The forecast is computed once per change, never per request;
issuing a number reads the one kept (`issued_wait`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.adapters.db.models import Site
from server.domain.numbering import local_day
from server.domain.prediction import Flag, Forecast, Habits, Hours, Quote, learn, predict
from server.services.access import site_zone
from server.services.waits.hall import learn_habits, read_hall
from server.services.waits.shown import Wait, as_shown, ticket_quote

# Habits (hall.py) are learned again this often by the publisher, and at the start of
# each local day by whoever needs them first. Learning costs about 0.3 s of CPU for a busy
# ward's 56 days (13,000 tickets): a request relearns only habits of another day (a worker
# that publishes nothing), and issuing a number never learns.
HABITS_MAX_AGE = timedelta(hours=1)
REQUEST_HABITS_MAX_AGE = timedelta(days=1)
# A forecast older than this is computed again even without a change (the clock alone
# moves a hall towards lunch and closing); otherwise, only a change makes a new one.
FORECAST_MAX_AGE = timedelta(minutes=10)
# A read session that computes many views at once (live_states) pins its forecast here.
PINNED = "waits_forecast"


@dataclass(frozen=True)
class _Learned:
    habits: Habits
    at: datetime
    day: date


@dataclass(frozen=True)
class _Kept:
    seq: int
    forecast: Forecast
    hours: Hours


# A site in the cache: (the database's URL, the site's id). One process may serve
# several databases (tests do), where sites share ids.
_Key = tuple[str, int]


def _key(session: Session, site_id: int) -> _Key:
    return (str(session.get_bind().engine.url), site_id)


# Sites kept per worker: a province's server has a few dozen; the oldest kept goes first.
MAX_SITES = 256


def _keep(kept: dict[_Key, Any], key: _Key, value: Any) -> None:
    kept.pop(key, None)
    kept[key] = value
    while len(kept) > MAX_SITES:
        del kept[next(iter(kept))]


class _Cache:
    """This worker's habits and latest forecast per site. `computed` counts forecasts
    computed (what tests count); `checked` is the last seq whose moved quotes were
    recorded, per site."""

    def __init__(self) -> None:
        self.habits: dict[_Key, _Learned] = {}
        self.forecasts: dict[_Key, _Kept] = {}
        self.checked: dict[_Key, int] = {}
        self.computed = 0

    def clear(self) -> None:
        self.habits.clear()
        self.forecasts.clear()
        self.checked.clear()
        self.computed = 0


cache = _Cache()


def habits_of(session: Session, site: Site, now: datetime, max_age: timedelta | None) -> Habits:
    """The site's habits, learned again when they are older than `max_age` or of another
    local day. With `max_age` None nothing is learned: the habits kept, however old, or
    without any, the services' configured minutes alone."""
    today = local_day(now, site_zone(site))
    key = _key(session, site.id)
    learned = cache.habits.get(key)
    if max_age is not None and (
        learned is None or learned.day != today or abs(now - learned.at) >= max_age
    ):
        learned = _Learned(learn_habits(session, site, now), now, today)
        _keep(cache.habits, key, learned)
    if learned is None:
        expected = {s.id: s.expected_minutes for s in site.services}
        return learn((), expected, site_zone(site))
    return learned.habits


def site_forecast(
    session: Session,
    site: Site,
    seq: int,
    now: datetime,
    habits_max_age: timedelta | None = REQUEST_HABITS_MAX_AGE,
) -> Forecast:
    """The site's forecast at `seq` (its event_seq, read by the caller before anything
    else): the one kept if it is of that seq and recent, else computed now and kept. A
    session that pinned one (live_states: all the views of a batch) gets that one.
    `habits_max_age`: see habits_of."""
    pinned: dict[int, Forecast] | None = session.info.get(PINNED)
    if pinned is not None and site.id in pinned:
        return pinned[site.id]
    key = _key(session, site.id)
    kept = cache.forecasts.get(key)
    if kept is None or kept.seq != seq or abs(now - kept.forecast.at) >= FORECAST_MAX_AGE:
        hall = read_hall(session, site, now)
        forecast = predict(hall, habits_of(session, site, now, habits_max_age))
        cache.computed += 1
        kept = _Kept(seq, forecast, hall.hours)
        current = cache.forecasts.get(key)
        if current is None or current.seq <= seq:
            _keep(cache.forecasts, key, kept)
    if pinned is not None:
        pinned[site.id] = kept.forecast
    return kept.forecast


def issued_wait(
    session: Session,
    site_id: int,
    ticket_id: int,
    service_id: int,
    is_priority: bool,
    now: datetime,
) -> Wait:
    """The wait told at issue: the service's quote for a ticket issued now, from the
    forecast this worker keeps (issuing computes nothing). Only a worker's first number
    at a site, before any change or snapshot there, computes the forecast here, once (its
    hall then holds the new ticket, whose own quote is told), with the habits it keeps
    (none yet: the configured minutes), so as to hold the transaction only ~20 ms."""
    key = _key(session, site_id)
    kept = cache.forecasts.get(key)
    if kept is None:
        site = session.get(Site, site_id)
        assert site is not None  # the issue read it already
        site_forecast(session, site, site.event_seq, now, habits_max_age=None)
        kept = cache.forecasts[key]
    quote = ticket_quote(kept.forecast, ticket_id, service_id, is_priority)
    if quote is None:
        quote = Quote(math.inf, math.inf, math.inf, frozenset({Flag.NO_COUNTER}))
    return as_shown(quote, kept.hours, now)


def pin(session: Session) -> None:
    """Make every view read in this session use one forecast per site."""
    session.info[PINNED] = {}
