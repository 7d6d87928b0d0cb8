"""Printing rules: what state a printer can be in, which of those is a fault, and what a
print job goes through. Pure Python, like the rest of the domain."""

from __future__ import annotations

from enum import StrEnum


class PrinterStatus(StrEnum):
    """What is known of a kiosk's printer, from the last print or the last status report."""

    UNKNOWN = "unknown"  # nothing heard yet
    ONLINE = "online"
    PAPER_LOW = "paper_low"  # still prints: a warning for staff, not a fault
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"  # unreachable, switched off, cover open, or its print agent is gone
    ERROR = "error"  # anything else that stopped a print

    @property
    def is_fault(self) -> bool:
        return self in FAULTS


FAULTS = frozenset({PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE, PrinterStatus.ERROR})

PRINTER_STATUS_LABELS: dict[PrinterStatus, tuple[str, str]] = {
    PrinterStatus.UNKNOWN: ("Chưa rõ trạng thái máy in", "Printer status not known yet"),
    PrinterStatus.ONLINE: ("Máy in sẵn sàng", "Printer ready"),
    PrinterStatus.PAPER_LOW: ("Máy in sắp hết giấy", "Printer paper is running low"),
    PrinterStatus.PAPER_OUT: ("Máy in hết giấy", "Printer is out of paper"),
    PrinterStatus.OFFLINE: ("Máy in không kết nối được", "Printer cannot be reached"),
    PrinterStatus.ERROR: ("Máy in bị lỗi", "Printer error"),
}


class PrintMode(StrEnum):
    """How a ticket is sent: as one raster image (any ESC/POS printer, any code page), or
    as text in the printer's Vietnamese code page (faster, for printers that have one)."""

    IMAGE = "image"
    TEXT = "text"


class PrintJobKind(StrEnum):
    TICKET = "ticket"  # printed at issue
    REPRINT = "reprint"  # asked for by staff
    TEST = "test"  # a sample ticket, asked for by an administrator


class PrintJobStatus(StrEnum):
    QUEUED = "queued"  # created, being handed to the printer by the server
    SENT = "sent"  # handed to the kiosk's print agent, waiting for its answer
    PRINTED = "printed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (PrintJobStatus.PRINTED, PrintJobStatus.FAILED)


# Printer widths in dots: 80 mm paper prints 72 mm = 576 dots, 58 mm paper 48 mm = 384 dots
# (203 dpi). A raster line is whole bytes, so a width is a multiple of 8.
WIDTH_80MM = 576
WIDTH_58MM = 384
MIN_WIDTH = 256
MAX_WIDTH = 832


def valid_width(width: int) -> bool:
    return MIN_WIDTH <= width <= MAX_WIDTH and width % 8 == 0
