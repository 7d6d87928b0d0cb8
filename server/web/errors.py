"""Every error a client can get, as JSON with a message in Vietnamese and English.

Domain errors carry their own kind; HTTP errors (malformed JSON, a body too large, an
unknown URL, a rate limit reached) and CSRF failures are turned into the same shape. Under
/api nothing ever answers with an HTML page, and an unexpected exception answers a JSON 500
that is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, TooManyRequests

from server.domain.errors import DomainError, ErrorKind

log = logging.getLogger(__name__)

STATUS: dict[ErrorKind, int] = {
    "invalid": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
}

HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ.", "Bad request."),
    401: ("Vui lòng đăng nhập.", "Please sign in."),
    403: ("Bạn không có quyền làm việc này.", "You may not do this."),
    404: ("Không tìm thấy.", "Not found."),
    405: ("Phương thức không được hỗ trợ.", "Method not allowed."),
    413: ("Dữ liệu gửi lên quá lớn.", "The request body is too large."),
    415: ("Dữ liệu phải ở dạng JSON.", "The body must be JSON."),
    429: ("Quá nhiều yêu cầu, vui lòng thử lại sau.", "Too many requests, try again later."),
}


def error_body(code: str, message_vi: str, message_en: str) -> dict[str, Any]:
    return {"error": code, "message": message_vi, "message_en": message_en}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def register(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> tuple[Response, int]:
        return jsonify(error_body(error.code, error.message_vi, error.message_en)), STATUS[
            error.kind
        ]

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response, int] | CSRFError:
        return jsonify(
            error_body(
                "csrf",
                "Phiên làm việc đã hết hạn, vui lòng tải lại trang.",
                "The session token is missing or expired; reload the page.",
            )
        ), 400

    @app.errorhandler(TooManyRequests)
    def too_many_requests(error: TooManyRequests) -> Any:
        # A rate limit (server/security.py): JSON for the API, a page a person can read for
        # a screen, or the page the view chose itself (the sign-in form says when to retry).
        vi, en = HTTP_MESSAGES[429]
        if _wants_json():
            return jsonify(error_body("too_many_requests", vi, en)), 429
        if error.response is not None:
            return error.response
        return render_template("error.html", message_vi=vi, message_en=en), 429

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if not _wants_json():
            return error
        status = error.code or 500
        vi, en = HTTP_MESSAGES.get(status, (error.name, error.name))
        return jsonify(error_body(error.name.lower().replace(" ", "_"), vi, en)), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify(
            error_body(
                "internal",
                "Lỗi hệ thống, vui lòng thử lại hoặc báo cán bộ.",
                "Internal error; please try again or tell staff.",
            )
        ), 500
