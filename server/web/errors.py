"""Every error a client can get, as JSON with a message in Vietnamese and English.

Domain errors carry their own kind; HTTP errors (malformed JSON, a body too large, an
unknown URL, a rate limit reached) and CSRF failures are turned into the same shape. Under
/api nothing ever answers with an HTML page, and an unexpected exception answers a JSON 500
that is logged.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, StatementError
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


# What a page (not the API) says for the errors a person may meet while browsing.
PAGE_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ.", "Bad request."),
    403: ("Bạn không có quyền xem trang này.", "You may not see this page."),
    404: ("Không tìm thấy trang này.", "This page does not exist."),
    405: ("Trang này không nhận thao tác đó.", "This page does not take that action."),
    413: ("Dữ liệu gửi lên quá lớn.", "The request body is too large."),
}


# When a write last failed for want of space (time.monotonic()): /healthz reports it for
# WRITE_FAILURE_SECONDS, so that monitoring sees the disk is full while the kiosks do.
WRITE_FAILURE_SECONDS = 60.0
_last_write_failure: float | None = None

FULL_MESSAGES = ("database or disk is full", "no space left on device", "disk full")


def is_disk_full(error: OperationalError) -> bool:
    """SQLite's SQLITE_FULL, PostgreSQL's DiskFull (53100), or the OS's ENOSPC."""
    text = str(error.orig).lower()
    return getattr(error.orig, "sqlstate", None) == "53100" or any(
        words in text for words in FULL_MESSAGES
    )


def writes_failing() -> bool:
    """Whether a write failed for want of space in the last WRITE_FAILURE_SECONDS."""
    failed = _last_write_failure
    return failed is not None and time.monotonic() - failed < WRITE_FAILURE_SECONDS


DISK_FULL = (
    "Máy chủ hết chỗ lưu trữ, tạm thời không ghi được. Vui lòng báo cán bộ kỹ thuật.",
    "The server is out of storage space and cannot record anything for now; "
    "please tell the technical staff.",
)


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
        status = error.code or 500
        if not _wants_json():
            # A person's screen: our page in Vietnamese first, never Werkzeug's English one.
            if status in PAGE_MESSAGES:
                vi, en = PAGE_MESSAGES[status]
                return render_template("error.html", message_vi=vi, message_en=en), status
            return error
        vi, en = HTTP_MESSAGES.get(status, (error.name, error.name))
        return jsonify(error_body(error.name.lower().replace(" ", "_"), vi, en)), status

    @app.errorhandler(OverflowError)
    def out_of_range(error: OverflowError) -> Any:
        # A date or number from the request beyond what Python's dates can hold (the day
        # after 9999-12-31): the request's fault, not the server's.
        return jsonify(
            error_body(
                "out_of_range",
                "Ngày hoặc số gửi lên nằm ngoài khoảng cho phép.",
                "A date or number in the request is out of range.",
            )
        ), 400

    @app.errorhandler(StatementError)
    def statement_error(error: StatementError) -> Any:
        # SQLAlchemy wraps what fails while binding a value: an overflowing date there.
        if isinstance(error.orig, OverflowError):
            return out_of_range(error.orig)
        return unexpected(error)

    @app.errorhandler(OperationalError)
    def database_error(error: OperationalError) -> Any:
        if not is_disk_full(error):
            return unexpected(error)
        global _last_write_failure
        _last_write_failure = time.monotonic()
        log.error("a write failed, the disk is full: %s", error.orig)
        return jsonify(error_body("storage_full", *DISK_FULL)), 503

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
