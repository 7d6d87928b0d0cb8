"""The citizen's phone page, reached by the QR code on the ticket. The ticket's random
token is the only credential; the page shows no personal data because none is kept."""

from __future__ import annotations

import io
import re
from typing import Any

import segno
from flask import Blueprint, Response, g, jsonify, render_template, request, send_file, url_for
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.adapters.db.models import Ticket
from server.config import PROJECT_ROOT
from server.domain.errors import NotFound
from server.runtime import runtime
from server.services import snapshots
from server.services.access import open_ticket_by_token
from server.services.tickets import cancel_by_citizen
from server.web.contract import TICKET_HOLDER, contract
from server.web.identity import csrf
from server.web.schemas import TOKEN_PATTERN, PhoneCancelled, PhoneSnapshot, Token
from server.web.security import client_key, limiter, public_limit

bp = Blueprint("phone", __name__)

TOKEN = re.compile(TOKEN_PATTERN)


def _following_a_ticket() -> bool:
    """A request for a ticket that exists: its holder following it is never refused, however
    many phones share the centre's Wi-Fi address. (Remembered for `_guessed`.)"""
    token = (request.view_args or {}).get("token")
    known = False
    if isinstance(token, str) and TOKEN.match(token):
        with runtime().db.reading() as session:
            known = (
                session.scalar(select(Ticket.id).where(Ticket.token == token).limit(1)) is not None
            )
    g.unknown_ticket = not known
    return known


def _guessed(response: Response) -> bool:
    """A lookup of a ticket that does not exist counts (a refusal adds nothing)."""
    return bool(g.get("unknown_ticket", True)) and response.status_code != 429


# What the public limit guards is guessing: the page, the snapshot, the QR and the cancel
# of tickets that do not exist share one allowance per address.
phone_limit = limiter.shared_limit(
    public_limit,
    scope="phone",
    key_func=client_key,
    exempt_when=_following_a_ticket,
    deduct_when=_guessed,
)


class TicketPath(BaseModel):
    token: Token = Field(description="The ticket's token: the phone page's only credential.")


def _checked(token: str) -> str:
    if not TOKEN.match(token):
        raise NotFound("Không tìm thấy số thứ tự này.", "This ticket was not found.")
    return token


def phone_url(token: str) -> str:
    """The absolute address the QR code encodes. XEPHANG_PUBLIC_URL sets the host that
    phones on the centre's Wi-Fi can reach; otherwise the host the kiosk used."""
    base = runtime().config.public_url or request.host_url
    return base.rstrip("/") + url_for("phone.page", token=token)


def qr_url(token: str) -> str:
    return url_for("phone.qr", token=token)


@bp.get("/t/<token>")
@phone_limit
def page(token: str) -> str:
    return render_template(
        "phone/ticket.html",
        token=_checked(token),
        notify_ahead=max(0, runtime().config.notify_ahead),
        messages_on=runtime().config.notify_channel is not None,
    )


@bp.get("/t/sw.js")
def service_worker() -> Response:
    """The phone page's service worker (its notifications on Android), served under /t/ so
    that it may cover the ticket pages."""
    return send_file(PROJECT_ROOT / "static" / "js" / "phone-sw.js", mimetype="text/javascript")


@bp.get("/t/<token>/qr.svg")
@phone_limit
def qr(token: str) -> Response:
    with runtime().db.reading() as session:
        open_ticket_by_token(session, _checked(token))  # 404 for a token with no ticket
    out = io.BytesIO()
    segno.make(phone_url(token), error="m").save(out, kind="svg", scale=8, border=2)
    return Response(out.getvalue(), mimetype="image/svg+xml")


@bp.get("/api/tickets/<token>")
@contract(
    "phoneSnapshot",
    "phone",
    "The citizen's ticket: its state, people ahead, estimated wait.",
    TICKET_HOLDER,
    path=TicketPath,
    answers={200: PhoneSnapshot},
    refusals=(404, 429),
    descriptions={200: "The ticket."},
)
@phone_limit
def snapshot(token: str) -> Any:
    with runtime().db.reading() as session:
        return jsonify(snapshots.ticket(session, _checked(token), runtime().clock()))


@bp.post("/api/tickets/<token>/cancel")
@contract(
    "phoneCancel",
    "phone",
    "The citizen gives up their ticket (waiting or called).",
    TICKET_HOLDER,
    path=TicketPath,
    answers={200: PhoneCancelled},
    refusals=(404, 409, 413, 429),
    descriptions={200: "Cancelled."},
)
@csrf.exempt  # the token in the address is the credential; no cookie is involved
@phone_limit
def cancel(token: str) -> Any:
    result = cancel_by_citizen(runtime().uow(), _checked(token))
    return jsonify({"ticket": {"number": result.number, "status": result.status.value}})
