"""The manager's hall overview and the notice on the board."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.services.notices import MAX_NOTICE
from server.web.input import Count
from server.web.schemas.base import Answer, Request
from server.web.schemas.printing import HallPrinter
from server.web.schemas.public import CurrentTicket, PublicCounter, ServiceQueue, Site


class NoticeBody(Request):
    notice: str | None = Field(None, max_length=MAX_NOTICE)


class HallCounter(PublicCounter):
    clerk: str | None
    state_changed_at: datetime | None
    current: CurrentTicket | None


class HallService(ServiceQueue):
    target_minutes: int
    oldest_queued_at: datetime | None
    waiting_since: list[datetime]


class Overview(Answer):
    seq: Count
    now: datetime
    site: Site
    counters: list[HallCounter]
    services: list[HallService]
    printers: list[HallPrinter]


class NoticeStored(Answer):
    ok: Literal[True]
    notice: str
