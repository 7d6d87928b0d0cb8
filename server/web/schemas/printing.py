"""Printing: how a print went, the site's kiosk printers, reprint and preview requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from server.domain.printing import MAX_WIDTH, MIN_WIDTH, PrinterStatus
from server.web.input import Id, Says
from server.web.schemas.base import Answer, Request


class ReprintBody(Request):
    device_id: Id | None = Field(None, description="Another kiosk to print on.")


class PreviewQuery(Request):
    width: Annotated[
        int | None,
        Field(ge=MIN_WIDTH, le=MAX_WIDTH, multiple_of=8),
        Says(
            "Khổ in phải là bội số của 8, từ 256 đến 832 điểm.",
            "The width must be a multiple of 8 from 256 to 832 dots.",
        ),
    ] = Field(None, description="Dots per line: a multiple of 8 from 256 to 832.")


class PrinterMessage(Answer):
    fault: bool
    message: str
    message_en: str


class Printing(PrinterMessage):
    job_id: int | None
    status: Literal["none", "queued", "printing", "printed", "failed"]
    printer_status: PrinterStatus | None
    seconds: float | None = Field(description="How long printing took, when known.")


class KioskPrinter(Answer):
    id: Id
    name: str


class PrintSent(Answer):
    ok: Literal[True]
    printing: Printing


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
