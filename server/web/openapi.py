"""The JSON API described in OpenAPI 3.1, served at GET /api/openapi.json.

Written by hand, next to the views it describes; tests/integration/test_openapi.py checks
that every route under /api/ is in it and nothing else is, that it is a valid OpenAPI 3.1
document, and tests/integration/test_fuzz_openapi.py throws thousands of requests built from
it at the app and checks every answer against it. README.md, "JSON API", says the same in
prose.
"""

from __future__ import annotations

from typing import Any

from server.domain.printing import PrinterStatus
from server.domain.statistics import Rating
from server.domain.tickets import Priority, TicketStatus
from server.services.api_tokens import QUEUE_READ, SCOPES, STATISTICS_READ, TICKETS_ISSUE
from server.services.counters import MAX_PAUSE_REASON
from server.services.notices import MAX_NOTICE
from server.web.input import MAX_ID

Schema = dict[str, Any]

VERSION = "1.0.0"

# The counter screen's buttons: POST /api/counters/{counter_id}/{action}
# (server.web.counter.ACTIONS; the test keeps the two lists equal).
COUNTER_ACTIONS: dict[str, str] = {
    "open": "Open the counter, or resume it after a pause.",
    "pause": "Pause with a `reason` (at most 200 characters).",
    "close": "Close the counter (refused while a ticket is called or served).",
    "call-next": "Call the next ticket by the rules (priority, main services, queue order).",
    "call": "Call one waiting ticket (`ticket_id`) of the counter's services.",
    "recall": "Call the current ticket again.",
    "start": "The citizen arrived: service starts.",
    "finish": "Served.",
    "no-show": "The citizen did not come.",
    "transfer": "Move the ticket to another service's queue (`service_id`), keeping its place.",
    "cancel": "Cancel a ticket (`ticket_id`) of the counter's services.",
}

# -- building blocks ----------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties (further ones may come in later versions)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def enum(values: list[Any]) -> Schema:
    return {"enum": values}


INT: Schema = {"type": "integer"}
COUNT: Schema = {"type": "integer", "minimum": 0}
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
STR: Schema = {"type": "string"}
BOOL: Schema = {"type": "boolean"}
NUMBER: Schema = {"type": "number"}
TIME: Schema = {"type": "string", "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date"}
TRUE: Schema = {"const": True}
PRIORITIES = [p.value for p in Priority]
STATUSES = [s.value for s in TicketStatus]
RATINGS = [r.value for r in Rating]
COUNTER_STATES = ["open", "paused", "closed"]
PHONE_TOKEN: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{10,64}$"}

# -- components ---------------------------------------------------------------------------

ERROR_EXAMPLE = {
    "error": "counter_not_open",
    "message": "Quầy số 3 chưa mở.",
    "message_en": "Counter 3 is not open.",
}

SERVICE_INFO = {"id": ID, "code": STR, "name_vi": STR, "name_en": STR, "pictogram": STR}
PUBLIC_TICKET = {
    "id": ID,
    "number": STR,
    "service_id": ID,
    "service_name_vi": STR,
    "service_name_en": STR,
    "status": enum(STATUSES),
    "priority": {"type": "boolean", "description": "Whether the ticket has a priority."},
    "counter_number": {"type": ["integer", "null"]},
    "recall_count": COUNT,
}
PUBLIC_COUNTER = {
    "id": ID,
    "number": INT,
    "state": enum(COUNTER_STATES),
    "pause_reason": STR,
    "label": STR,
}
PRINTER_MESSAGE = {
    "printer_status": enum([s.value for s in PrinterStatus]),
    "fault": BOOL,
    "message": STR,
    "message_en": STR,
    "detail": STR,
}
DURATIONS = obj(
    {
        "count": COUNT,
        "mean": {"type": ["number", "null"]},
        "median": {"type": ["number", "null"]},
        "p90": {"type": ["number", "null"]},
        "max": {"type": ["number", "null"]},
    }
)

