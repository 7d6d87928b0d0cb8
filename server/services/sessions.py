"""Ending staff sessions: each account has a session version (users.session_version); a
signed-in session carries the version it began with and is valid only while it matches.

Raising the version ends every session of the account at once, on every browser and
worker: on sign-out (end_sessions), and, whatever code makes the change, when the account's
password, active flag, role, counters or sites change (a hook on every SQLAlchemy session,
before its flush). After the commit, the listeners registered with on_sessions_ended hear
which accounts' sessions ended (the Socket.IO layer disconnects their open sockets).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from server.adapters.db.models import User

log = logging.getLogger(__name__)

# A change to any of these ends the account's sessions: what the session was allowed to
# do, or who may hold it, is no longer true.
ENDING_CHANGES = ("password_hash", "active", "role", "counters", "sites")

_ENDED = "xephang.ended_sessions"  # key in Session.info: account ids, until the commit

Listener = Callable[[set[int]], None]
_listeners: list[Listener] = []


def end_sessions(session: Session, user_id: int) -> None:
    """End every signed-in session of the account (sign-out), within the caller's
    transaction: it takes effect at its commit."""
    session.execute(
        update(User)
        .where(User.id == user_id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    _ended(session).add(user_id)


def on_sessions_ended(listener: Listener) -> None:
    """Call `listener(user_ids)` after each commit that ended sessions."""
    if listener not in _listeners:
        _listeners.append(listener)


def _ended(session: Session) -> set[int]:
    ended: set[int] = session.info.setdefault(_ENDED, set())
    return ended


@event.listens_for(Session, "before_flush")
def _end_sessions_of_changed_accounts(session: Session, _context: Any, _instances: Any) -> None:
    for user in [o for o in session.dirty if isinstance(o, User)]:
        state = inspect(user)
        if any(state.attrs[name].history.has_changes() for name in ENDING_CHANGES):
            # The database adds one (UPDATE ... SET session_version = session_version + 1):
            # a version computed here from what this session read could equal the version
            # a sign-out or sign-in wrote meanwhile, and that session would survive.
            user.session_version = User.session_version + 1
            _ended(session).add(user.id)


@event.listens_for(Session, "after_commit")
def _tell_listeners(session: Session) -> None:
    ended: set[int] = session.info.pop(_ENDED, set())
    if ended:
        _notify(ended)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_ENDED, None)


def _notify(user_ids: Iterable[int]) -> None:
    ids = set(user_ids)
    for listener in list(_listeners):
        try:
            listener(ids)
        except Exception:  # the sessions are ended in the database; sockets are checked again
            log.exception("could not tell that the sessions of %s ended", sorted(ids))
