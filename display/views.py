"""The waiting-room board: which number goes to which counter, and how many wait."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from display.announce import announcement_template
from server.auth import request_device
from server.domain.roles import DeviceKind
from server.runtime import runtime
from server.services import snapshots

bp = Blueprint("display", __name__)


@bp.get("/board")
def page() -> str:
    return render_template(
        "display/board.html",
        device_token=request.args.get("device", ""),
        announcement_vi=announcement_template("vi"),
        announcement_en=announcement_template("en"),
    )


@bp.get("/api/board/snapshot")
def snapshot() -> Any:
    device = request_device(DeviceKind.BOARD)
    rt = runtime()
    with rt.db.reading() as session:
        return jsonify(snapshots.board(session, device.site_id, rt.clock()))