SCHEMAS: dict[str, Schema] = {
    "Error": {
        **obj({"error": STR, "message": STR, "message_en": STR}),
        "description": "Every refusal: a code, and the reason in Vietnamese and in English.",
        "examples": [ERROR_EXAMPLE],
    },
    "Site": obj({"id": ID, "code": STR, "name": STR, "timezone": STR, "notice": STR}),
    "ServiceQueue": obj(
        {
            **SERVICE_INFO,
            "active": BOOL,
            "waiting": COUNT,
            "estimated_wait_minutes": COUNT,
        }
    ),
    "PublicTicket": obj(PUBLIC_TICKET),
    "CurrentTicket": obj(
        {**PUBLIC_TICKET, "called_at": nullable(TIME), "started_at": nullable(TIME)},
        {"queued_at": TIME},
    ),
    "QueueSnapshot": obj(
        {
            "seq": COUNT,
            "site": ref("Site"),
            "services": array(ref("ServiceQueue")),
            "priorities": array(obj({"code": enum(PRIORITIES), "name_vi": STR, "name_en": STR})),
        }
    ),
    "IssuedTicket": obj(
        {
            "ticket_id": ID,
            "number": STR,
            "token": {**PHONE_TOKEN, "description": "The phone page's credential."},
            "service_id": ID,
            "service_name_vi": STR,
            "service_name_en": STR,
            "priority": nullable(enum(PRIORITIES)),
            "issued_at": TIME,
            "people_ahead": COUNT,
            "estimated_wait_minutes": COUNT,
            "phone_url": STR,
            "qr_url": STR,
        }
    ),
    "Printing": obj(
        {
            "job_id": {"type": ["integer", "null"]},
            "status": enum(["none", "queued", "printing", "printed", "failed"]),
            **{**PRINTER_MESSAGE, "printer_status": nullable(PRINTER_MESSAGE["printer_status"])},
        }
    ),
    "BoardSnapshot": obj(
        {
            "seq": COUNT,
            "site": ref("Site"),
            "counters": array(obj({**PUBLIC_COUNTER, "current": nullable(ref("CurrentTicket"))})),
            "recent_calls": array(
                obj(
                    {
                        "ticket_id": ID,
                        "number": STR,
                        "counter_number": INT,
                        "service_name_vi": STR,
                        "service_name_en": STR,
                        "at": TIME,
                        "recall": BOOL,
                        "clips": {**array(STR), "description": "Voice clips, in playing order."},
                    }
                )
            ),
            "services": array(ref("ServiceQueue")),
        }
    ),
    "RatingState": obj(
        {
            "seq": COUNT,
            "site": obj({"id": ID, "name": STR, "timezone": STR}),
            "counter": obj({"id": ID, "number": INT, "label": STR}),
            "window_minutes": COUNT,
            "ticket": nullable(
                obj(
                    {
                        "id": ID,
                        "number": STR,
                        "service_name_vi": STR,
                        "service_name_en": STR,
                        "finished_at": TIME,
                        "finished_seconds_ago": COUNT,
                    }
                )
            ),
        }
    ),
    "CounterSnapshot": obj(
        {
            "seq": COUNT,
            "site": ref("Site"),
            "counter": obj(
                {
                    **PUBLIC_COUNTER,
                    "clerk": nullable(obj({"id": ID, "name": STR})),
                    "services": array(obj({**SERVICE_INFO, "rank": COUNT})),
                    "served_today": COUNT,
                }
            ),
            "current": nullable(ref("CurrentTicket")),
            "waiting": array(
                obj(
                    {
                        **PUBLIC_TICKET,
                        "queued_at": TIME,
                        "priority_category": nullable(enum(PRIORITIES)),
                    }
                )
            ),
            "transfer_to": array(obj(SERVICE_INFO)),
        }
    ),
    "CounterActionResult": obj(
        {
            "ok": TRUE,
            "result": {
                "oneOf": [
                    obj(
                        {
                            "ticket_id": ID,
                            "number": STR,
                            "status": enum(STATUSES),
                            "service_id": ID,
                            "counter_number": {"type": ["integer", "null"]},
                        }
                    ),
                    obj(
                        {
                            "counter_id": ID,
                            "number": INT,
                            "state": enum(COUNTER_STATES),
                            "pause_reason": STR,
                        }
                    ),
                ]
            },
        }
    ),
    "PhoneSnapshot": obj(
        {
            "seq": COUNT,
            "site": ref("Site"),
            "ticket": obj(
                {
                    **PUBLIC_TICKET,
                    "issued_at": TIME,
                    "people_ahead": COUNT,
                    "estimated_wait_minutes": COUNT,
                }
            ),
        }
    ),
    "Overview": obj(
        {
            "seq": COUNT,
            "now": TIME,
            "site": ref("Site"),
            "counters": array(
                obj(
                    {
                        **PUBLIC_COUNTER,
                        "clerk": {"type": ["string", "null"]},
                        "state_changed_at": nullable(TIME),
                        "current": nullable(ref("CurrentTicket")),
                    }
                )
            ),
            "services": array(
                obj(
                    {
                        **SERVICE_INFO,
                        "active": BOOL,
                        "waiting": COUNT,
                        "estimated_wait_minutes": COUNT,
                        "target_minutes": INT,
                        "oldest_queued_at": nullable(TIME),
                        "waiting_since": array(TIME),
                    }
                )
            ),
            "printers": array(
                obj(
                    {
                        "device_id": ID,
                        "name": STR,
                        "printer_url": STR,
                        "mode": STR,
                        "width": INT,
                        "printed_by": enum(["server", "agent"]),
                        "agent_connected": {"type": ["boolean", "null"]},
                        **PRINTER_MESSAGE,
                        "since": nullable(TIME),
                        "last_job": nullable(
                            obj({"id": ID, "kind": STR, "status": STR, "error": STR, "at": TIME})
                        ),
                    }
                )
            ),
        }
    ),
    "Figure": obj(
        {
            "key": STR,
            "label_vi": STR,
            "label_en": STR,
            "issued": COUNT,
            "served": COUNT,
            "no_show": COUNT,
            "cancelled": COUNT,
            "transferred": COUNT,
            "expired": COUNT,
            "wait": DURATIONS,
            "service": DURATIONS,
            "within_target": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            "ratings": obj({r: COUNT for r in RATINGS}),
            "satisfaction": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        }
    ),
    "Statistics": {
        **obj(
            {
                "site_ids": array(ID),
                "site_names": array(STR),
                "first": DAY,
                "last": DAY,
                "total": ref("Figure"),
                **{
                    name: array(ref("Figure"))
                    for name in ("by_service", "by_counter", "by_clerk", "by_hour", "by_day")
                },
            }
        ),
        "description": "Times in minutes; shares from 0 to 1 (null when nothing to divide).",
    },
}

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

