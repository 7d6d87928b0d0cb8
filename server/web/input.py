"""Reading a request's JSON body or query string into its model, strictly: a malformed body,
a wrong type or a missing field is our InvalidInput (a 400 whose message, in Vietnamese and
English, names the field), never pydantic's own error list.

The models live in server/web/schemas/; a field may carry its own refusal (`Says`),
otherwise the message is chosen by the kind of mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, TypeVar, get_args

from flask import request
from pydantic import BaseModel, Field, Strict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from server.domain.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Says:
    """A field's own refusal, in Vietnamese and English (`{name}` is the field's name)."""

    vi: str
    en: str


# A row's id: a JSON integer (not a string, a float or a boolean) that fits the database.
Id = Annotated[
    int,
    Strict(),
    Field(ge=1, le=MAX_ID),
    Says(
        "Trường “{name}” phải là một số nguyên dương.",
        "The field “{name}” must be a positive integer.",
    ),
]
Count = Annotated[int, Field(ge=0)]


def blank_is_none(value: Any) -> Any:
    """An empty (or blank) string means the field was not given, as it always has."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


# A day as people write it in Vietnam (26/11/2026, or 6/1/2026), or as ISO 8601 (2026-11-26).
DAY_WRITTEN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
DAY_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)


def parse_day(text: str) -> date:
    """A day written dd/mm/yyyy or yyyy-mm-dd; ValueError for anything else."""
    text = text.strip()
    if written := DAY_WRITTEN.fullmatch(text):
        day, month, year = (int(part) for part in written.groups())
        return date(year, month, day)
    if iso := DAY_ISO.fullmatch(text):
        year, month, day = (int(part) for part in iso.groups())
        return date(year, month, day)
    raise ValueError(f"not a day: {text!r}")


def day_of(value: Any) -> Any:
    """A query's day field: blank is not given, dd/mm/yyyy or ISO a date, anything else is
    left for the model to refuse."""
    value = blank_is_none(value)
    if isinstance(value, str):
        try:
            return parse_day(value)
        except ValueError:
            return value
    return value


def json_object() -> dict[str, Any]:
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


def read_body(model: type[M]) -> M:
    """The request's JSON body as `model`, or InvalidInput."""
    return validated(model, json_object())


def read_query(model: type[M]) -> M:
    """The query string as `model` (the first value of each name), or InvalidInput."""
    return validated(model, request.args.to_dict())


def validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise refusal(model, error.errors()[0]) from None


def refusal(model: type[BaseModel], error: ErrorDetails) -> InvalidInput:
    """The first mistake, said in words a client's developer (and a clerk) can act on."""
    field = str(error["loc"][0]) if error["loc"] else ""
    info = _field(model, field)
    name = (info.alias if info is not None and info.alias else None) or field
    kind = error["type"]
    if kind == "missing":
        return InvalidInput(f"Thiếu trường “{name}”.", f"The field “{name}” is missing.")
    says = _says(info) if info is not None else None
    if says is not None:
        return InvalidInput(says.vi.format(name=name), says.en.format(name=name))
    if kind == "enum":
        allowed = ", ".join(_enum_values(info))
        return InvalidInput(
            f"Trường “{name}” phải là một trong: {allowed}.",
            f"The field “{name}” must be one of: {allowed}.",
        )
    if kind == "string_type":
        return InvalidInput(
            f"Trường “{name}” phải là chuỗi ký tự.", f"The field “{name}” must be a string."
        )
    if kind == "string_too_long":
        most = error.get("ctx", {}).get("max_length")
        return InvalidInput(
            f"Trường “{name}” dài quá {most} ký tự.",
            f"The field “{name}” is longer than {most} characters.",
        )
    return InvalidInput(f"Trường “{name}” không hợp lệ.", f"The field “{name}” is not valid.")


def _field(model: type[BaseModel], name: str) -> FieldInfo | None:
    for field, info in model.model_fields.items():
        if name in (field, info.alias):
            return info
    return None


def _annotations(info: FieldInfo) -> list[Any]:
    """The field's metadata, and that of the types inside it (`Id | None` holds Id's)."""
    found: list[Any] = list(info.metadata)
    pending = [info.annotation]
    while pending:
        annotation = pending.pop()
        found.extend(getattr(annotation, "__metadata__", ()))
        found.append(annotation)
        pending.extend(get_args(annotation))
    return found


def _says(info: FieldInfo) -> Says | None:
    return next((a for a in _annotations(info) if isinstance(a, Says)), None)


def _enum_values(info: FieldInfo | None) -> list[str]:
    if info is None:
        return []
    for annotation in _annotations(info):
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            return [str(member.value) for member in annotation]
    return []
