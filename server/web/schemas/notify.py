"""Messages to the citizen's phone and a second chance (issue 15): opting in with a phone
number, rejoining after a missed turn, asking for more time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from server.domain.tickets import TicketStatus
from server.web.input import Count
from server.web.schemas.base import Answer, Request


class NotifyBody(Request):
    phone: str = Field(
        max_length=20, description="A Vietnamese mobile number: 0xxxxxxxxx or +84xxxxxxxxx."
    )
    consent: bool = Field(
        description="The citizen ticked the consent box (never pre-ticked): the number is "
        "used only for this ticket's messages and deleted at the end of the day."
    )
    language: Literal["vi", "en"] = Field("vi", description="The messages' language.")


class NotifySubscribed(Answer):
    number: str
    phone_masked: str = Field(description="The number as it may be shown: +84*****5678.")
    language: Literal["vi", "en"]


class NotifyRemoved(Answer):
    removed: bool = Field(description="False when no number was kept for this ticket.")


class SecondChanceTicket(Answer):
    number: str
    status: TicketStatus


class SecondChance(Answer):
    ticket: SecondChanceTicket


class DeliveryFigures(Answer):
    """A day's messages of a site by status, and what they cost."""

    day: str = Field(description="The site's local day, YYYY-MM-DD.")
    pending: Count
    sending: Count
    sent: Count
    failed: Count
    unknown: Count = Field(description="The sender stopped mid-send: perhaps sent, never resent.")
    capped: Count = Field(description="Not sent: the centre's daily cost cap was reached.")
    stale: Count = Field(description="Not sent: too late to matter, or the number was deleted.")
    cost: Count = Field(description="Đồng, for the messages sent or perhaps sent.")
