"""Sign-in throttling per (address, username): a growing delay, never a lock.

Each failed sign-in of a username from an address is remembered for an hour. The first
FREE_FAILURES cost nothing; each one after that makes that address wait before trying that
username again: 2 s, 4 s, 8 s … up to MAX_DELAY. While it waits, an attempt is refused
without its password being checked, and is not counted. A success from that address
forgets its failures.

Nobody can lock anyone out: the same username from another address (the clerk at her own
desk) has its own tally and is never slowed down by someone else's guesses. A flood from
one address against many usernames is bounded by the per-address limit on failed sign-ins
(server/web/security.py, XEPHANG_RATELIMIT_LOGIN).

The tallies live in the rate limiter's storage (memory, or Redis shared by the workers);
if that storage is out of order, sign-in goes on unthrottled rather than not at all.
"""

from __future__ import annotations

import logging
import math
import time

from flask_limiter.util import get_remote_address

from server.web.security import limiter

log = logging.getLogger(__name__)

FREE_FAILURES = 3
FIRST_DELAY = 2  # seconds, after the first failure beyond the free ones; doubled each time
MAX_DELAY = 15 * 60
MEMORY = 60 * 60  # seconds a failure is remembered


def now() -> float:
    return time.time()


def _keys(username: str) -> tuple[str, str]:
    name = username.strip().casefold()[:64]
    pair = f"sign-in:{get_remote_address()}:{name}"
    return f"{pair}:failures", f"{pair}:until"


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` failed sign-ins in a row."""
    beyond = failures - FREE_FAILURES
    if beyond <= 0:
        return 0
    doubled: int = FIRST_DELAY << min(beyond - 1, 20)
    return min(MAX_DELAY, doubled)


def seconds_to_wait(username: str) -> int:
    """How long this address must wait before trying `username` again (0: not at all)."""
    try:
        until = int(limiter.storage.get(_keys(username)[1]))
    except Exception:  # the storage is out of order: never stop a clerk signing in
        log.exception("sign-in throttle: could not read the storage")
        return 0
    return max(0, math.ceil(until - now()))


def failed(username: str) -> None:
    """Count one failed sign-in of `username` from this address."""
    failures_key, until_key = _keys(username)
    try:
        failures = limiter.storage.incr(failures_key, MEMORY)
        delay = delay_after(failures)
        if delay:
            limiter.storage.clear(until_key)
            limiter.storage.incr(until_key, delay + 1, amount=math.ceil(now()) + delay)
    except Exception:
        log.exception("sign-in throttle: could not count a failure")


def succeeded(username: str) -> None:
    """This address knows the password: forget its failures for `username`."""
    for key in _keys(username):
        try:
            limiter.storage.clear(key)
        except Exception:
            log.exception("sign-in throttle: could not clear a tally")
