"""One contract per JSON route: its body, query, answers and permission, declared once as
types on the view, validated at the edge, and the OpenAPI document generated from them.

    @bp.post("/api/kiosk/tickets")
    @contract(
        "kioskIssueTicket", "kiosk", "Issue a ticket …", device(DeviceKind.KIOSK),
        body=NewTicket, answers={201: KioskIssued}, refusals=(400, 401, 403, 404, 409, 413, 429),
    )
    def issue() -> Any:
        device = request_device(DeviceKind.KIOSK)   # who: checked first, as always
        wanted = body(NewTicket)                     # then what: the declared model, or a 400

Why pydantic v2 and a registry of our own: pydantic models are plain type hints (mypy-strict
checks them like any class), and `model_json_schema` gives JSON Schema 2020-12, which
OpenAPI 3.1 uses as it is. The libraries that bind pydantic to Flask and generate the
document (spectree, flask-openapi3) validate before the view runs and answer with their own
error bodies (a 422 list of pydantic errors, or a 400 of their shape) and their own
documented validation-error schema: we would lose the order of our checks (a request with
no credentials and a bad body is a 401, not a 400), our bilingual error body, and the
document's exact refusals. What is left to write is small: this decorator, the readers in
server/web/input.py, and the generator in server/web/openapi.py, which walks the URL map.

The body and query are read when the view asks (`body(Model)`, `query(Model)`), after its
permission checks, so the status codes stay those of the checks' order; asking for a model
other than the declared one is a programming error (tests catch it on the first call). The
permission checks stay where they are (identity.require_roles, request_device, the API
token's scope): `Access` only says, in the document, who may call and with what credential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel

from server.domain.roles import DeviceKind
from server.web.input import read_body, read_query

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)

Security = list[dict[str, list[str]]]


@dataclass(frozen=True)
class Access:
    """Who may call a route: the credentials it takes (OpenAPI security requirements; a
    staff session also needs the CSRF token on a POST) and, in words, the permission."""

    security: Security
    permission: str


PUBLIC = Access([], "Anyone.")


def device(kind: DeviceKind) -> Access:
    return Access([{"deviceToken": []}], f"A registered {kind.value} (its device token).")


def staff(permission: str) -> Access:
    return Access([{"session": []}], permission)


def api_token(scope: str) -> Access:
    # OpenAPI 3.1 lets any scheme list the roles it needs; ours are the token's scopes.
    return Access([{"apiToken": [scope]}], f"An integration token with the scope `{scope}`.")


@dataclass(frozen=True)
class Binary:
    """An answer that is not JSON (a PNG, say)."""

    media_type: str
    description: str


@dataclass(frozen=True)
class Contract:
    operation_id: str
    tag: str
    summary: str
    access: Access
    answers: dict[int, type[BaseModel] | Binary]
    refusals: tuple[int, ...] = ()
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # Path parameters' descriptions and schemas; an <int:…> without one is a row's id.
    path: type[BaseModel] | None = None
    descriptions: dict[int, str] = field(default_factory=dict)


CONTRACT = "__contract__"


def contract(
    operation_id: str,
    tag: str,
    summary: str,
    access: Access,
    *,
    answers: dict[int, type[BaseModel] | Binary],
    refusals: tuple[int, ...] = (),
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    descriptions: dict[int, str] | None = None,
) -> Callable[[F], F]:
    """Declare a JSON view's contract (put it right under the route decorator)."""
    declared = Contract(
        operation_id,
        tag,
        summary,
        access,
        answers,
        refusals,
        body,
        query,
        path,
        descriptions or {},
    )

    def attach(view: F) -> F:
        setattr(view, CONTRACT, declared)
        return view

    return attach


def contract_of(view: Callable[..., Any]) -> Contract | None:
    found = getattr(view, CONTRACT, None)
    return found if isinstance(found, Contract) else None


def _declared() -> Contract:
    view = current_app.view_functions.get(request.endpoint or "")
    declared = contract_of(view) if view is not None else None
    if declared is None:
        raise LookupError(f"{request.endpoint} has no contract")
    return declared


def body(model: type[M]) -> M:
    """This request's JSON body as its contract's model, or InvalidInput (400)."""
    if _declared().body is not model:
        raise TypeError(f"{request.endpoint} declares body {_declared().body}, not {model}")
    return read_body(model)


def query(model: type[M]) -> M:
    """This request's query string as its contract's model, or InvalidInput (400)."""
    if _declared().query is not model:
        raise TypeError(f"{request.endpoint} declares query {_declared().query}, not {model}")
    return read_query(model)
