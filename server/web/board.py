"""The waiting-room board: which number goes to which counter, and how many wait; and the
clips its voice reads the calls with."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, send_file
from werkzeug.wrappers import Response

from server.adapters.voice import clip_path
from server.domain.announce import announcement_template
from server.domain.roles import DeviceKind
from server.runtime import runtime
from server.services import live_states
from server.web.contract import contract, device
from server.web.identity import request_device
from server.web.schemas import BoardSnapshot

bp = Blueprint("display", __name__)


@bp.get("/board")
def page() -> str:
    return render_template(
        "display/board.html",
        device_token=request.args.get("device", ""),
        announcement_vi=announcement_template("vi"),
        announcement_en=announcement_template("en"),
        announce_repeat=max(0, runtime().config.announce_repeat),
    )


@bp.get("/api/board/snapshot")
@contract(
    "boardSnapshot",
    "board",
    "The waiting-room board: counters, recent calls, queues, the notice line.",
    device(DeviceKind.BOARD),
    answers={200: BoardSnapshot},
    refusals=(401, 403),
    descriptions={200: "The board's snapshot."},
)
def snapshot() -> Any:
    screen = request_device(DeviceKind.BOARD)
    rt = runtime()
    with rt.db.reading() as session:
        # The same as the board's live `state` (server/adapters/realtime.py).
        return jsonify(live_states.board_state(session, screen.site_id, rt.clock()))


@bp.get("/voice/<name>.wav")
def voice_clip(name: str) -> Response:
    """One clip of the board's voice: the centre's own recording, or the built one."""
    path = clip_path(runtime().config.instance_path, name)
    if path is None:
        abort(404)
    # Boards keep a clip for the page's life; an hour's caching only spares the requests of
    # a reload. A replaced clip is heard once the board reloads.
    return send_file(path, mimetype="audio/wav", max_age=3600, conditional=True)