Security = list[dict[str, list[str]]]

DEVICE: Security = [{"deviceToken": []}]
STAFF_READ: Security = [{"session": []}]
STAFF_WRITE: Security = [{"session": [], "csrfToken": []}]
PUBLIC: Security = []


def api_token(scope: str) -> Security:
    # OpenAPI 3.1 lets any scheme list the roles it needs; ours are the token's scopes.
    return [{"apiToken": [scope]}]


# -- operations ---------------------------------------------------------------------------

ERROR_TEXT = {
    400: "Bad input (`invalid_input`), a malformed body, or a missing CSRF token (`csrf`).",
    401: "No credentials, or credentials that are not valid (any more).",
    403: "Valid credentials that may not do this.",
    404: "No such thing (or not yours to know of).",
    409: "Not possible in the current state; `error` says why.",
    413: "The body is over 64 KB.",
    429: "Too many requests (`too_many_requests`); `Retry-After` says when to try again.",
}


def json_content(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def answer(status: int, description: str, schema: Schema | None = None) -> dict[str, Schema]:
    return {
        str(status): {
            "description": description,
            **({"content": json_content(schema)} if schema is not None else {}),
        }
    }


def refusals(*statuses: int) -> dict[str, Schema]:
    return {
        str(status): {"description": ERROR_TEXT[status], "content": json_content(ref("Error"))}
        for status in statuses
    }


def path_id(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": ID}


def body(schema: Schema, required: bool = False) -> Schema:
    return {"required": required, "content": json_content(schema)}


def operation(
    operation_id: str,
    tag: str,
    summary: str,
    security: Security,
    responses: dict[str, Schema],
    parameters: list[Schema] | None = None,
    request_body: Schema | None = None,
) -> Schema:
    op: Schema = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "security": security,
        "responses": responses,
    }
    if parameters:
        op["parameters"] = parameters
    if request_body is not None:
        op["requestBody"] = request_body
    return op


SITE_ID = path_id("site_id", "The site's id.")
STATISTICS_QUERY = [
    {
        "name": "site",
        "in": "query",
        "description": "A site's id, or `all` (the sites the caller may see).",
        "schema": {"type": "string", "pattern": "^([0-9]{1,9}|all)$"},
    },
    {
        "name": "from",
        "in": "query",
        "description": "First local day (default: the first of this month).",
        "schema": DAY,
    },
    {
        "name": "to",
        "in": "query",
        "description": "Last local day, included (default: today).",
        "schema": DAY,
    },
]
NEW_TICKET = obj(
    {"service_id": ID},
    {"priority": {**nullable(enum(PRIORITIES)), "description": "A priority category, if any."}},
)
TICKET_GUARD = {
    "ticket_id": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": MAX_ID,
        "description": "If given, the ticket the screen shows: it must be the counter's "
        "current one (for call and cancel: the ticket to act on).",
    }
}

