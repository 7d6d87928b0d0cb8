"""The JSON API's bodies as types: what each route reads (requests) and answers (responses).

Each route names its models in its contract (server/web/contract.py); the OpenAPI document
(server/web/openapi.py) is generated from them. Request models are validated at the edge
(server/web/input.py turns a refusal into our bilingual 400); response models describe
what the views answer, and tests/integration/test_openapi.py checks real answers against
them. Field names are the JSON's: changing one here changes the API. (Over 400 lines, as
a catalogue: one short class per body, read by name, not top to bottom.)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, RootModel
from pydantic.json_schema import SkipJsonSchema

from server.domain.printing import MAX_WIDTH, MIN_WIDTH, PrinterStatus
from server.domain.statistics import Rating
from server.domain.tickets import Priority, TicketStatus
from server.services.counters import MAX_PAUSE_REASON
from server.services.notices import MAX_NOTICE
from server.services.tickets import MAX_TRANSFER_NOTE
from server.web.input import Count, Id, Says, blank_is_none, day_of

# The phone page's only credential, in its address (server/web/phone.py).
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{10,64}$"
Token = Annotated[str, Field(pattern=TOKEN_PATTERN)]
SiteChoice = Annotated[str, Field(pattern=r"^([0-9]{1,9}|all)$")]
Share = Annotated[float, Field(ge=0, le=1)]
CounterState = Literal["open", "paused", "closed"]


def _no_default(schema: dict[str, Any]) -> None:
    """For an answer's field that may be left out but is never null."""
    schema.pop("default", None)


class Request(BaseModel):
    """A body or a query string: fields it does not know are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    """A JSON answer; later versions may add fields."""


# -- requests -----------------------------------------------------------------------------


class NewTicket(Request):
    service_id: Id
    priority: Annotated[Priority | None, BeforeValidator(blank_is_none)] = Field(
        None, description="A priority category, if any."
    )


class NewRating(Request):
    ticket_id: Id
    rating: Rating


class CounterActionBody(Request):
    ticket_id: Id | None = Field(
        None,
        description="If given, the ticket the screen shows: it must be the counter's current "
        "one (for call and cancel: the ticket to act on).",
    )
    service_id: Id | None = Field(None, description="transfer: the target service.")
    note: str | None = Field(
        None, max_length=MAX_TRANSFER_NOTE, description="transfer: a note for the next counter."
    )
    reason: str | None = Field(None, max_length=MAX_PAUSE_REASON, description="pause: why.")


class ReceptionTicket(Request):
    service_id: Id
    priority: Annotated[Priority | None, BeforeValidator(blank_is_none)] = Field(
        None, description="The priority category the guide has checked, if any."
    )
    device_id: Id | None = Field(
        None, description="The kiosk whose printer prints it; none: shown on screen only."
    )


class NoticeBody(Request):
    notice: str | None = Field(None, max_length=MAX_NOTICE)


class ReprintBody(Request):
    device_id: Id | None = Field(None, description="Another kiosk to print on.")


class EmptyBody(Request):
    """No field is read; a body, if sent, must still be a JSON object."""


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


class PreviewQuery(Request):
    width: Annotated[
        int | None,
        Field(ge=MIN_WIDTH, le=MAX_WIDTH, multiple_of=8),
        Says(
            "Khổ in phải là bội số của 8, từ 256 đến 832 điểm.",
            "The width must be a multiple of 8 from 256 to 832 dots.",
        ),
    ] = Field(None, description="Dots per line: a multiple of 8 from 256 to 832.")


# -- answers ------------------------------------------------------------------------------


class Error(Answer):
    """Every refusal: a code, and the reason in Vietnamese and in English."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "counter_not_open",
                    "message": "Quầy số 3 chưa mở.",
                    "message_en": "Counter 3 is not open.",
                }
            ]
        }
    )

    error: str
    message: str
    message_en: str


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""


class Site(Answer):
    id: Id
    code: str
    name: str
    timezone: str
    notice: str


class ServiceInfo(Answer):
    id: Id
    code: str
    name_vi: str
    name_en: str
    pictogram: str


class ServiceQueue(ServiceInfo):
    active: bool
    waiting: Count
    estimated_wait_minutes: Count


class PriorityCategory(Answer):
    code: Priority
    name_vi: str
    name_en: str


class QueueSnapshot(Answer):
    seq: Count
    site: Site
    services: list[ServiceQueue]
    priorities: list[PriorityCategory]


