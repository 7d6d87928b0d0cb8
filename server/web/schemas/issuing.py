"""Issuing a number: at the kiosk, at reception (by a guide) and through the integration API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field

from server.domain.tickets import Priority
from server.web.input import Count, Id, blank_is_none
from server.web.schemas.base import Answer, Request, Token
from server.web.schemas.printing import KioskPrinter, Printing
from server.web.schemas.public import QueueSnapshot, Wait


class NewTicket(Request):
    service_id: Id
    priority: Annotated[Priority | None, BeforeValidator(blank_is_none)] = Field(
        None, description="A priority category, if any."
    )


class ReceptionTicket(Request):
    service_id: Id
    priority: Annotated[Priority | None, BeforeValidator(blank_is_none)] = Field(
        None, description="The priority category the guide has checked, if any."
    )
    device_id: Id | None = Field(
        None, description="The kiosk whose printer prints it; none: shown on screen only."
    )


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
    estimated_wait_minutes: Count = Field(description="The median of `wait`.")
    wait: Wait
    phone_url: str
    qr_url: str


class KioskIssued(Answer):
    ticket: IssuedTicket
    printing: Printing


class IntegrationIssued(Answer):
    ticket: IssuedTicket


class ReceptionSnapshot(QueueSnapshot):
    printers: list[KioskPrinter] = Field(description="The site's kiosks with a printer.")
