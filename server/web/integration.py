"""The integration API (/api/v1): for other systems, not for the centre's own screens. The
provincial one-stop system shows a centre's queues and issues numbers for citizens who
booked online; a button panel at the door issues a number per press; a reporting system
reads the statistics. Each request carries its integration's token
(`Authorization: Bearer <token>`, see server/services/api_tokens.py), which needs the
scope of the endpoint and, if it was given a site, acts on that site only."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from server.domain.tickets import Channel
from server.runtime import runtime
from server.services import api_tokens, snapshots
from server.services import scorecard as wait_scorecard
from server.services.access import get_site
from server.services.api_tokens import QUEUE_READ, STATISTICS_READ, TICKETS_ISSUE, ApiClient
from server.services.statistics import report
from server.services.tickets import issue_ticket
from server.web.contract import api_token, body, contract, query
from server.web.identity import bearer_token, csrf
from server.web.input import Id
from server.web.jsonify import plain
from server.web.phone import phone_url, qr_url
from server.web.schemas import (
    IntegrationIssued,
    IntegrationScorecardQuery,
    IntegrationStatisticsQuery,
    NewTicket,
    QueueSnapshot,
    Scorecard,
    Statistics,
)
from server.web.security import api_limit, api_token_key, limiter

bp = Blueprint("integration", __name__, url_prefix="/api/v1")

DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# Per token: one integration cannot starve the others, nor the centre's own screens.
per_token = limiter.shared_limit(api_limit, scope="api-v1", key_func=api_token_key)


class SitePath(BaseModel):
    site_id: Id = Field(description="The site's id.")


def _client(scope: str, site_id: int | None = None) -> ApiClient:
    client = api_tokens.authenticate(runtime().uow(), bearer_token(), scope)
    if site_id is not None:
        api_tokens.require_site(client, site_id)
    return client


@bp.get("/sites/<int:site_id>/queue")
@contract(
    "integrationQueue",
    "integration",
    "Each active service's waiting count and wait (a range: P10, median, P90 in minutes).",
    api_token(QUEUE_READ),
    path=SitePath,
    answers={200: QueueSnapshot},
    refusals=(401, 403, 404, 429),
    descriptions={200: "The site's queues."},
)
@per_token
def queue(site_id: int) -> Any:
    """Each active service's waiting count and wait for a ticket issued now (normal and
    priority, as a range), as the kiosk shows them."""
    _client(QUEUE_READ, site_id)
    with runtime().db.reading() as session:
        return jsonify(snapshots.kiosk(session, site_id, runtime().clock()))


@bp.post("/sites/<int:site_id>/tickets")
@contract(
    "integrationIssueTicket",
    "integration",
    "Issue a ticket for a citizen (channel `phone`); nothing is printed.",
    api_token(TICKETS_ISSUE),
    path=SitePath,
    body=NewTicket,
    answers={201: IntegrationIssued},
    refusals=(400, 401, 403, 404, 409, 413, 429),
    descriptions={201: "The ticket."},
)
@csrf.exempt  # authenticated by the bearer token, which a browser never sends by itself
@per_token
def issue(site_id: int) -> Any:
    """A number for a citizen, like the kiosk's, with the channel "phone"."""
    _client(TICKETS_ISSUE, site_id)
    wanted = body(NewTicket)
    issued = issue_ticket(
        runtime().uow(),
        site_id=site_id,
        service_id=wanted.service_id,
        priority=wanted.priority,
        channel=Channel.PHONE,
    )
    ticket = plain(issued)
    ticket["phone_url"] = phone_url(issued.token)
    ticket["qr_url"] = qr_url(issued.token)
    return jsonify({"ticket": ticket}), 201


@bp.get("/statistics")
@contract(
    "integrationStatistics",
    "integration",
    "The statistics report, as managers get it; `all` means the token's own site if it has one.",
    api_token(STATISTICS_READ),
    query=IntegrationStatisticsQuery,
    answers={200: Statistics},
    refusals=(400, 401, 403, 404, 429),
    descriptions={200: "The report."},
)
@per_token
def statistics() -> Any:
    """`?site=<id|all>&from=YYYY-MM-DD&to=YYYY-MM-DD`: the managers' report. `all` (the
    default) is every site, or the token's own site if it has one; the days default to
    this month up to today."""
    client = _client(STATISTICS_READ)
    asked = query(IntegrationStatisticsQuery)
    with runtime().db.reading() as session:
        site_ids, first, last = _statistics_scope(session, client, asked)
        return jsonify(report(session, site_ids, first, last).as_dict())


def _statistics_scope(
    session: Session, client: ApiClient, asked: IntegrationStatisticsQuery
) -> tuple[list[int] | None, date, date]:
    """The sites (None: every site) and days a statistics query asks for."""
    raw = asked.site or "all"
    site_ids: list[int] | None
    if raw == "all":
        site_ids = None if client.site_id is None else [client.site_id]
        zone = DEFAULT_ZONE
    else:
        api_tokens.require_site(client, int(raw))
        site = get_site(session, int(raw))
        site_ids, zone = [site.id], ZoneInfo(site.timezone)
    today = runtime().clock().astimezone(zone).date()
    return site_ids, asked.first or today.replace(day=1), asked.last or today


@bp.get("/statistics/scorecard")
@contract(
    "integrationScorecard",
    "integration",
    "How reliable the quoted waits were, as managers get it (at most 366 days); `all` "
    "means the token's own site if it has one.",
    api_token(STATISTICS_READ),
    query=IntegrationScorecardQuery,
    answers={200: Scorecard},
    refusals=(400, 401, 403, 404, 429),
    descriptions={200: "The scorecard."},
)
@per_token
def scorecard() -> Any:
    """`?site=<id|all>&from=YYYY-MM-DD&to=YYYY-MM-DD&service=<id>`: the wait scorecard
    (server/services/scorecard.py), with the statistics' sites and days."""
    client = _client(STATISTICS_READ)
    asked = query(IntegrationScorecardQuery)
    with runtime().db.reading() as session:
        site_ids, first, last = _statistics_scope(session, client, asked)
        card = wait_scorecard.scorecard(session, site_ids, first, last, asked.service)
        return jsonify(card.as_dict())