PATHS: dict[str, dict[str, Schema]] = {
    "/api/openapi.json": {
        "get": operation(
            "openapi",
            "meta",
            "This document.",
            PUBLIC,
            answer(200, "The OpenAPI 3.1 document.", {"type": "object"}),
        )
    },
    "/api/kiosk/snapshot": {
        "get": operation(
            "kioskSnapshot",
            "kiosk",
            "The kiosk's buttons: active services with their queues, and priority categories.",
            DEVICE,
            {**answer(200, "The kiosk's snapshot.", ref("QueueSnapshot")), **refusals(401, 403)},
        )
    },
    "/api/kiosk/tickets": {
        "post": operation(
            "kioskIssueTicket",
            "kiosk",
            "Issue a ticket (and print it, if the kiosk has a printer).",
            DEVICE,
            {
                **answer(
                    201,
                    "The ticket, and how printing went as far as known.",
                    obj({"ticket": ref("IssuedTicket"), "printing": ref("Printing")}),
                ),
                **refusals(400, 401, 403, 404, 409, 413, 429),
            },
            request_body=body(NEW_TICKET, required=True),
        )
    },
    "/api/board/snapshot": {
        "get": operation(
            "boardSnapshot",
            "board",
            "The waiting-room board: counters, recent calls, queues, the notice line.",
            DEVICE,
            {**answer(200, "The board's snapshot.", ref("BoardSnapshot")), **refusals(401, 403)},
        )
    },
    "/api/rating/state": {
        "get": operation(
            "ratingState",
            "rating",
            "The rating tablet's counter, and the finished ticket to ask about, if any.",
            DEVICE,
            {**answer(200, "The tablet's state.", ref("RatingState")), **refusals(401, 403)},
        )
    },
    "/api/rating": {
        "post": operation(
            "rateTicket",
            "rating",
            "The citizen's answer for a ticket the tablet's counter finished.",
            DEVICE,
            {
                **answer(
                    201,
                    "Stored.",
                    obj(
                        {
                            "ok": TRUE,
                            "result": obj(
                                {
                                    "ticket_id": ID,
                                    "number": STR,
                                    "rating": enum(RATINGS),
                                    "counter_number": INT,
                                    "at": TIME,
                                }
                            ),
                        }
                    ),
                ),
                **refusals(400, 401, 403, 404, 409, 413),
            },
            request_body=body(obj({"ticket_id": ID, "rating": enum(RATINGS)}), required=True),
        )
    },
    "/api/counters/{counter_id}": {
        "get": operation(
            "counterSnapshot",
            "counter",
            "The clerk's screen: the counter, its current ticket, the waiting list in calling "
            "order, the services to transfer to.",
            STAFF_READ,
            {
                **answer(200, "The counter's snapshot.", ref("CounterSnapshot")),
                **refusals(401, 403, 404),
            },
            [path_id("counter_id", "The counter's id (not its number).")],
        )
    },
    "/api/counters/{counter_id}/{action}": {
        "post": operation(
            "counterAction",
            "counter",
            "A button of the clerk's screen. "
            + " ".join(f"`{name}`: {text}" for name, text in COUNTER_ACTIONS.items()),
            STAFF_WRITE,
            {
                **answer(200, "Done.", ref("CounterActionResult")),
                **refusals(400, 401, 403, 404, 409, 413),
            },
            [
                path_id("counter_id", "The counter's id (not its number)."),
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": enum(list(COUNTER_ACTIONS)),
                },
            ],
            body(
                obj(
                    {},
                    {
                        **TICKET_GUARD,
                        "service_id": {**ID, "description": "transfer: the target service."},
                        "reason": {
                            "type": ["string", "null"],
                            "maxLength": MAX_PAUSE_REASON,
                            "description": "pause: why.",
                        },
                    },
                )
            ),
        )
    },
    "/api/tickets/{token}": {
        "get": operation(
            "phoneSnapshot",
            "phone",
            "The citizen's ticket: its state, people ahead, estimated wait.",
            PUBLIC,
            {**answer(200, "The ticket.", ref("PhoneSnapshot")), **refusals(404, 429)},
            [
                {
                    "name": "token",
                    "in": "path",
                    "required": True,
                    "description": "The ticket's token: the phone page's only credential.",
                    "schema": PHONE_TOKEN,
                }
            ],
        )
    },
    "/api/tickets/{token}/cancel": {
        "post": operation(
            "phoneCancel",
            "phone",
            "The citizen gives up their ticket (waiting or called).",
            PUBLIC,
            {
                **answer(
                    200,
                    "Cancelled.",
                    obj({"ticket": obj({"number": STR, "status": enum(STATUSES)})}),
                ),
                **refusals(404, 409, 413, 429),
            },
            [{"name": "token", "in": "path", "required": True, "schema": PHONE_TOKEN}],
        )
    },
    "/api/sites/{site_id}/overview": {
        "get": operation(
            "managerOverview",
            "manager",
            "The live hall: counters, queues against their targets, kiosk printers.",
            STAFF_READ,
            {**answer(200, "The hall.", ref("Overview")), **refusals(401, 403, 404)},
            [SITE_ID],
        )
    },
    "/api/sites/{site_id}/notice": {
        "post": operation(
            "setNotice",
            "manager",
            "The board's scrolling notice line (empty removes it).",
            STAFF_WRITE,
            {
                **answer(200, "The notice as stored.", obj({"ok": TRUE, "notice": STR})),
                **refusals(400, 401, 403, 404, 413),
            },
            [SITE_ID],
            body(obj({}, {"notice": {"type": ["string", "null"], "maxLength": MAX_NOTICE}})),
        )
    },
    "/api/statistics": {
        "get": operation(
            "statistics",
            "manager",
            "The statistics of one site or of every site the manager looks after.",
            STAFF_READ,
            {
                **answer(200, "The report.", ref("Statistics")),
                **refusals(400, 401, 403, 404),
            },
            STATISTICS_QUERY,
        )
    },
    "/api/printing/tickets/{ticket_id}/preview.png": {
        "get": operation(
            "ticketPreview",
            "printing",
            "The ticket's paper as its kiosk would print it now (staff).",
            STAFF_READ,
            {
                "200": {
                    "description": "A PNG.",
                    "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
                },
                **refusals(400, 401, 403, 404),
            },
            [
                path_id("ticket_id", "The ticket's id."),
                {
                    "name": "width",
                    "in": "query",
                    "description": "Dots per line: a multiple of 8 from 256 to 832.",
                    "schema": {"type": "integer", "minimum": 256, "maximum": 832},
                },
            ],
        )
    },
    "/api/printing/tickets/{ticket_id}/reprint": {
        "post": operation(
            "ticketReprint",
            "printing",
            "Print the ticket again, on its own kiosk or another one (staff).",
            STAFF_WRITE,
            {
                **answer(200, "Sent.", obj({"ok": TRUE, "printing": ref("Printing")})),
                **refusals(400, 401, 403, 404, 409, 413),
            },
            [path_id("ticket_id", "The ticket's id.")],
            body(obj({}, {"device_id": {"type": ["integer", "null"], "minimum": 1}})),
        )
    },
    "/api/printing/devices/{device_id}/test": {
        "post": operation(
            "testPrint",
            "printing",
            "A sample ticket on a kiosk's printer (administrators).",
            STAFF_WRITE,
            {
                **answer(200, "Sent.", obj({"ok": TRUE, "printing": ref("Printing")})),
                **refusals(400, 401, 403, 404, 409, 413),
            },
            [path_id("device_id", "The kiosk's device id.")],
            body({"type": "object"}),
        )
    },
    "/api/v1/sites/{site_id}/queue": {
        "get": operation(
            "integrationQueue",
            "integration",
            "Each active service's waiting count and estimated wait.",
            api_token(QUEUE_READ),
            {
                **answer(200, "The site's queues.", ref("QueueSnapshot")),
                **refusals(401, 403, 404, 429),
            },
            [SITE_ID],
        )
    },
    "/api/v1/sites/{site_id}/tickets": {
        "post": operation(
            "integrationIssueTicket",
            "integration",
            "Issue a ticket for a citizen (channel `phone`); nothing is printed.",
            api_token(TICKETS_ISSUE),
            {
                **answer(201, "The ticket.", obj({"ticket": ref("IssuedTicket")})),
                **refusals(400, 401, 403, 404, 409, 413, 429),
            },
            [SITE_ID],
            body(NEW_TICKET, required=True),
        )
    },
    "/api/v1/statistics": {
        "get": operation(
            "integrationStatistics",
            "integration",
            "The statistics report, as managers get it; `all` means the token's own site "
            "if it has one.",
            api_token(STATISTICS_READ),
            {
                **answer(200, "The report.", ref("Statistics")),
                **refusals(400, 401, 403, 404, 429),
            },
            STATISTICS_QUERY,
        )
    },
}


def document() -> Schema:
    """The OpenAPI 3.1 document of the JSON API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "XepHang",
            "version": VERSION,
            "summary": "Queue tickets for Vietnam's public administration service centres.",
            "description": "Bodies are JSON (UTF-8, at most 64 KB); times are ISO 8601 with "
            "an offset (UTC). Every error is `Error`, in Vietnamese and English; a refused "
            "request changes nothing. Live events come over Socket.IO (see README.md).",
        },
        "servers": [{"url": "/"}],
        "tags": [
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
        ],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }
