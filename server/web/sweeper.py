"""The server's background chores: pause the counters whose clerk is gone, and expire the
day's leftovers at closing time, and any left from earlier days (say, after the mini PC was
switched off overnight)."""

from __future__ import annotations

import logging

from flask import Flask

from server.adapters.realtime import socketio
from server.runtime import Runtime
from server.services.counters import pause_absent
from server.services.tickets import all_site_ids, expire_leftovers
from server.services.tickets.second_chance import no_show_overdue

log = logging.getLogger(__name__)


def sweep_once(rt: Runtime) -> int:
    """One round: pause counters whose clerk is gone, then expire leftovers (how many)."""
    uow = rt.uow()
    pause_absent(uow, rt.config.clerk_away_minutes)
    sites = all_site_ids(uow)
    for site_id in sites:
        no_show_overdue(uow, site_id)  # recalled the most times and still absent (issue 15)
    return sum(expire_leftovers(uow, site_id) for site_id in sites)


def run_sweeper(app: Flask) -> None:
    rt: Runtime = app.extensions["xephang"]
    while True:
        try:
            expired = sweep_once(rt)
            if expired:
                log.info("expired %d leftover tickets", expired)
        except Exception:  # keep sweeping; the next round may succeed
            log.exception("sweep failed")
        socketio.sleep(rt.config.sweep_seconds)
