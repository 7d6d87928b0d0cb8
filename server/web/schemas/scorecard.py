"""The wait scorecard: how reliable the quoted waits were (server/services/scorecard.py
defines each figure)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field

from server.web.input import MAX_ID, Count, Id, Says, blank_is_none
from server.web.schemas.base import Answer, Share
from server.web.schemas.statistics import IntegrationStatisticsQuery, StatisticsQuery

# Blank means every service; the bounds apply to a number only (on None they would raise).
ServiceChoice = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | None,
    BeforeValidator(blank_is_none),
    Says("Lĩnh vực phải là một mã số.", "The service must be an id."),
]


class ScorecardQuery(StatisticsQuery):
    service: ServiceChoice = Field(None, description="One service's id (default: every service).")


class WaitGrade(Answer):
    """Quotes of tickets never called are counted (`not_called`), not graded."""

    key: str
    label_vi: str
    label_en: str
    graded: Count = Field(description="Quotes of tickets that were called.")
    not_called: Count = Field(description="Quotes of tickets never called (left out).")
    mae: float | None = Field(description="Mean of |real wait - quoted median|, minutes.")
    bias: float | None = Field(
        description="Mean of (real wait - quoted median), minutes; positive: waited longer."
    )
    within: Share | None = Field(
        description="Called within the range shown (no top: at or after its bottom)."
    )
    later: Share | None = Field(description="Called after the top of the range.")
    earlier: Share | None = Field(description="Called before the bottom of the range.")


class WaitGrades(Answer):
    total: WaitGrade
    by_service: list[WaitGrade]
    by_hour: list[WaitGrade] = Field(description="By the local hour of the quote.")


class Scorecard(Answer):
    """Each wait told to a citizen graded against the ticket's first call."""

    site_ids: list[Id]
    site_names: list[str]
    first: date
    last: date
    service_id: Id | None
    issued: WaitGrades = Field(description="The waits told at issue (kiosk, paper).")
    updates: WaitGrades = Field(description="The waits the phone page showed when they moved.")


class IntegrationScorecardQuery(IntegrationStatisticsQuery):
    """The integration API's scorecard query: days in ISO 8601 only, as for statistics."""

    service: ServiceChoice = Field(None, description="One service's id (default: every service).")
