"""The wait on the paper ticket, in words: the range quoted at issue (`TicketWait`), said
as every screen says it (`wait_words`), and its warning before lunch or closing
(`warning_words`). The layout (ticket_layout.py) prints them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The rule of static/js/waits.js (read it there), rule for rule, so the paper and the
# screens say the same: no counter -> "Chưa có quầy phục vụ"; the top within SOON_MINUTES,
# or nobody ahead and a bottom of 0 -> "sắp được gọi"; no top -> "từ 40 phút, có thể sau
# giờ đóng cửa"; otherwise "khoảng 15-25 phút", the bottom rounded down and the top up to
# the step of its size (1 minute under 10, 5 up to 60, 10 beyond).
SOON_MINUTES = 2
WAIT_WORDS = {
    "range": "khoảng {low}-{high} phút",
    "about": "khoảng {minutes} phút",
    "soon": "sắp được gọi",
    "late": "có thể sau giờ đóng cửa",
    "late_from": "từ {low} phút, có thể sau giờ đóng cửa",
    "none": "Chưa có quầy phục vụ",
    "warning": "Có thể không kịp trước {time}",
}


@dataclass(frozen=True)
class TicketWait:
    """The wait quoted for a ticket, in minutes until it is called: P10 (`low`), median and
    P90 (`high`; None: perhaps not before closing); `no_counter` when no counter can serve
    its service now; `warning_until` ("11:30") when it may not be called before lunch or
    closing."""

    low: int
    median: int
    high: int | None
    no_counter: bool = False
    warning_until: str | None = None

    @classmethod
    def of(cls, quoted: Any) -> TicketWait | None:
        """The wait as the service layer gives it (its `wait`: a mapping of the JSON's
        shape, or an object with the same attributes); None without one."""
        if quoted is None:
            return None
        if isinstance(quoted, TicketWait):
            return quoted

        def field(name: str) -> Any:
            if isinstance(quoted, Mapping):
                return quoted.get(name)
            return getattr(quoted, name, None)

        warning = field("warning")
        until = None
        if warning is not None:
            until = (
                warning.get("until")
                if isinstance(warning, Mapping)
                else getattr(warning, "until", None)
            )
        median = int(field("median") or 0)
        high = field("high")
        return cls(
            low=int(field("low") or 0),
            median=median,
            high=None if high is None else int(high),
            no_counter=bool(field("no_counter")),
            warning_until=str(until) if until else None,
        )


def _step(minutes: int) -> int:
    if minutes < 10:
        return 1
    return 5 if minutes <= 60 else 10


def round_down(minutes: int) -> int:
    size = _step(minutes)
    return minutes // size * size


def round_up(minutes: int) -> int:
    size = _step(minutes)
    return math.ceil(minutes / size) * size


def wait_words(wait: TicketWait | None, ahead: int | None = None) -> str:
    """The wait as every screen says it (static/js/waits.js's sayWait), in Vietnamese."""
    if wait is None:
        return ""
    if wait.no_counter:
        return WAIT_WORDS["none"]
    low = max(0, wait.low)
    if (wait.high is not None and wait.high <= SOON_MINUTES) or (ahead == 0 and low == 0):
        return WAIT_WORDS["soon"]
    low = round_down(low)
    if wait.high is None:
        return WAIT_WORDS["late_from"].format(low=low) if low > 0 else WAIT_WORDS["late"]
    high = max(round_up(wait.high), low)
    if high == low:
        return WAIT_WORDS["about"].format(minutes=low)
    return WAIT_WORDS["range"].format(low=low, high=high)


def warning_words(wait: TicketWait | None) -> str:
    """The warning of a quote ("Có thể không kịp trước 11:30"), or ""."""
    if wait is None or wait.no_counter or not wait.warning_until:
        return ""
    return WAIT_WORDS["warning"].format(time=wait.warning_until)
