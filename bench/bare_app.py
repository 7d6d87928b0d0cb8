"""The bare baseline for bench/issue.py: the least a Flask-SocketIO server can do per ticket.

    .venv/bin/python bench/bare_app.py --port 8100 --db /tmp/bare.db

Same server stack as `xephang serve` (eventlet monkey-patched first, Flask 3, Flask-SocketIO
5 with async_mode="eventlet", `socketio.run(..., log_output=False)`), and the same SQLite
settings as server/db.py (WAL, busy_timeout 10 s, foreign_keys on, synchronous=NORMAL, the
write transaction begun IMMEDIATE). `POST /api/kiosk/tickets {service_id}` does exactly
one INSERT in its own transaction and one `emit("change", ...)` to a room, and answers 201
with a small JSON ticket. No authentication, no ORM, no numbering: XepHang's kiosk path
divided by this one is the project's overhead. Boards may connect (any auth) and join the
room. Started and stopped by bench/issue.py; listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import warnings

if __name__ == "__main__":  # as a server: patch before anything else is imported
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()

import secrets
import sqlite3
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room

ROOM = "board:1"


def create(db_path: str, async_mode: str = "eventlet") -> tuple[Flask, SocketIO]:
    """The app; bench/issue.py also builds it in-process (async_mode="threading") to count
    its CPU time per request without HTTP."""
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode=async_mode, cors_allowed_origins=None)
    # One connection for the process: eventlet runs one request at a time between
    # blocking points, and sqlite3 calls never yield, so no two greenlets share it at once.
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, service_id INTEGER NOT"
        " NULL, token TEXT NOT NULL, issued_at TEXT NOT NULL)"
    )

    @app.get("/healthz")
    def health() -> Any:
        return jsonify({"ok": True})

    @app.post("/api/kiosk/tickets")
    def issue() -> Any:
        body = request.get_json()
        service_id = int(body["service_id"])
        token = secrets.token_urlsafe(16)
        now = datetime.now(UTC).isoformat()
        db.execute("BEGIN IMMEDIATE")
        try:
            ticket_id = db.execute(
                "INSERT INTO tickets (service_id, token, issued_at) VALUES (?, ?, ?)",
                (service_id, token, now),
            ).lastrowid
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        ticket = {"id": ticket_id, "service_id": service_id, "issued_at": now}
        socketio.emit(
            "change", {"seq": ticket_id, "kind": "ticket_issued", "ticket": ticket}, to=ROOM
        )
        return jsonify({"ticket": {**ticket, "token": token}}), 201

    def connect(auth: Any = None) -> None:
        join_room(ROOM)

    socketio.on_event("connect", connect)

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    app, socketio = create(args.db)
    socketio.run(
        app, host="127.0.0.1", port=args.port, allow_unsafe_werkzeug=True, log_output=False
    )


if __name__ == "__main__":
    main()
