"""Staff and printing: a ticket's paper as a PNG (so a manager sees the layout), a reprint,
and an administrator's test print on a kiosk's printer."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.adapters.printing import spooler
from server.adapters.printing.ticket_layout import render_ticket
from server.domain.roles import Role
from server.runtime import runtime
from server.services import printing
from server.web.contract import Binary, Relation, body, contract, query
from server.web.contract import staff as staff_access
from server.web.identity import json_login_required, require_roles, staff
from server.web.phone import phone_url
from server.web.schemas import EmptyBody, PreviewQuery, PrintSent, ReprintBody

bp = Blueprint("printing", __name__)


STAFF = staff_access(Role.MANAGER, Role.CLERK, of=Relation.TICKET)


@bp.get("/api/printing/tickets/<int:ticket_id>/preview.png")
@contract(
    "ticketPreview",
    "printing",
    "The ticket's paper as its kiosk would print it now (staff).",
    STAFF,
    query=PreviewQuery,
    answers={200: Binary("image/png", "A PNG.")},
    refusals=(400, 401, 403, 404),
)
@json_login_required
def preview(ticket_id: int) -> Response:
    """The ticket's paper as its kiosk would print it now; `?width=384` for 58 mm."""
    user = staff()
    with runtime().db.reading() as session:
        content, width = printing.preview(session, user.id, ticket_id, phone_url)
    width = query(PreviewQuery).width or width
    out = io.BytesIO()
    render_ticket(content, width).save(out, format="PNG", optimize=False)
    return Response(out.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/api/printing/tickets/<int:ticket_id>/reprint")
@contract(
    "ticketReprint",
    "printing",
    "Print the ticket again, on its own kiosk or another one (staff).",
    STAFF,
    body=ReprintBody,
    answers={200: PrintSent},
    refusals=(400, 401, 403, 404, 409, 413),
    descriptions={200: "Sent."},
)
@json_login_required
def reprint(ticket_id: int) -> Any:
    """Print the ticket again, on its own kiosk or on `{"device_id": N}`."""
    device_id = body(ReprintBody).device_id
    rt = runtime()
    order = printing.reprint_ticket(rt.uow(), staff().id, ticket_id, phone_url, device_id)
    return jsonify({"ok": True, "printing": spooler.dispatch(rt, order).json()})


@bp.post("/api/printing/devices/<int:device_id>/test")
@contract(
    "testPrint",
    "printing",
    "A sample ticket on a kiosk's printer (administrators).",
    staff_access(),
    body=EmptyBody,
    answers={200: PrintSent},
    refusals=(400, 401, 403, 404, 409, 413),
    descriptions={200: "Sent."},
)
@json_login_required
def test_print(device_id: int) -> Any:
    """A sample ticket on a kiosk's printer (administrators)."""
    user = require_roles(Role.ADMIN)
    body(EmptyBody)  # refuse a malformed body like every other endpoint
    rt = runtime()
    home = rt.config.public_url or request.host_url
    order = printing.print_test_ticket(rt.uow(), user.id, device_id, home)
    return jsonify({"ok": True, "printing": spooler.dispatch(rt, order).json()})
