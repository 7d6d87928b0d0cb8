"""The graded days of bench/eta.py: the halls (profiles) and the citizens of one synthetic
day, each with everything they will do, drawn before the day is replayed.

The citizens come from the same process as bench/history.py's past (its arrival curve,
service mix, priority share, no-shows, transfers, give-ups and lognormal service times,
imported from it), with other seeds: the predictor learns from the history and is graded
on days it has never seen.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from bench import history
from server.cli.demo import COUNTERS, SERVICES
from server.domain.tickets import Priority

EXPECTED_MINUTES = {code: float(minutes) for code, *_, minutes in SERVICES}
SERVICE_CODES = [code for code, *_ in SERVICES]

# number: (main services, secondary services)
Layout = dict[int, tuple[tuple[str, ...], tuple[str, ...]]]
DEMO_LAYOUT: Layout = {n: (tuple(m), tuple(s)) for n, (_, m, s) in COUNTERS.items()}


@dataclass(frozen=True)
class Profile:
    """A hall and its day: about `citizens` people on `counters`."""

    name: str
    citizens: int
    counters: Layout
    title: str


PROFILES = {
    "commune": Profile(
        "commune",
        120,
        {1: (("HT",), ("CT",)), 2: (("CT", "TKQ"), ("HT",)), 3: (("DD", "LD", "KD"), ())},
        "commune: ~120 citizens, 6 services on 3 counters",
    ),
    "ward": Profile(
        "ward",
        300,
        DEMO_LAYOUT,
        "ward: ~300 citizens, 6 services on 6 counters (the demo centre's shared services)",
    ),
    "peak": Profile(
        "peak",
        1200,
        {
            set_index * 6 + n: services
            for set_index in range(4)
            for n, services in DEMO_LAYOUT.items()
        },
        "peak: ~1,200 citizens, 6 services on 24 counters (four sets of the demo's six)",
    ),
}


@dataclass
class Citizen:
    """One citizen of a graded day; times in seconds (arrival: after local midnight)."""

    order: int
    arrives: float
    service: str
    priority: Priority | None
    walk_up: float  # from the first call to the counter (recalls included)
    recalls: int  # calls again before coming, or before being marked absent
    recall_gap: float
    absent: bool
    marked_absent_after: float  # from the first call
    service_seconds: float
    transfer_to: str | None  # sent on to another service after transfer_after seconds
    transfer_after: float
    second_walk_up: float
    second_service_seconds: float
    patience: float | None  # gives up from the phone after waiting this long


def _service_seconds(rng: random.Random, code: str) -> float:
    expected = EXPECTED_MINUTES[code] * 60
    mu = math.log(expected) - history.SERVICE_SIGMA**2 / 2  # mean = expected
    return min(5 * expected, max(30.0, rng.lognormvariate(mu, history.SERVICE_SIGMA)))


def citizens(profile: Profile, seed: int) -> list[Citizen]:
    """A day's citizens, in order of arrival: about `profile.citizens` (Poisson-like)."""
    rng = random.Random(f"eta:{profile.name}:{seed}")
    count = max(1, round(rng.gauss(profile.citizens, math.sqrt(profile.citizens))))
    minutes, weights = history.WEEKDAY_MINUTES
    moments = sorted(
        m * 60 + rng.random() * 60 for m in rng.choices(minutes, cum_weights=weights, k=count)
    )
    mix = [history.SERVICE_MIX[c] for c in SERVICE_CODES]
    categories = list(history.PRIORITY_MIX)
    category_weights = list(history.PRIORITY_MIX.values())
    day: list[Citizen] = []
    for order, moment in enumerate(moments):
        code = rng.choices(SERVICE_CODES, weights=mix)[0]
        priority = (
            rng.choices(categories, category_weights)[0]
            if rng.random() < history.PRIORITY_SHARE
            else None
        )
        absent = rng.random() < history.NO_SHOW_SHARE
        recalls, gap = 0, 0.0
        if absent:
            recalls, gap = rng.choice((0, 1, 1, 2)), rng.uniform(40, 90)
        elif rng.random() < 0.08:  # not heard the first time
            recalls, gap = 1, rng.uniform(30, 60)
        walk_up = recalls * gap + rng.uniform(15, 60)
        transfer_to = None
        if not absent and rng.random() < history.TRANSFER_SHARE:
            transfer_to = rng.choice([c for c in SERVICE_CODES if c != code])
        day.append(
            Citizen(
                order=order,
                arrives=moment,
                service=code,
                priority=priority,
                walk_up=walk_up,
                recalls=recalls,
                recall_gap=gap,
                absent=absent,
                marked_absent_after=recalls * gap + rng.uniform(20, 60),
                service_seconds=_service_seconds(rng, code),
                transfer_to=transfer_to,
                transfer_after=rng.uniform(60, 240),
                second_walk_up=rng.uniform(15, 60),
                second_service_seconds=_service_seconds(rng, transfer_to or code),
                patience=rng.uniform(1, 25) * 60 if rng.random() < history.GIVE_UP_SHARE else None,
            )
        )
    return day
