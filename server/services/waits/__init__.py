"""The waits shown to citizens: the predictor (server/domain/prediction) fed from the
database, once per change of a site, never per request.

    hall.py       the site now as the predictor sees it, and its recent past
    forecasts.py  this worker's habits and latest forecast per site, and the wait at issue
    shown.py      a quote as shown, in whole minutes, and the `wait` object of the payloads
    quotes.py     the quotes stored (wait_quotes rows): at issue, and when they move

- `read_hall` reads a site now as the predictor sees it; `learn_habits` learns from its
  recent past (`past_tickets`, and `past_pauses` of its counters).
- Each worker keeps, per site, the habits learned (relearned every HABITS_MAX_AGE and at
  the start of each local day) and the latest forecast, keyed by the site's `event_seq`
  (bumped by every committed change). The publisher computes the forecast after each
  batch of changes (server/services/live_states.py, off the request path); a snapshot
  that finds none for the current `event_seq` computes it once and keeps it. Issuing a
  number reads the kept forecast and computes nothing.
- `wait_json` is the `wait` object of every payload (see its docstring).
- `issued_wait` is the wait told at issue, stored with the ticket (`quote_row`, kind
  "issued"); `record_moved_quotes` stores a ticket's quote again when the promise its
  phone shows has moved (kind "update", see `moved`).

Callers import from here: `from server.services import waits`, then `waits.site_forecast`.
"""

from server.services.waits.forecasts import (
    HABITS_MAX_AGE,
    cache,
    issued_wait,
    pin,
    site_forecast,
)
from server.services.waits.hall import learn_habits, past_tickets, read_hall
from server.services.waits.quotes import (
    INSERT_QUOTE,
    QUOTE_ISSUED,
    moved,
    quote_row,
    record_moved_quotes,
)
from server.services.waits.shown import (
    NO_WAIT,
    Wait,
    as_shown,
    service_waits,
    ticket_wait,
    wait_json,
)

__all__ = [
    "HABITS_MAX_AGE",
    "INSERT_QUOTE",
    "NO_WAIT",
    "QUOTE_ISSUED",
    "Wait",
    "as_shown",
    "cache",
    "issued_wait",
    "learn_habits",
    "moved",
    "past_tickets",
    "pin",
    "quote_row",
    "read_hall",
    "record_moved_quotes",
    "service_waits",
    "site_forecast",
    "ticket_wait",
    "wait_json",
]
