"""One transaction of one use case, and the changes it publishes after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from server.adapters.db.engine import Database
from server.adapters.db.models import Site
from server.services.changes import Change

log = logging.getLogger(__name__)

# Takes committed changes; the real one only queues them and publishes them in the
# background (server/adapters/realtime.py), so that no request waits for its screens.
Publisher = Callable[[Sequence[Change]], None]
Clock = Callable[[], datetime]


# Built once, compiled once: every use case that changes a site runs it.
_SITES = cast(Table, Site.__table__)
_NEXT_SEQ = (
    update(_SITES)
    .where(_SITES.c.id == bindparam("site_id"))
    .values(event_seq=_SITES.c.event_seq + 1)
    .returning(_SITES.c.event_seq)
)


def system_clock() -> datetime:
    return datetime.now(UTC)


def publish_nowhere(changes: Sequence[Change]) -> None:
    """The publisher of command-line tools and tests that listen to nothing."""


class UnitOfWork:
    """Use as `with uow: ...; uow.commit()`. Leaving the block without commit rolls back.

    A fresh transaction is opened on each `with`, so one UnitOfWork object can serve many
    use cases in a row (one per request, say).
    """

    def __init__(
        self, db: Database, publish: Publisher = publish_nowhere, clock: Clock = system_clock
    ) -> None:
        self.db = db
        self.publish = publish
        self.clock = clock
        self._session: Session | None = None
        self._changes: list[Change] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a with block")
        return self._session

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("unit of work already open")
        self._session = self.db.write_session()
        self._session.begin()
        self._changes = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            if session.in_transaction():
                session.rollback()
        finally:
            session.close()
            self._changes = []

    def record(self, change: Change) -> None:
        self._changes.append(change)

    def commit(self) -> list[Change]:
        """Stamp each site's changes with its next sequence number, commit, then hand them
        to the publisher. Publishing never fails the use case: it is committed, and the
        screens resync from their snapshots."""
        session = self.session
        changes = self._changes
        for site_id in sorted({c.site_id for c in changes if c.site_wide}):
            seq = session.connection().execute(_NEXT_SEQ, {"site_id": site_id}).scalar_one()
            for change in changes:
                if change.site_id == site_id and change.site_wide:
                    change.seq = seq
        session.commit()
        self._changes = []
        if changes:
            try:
                self.publish(changes)
            except Exception:
                log.exception("could not publish %d committed changes", len(changes))
        return changes
