"""The outbox's sender as a background task of the server (issue 15), started like the
sweeper when XEPHANG_NOTIFY_CHANNEL names a channel. One server (or `xephang notify
run`, its own process) is enough; several are safe: each message is claimed once."""

from __future__ import annotations

import logging
import os

from flask import Flask

from server.adapters.notify import channel_from_env
from server.adapters.realtime import socketio
from server.runtime import Runtime
from server.services.notifications import Sender

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0


def start_notify_sender(app: Flask) -> bool:
    """Start the sender if a channel is configured; True if it was started."""
    channel = channel_from_env(os.environ)
    if channel is None:
        return False
    rt: Runtime = app.extensions["xephang"]
    sender = Sender(rt.db, channel, public_url=rt.config.public_url or "")
    socketio.start_background_task(sender.run, INTERVAL_SECONDS, socketio.sleep)
    log.info("sending notifications through %s", channel.name)
    return True
