"""The staffing advisor's weekly plan (server/services/staffing.py, issue 14): the query
and the answer, as the managers' page and the integration API give it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from server.web.input import MAX_ID, Count, Id, Says, blank_is_none, day_of
from server.web.schemas.base import Answer, Request, Share

WEEK_SAYS = Says(
    "Tuần không hợp lệ (viết dd/mm/yyyy, ví dụ 07/12/2026).",
    "The week is not valid (write dd/mm/yyyy, e.g. 07/12/2026).",
)


class StaffingQuery(Request):
    site: Annotated[
        int | None,
        BeforeValidator(blank_is_none),
        Field(ge=1, le=MAX_ID),
        Says("Điểm phục vụ phải là một mã số.", "The site must be an id."),
    ] = Field(None, description="A site's id (default: the first the manager looks after).")
    week: Annotated[date | None, BeforeValidator(day_of), WEEK_SAYS] = Field(
        None,
        description="A day of the week to plan, dd/mm/yyyy or yyyy-mm-dd (its Monday is used; "
        "default: next week).",
    )


class IntegrationStaffingQuery(Request):
    week: Annotated[
        date | None,
        BeforeValidator(blank_is_none),
        Says(
            "Tuần không hợp lệ (viết yyyy-mm-dd, ví dụ 2026-12-07).",
            "The week is not valid (write yyyy-mm-dd, e.g. 2026-12-07).",
        ),
    ] = Field(
        None,
        description="A day of the week to plan, yyyy-mm-dd (its Monday is used; default: next "
        "week).",
    )
    weeks: Annotated[
        # The bounds apply to a number only: on a blank (None) they would raise.
        Annotated[int, Field(ge=1, le=52)] | None,
        BeforeValidator(blank_is_none),
        Says("Số tuần lịch sử phải từ 1 đến 52.", "The weeks of history must be from 1 to 52."),
    ] = Field(None, description="Weeks of history to learn from (default 8).")


class StaffingActual(Answer):
    arrivals: Count
    within_target: Share | None = Field(
        description="Share of those called who were called within the target."
    )
    counters: Count = Field(description="Counters that called citizens of this service.")


class StaffingServiceHour(Answer):
    service_id: Id
    expected_arrivals: float
    load: float = Field(description="Erlangs: counters kept busy on average.")
    counters_needed_alone: Count = Field(
        description="Erlang C: counters the service would need on its own to meet its target."
    )
    main_counters: Count = Field(description="Planned counters where it is a main service.")
    expected_within_target: Share = Field(
        description="Estimated share called within the target with the planned counters."
    )
    meets_target: bool
    actual: StaffingActual | None = Field(description="What happened (days already over).")


class StaffingSeat(Answer):
    counter_id: Id
    counter_number: int
    clerk_id: Id | None
    clerk_name: str


class StaffingHour(Answer):
    hour: int = Field(ge=0, le=23, description="Local hour.")
    counters: Count = Field(description="Counters the plan opens.")
    actual_counters: Count | None = Field(description="Counters that called someone.")
    seats: list[StaffingSeat]
    services: list[StaffingServiceHour]


class StaffingDay(Answer):
    day: date
    kind: Literal["ordinary", "near_holiday", "holiday"]
    expected_arrivals: float
    counter_hours: Count
    hours: list[StaffingHour]


class StaffingService(Answer):
    service_id: Id
    code: str
    name_vi: str
    name_en: str
    target_minutes: int
    target_share: Share
    service_minutes: float = Field(description="Average minutes at the counter, learned.")
    no_show_share: Share


class StaffingPlan(Answer):
    """The week's plan: demand learned from the weeks before, counters per hour, clerks."""

    site_id: Id
    site_name: str
    week_start: date
    history_from: date
    history_days: Count = Field(description="Ordinary days the forecast learned from.")
    trend_per_week: float = Field(description="Fitted change of volume per week (0.02 = +2 %).")
    near_holiday_factor: float
    counter_hours: Count
    services: list[StaffingService]
    days: list[StaffingDay]
