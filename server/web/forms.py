"""Reading an HTML form's fields strictly: a value of the wrong shape is a clear 400 naming
the field in Vietnamese and English. What the values may be (ranges, uniqueness) is the
service layer's to say."""

from __future__ import annotations

import math
import re
from datetime import time
from enum import StrEnum
from typing import TypeVar

from flask import request

from server.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

MAX_INT = 2**31 - 1
# A time of day as typed in a text field: 7:30, 07:30, 16:45 (24 hours; seconds ignored).
CLOCK = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::[0-5][0-9])?", re.ASCII)


def _sentence(label: str) -> str:
    """A label at the start of a sentence: only its first letter up ("tên tiếng Việt")."""
    return label[:1].upper() + label[1:]


def text(name: str) -> str:
    return request.form.get(name, "")


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true")


def integer(name: str, label_vi: str, label_en: str) -> int | None:
    """A whole number, or None for an empty field."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 10:
        raise InvalidInput(
            f"{_sentence(label_vi)} phải là một số nguyên.",
            f"The {label_en} must be a whole number.",
        )
    value = int(raw)
    if abs(value) > MAX_INT:
        raise InvalidInput(f"{_sentence(label_vi)} quá lớn.", f"The {label_en} is too large.")
    return value


def required_integer(name: str, label_vi: str, label_en: str) -> int:
    value = integer(name, label_vi, label_en)
    if value is None:
        raise InvalidInput(f"Hãy nhập {label_vi}.", f"The {label_en} is required.")
    return value


def decimal(name: str, label_vi: str, label_en: str) -> float:
    """A number such as 7.5 (a comma as the decimal sign is accepted)."""
    raw = request.form.get(name, "").strip().replace(",", ".")
    try:
        value = float(raw) if len(raw) <= 12 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(
            f"{_sentence(label_vi)} phải là một số.", f"The {label_en} must be a number."
        )
    return value


def clock_time(name: str, label_vi: str, label_en: str) -> time | None:
    """A local time of day written hh:mm on 24 hours (7:30 too), or None for an empty
    field."""
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    written = CLOCK.fullmatch(raw)
    value = time(int(written[1]), int(written[2])) if written else None
    if value is None:
        raise InvalidInput(
            f"{_sentence(label_vi)} phải có dạng giờ:phút, ví dụ 07:30.",
            f"The {label_en} must be a time such as 07:30.",
        )
    return value.replace(second=0, microsecond=0)


def required_time(name: str, label_vi: str, label_en: str) -> time:
    value = clock_time(name, label_vi, label_en)
    if value is None:
        raise InvalidInput(f"Hãy nhập {label_vi}.", f"The {label_en} is required.")
    return value


def choice(name: str, enum: type[E], label_vi: str, label_en: str) -> E:
    raw = request.form.get(name, "")
    for member in enum:
        if member.value == raw:
            return member
    allowed = ", ".join(member.value for member in enum)
    raise InvalidInput(
        f"{_sentence(label_vi)} phải là một trong: {allowed}.",
        f"The {label_en} must be one of: {allowed}.",
    )


def ids(name: str) -> tuple[int, ...]:
    """Every checked box of a list of rows (counters, sites), by id."""
    values = request.form.getlist(name)
    if not all(v.isascii() and v.isdigit() and 0 < len(v) <= 9 for v in values):
        raise InvalidInput("Lựa chọn không hợp lệ.", "An invalid choice was sent.")
    return tuple(int(v) for v in values)
