"""The reception screen: a guide (any staff member of the site) issues a number for a
citizen, with the priority category they checked, printed on a kiosk's printer or shown
with its QR code on the guide's screen."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request
from flask_login import login_required
from pydantic import BaseModel, Field

from server.adapters.db.models import Site
from server.adapters.printing import spooler
from server.domain.printing import PrinterStatus
from server.domain.roles import Role
from server.runtime import runtime
from server.services import printing, reception, snapshots
from server.web.contract import Relation, body, contract
from server.web.contract import staff as staff_access
from server.web.identity import json_login_required, staff
from server.web.input import Id
from server.web.jsonify import plain
from server.web.phone import phone_url, qr_url
from server.web.schemas import KioskIssued, ReceptionSnapshot, ReceptionTicket

log = logging.getLogger(__name__)

bp = Blueprint("reception", __name__)

GUIDES = staff_access(Role.MANAGER, Role.CLERK, of=Relation.SITE)


class SitePath(BaseModel):
    site_id: Id = Field(description="The site's id.")


@bp.get("/reception")
@login_required
def page() -> str:
    """The guide's screen for one site (`?site=`; by default the first they work at)."""
    with runtime().db.reading() as session:
        sites = reception.reception_sites(session, staff().id)
        chosen = request.args.get("site", type=int) or (sites[0].id if sites else None)
        site = next((s for s in sites if s.id == chosen), None)
        if chosen is not None and site is None:
            abort(404 if session.get(Site, chosen) is None else 403)
        return render_template(
            "reception/index.html",
            site=site,
            sites=[{"id": s.id, "name": s.name} for s in sites],
        )


@bp.get("/api/reception/sites/<int:site_id>")
@contract(
    "receptionSnapshot",
    "reception",
    "The reception screen: the site's services with their queues and whether they give "
    "a number now, the priority categories, the kiosks with a printer.",
    GUIDES,
    path=SitePath,
    answers={200: ReceptionSnapshot},
    refusals=(401, 403, 404),
    descriptions={200: "The reception's snapshot."},
)
@json_login_required
def snapshot(site_id: int) -> Any:
    rt = runtime()
    with rt.db.reading() as session:
        reception.require_reception_site(session, staff().id, site_id)
        return jsonify(
            {
                **snapshots.kiosk(session, site_id, rt.clock()),
                "printers": reception.printer_list(session, site_id),
            }
        )


@bp.post("/api/reception/sites/<int:site_id>/tickets")
@contract(
    "receptionIssueTicket",
    "reception",
    "Issue a number for a citizen at reception (channel `staff`), printed on the chosen "
    "kiosk's printer or shown on screen.",
    GUIDES,
    path=SitePath,
    body=ReceptionTicket,
    answers={201: KioskIssued},
    refusals=(400, 401, 403, 404, 409, 413),
    descriptions={201: "The ticket, and how printing went as far as known."},
)
@json_login_required
def issue(site_id: int) -> Any:
    guide = staff()
    wanted = body(ReceptionTicket)
    rt = runtime()
    issued = reception.issue_for_citizen(
        rt.uow(), guide.id, site_id, wanted.service_id, wanted.priority, wanted.device_id
    )
    ticket = plain(issued)
    ticket["phone_url"] = phone_url(issued.token)
    ticket["qr_url"] = qr_url(issued.token)
    # As at the kiosk: the ticket is committed, so no printing failure may turn this
    # answer into an error; the screen shows the number whatever happens to the paper.
    try:
        order = None
        if wanted.device_id is not None:
            order = printing.print_ticket(rt.uow(), wanted.device_id, issued, phone_url)
        outcome = spooler.dispatch(rt, order)
    except Exception as error:
        log.exception("printing ticket %s at reception failed", issued.number)
        outcome = spooler.PrintOutcome(None, "failed", PrinterStatus.ERROR, type(error).__name__)
    return jsonify({"ticket": ticket, "printing": outcome.json()}), 201
