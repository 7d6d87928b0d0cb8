"""Sign-in throttling per (address, username): a growing delay, never a lock.

Each failed sign-in of a username from an address is remembered for an hour after the
last one. The first FREE_FAILURES cost nothing; each one after that makes that address
wait before trying that username again: 2 s, 4 s, 8 s … up to MAX_DELAY. While it
waits, an attempt is refused without its password being checked, and is not counted. A
success from that address forgets its failures.

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
MEMORY = 60 * 60  # seconds a failure is remembered, after the last one
TALLY_LIFE = 24 * MEMORY  # seconds the numbering of failures is kept, at most


def now() -> float:
    return time.time()


def _pair(username: str) -> str:
    name = username.strip().casefold()[:64]
    return f"sign-in:{get_remote_address()}:{name}"


def _failure_key(pair: str, failures: int) -> str:
    """Where the time of the pair's `failures`-th failure is kept (milliseconds)."""
    return f"{pair}:failure:{failures}"


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` failed sign-ins in a row."""
    beyond = failures - FREE_FAILURES
    if beyond <= 0:
        return 0
    doubled: int = FIRST_DELAY << min(beyond - 1, 20)
    return min(MAX_DELAY, doubled)


def _last_failure(pair: str, failures: int) -> float:
    """When the pair's last failure was (seconds), or 0 if it is forgotten. Failure n
    may still be writing its time: failure n - 1's then stands for it."""
    for n in (failures, failures - 1):
        if n > 0 and (at := int(limiter.storage.get(_failure_key(pair, n)))):
            return at / 1000
    return 0


def seconds_to_wait(username: str) -> int:
    """How long this address must wait before trying `username` again (0: not at all)."""
    pair = _pair(username)
    try:
        failures = int(limiter.storage.get(f"{pair}:failures"))
        delay = delay_after(failures)
        last = _last_failure(pair, failures) if delay else 0
    except Exception:  # the storage is out of order: never stop a clerk signing in
        log.exception("sign-in throttle: could not read the storage")
        return 0
    if not last:  # no failure for MEMORY seconds: all forgotten
        return 0
    return max(0, min(MAX_DELAY, math.ceil(min(last, now()) + delay - now())))


def failed(username: str) -> None:
    """Count one failed sign-in of `username` from this address.

    Two workers may record failures of the same pair at once, so the count and the time
    are never a value read, changed and written back: the tally numbers each failure
    (an atomic increment: 1, 2, 3 …) and failure n writes its time once, to a key of its
    own that lives MEMORY seconds. When the last failure's key has expired, the tally
    starts again: failures are remembered for MEMORY seconds after the last one. (Failures
    at once just after such a pause can leave the tally too low, never too high; and
    whatever is read, a wait is at most MAX_DELAY.)
    """
    pair = _pair(username)
    tally = f"{pair}:failures"
    at = math.floor(now() * 1000)
    try:
        if not _last_failure(pair, int(limiter.storage.get(tally))):
            limiter.storage.clear(tally)
        failures = limiter.storage.incr(tally, TALLY_LIFE)
        time_key = _failure_key(pair, failures)
        if limiter.storage.incr(time_key, MEMORY, amount=at) != at:  # an older tally's
            limiter.storage.clear(time_key)
            limiter.storage.incr(time_key, MEMORY, amount=at)
    except Exception:
        log.exception("sign-in throttle: could not count a failure")


def succeeded(username: str) -> None:
    """This address knows the password: forget its failures for `username`."""
    try:
        limiter.storage.clear(f"{_pair(username)}:failures")
    except Exception:
        log.exception("sign-in throttle: could not clear a tally")