class PublicTicket(Answer):
    id: Id
    number: str
    service_id: Id
    service_name_vi: str
    service_name_en: str
    status: TicketStatus
    priority: bool = Field(description="Whether the ticket has a priority.")
    counter_number: int | None
    recall_count: Count


class CurrentTicket(PublicTicket):
    called_at: datetime | None
    started_at: datetime | None
    # Optional but never null: some screens' current ticket has no queued_at.
    queued_at: datetime | SkipJsonSchema[None] = Field(None, json_schema_extra=_no_default)


class IssuedTicket(Answer):
    ticket_id: Id
    number: str
    token: Token = Field(description="The phone page's credential.")
    service_id: Id
    service_name_vi: str
    service_name_en: str
    priority: Priority | None
    issued_at: datetime
    people_ahead: Count
    estimated_wait_minutes: Count
    phone_url: str
    qr_url: str


class PrinterMessage(Answer):
    fault: bool
    message: str
    message_en: str


class Printing(PrinterMessage):
    job_id: int | None
    status: Literal["none", "queued", "printing", "printed", "failed"]
    printer_status: PrinterStatus | None
    seconds: float | None = Field(description="How long printing took, when known.")


class KioskIssued(Answer):
    ticket: IssuedTicket
    printing: Printing


class IntegrationIssued(Answer):
    ticket: IssuedTicket


class PublicCounter(Answer):
    id: Id
    number: int
    state: CounterState
    pause_reason: str
    label: str


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


class Clerk(Answer):
    id: Id
    name: str


class CounterService(ServiceInfo):
    rank: Count


class ClerkCounter(PublicCounter):
    clerk: Clerk | None
    services: list[CounterService]
    served_today: Count


class TransferredFrom(Answer):
    service_name_vi: str
    service_name_en: str
    counter_number: int | None = Field(description="The counter that transferred it.")
    note: str = Field(description="The transferring clerk's note; empty if none.")


class WaitingTicket(PublicTicket):
    queued_at: datetime
    priority_category: Priority | None
    priority_name_vi: str | None
    priority_name_en: str | None
    device_id: int | None = Field(description="The kiosk that issued it; null at reception.")
    transferred_from: TransferredFrom | None


class ClerksTicket(WaitingTicket):
    called_at: datetime | None
    started_at: datetime | None


class KioskPrinter(Answer):
    id: Id
    name: str


class ReceptionSnapshot(QueueSnapshot):
    printers: list[KioskPrinter] = Field(description="The site's kiosks with a printer.")


class CounterSnapshot(Answer):
    seq: Count
    site: Site
    counter: ClerkCounter
    current: ClerksTicket | None
    waiting: list[WaitingTicket]
    transfer_to: list[ServiceInfo]
    printers: list[KioskPrinter] = Field(description="The site's kiosks with a printer.")
    now: datetime


class TicketOutcome(Answer):
    ticket_id: Id
    number: str
    status: TicketStatus
    service_id: Id
    counter_number: int | None


class CounterOutcome(Answer):
    counter_id: Id
    number: int
    state: CounterState
    pause_reason: str


class CounterActionResult(Answer):
    ok: Literal[True]
    result: TicketOutcome | CounterOutcome


class TransferredService(Answer):
    service_name_vi: str
    service_name_en: str


class PhoneTicket(PublicTicket):
    issued_at: datetime
    people_ahead: Count
    estimated_wait_minutes: Count
    transferred_from: TransferredService | None = Field(
        description="The service the ticket was transferred from (it keeps its number)."
    )


class PhoneSnapshot(Answer):
    seq: Count
    site: Site
    ticket: PhoneTicket


class CancelledTicket(Answer):
    number: str
    status: TicketStatus


class PhoneCancelled(Answer):
    ticket: CancelledTicket


class HallCounter(PublicCounter):
    clerk: str | None
    state_changed_at: datetime | None
    current: CurrentTicket | None


class HallService(ServiceQueue):
    target_minutes: int
    oldest_queued_at: datetime | None
    waiting_since: list[datetime]


class LastJob(Answer):
    id: Id
    kind: str
    status: str
    error: str
    at: datetime


class HallPrinter(PrinterMessage):
    device_id: Id
    name: str
    printer_url: str
    mode: str
    width: int
    printed_by: Literal["server", "agent"]
    agent_connected: bool | None
    printer_status: PrinterStatus
    since: datetime | None
    last_job: LastJob | None


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


class PrintSent(Answer):
    ok: Literal[True]
    printing: Printing


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
