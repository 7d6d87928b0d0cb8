"""What several screens show alike: the site, its services and their queues, a ticket and a
counter as the public sees them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from server.domain.tickets import Priority, TicketStatus
from server.web.input import Count, Id
from server.web.schemas.base import Answer, CounterState, no_default


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


class WaitWarning(Answer):
    vi: str
    en: str
    until: str = Field(description="The local time (HH:MM) the ticket may not be called by.")


class Wait(Answer):
    """A wait as shown (issue 13): whole minutes from now until the call, P10 to P90."""

    low: Count = Field(description="P10, rounded down.")
    median: Count = Field(description="The median, rounded.")
    high: Count | None = Field(description="P90, rounded up; null: perhaps not before closing.")
    no_counter: bool = Field(description="No counter open or coming back serves the service.")
    warning: WaitWarning | None = Field(
        description="The ticket may be called only after the lunch break, or not before closing."
    )


class ServiceQueue(ServiceInfo):
    active: bool
    waiting: Count
    estimated_wait_minutes: Count = Field(description="The median of `wait`.")
    wait: Wait = Field(description="The wait of a normal ticket issued now.")
    priority_wait: Wait = Field(description="The wait of a priority ticket issued now.")


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
    queued_at: datetime | SkipJsonSchema[None] = Field(None, json_schema_extra=no_default)


class PublicCounter(Answer):
    id: Id
    number: int
    state: CounterState
    pause_reason: str
    label: str
