"""Channels that carry a message to a citizen's phone (issue 15), one module each:

    base.py   what every channel takes and answers, and how it fails
    smpp.py   a carrier's brand-name SMS over SMPP 3.4 (smpplib)
    zalo.py   Zalo's notification service (ZNS): a template id and its parameters, HTTPS
    gammu.py  a GSM modem on the LAN through Gammu's SMS daemon (its files spool)

`channel_from_env` builds the one the sender uses from XEPHANG_NOTIFY_* variables.
"""

from server.adapters.notify.base import (
    Channel,
    Delivery,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from server.adapters.notify.settings import channel_from_env

__all__ = [
    "Channel",
    "Delivery",
    "Outgoing",
    "PermanentFailure",
    "TemporaryFailure",
    "channel_from_env",
]
