"""Staff and printing: a ticket's paper as a PNG (so a manager sees the layout), a reprint,
and an administrator's test print on a kiosk's printer."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.adapters.printing import spooler
from server.adapters.printing.ticket_layout import render_ticket
from server.domain.errors import InvalidInput
from server.domain.printing import valid_width
from server.domain.roles import Role
from server.runtime import runtime
from server.services import printing
from server.web.identity import json_login_required, require_roles, staff
from server.web.input import id_field, json_body
from server.web.phone import phone_url

bp = Blueprint("printing", __name__)


@bp.get("/api/printing/tickets/<int:ticket_id>/preview.png")
@json_login_required
def preview(ticket_id: int) -> Response:
    """The ticket's paper as its kiosk would print it now; `?width=384` for 58 mm."""
    user = staff()
    with runtime().db.reading() as session:
        content, width = printing.preview(session, user.id, ticket_id, phone_url)
    if "width" in request.args:
        asked = request.args.get("width", type=int)
        if asked is None or not valid_width(asked):
            raise InvalidInput(
                "Khổ in phải là bội số của 8, từ 256 đến 832 điểm.",
                "The width must be a multiple of 8 from 256 to 832 dots.",
            )
        width = asked
    out = io.BytesIO()
    render_ticket(content, width).save(out, format="PNG", optimize=False)
    return Response(out.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/api/printing/tickets/<int:ticket_id>/reprint")
@json_login_required
def reprint(ticket_id: int) -> Any:
    """Print the ticket again, on its own kiosk or on `{"device_id": N}`."""
    body = json_body()
    rt = runtime()
    order = printing.reprint_ticket(
        rt.uow(), staff().id, ticket_id, phone_url, id_field(body, "device_id", required=False)
    )
    return jsonify({"ok": True, "printing": spooler.dispatch(rt, order).json()})


@bp.post("/api/printing/devices/<int:device_id>/test")
@json_login_required
def test_print(device_id: int) -> Any:
    """A sample ticket on a kiosk's printer (administrators)."""
    user = require_roles(Role.ADMIN)
    json_body()  # refuse a malformed body like every other endpoint
    rt = runtime()
    home = rt.config.public_url or request.host_url
    order = printing.print_test_ticket(rt.uow(), user.id, device_id, home)
    return jsonify({"ok": True, "printing": spooler.dispatch(rt, order).json()})
