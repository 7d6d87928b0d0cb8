"""The integration API (/api/v1): for other systems, not for the centre's own screens. The
provincial one-stop system shows a centre's queues and issues numbers for citizens who
booked online; a button panel at the door issues a number per press; a reporting system
reads the statistics. Each request carries its integration's token
(`Authorization: Bearer <token>`, see server/services/api_tokens.py), which needs the
scope of the endpoint and, if it was given a site, acts on that site only."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request

from server.domain.errors import InvalidInput
from server.domain.tickets import Channel, Priority
from server.runtime import runtime
from server.services import api_tokens, snapshots
from server.services.access import get_site
from server.services.api_tokens import QUEUE_READ, STATISTICS_READ, TICKETS_ISSUE, ApiClient
from server.services.statistics import report
from server.services.tickets import issue_ticket
from server.web.identity import bearer_token, csrf
from server.web.input import date_arg, enum_field, json_body, required_id
from server.web.jsonify import plain
from server.web.phone import phone_url, qr_url
from server.web.security import api_limit, api_token_key, limiter

bp = Blueprint("integration", __name__, url_prefix="/api/v1")

DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# Per token: one integration cannot starve the others, nor the centre's own screens.
per_token = limiter.shared_limit(api_limit, scope="api-v1", key_func=api_token_key)


def _client(scope: str, site_id: int | None = None) -> ApiClient:
    client = api_tokens.authenticate(runtime().uow(), bearer_token(), scope)
    if site_id is not None:
        api_tokens.require_site(client, site_id)
    return client


@bp.get("/sites/<int:site_id>/queue")
@per_token
def queue(site_id: int) -> Any:
    """Each active service's waiting count and estimated wait, as the kiosk shows them."""
    _client(QUEUE_READ, site_id)
    with runtime().db.reading() as session:
        return jsonify(snapshots.kiosk(session, site_id))


@bp.post("/sites/<int:site_id>/tickets")
@csrf.exempt  # authenticated by the bearer token, which a browser never sends by itself
@per_token
def issue(site_id: int) -> Any:
    """A number for a citizen, like the kiosk's, with the channel "phone"."""
    _client(TICKETS_ISSUE, site_id)
    body = json_body()
    issued = issue_ticket(
        runtime().uow(),
        site_id=site_id,
        service_id=required_id(body, "service_id"),
        priority=enum_field(body, "priority", Priority),
        channel=Channel.PHONE,
    )
    ticket = plain(issued)
    ticket["phone_url"] = phone_url(issued.token)
    ticket["qr_url"] = qr_url(issued.token)
    return jsonify({"ticket": ticket}), 201


@bp.get("/statistics")
@per_token
def statistics() -> Any:
    """`?site=<id|all>&from=YYYY-MM-DD&to=YYYY-MM-DD`: the managers' report. `all` (the
    default) is every site, or the token's own site if it has one; the days default to
    this month up to today."""
    client = _client(STATISTICS_READ)
    raw = request.args.get("site", "").strip() or "all"
    with runtime().db.reading() as session:
        site_ids: list[int] | None
        if raw == "all":
            site_ids = None if client.site_id is None else [client.site_id]
            zone = DEFAULT_ZONE
        elif raw.isascii() and raw.isdigit() and len(raw) <= 9:
            api_tokens.require_site(client, int(raw))
            site = get_site(session, int(raw))
            site_ids, zone = [site.id], ZoneInfo(site.timezone)
        else:
            raise InvalidInput(
                "Điểm phục vụ phải là một mã số hoặc “all”.", "The site must be an id or “all”."
            )
        today = runtime().clock().astimezone(zone).date()
        first = date_arg("from", today.replace(day=1))
        last = date_arg("to", today)
        return jsonify(report(session, site_ids, first, last).as_dict())
