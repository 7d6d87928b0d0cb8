"""The front page (links to each screen) and a health check for monitoring."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from server.runtime import runtime

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home.html")


@bp.get("/healthz")
def health() -> Any:
    with runtime().db.reading() as session:
        session.execute(text("SELECT 1"))
    return jsonify({"ok": True})
