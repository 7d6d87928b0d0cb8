"""The rating tablet at a counter: after the clerk finishes a ticket it asks the citizen
how satisfied they are. Authenticated by the tablet's device token, never by a person;
nothing about the citizen is asked or stored."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from server.domain.errors import InvalidInput
from server.domain.roles import DeviceKind
from server.domain.statistics import RATING_LABELS, Rating
from server.runtime import runtime
from server.services import ratings
from server.web.identity import csrf, request_device
from server.web.input import enum_field, json_body, required_id
from server.web.jsonify import plain

bp = Blueprint("rating", __name__)


@bp.get("/rating")
def page() -> str:
    choices = [
        {"value": r.value, "label_vi": vi, "label_en": en} for r, (vi, en) in RATING_LABELS.items()
    ]
    return render_template(
        "rating/index.html", device_token=request.args.get("device", ""), choices=choices
    )


@bp.get("/api/rating/state")
def state() -> Any:
    device = request_device(DeviceKind.RATING)
    rt = runtime()
    with rt.db.reading() as session:
        return jsonify(ratings.tablet_state(session, device.id, rt.clock()))


@bp.post("/api/rating")
@csrf.exempt  # authenticated by the device token header, which a browser never sends by itself
def rate() -> Any:
    device = request_device(DeviceKind.RATING)
    body = json_body()
    ticket_id = required_id(body, "ticket_id")
    rating = enum_field(body, "rating", Rating)
    if rating is None:
        raise InvalidInput("Thiếu trường “rating”.", "The field “rating” is missing.")
    rated = ratings.rate_ticket(runtime().uow(), device.id, ticket_id, rating)
    return jsonify({"ok": True, "result": plain(rated)}), 201
