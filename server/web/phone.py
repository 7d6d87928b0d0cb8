"""The citizen's phone page, reached by the QR code on the ticket. The ticket's random
token is the only credential; the page shows no personal data because none is kept."""

from __future__ import annotations

import io
import re
from typing import Any

import segno
from flask import Blueprint, Response, jsonify, render_template, request, send_file, url_for

from server.config import PROJECT_ROOT
from server.domain.errors import NotFound
from server.runtime import runtime
from server.services import snapshots
from server.services.access import open_ticket_by_token
from server.services.tickets import cancel_by_citizen
from server.web.identity import csrf
from server.web.security import phone_limit

bp = Blueprint("phone", __name__)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,64}$")


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
@phone_limit
def snapshot(token: str) -> Any:
    with runtime().db.reading() as session:
        return jsonify(snapshots.ticket(session, _checked(token)))


@bp.post("/api/tickets/<token>/cancel")
@csrf.exempt  # the token in the address is the credential; no cookie is involved
@phone_limit
def cancel(token: str) -> Any:
    result = cancel_by_citizen(runtime().uow(), _checked(token))
    return jsonify({"ticket": {"number": result.number, "status": result.status.value}})
