"""The kiosk: a citizen picks a service (and a priority category, if one applies) and gets
a number, on paper if the kiosk has a printer. Authenticated by the kiosk's device token,
never by a person."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request

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
    ticket["phone_url"], ticket["qr_url"] = _ticket_addresses(issued.token)
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


# A placeholder for a ticket's token in its addresses: URL-safe, as every token is, so that
# url_for quotes neither.
_TOKEN = "0xephangtoken0"
# Hosts a kiosk reached this worker by (one or two in a centre); beyond this, start over.
_MAX_HOSTS = 64


def _ticket_addresses(token: str) -> tuple[str, str]:
    """The ticket's phone page (absolute: what its QR code holds) and its QR code's address,
    as server/web/phone.py makes them. They differ from ticket to ticket only by the token,
    and working them out (request.host_url, two url_for) cost ~0.1-0.2 ms per ticket: done
    once per host, scheme and script root, then filled in."""
    known: dict[tuple[str, str, str], tuple[str, str, str, str]] = (
        current_app.extensions.setdefault("xephang.ticket_addresses", {})
    )
    key = (request.scheme, request.host, request.script_root)
    parts = known.get(key)
    if parts is None:
        page_head, _, page_tail = phone_url(_TOKEN).rpartition(_TOKEN)
        qr_head, _, qr_tail = qr_url(_TOKEN).rpartition(_TOKEN)
        parts = (page_head, page_tail, qr_head, qr_tail)
        if len(known) >= _MAX_HOSTS:
            known.clear()
        known[key] = parts
    page_head, page_tail, qr_head, qr_tail = parts
    return page_head + token + page_tail, qr_head + token + qr_tail
