"""Ticket numbers as citizens read them, and the local day they restart on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from server.domain.errors import InvalidInput, NumberRangeExhausted


@dataclass(frozen=True)
class NumberFormat:
    """How a service prints its numbers: either a prefix letter with a padded sequence
    ("A007"), or a numeric range ("1001".."1999") that keeps services apart by thousands,
    as many centres do so that the voice can read plain numbers."""

    prefix: str = ""
    width: int = 3
    range_start: int | None = None
    range_end: int | None = None

    def __post_init__(self) -> None:
        if (self.range_start is None) != (self.range_end is None):
            raise InvalidInput(
                "Dải số phải có cả số đầu và số cuối.",
                "A number range needs both a start and an end.",
            )
        if self.range_start is not None and self.range_end is not None:
            if not 0 <= self.range_start <= self.range_end:
                raise InvalidInput(
                    "Dải số không hợp lệ: số đầu phải nhỏ hơn hoặc bằng số cuối.",
                    "Invalid number range: the start must not exceed the end.",
                )
        elif not (self.prefix.isascii() and self.prefix.isalpha() and len(self.prefix) <= 2):
            raise InvalidInput(
                "Tiền tố phải là một hoặc hai chữ cái không dấu.",
                "The prefix must be one or two plain letters.",
            )
        if not 1 <= self.width <= 6:
            raise InvalidInput("Độ dài số phải từ 1 đến 6.", "Width must be between 1 and 6.")

    @property
    def capacity(self) -> int | None:
        """How many tickets a day the format can number, or None for no limit."""
        if self.range_start is None or self.range_end is None:
            return None
        return self.range_end - self.range_start + 1

    def display(self, sequence: int) -> str:
        """The number for the `sequence`-th ticket of the day (1-based)."""
        if sequence < 1:
            raise ValueError("sequences start at 1")
        if self.range_start is not None:
            capacity = self.capacity
            assert capacity is not None
            if sequence > capacity:
                raise NumberRangeExhausted(
                    f"Đã hết dải số {self.range_start}-{self.range_end} của hôm nay.",
                    f"Today's number range {self.range_start}-{self.range_end} is used up.",
                )
            return str(self.range_start + sequence - 1)
        return f"{self.prefix.upper()}{sequence:0{self.width}d}"


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day at the centre when `moment` happened: numbers restart at local
    midnight, not at midnight UTC (07:00 in Vietnam)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(zone).date()
