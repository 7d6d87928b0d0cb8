"""Reading a JSON request body strictly: a wrong type or a missing field is a clear 400."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from flask import request

from server.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

MAX_ID = 2**31 - 1


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidInput(
            "Dữ liệu gửi lên không phải JSON hợp lệ.", "The request body is not valid JSON."
        )
    if not isinstance(body, dict):
        raise InvalidInput(
            "Dữ liệu gửi lên phải là một đối tượng JSON.", "The request body must be a JSON object."
        )
    return body


def id_field(body: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"Thiếu trường “{name}”.", f"The field “{name}” is missing.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise InvalidInput(
            f"Trường “{name}” phải là một số nguyên dương.",
            f"The field “{name}” must be a positive integer.",
        )
    return value


def required_id(body: dict[str, Any], name: str) -> int:
    value = id_field(body, name, required=True)
    assert value is not None
    return value


def enum_field(body: dict[str, Any], name: str, enum: type[E]) -> E | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    allowed = ", ".join(e.value for e in enum)
    if not isinstance(value, str) or value not in {e.value for e in enum}:
        raise InvalidInput(
            f"Trường “{name}” phải là một trong: {allowed}.",
            f"The field “{name}” must be one of: {allowed}.",
        )
    return enum(value)


def text_field(body: dict[str, Any], name: str, max_length: int) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(
            f"Trường “{name}” phải là chuỗi ký tự.", f"The field “{name}” must be a string."
        )
    if len(value) > max_length:
        raise InvalidInput(
            f"Trường “{name}” dài quá {max_length} ký tự.",
            f"The field “{name}” is longer than {max_length} characters.",
        )
    return value


def date_arg(name: str, default: date) -> date:
    """A day from the query string (`?from=YYYY-MM-DD`), or `default` when absent."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            f"Ngày “{name}” không hợp lệ (dạng YYYY-MM-DD).",
            f"The date “{name}” is not valid (use YYYY-MM-DD).",
        ) from None
