"""The citizen's messages and second chance, from the phone page or a message's link
(issue 15): opt in with a phone number (or take it back), rejoin after a missed turn, ask
for more time. The ticket's token in the address is the only credential, as on the phone
page (server/web/phone.py), with the same allowance against guessing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from server.domain.tickets import TicketStatus
from server.runtime import runtime
from server.services.access import get_site, open_ticket_by_token, site_zone
from server.services.notifications import delivery_figures, subscribe, unsubscribe
from server.services.tickets.records import TicketAtCounter
from server.services.tickets.second_chance import more_time, rejoin
from server.web.contract import TICKET_HOLDER, body, contract
from server.web.identity import csrf, json_login_required, require_site_manager
from server.web.manager import SITE_MANAGERS, SitePath
from server.web.phone import TicketPath, _checked, phone_limit
from server.web.schemas.notify import (
    DeliveryFigures,
    NotifyBody,
    NotifyRemoved,
    NotifySubscribed,
    SecondChance,
)

bp = Blueprint("notify", __name__)


def _second_chance(result: TicketAtCounter) -> Any:
    status = TicketStatus(result.status).value
    return jsonify({"ticket": {"number": result.number, "status": status}})


@bp.post("/api/tickets/<token>/notify")
@contract(
    "phoneNotify",
    "phone",
    "The citizen gives a phone number, with consent, to be told of their turn by SMS or Zalo.",
    TICKET_HOLDER,
    path=TicketPath,
    body=NotifyBody,
    answers={200: NotifySubscribed},
    refusals=(400, 404, 409, 413, 429),
    descriptions={200: "The number is kept for this ticket until the day's end."},
)
@csrf.exempt  # the token in the address is the credential; no cookie is involved
@phone_limit
def notify(token: str) -> Any:
    token = _checked(token)
    with runtime().db.reading() as session:
        open_ticket_by_token(session, token)  # the credential first: 404 before any 400
    asked = body(NotifyBody)
    done = subscribe(runtime().uow(), token, asked.phone, asked.consent, asked.language)
    return jsonify(
        {"number": done.number, "phone_masked": done.phone_masked, "language": done.language}
    )


@bp.delete("/api/tickets/<token>/notify")
@contract(
    "phoneNotifyStop",
    "phone",
    "The citizen takes their phone number back: it is deleted now.",
    TICKET_HOLDER,
    path=TicketPath,
    answers={200: NotifyRemoved},
    refusals=(404, 429),
    descriptions={200: "Deleted (or there was none)."},
)
@csrf.exempt
@phone_limit
def stop(token: str) -> Any:
    return jsonify({"removed": unsubscribe(runtime().uow(), _checked(token))})


@bp.post("/api/tickets/<token>/rejoin")
@contract(
    "phoneRejoin",
    "phone",
    "A citizen who missed their turn goes back in the queue, behind the next few waiting, "
    "within the site's rejoin window; once.",
    TICKET_HOLDER,
    path=TicketPath,
    answers={200: SecondChance},
    refusals=(404, 409, 413, 429),
    descriptions={200: "Waiting again, with the same number."},
)
@csrf.exempt
@phone_limit
def rejoin_queue(token: str) -> Any:
    return _second_chance(rejoin(runtime().uow(), _checked(token)))


@bp.post("/api/tickets/<token>/more-time")
@contract(
    "phoneMoreTime",
    "phone",
    "“Tôi cần thêm thời gian”: a waiting citizen lets the next few go first; once.",
    TICKET_HOLDER,
    path=TicketPath,
    answers={200: SecondChance},
    refusals=(404, 409, 413, 429),
    descriptions={200: "Moved back a few places."},
)
@csrf.exempt
@phone_limit
def ask_more_time(token: str) -> Any:
    return _second_chance(more_time(runtime().uow(), _checked(token)))


@bp.get("/api/sites/<int:site_id>/notifications")
@contract(
    "managerNotifications",
    "manager",
    "Today's messages to citizens' phones: sent, failed, in doubt, capped, and their cost.",
    SITE_MANAGERS,
    path=SitePath,
    answers={200: DeliveryFigures},
    refusals=(401, 403, 404),
    descriptions={200: "The figures of the site's local day."},
)
@json_login_required
def figures(site_id: int) -> Any:
    require_site_manager(site_id)
    with runtime().db.reading() as session:
        site = get_site(session, site_id)
        day = runtime().clock().astimezone(site_zone(site)).date()
        return jsonify({"day": day.isoformat(), **delivery_figures(session, site.id, day)})
