"""The kiosk: a citizen picks a service (and a priority category, if one applies) and gets
a number, on paper if the kiosk has a printer. Authenticated by the kiosk's device token,
never by a person."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, render_template, request

from server.adapters.printing import spooler
from server.domain.printing import PrinterStatus
from server.domain.roles import DeviceKind
from server.domain.tickets import Channel
from server.runtime import runtime
from server.services import printing, snapshots
from server.services.tickets import issue_ticket
from server.web.contract import body, contract, device
from server.web.identity import csrf, issuing_kiosk, request_device
from server.web.jsonify import plain
from server.web.phone import phone_url, qr_url
from server.web.schemas import KioskIssued, NewTicket, QueueSnapshot
from server.web.security import issue_limit, kiosk_key, limiter

log = logging.getLogger(__name__)

bp = Blueprint("kiosk", __name__)


@bp.get("/kiosk")
def page() -> str:
    return render_template("kiosk/index.html", device_token=request.args.get("device", ""))


@bp.get("/api/kiosk/snapshot")
@contract(
    "kioskSnapshot",
    "kiosk",
    "The kiosk's buttons: active services with their queues, and priority categories.",
    device(DeviceKind.KIOSK),
    answers={200: QueueSnapshot},
    refusals=(401, 403),
    descriptions={200: "The kiosk's snapshot."},
)
def snapshot() -> Any:
    device = request_device(DeviceKind.KIOSK)
    with runtime().db.reading() as session:
        return jsonify(snapshots.kiosk(session, device.site_id, runtime().clock()))


@bp.post("/api/kiosk/tickets")
@contract(
    "kioskIssueTicket",
    "kiosk",
    "Issue a ticket (and print it, if the kiosk has a printer).",
    device(DeviceKind.KIOSK),
    body=NewTicket,
    answers={201: KioskIssued},
    refusals=(400, 401, 403, 404, 409, 413, 429),
    descriptions={201: "The ticket, and how printing went as far as known."},
)
@csrf.exempt  # authenticated by the device token header, which a browser never sends by itself
@limiter.limit(issue_limit, key_func=kiosk_key)  # per device: a leaked token cannot flood a queue
def issue() -> Any:
    kiosk = issuing_kiosk()
    wanted = body(NewTicket)
    issued = issue_ticket(
        runtime().uow(),
        site_id=kiosk.site_id,
        service_id=wanted.service_id,
        priority=wanted.priority,
        channel=Channel.KIOSK,
        device_id=kiosk.id,
        device_token_hash=kiosk.token_hash,  # checked again as the ticket is issued
    )
    ticket = plain(issued)
    ticket["phone_url"] = phone_url(issued.token)
    ticket["qr_url"] = qr_url(issued.token)
    # The ticket is committed: whatever happens to its paper now, the citizen must get the
    # number, so no failure of printing may turn this answer into an error.
    rt = runtime()
    try:
        order = None
        if kiosk.has_printer:
            order = printing.print_ticket(rt.uow(), kiosk.id, issued, phone_url)
        outcome = spooler.dispatch(rt, order)
    except Exception as error:
        log.exception("printing ticket %s failed", issued.number)
        outcome = spooler.PrintOutcome(None, "failed", PrinterStatus.ERROR, type(error).__name__)
    return jsonify({"ticket": ticket, "printing": outcome.json()}), 201
