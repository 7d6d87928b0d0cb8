"""The administration screens, one module per thing an administrator sets up: sites,
services (and the target minutes managers set), counters, staff accounts, devices and
integration API tokens (api_tokens.py, its own blueprint under /admin/api-tokens); for
managers and admins, the audit log and a ticket's history (history.py). What the screens
share is in common.py.

Each view parses the form, checks the role, calls a use case of server/services/admin/ (or
devices, api_tokens) and renders. Forms post back to their own address with their CSRF
token; a refused change shows the form again, as it was typed, with the reason and a 4xx
status, and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_login import login_required

from server.runtime import runtime
from server.services.admin.common import entity_counts
from server.web.admin.common import admin_only

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def local_time(moment: datetime | None, zone: str) -> str:
        return "" if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%d/%m %H:%M")

    return {"local_time": local_time}


@bp.get("")
@login_required
def index() -> str:
    admin_only()
    with runtime().db.reading() as session:
        counts = entity_counts(session)
    return render_template("admin/index.html", active="admin", section="index", counts=counts)


# Each screen's module adds its routes to `bp` when imported.
from server.web.admin import accounts, counters, devices, history, services, sites  # noqa: E402, F401
