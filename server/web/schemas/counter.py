"""The clerk's counter screen: its snapshot and the actions on tickets and on the counter."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from server.domain.tickets import Priority, TicketStatus
from server.services.counters import MAX_PAUSE_REASON
from server.services.tickets import MAX_TRANSFER_NOTE
from server.web.input import Count, Id
from server.web.schemas.base import Answer, CounterState, Request
from server.web.schemas.printing import KioskPrinter
from server.web.schemas.public import PublicCounter, PublicTicket, ServiceInfo, Site


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


class CounterSnapshot(Answer):
    seq: Count
    site: Site
    counter: ClerkCounter
    current: ClerksTicket | None
    waiting: list[WaitingTicket] = Field(
        description="The next tickets in the order the counter would call them (at most 100)."
    )
    waiting_count: Count = Field(description="All the tickets waiting for this counter.")
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
