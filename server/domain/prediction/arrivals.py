"""Citizens still to come in a run of the forecast: per service, priority and normal apart,
a Poisson process whose rate is the site's usual one for each half hour of the day, scaled
by how busy today has been so far. A queue's next citizen is drawn only when a counter
looks at that queue and finds nobody waiting in it (see simulation.Day).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.domain.prediction.habits import SLOT_MINUTES, Habits
from server.domain.prediction.hall import Hall
from server.domain.prediction.sampling import Expected, Uniform, expected_events
from server.domain.selection import Candidate

# Today's arrivals so far against the usual: trust the usual as much as this many citizens,
# and never scale it by more than BUSY_MAX either way.
BUSY_PRIOR_CITIZENS = 30.0
BUSY_MAX = 3.0


@dataclass(eq=False)
class Stream:
    """Citizens of one queue still to come."""

    service_id: int
    is_priority: bool
    expected: Expected


def busy_today(hall: Hall, habits: Habits, midnight: float, opens: float) -> float:
    """How much busier than usual today is, from the citizens who came so far: the usual
    rates, scaled, with BUSY_PRIOR_CITIZENS' worth of trust in the usual. `midnight` is
    the seconds since local midnight now, `opens` the seconds from now to opening."""
    issued = hall.issued_today
    if issued is None:
        return 1.0
    slot_seconds = SLOT_MINUTES * 60
    opened = (midnight + opens) / slot_seconds
    expected = habits.expected_arrivals(opened, midnight / slot_seconds)
    scale = (issued + BUSY_PRIOR_CITIZENS) / (expected + BUSY_PRIOR_CITIZENS)
    return min(BUSY_MAX, max(1 / BUSY_MAX, scale))


def streams(
    hall: Hall,
    habits: Habits,
    queue_of: Mapping[int, int],
    servable: set[int],
    midnight: float,
    opens: float,
    closes: float,
) -> list[Stream | None]:
    """Per queue (`queue_of[service]` + 0 for priority, + 1 for normal), its arrivals
    from now (or from opening) to closing; None where nobody is expected, or where no
    counter would call them (they would change no one's wait)."""
    found: list[Stream | None] = [None] * (2 * len(queue_of))
    scale = busy_today(hall, habits, midnight, opens)
    for service_id, first in queue_of.items():
        rates = habits.arrivals.get(service_id)
        if rates is None or service_id not in servable:
            continue
        share = habits.priority_share.get(service_id, 0.0)
        for kind, part in ((0, share), (1, 1.0 - share)):
            expected = expected_events(rates, midnight, opens, closes, part * scale)
            if expected is not None:
                found[first + kind] = Stream(service_id, kind == 0, expected)
    return found


class Coming:
    """The next citizen still to come of each queue of one run, drawn one at a time: the
    moment a queue's cumulative expected arrivals grow by an exponential draw."""

    def __init__(
        self,
        streams: list[Stream | None],
        now: datetime,
        ids: Iterator[int],
        waited: Mapping[int, tuple[float, float]],
        rnd: Uniform,
    ) -> None:
        self.streams = streams
        self.now = now
        self.ids = ids
        self.rnd = rnd
        size = len(streams)
        self.at = [math.inf] * size
        # Per ticket id: how long it has waited now (negative: it comes that much later),
        # and the share of citizens still waiting after so long.
        self.since = dict(waited)
        self.citizen: list[Candidate | None] = [None] * size
        self.expected = [0.0] * size
        for queue, stream in enumerate(streams):
            if stream is not None:
                self.draw(queue)

    def draw(self, queue: int) -> None:
        """The one after the queue's current next citizen."""
        stream = self.streams[queue]
        assert stream is not None
        goal = self.expected[queue] - math.log(1.0 - self.rnd())
        at = stream.expected.moment(goal)
        if at == math.inf:
            self.at[queue], self.citizen[queue] = math.inf, None
            return
        self.expected[queue] = goal
        queued_at = self.now + timedelta(seconds=at)
        citizen = Candidate(next(self.ids), stream.service_id, stream.is_priority, queued_at)
        self.at[queue], self.citizen[queue] = at, citizen
        self.since[citizen.ticket_id] = (-at, 1.0)
