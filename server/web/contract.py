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
token's scope): `Access` declares, once per route, who may call and with what credential,
as data (`x-access` in the document) and in words derived from it (`x-permission`).
tests/integration/test_authorization.py holds every route to its declaration: what each
kind of caller really gets must be what the declared access lets it have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel

from server.domain.roles import DeviceKind, Role
from server.web.input import read_body, read_query

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)

Security = list[dict[str, list[str]]]


class Credential(StrEnum):
    """What a caller shows to be let in."""

    NONE = "none"
    TICKET = "ticket"  # a ticket's token, in the address: the phone page's only credential
    DEVICE = "device"  # a registered device's token (X-Device-Token)
    SESSION = "session"  # a signed-in staff member's session (and the CSRF token on a POST)
    API_TOKEN = "apiToken"  # an integration's token (Authorization: Bearer …)


class Relation(StrEnum):
    """What must tie a staff member who is not an admin to what the request names."""

    SITE = "site"  # a manager of the site (each site asked for), a clerk at one of its counters
    COUNTER = "counter"  # a clerk assigned to the counter
    TICKET = "ticket"  # services.access.may_handle_ticket: its site's manager, its service's clerk


RELATION_WORDS = {
    Relation.SITE: "of the site (of every site asked for)",
    Relation.COUNTER: "assigned to the counter",
    Relation.TICKET: "who may handle the ticket (a manager of its site, a clerk of its service)",
}
SECURITY: dict[Credential, str] = {
    Credential.DEVICE: "deviceToken",
    Credential.SESSION: "session",
    Credential.API_TOKEN: "apiToken",
}


@dataclass(frozen=True)
class Access:
    """Who may call a route, declared once on its contract: the credential it takes and,
    for a device, staff or an API token, which ones. Staff: an admin always, and `roles`
    (besides admin) when `of` ties them to what the request names."""

    credential: Credential
    devices: tuple[DeviceKind, ...] = ()
    roles: tuple[Role, ...] = ()
    of: Relation | None = None
    scope: str | None = None

    @property
    def security(self) -> Security:
        """The OpenAPI security requirements (a staff session also needs the CSRF token on
        a POST: added by the document)."""
        scheme = SECURITY.get(self.credential)
        if scheme is None:
            return []
        # OpenAPI 3.1 lets any scheme list the roles it needs; ours are the token's scopes.
        return [{scheme: [self.scope] if self.scope else []}]

    @property
    def permission(self) -> str:
        """The permission in words, for the document's readers."""
        if self.credential is Credential.NONE:
            return "Anyone."
        if self.credential is Credential.TICKET:
            return "Whoever holds the ticket (its token is in the address)."
        if self.credential is Credential.DEVICE:
            kinds = " or ".join(kind.value for kind in self.devices)
            return f"A registered {kinds} (its device token)."
        if self.credential is Credential.API_TOKEN:
            return f"An integration token with the scope `{self.scope}`."
        if not self.roles:
            return "An admin."
        who = " or ".join(role.value for role in self.roles)
        tie = f" {RELATION_WORDS[self.of]}" if self.of else ""
        return f"An admin, or a {who}{tie}."

    def as_json(self) -> dict[str, Any]:
        """The declaration as data (the document's `x-access`)."""
        declared: dict[str, Any] = {"credential": self.credential.value}
        if self.devices:
            declared["devices"] = [kind.value for kind in self.devices]
        if self.credential is Credential.SESSION:
            declared["roles"] = [Role.ADMIN.value, *(role.value for role in self.roles)]
        if self.of is not None:
            declared["of"] = self.of.value
        if self.scope is not None:
            declared["scope"] = self.scope
        return declared


PUBLIC = Access(Credential.NONE)
TICKET_HOLDER = Access(Credential.TICKET)


def device(kind: DeviceKind) -> Access:
    return Access(Credential.DEVICE, devices=(kind,))


def staff(*roles: Role, of: Relation | None = None) -> Access:
    """Signed-in staff: an admin, and the other `roles` (tied to the request by `of`)."""
    others = tuple(role for role in roles if role is not Role.ADMIN)
    return Access(Credential.SESSION, roles=others, of=of)


def api_token(scope: str) -> Access:
    return Access(Credential.API_TOKEN, scope=scope)


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
