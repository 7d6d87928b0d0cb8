"""The JSON API's OpenAPI 3.1 document, served at GET /api/openapi.json, generated from the
URL map and each route's contract (server/web/contract.py, server/web/schemas/).

Every route under /api/ is in it: its path and methods come from the URL map, the rest from
its contract. A route without a contract is still listed, with what can be known of it, and
tests/integration/test_openapi.py fails on it (it says neither who may call it nor how it
refuses): a new JSON route comes with its contract. The same test checks the document is
valid OpenAPI 3.1, and tests/integration/test_fuzz_openapi.py throws thousands of requests
built from it at the app and checks every answer against it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema
from werkzeug.routing import Rule

from server.services.api_tokens import SCOPES
from server.web.contract import Binary, Contract, contract_of
from server.web.input import MAX_ID
from server.web.schemas import Error

Schema = dict[str, Any]

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}

REFUSALS = {
    400: "Bad input (`invalid_input`), a malformed body, or a missing CSRF token (`csrf`).",
    401: "No credentials, or credentials that are not valid (any more).",
    403: "Valid credentials that may not do this.",
    404: "No such thing (or not yours to know of).",
    409: "Not possible in the current state; `error` says why.",
    413: "The body is over 64 KB.",
    429: "Too many requests (`too_many_requests`); `Retry-After` says when to try again.",
}

TAGS = [
    {"name": "kiosk", "description": "The kiosk (its device token)."},
    {"name": "board", "description": "The waiting-room board (its device token)."},
    {"name": "rating", "description": "A counter's rating tablet (its device token)."},
    {"name": "counter", "description": "The clerk's screen (signed-in session)."},
    {"name": "phone", "description": "The citizen's phone page (the ticket's token)."},
    {"name": "manager", "description": "Managers and admins (signed-in session)."},
    {"name": "printing", "description": "Ticket paper, for staff."},
    {
        "name": "integration",
        "description": "Other systems (an API token: `Authorization: Bearer …`).",
    },
    {"name": "meta", "description": "About the API."},
]

SECURITY_SCHEMES: dict[str, Schema] = {
    "deviceToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Device-Token",
        "description": "A registered kiosk's, board's or rating tablet's token.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "A signed-in staff member's session cookie (from /login).",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "With the session, on every POST: the page's `csrf-token` meta.",
    },
    "apiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An integration's token, made by an admin at /admin/api-tokens or "
        f"with `xephang create-api-token`; scopes: {', '.join(SCOPES)}.",
    },
}


class _Schemas(GenerateJsonSchema):
    """JSON Schema as pydantic makes it, without a `title` on every property."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def template(rule: str) -> str:
    """A Werkzeug rule as an OpenAPI path: /api/counters/<int:counter_id> ->
    /api/counters/{counter_id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def _ref(model: type[BaseModel]) -> Schema:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _path_parameters(rule: Rule, declared: Contract | None) -> list[Schema]:
    properties: Schema = {}
    if declared is not None and declared.path is not None:
        properties = declared.path.model_json_schema(schema_generator=_Schemas)["properties"]
    parameters = []
    for converter, name in re.findall(r"<(?:([^<>:]+):)?([^<>]+)>", rule.rule):
        default = ID if converter.startswith("int") else {"type": "string"}
        schema = dict(properties.get(name) or default)
        parameter: Schema = {"name": name, "in": "path", "required": True}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        parameters.append({**parameter, "schema": schema})
    return parameters


def _query_parameters(model: type[BaseModel]) -> list[Schema]:
    schema = model.model_json_schema(schema_generator=_Schemas, by_alias=True)
    parameters = []
    for name, field in schema["properties"].items():
        field = dict(field)
        field.pop("default", None)
        # A query string has no null: an absent parameter is the model's None.
        kinds = [k for k in field.pop("anyOf", []) if k != {"type": "null"}]
        if len(kinds) == 1:
            field |= kinds[0]
        elif kinds:
            field["anyOf"] = kinds
        parameter: Schema = {"name": name, "in": "query"}
        if "description" in field:
            parameter["description"] = field.pop("description")
        parameter["required"] = name in schema.get("required", [])
        parameters.append({**parameter, "schema": field})
    return parameters


def _operation(rule: Rule, method: str, declared: Contract | None, view: Any) -> Schema:
    parameters = _path_parameters(rule, declared)
    if declared is None:
        summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
        operation: Schema = {"operationId": rule.endpoint, "summary": summary, "responses": {}}
        return {**operation, **({"parameters": parameters} if parameters else {})}
    security = [
        {**requirement, "csrfToken": []}
        if method == "post" and "session" in requirement
        else requirement
        for requirement in declared.access.security
    ]
    responses: Schema = {}
    for status, answer in declared.answers.items():
        if isinstance(answer, Binary):
            binary = {"type": "string", "format": "binary"}
            responses[str(status)] = {
                "description": answer.description,
                "content": {answer.media_type: {"schema": binary}},
            }
        else:
            description = declared.descriptions.get(status) or answer.__doc__ or "Done."
            responses[str(status)] = {"description": description, "content": _json(_ref(answer))}
    for status in declared.refusals:
        responses[str(status)] = {"description": REFUSALS[status], "content": _json(_ref(Error))}
    operation = {
        "operationId": declared.operation_id,
        "tags": [declared.tag],
        "summary": declared.summary,
        "x-permission": declared.access.permission,
        "x-access": declared.access.as_json(),
        "security": security,
        "responses": responses,
    }
    if declared.query is not None:
        parameters += _query_parameters(declared.query)
    if parameters:
        operation["parameters"] = parameters
    if declared.body is not None:
        required = any(f.is_required() for f in declared.body.model_fields.values())
        operation["requestBody"] = {"required": required, "content": _json(_ref(declared.body))}
    return operation


def _models(contracts: list[Contract]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [Error]
    for declared in contracts:
        answers = [a for a in declared.answers.values() if not isinstance(a, Binary)]
        for model in [declared.body, *answers]:
            if model is not None and model not in found:
                found.append(model)
    return found


def document(app: Flask) -> Schema:
    """The OpenAPI 3.1 document of the app's JSON API (every route under /api/)."""
    paths: dict[str, Schema] = {}
    contracts: list[Contract] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        declared = contract_of(view)
        if declared is not None:
            contracts.append(declared)
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            item = paths.setdefault(template(rule.rule), {})
            item[method.lower()] = _operation(rule, method.lower(), declared, view)
    _, schemas = models_json_schema(
        [(model, "validation") for model in _models(contracts)],
        ref_template=REF,
        schema_generator=_Schemas,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "XepHang",
            "version": VERSION,
            "summary": "Queue tickets for Vietnam's public administration service centres.",
            "description": "Bodies are JSON (UTF-8, at most 64 KB); times are ISO 8601 with "
            "an offset (UTC). Every error is `Error`, in Vietnamese and English; a refused "
            "request changes nothing. Live events come over Socket.IO (see README.md). "
            "Each operation's `x-permission` says who may call it, and `x-access` says the "
            "same as data: the credential (`none`, `ticket`, `device`, `session`, `apiToken`), "
            "the device kinds, the staff roles and what must tie them to the request (`of`: "
            "`site`, `counter` or `ticket`), or the API token's scope.",
        },
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
