"""A local stand-in for Zalo's ZNS endpoint (POST /message/template) that checks each
request as Zalo's documentation describes it: the OA's token in an `access_token` header,
a JSON body with `phone` as 84 and nine digits, an approved `template_id`, `template_data`
of strings matching the template's parameters, an optional `tracking_id`; and answers as
Zalo does: HTTP 200 with `error` 0 and `data.msg_id`, or a negative `error`."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PHONE = re.compile(r"^84[35789][0-9]{8}$")


@dataclass
class FakeZns:
    access_token: str = "oa-token"
    # Approved templates: id -> the parameters it takes.
    templates: dict[str, set[str]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)  # forced answers, in order

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                status, answer = fake.answer(self.path, self.headers, raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/message/template"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def answer(self, path: str, headers: Message, raw: bytes) -> tuple[int, Any]:
        # Header names are case-insensitive (urllib sends "Access_token").
        if path != "/message/template":
            return 404, {"error": -1, "message": "not found"}
        if headers.get("access_token") != self.access_token:
            return 200, {"error": -124, "message": "Access token is invalid"}
        if not headers.get("Content-Type", "").startswith("application/json"):
            return 200, {"error": -100, "message": "Content-Type must be application/json"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 200, {"error": -100, "message": "body is not JSON"}
        if not PHONE.match(str(body.get("phone", ""))):
            return 200, {"error": -108, "message": "Phone number is invalid"}
        params = self.templates.get(str(body.get("template_id")))
        if params is None:
            return 200, {"error": -109, "message": "Template id is invalid"}
        data = body.get("template_data")
        if not isinstance(data, dict) or not params <= set(data):
            return 200, {"error": -131, "message": "Template data is invalid"}
        if not all(isinstance(v, str) for v in data.values()):
            return 200, {"error": -131, "message": "Template data must be strings"}
        if self.errors:
            code = self.errors.pop(0)
            return 200, {"error": code, "message": "forced"}
        self.received.append(body)
        return 200, {
            "error": 0,
            "message": "Success",
            "data": {
                "msg_id": f"zns{len(self.received)}",
                "sent_time": "1700000000000",
                "quota": {"dailyQuota": "500", "remainingQuota": str(500 - len(self.received))},
            },
        }

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
