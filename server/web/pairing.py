"""A new screen registers itself: it opens /pair (typed in, or from the QR the admin's page
shows), sends the one-time code, receives its token once and goes to its screen, which
keeps the token. No one signs in on a kiosk, a board or a rating tablet."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from server.domain.errors import DomainError
from server.domain.roles import DeviceKind
from server.runtime import runtime
from server.services import devices
from server.web.errors import STATUS
from server.web.security import client_key, limiter

bp = Blueprint("pairing", __name__)

# Per address: 31^8 codes valid 15 minutes cannot be guessed at this pace, and an installer
# mistyping a few times is never locked out for long.
PAIR_LIMIT = "10 per minute;60 per hour"

SCREENS = {
    DeviceKind.KIOSK: "kiosk.page",
    DeviceKind.BOARD: "display.page",
    DeviceKind.RATING: "rating.page",
}


@bp.get("/pair")
def pair() -> str:
    code = devices.normalized_code(request.args.get("code", ""))[: devices.PAIRING_LENGTH]
    return render_template("admin/pair.html", code=code, error=None)


@bp.post("/pair")
@limiter.limit(PAIR_LIMIT, key_func=client_key)
def pair_submit() -> Any:
    code = request.form.get("code", "")[:64]
    try:
        paired = devices.pair_device(runtime().uow(), code)
    except DomainError as error:
        page = render_template("admin/pair.html", code=code, error=error)
        return page, STATUS[error.kind]
    # The screen keeps the token it finds in ?device= (in the browser's storage).
    return redirect(url_for(SCREENS[paired.kind], device=paired.token), 303)
