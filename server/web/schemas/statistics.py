"""The statistics: the query (managers' pages and the integration API) and the report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, Field

from server.web.input import Count, Id, Says, blank_is_none, day_of
from server.web.schemas.base import Answer, Request, Share, SiteChoice


class StatisticsQuery(Request):
    site: Annotated[
        SiteChoice | None,
        BeforeValidator(blank_is_none),
        Says("Điểm phục vụ phải là một mã số hoặc “all”.", "The site must be an id or “all”."),
    ] = Field(None, description="A site's id, or `all` (the sites the caller may see).")
    first: Annotated[
        date | None,
        BeforeValidator(day_of),
        Says(
            "Ngày “from” không hợp lệ (viết dd/mm/yyyy, ví dụ 26/11/2026).",
            "The date “from” is not valid (write dd/mm/yyyy, e.g. 26/11/2026).",
        ),
    ] = Field(
        None,
        alias="from",
        description="First local day, dd/mm/yyyy or yyyy-mm-dd (default: the first of this month).",
    )
    last: Annotated[
        date | None,
        BeforeValidator(day_of),
        Says(
            "Ngày “to” không hợp lệ (viết dd/mm/yyyy, ví dụ 26/11/2026).",
            "The date “to” is not valid (write dd/mm/yyyy, e.g. 26/11/2026).",
        ),
    ] = Field(
        None,
        alias="to",
        description="Last local day, included, dd/mm/yyyy or yyyy-mm-dd (default: today).",
    )


class IntegrationStatisticsQuery(StatisticsQuery):
    """The integration API's statistics query: days in ISO 8601 only (yyyy-mm-dd), as
    programs write them; dd/mm/yyyy is for the people who type into the managers' pages."""

    first: Annotated[
        date | None,
        BeforeValidator(blank_is_none),
        Says(
            "Ngày “from” không hợp lệ (viết yyyy-mm-dd, ví dụ 2026-11-26).",
            "The date “from” is not valid (write yyyy-mm-dd, e.g. 2026-11-26).",
        ),
    ] = Field(
        None,
        alias="from",
        description="First local day, yyyy-mm-dd (default: the first of this month).",
    )
    last: Annotated[
        date | None,
        BeforeValidator(blank_is_none),
        Says(
            "Ngày “to” không hợp lệ (viết yyyy-mm-dd, ví dụ 2026-11-26).",
            "The date “to” is not valid (write yyyy-mm-dd, e.g. 2026-11-26).",
        ),
    ] = Field(
        None, alias="to", description="Last local day, included, yyyy-mm-dd (default: today)."
    )


class Durations(Answer):
    count: Count
    mean: float | None
    median: float | None
    p90: float | None
    max: float | None


class Ratings(Answer):
    """How many answers of each kind (server.domain.statistics.Rating)."""

    very_satisfied: Count
    satisfied: Count
    unsatisfied: Count
    very_unsatisfied: Count


class Figure(Answer):
    key: str
    label_vi: str
    label_en: str
    issued: Count
    served: Count
    no_show: Count
    cancelled: Count
    transferred: Count
    expired: Count
    wait: Durations
    service: Durations
    within_target: Share | None
    ratings: Ratings
    satisfaction: Share | None


class Statistics(Answer):
    """Times in minutes; shares from 0 to 1 (null when nothing to divide)."""

    site_ids: list[Id]
    site_names: list[str]
    first: date
    last: date
    total: Figure
    by_service: list[Figure]
    by_counter: list[Figure]
    by_clerk: list[Figure]
    by_hour: list[Figure]
    by_day: list[Figure]
