"""The citizen's phone page: their ticket's place in the queue, and cancelling it."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from server.domain.tickets import TicketStatus
from server.web.input import Count
from server.web.schemas.base import Answer
from server.web.schemas.public import PublicTicket, Site, Wait


class TransferredService(Answer):
    service_name_vi: str
    service_name_en: str


class PhoneTicket(PublicTicket):
    issued_at: datetime
    people_ahead: Count
    estimated_wait_minutes: Count = Field(description="The median of `wait`.")
    wait: Wait
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
