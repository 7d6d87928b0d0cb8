"""How long until a ticket is called: a forecast from the hall's state and its habits.

    habits = learn(past_tickets, expected_minutes, zone, past_pauses)  # now and then
    forecast = predict(hall, habits)  # once per change of a site

See forecast.py for the model, habits.py for what is learned, hall.py for the input.
"""

from server.domain.prediction.forecast import RUNS, Flag, Forecast, Quote, predict
from server.domain.prediction.habits import Habits, PastPause, PastTicket, ServiceTimes, learn
from server.domain.prediction.hall import AtCounter, CounterNow, Hall, Hours

__all__ = [
    "RUNS",
    "AtCounter",
    "CounterNow",
    "Flag",
    "Forecast",
    "Habits",
    "Hall",
    "Hours",
    "PastPause",
    "PastTicket",
    "Quote",
    "ServiceTimes",
    "learn",
    "predict",
]
