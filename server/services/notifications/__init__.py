"""Messages to a citizen's phone without an open page (issue 15): consent, the outbox and
its sender.

    settings.py  a site's rules for messages and missed turns, and its own wording
    consent.py   the citizen's yes to messages, and the number forgotten with the day
    outbox.py    what a call, recall or no-show writes for the sender
    sender.py    the sender: one due message at a time, through one channel
    figures.py   a day's messages by status, and what they cost

The outbox: a use case that calls, recalls or marks a ticket no-show writes the message
row in its own transaction (`on_called`, `on_missed`), so a message exists if and only if
its change was committed, and the call itself never talks to a channel.

The sender takes one due message at a time: a short transaction claims it (status
`sending`, a fresh attempt id) and commits; only then is it handed to the channel; a
second transaction records the outcome, if the row still carries that attempt id. A
sender killed between the two leaves the row `sending`: after the lease the next sender
marks it `unknown` and never sends it again (at most once). Every other message is still
`pending` and is sent by the next sender (nothing lost).

Callers import from here: `from server.services.notifications import Sender`.
"""

from server.services.notifications.consent import forget_closed_day, subscribe, unsubscribe
from server.services.notifications.figures import delivery_figures
from server.services.notifications.outbox import on_called, on_missed
from server.services.notifications.sender import Sender
from server.services.notifications.settings import (
    Settings,
    save_settings,
    set_template,
    settings_for,
)

__all__ = [
    "Sender",
    "Settings",
    "delivery_figures",
    "forget_closed_day",
    "on_called",
    "on_missed",
    "save_settings",
    "set_template",
    "settings_for",
    "subscribe",
    "unsubscribe",
]
