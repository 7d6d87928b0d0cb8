"""The hall's board: counters, their current tickets and the recent calls."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from server.web.input import Count, Id
from server.web.schemas.base import Answer
from server.web.schemas.public import CurrentTicket, PublicCounter, ServiceQueue, Site


class BoardCounter(PublicCounter):
    current: CurrentTicket | None


class RecentCall(Answer):
    ticket_id: Id
    number: str
    counter_number: int
    service_name_vi: str
    service_name_en: str
    at: datetime
    recall: bool
    clips: list[str] = Field(description="Voice clips, in playing order.")


class BoardSnapshot(Answer):
    seq: Count
    site: Site
    counters: list[BoardCounter]
    recent_calls: list[RecentCall]
    services: list[ServiceQueue]
