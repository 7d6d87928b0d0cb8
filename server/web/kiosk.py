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
from server.domain.tickets import Channel, Priority
from server.runtime import runtime
from server.services import printing, snapshots
from server.services.tickets import issue_ticket
from server.web.identity import csrf, request_device
from server.web.input import enum_field, json_body, required_id
from server.web.jsonify import plain
from server.web.phone import phone_url, qr_url
from server.web.security import issue_limit, kiosk_key, limiter

log = logging.getLogger(__name__)

bp = Blueprint("kiosk", __name__)


@bp.get("/kiosk")
def page() -> str:
    return render_template("kiosk/index.html", device_token=request.args.get("device", ""))


@bp.get("/api/kiosk/snapshot")
def snapshot() -> Any:
    device = request_device(DeviceKind.KIOSK)
    with runtime().db.reading() as session:
        return jsonify(snapshots.kiosk(session, device.site_id))


@bp.post("/api/kiosk/tickets")
@csrf.exempt  # authenticated by the device token header, which a browser never sends by itself
@limiter.limit(issue_limit, key_func=kiosk_key)  # per device: a leaked token cannot flood a queue
def issue() -> Any:
    device = request_device(DeviceKind.KIOSK)
    body = json_body()
    issued = issue_ticket(
        runtime().uow(),
        site_id=device.site_id,
        service_id=required_id(body, "service_id"),
        priority=enum_field(body, "priority", Priority),
        channel=Channel.KIOSK,
        device_id=device.id,
    )
    ticket = plain(issued)
    ticket["phone_url"] = phone_url(issued.token)
    ticket["qr_url"] = qr_url(issued.token)
    # The ticket is committed: whatever happens to its paper now, the citizen must get the
    # number, so no failure of printing may turn this answer into an error.
    rt = runtime()
    try:
        order = None
        if device.has_printer:
            order = printing.print_ticket(rt.uow(), device.id, issued.ticket_id, phone_url)
        outcome = spooler.dispatch(rt, order)
    except Exception as error:
        log.exception("printing ticket %s failed", issued.number)
        outcome = spooler.PrintOutcome(None, "failed", PrinterStatus.ERROR, type(error).__name__)
    return jsonify({"ticket": ticket, "printing": outcome.json()}), 201
