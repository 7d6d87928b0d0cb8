"""What the entry points share: the database and a way to open units of work.

Created once by the app factory and kept in `app.extensions["xephang"]`; views reach it
through `runtime()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from server.adapters.db.engine import Database
from server.config import Config
from server.services.unit_of_work import Clock, Publisher, UnitOfWork, system_clock


@dataclass
class Runtime:
    config: Config
    db: Database
    publish: Publisher
    clock: Clock = system_clock

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.publish, self.clock)


def runtime() -> Runtime:
    found: Runtime = current_app.extensions["xephang"]
    return found
