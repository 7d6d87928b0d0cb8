"""The front page (links to each screen) and a health check for monitoring."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from server.runtime import runtime
from server.web.errors import DISK_FULL, error_body, writes_failing

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home.html")


@bp.get("/healthz")
def health() -> Any:
    """200 `{"ok": true}` while the database answers and writes succeed; 503 with the
    reason when a write has just failed for want of space (a full disk)."""
    with runtime().db.reading() as session:
        session.execute(text("SELECT 1"))
    if writes_failing():
        failing = error_body("storage_full", *DISK_FULL)
        return jsonify({"ok": False, "writes": "failing", **failing}), 503
    return jsonify({"ok": True})
