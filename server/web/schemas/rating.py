"""The rating tablet at a counter: the ticket just finished, and the citizen's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from server.domain.statistics import Rating
from server.web.input import Count, Id
from server.web.schemas.base import Answer, Request


class NewRating(Request):
    ticket_id: Id
    rating: Rating


class TabletSite(Answer):
    id: Id
    name: str
    timezone: str


class TabletCounter(Answer):
    id: Id
    number: int
    label: str


class FinishedTicket(Answer):
    id: Id
    number: str
    service_name_vi: str
    service_name_en: str
    finished_at: datetime
    finished_seconds_ago: Count


class RatingState(Answer):
    seq: Count
    site: TabletSite
    counter: TabletCounter
    window_minutes: Count
    ticket: FinishedTicket | None


class Rated(Answer):
    ticket_id: Id
    number: str
    rating: Rating
    counter_number: int
    at: datetime


class RatingStored(Answer):
    ok: Literal[True]
    result: Rated
