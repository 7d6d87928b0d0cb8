"""The rating tablet at a counter: after the clerk finishes a ticket it asks the citizen
how satisfied they are. Authenticated by the tablet's device token, never by a person;
nothing about the citizen is asked or stored."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from server.domain.roles import DeviceKind
from server.domain.statistics import RATING_LABELS
from server.runtime import runtime
from server.services import ratings
from server.web.contract import body, contract, device
from server.web.identity import csrf, request_device
from server.web.jsonify import plain
from server.web.schemas import NewRating, RatingState, RatingStored

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
@contract(
    "ratingState",
    "rating",
    "The rating tablet's counter, and the finished ticket to ask about, if any.",
    device(DeviceKind.RATING),
    answers={200: RatingState},
    refusals=(401, 403),
    descriptions={200: "The tablet's state."},
)
def state() -> Any:
    tablet = request_device(DeviceKind.RATING)
    rt = runtime()
    with rt.db.reading() as session:
        return jsonify(ratings.tablet_state(session, tablet.id, rt.clock()))


@bp.post("/api/rating")
@contract(
    "rateTicket",
    "rating",
    "The citizen's answer for a ticket the tablet's counter finished.",
    device(DeviceKind.RATING),
    body=NewRating,
    answers={201: RatingStored},
    refusals=(400, 401, 403, 404, 409, 413),
    descriptions={201: "Stored."},
)
@csrf.exempt  # authenticated by the device token header, which a browser never sends by itself
def rate() -> Any:
    tablet = request_device(DeviceKind.RATING)
    answer = body(NewRating)
    rated = ratings.rate_ticket(runtime().uow(), tablet.id, answer.ticket_id, answer.rating)
    return jsonify({"ok": True, "result": plain(rated)}), 201
