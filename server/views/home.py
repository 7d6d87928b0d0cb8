"""The front page (links to each screen), the managers' live overview API, and a health
check for monitoring."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from server.auth import json_login_required, require_roles
from server.domain.roles import Role
from server.runtime import runtime
from server.services import snapshots

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home.html")


@bp.get("/healthz")
def health() -> Any:
    with runtime().db.reading() as session:
        session.execute(text("SELECT 1"))
    return jsonify({"ok": True})


@bp.get("/api/sites/<int:site_id>/overview")
@json_login_required
def overview(site_id: int) -> Any:
    require_roles(Role.ADMIN, Role.MANAGER)
    with runtime().db.reading() as session:
        return jsonify(snapshots.manager(session, site_id))
