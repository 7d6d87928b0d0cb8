"""What every body and answer shares: the base classes, the small types (a phone token, a
site choice, a share), the error body and the empty body.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

# The phone page's only credential, in its address (server/web/phone.py).
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{10,64}$"


Token = Annotated[str, Field(pattern=TOKEN_PATTERN)]


SiteChoice = Annotated[str, Field(pattern=r"^([0-9]{1,9}|all)$")]


Share = Annotated[float, Field(ge=0, le=1)]


CounterState = Literal["open", "paused", "closed"]


def no_default(schema: dict[str, Any]) -> None:
    """For an answer's field that may be left out but is never null."""
    schema.pop("default", None)


class Request(BaseModel):
    """A body or a query string: fields it does not know are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    """A JSON answer; later versions may add fields."""


class EmptyBody(Request):
    """No field is read; a body, if sent, must still be a JSON object."""


class Error(Answer):
    """Every refusal: a code, and the reason in Vietnamese and in English."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "counter_not_open",
                    "message": "Quầy số 3 chưa mở.",
                    "message_en": "Counter 3 is not open.",
                }
            ]
        }
    )

    error: str
    message: str
    message_en: str


class OpenApiDocument(RootModel[dict[str, Any]]):
    """An OpenAPI 3.1 document."""
