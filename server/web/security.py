"""Hardening: security headers on every response, bodies over the size limit refused before
any view runs, and rate limits on what anyone can reach.

- Headers: a Content-Security-Policy that allows only our own scripts and styles (no inline
  script or style anywhere), no framing, no sniffing, and a Referrer-Policy that never sends
  an address to another site (phone links carry the ticket's token). HSTS only when the
  server is reached over HTTPS (`Config.https_only`).
- Rate limits (Flask-Limiter), declared on the views with the decorators below: ticket
  issuing per kiosk device (its token, not its address: several kiosks may share one),
  lookups of tickets that do not exist per client address (server/web/phone.py: a phone
  following its own ticket is never refused), failed sign-ins per address
  (each username from each address is slowed down further: server/web/sign_in_throttle.py),
  and the integration API per token. Limits come from the app's
  Config, read on every request, so each app (and each test) has its own.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter, Map

from server.config import Config
from server.runtime import runtime
from server.services.credentials import token_hash
from server.web import request_guard
from server.web.identity import DEVICE_HEADER
from server.web.input import MAX_ID

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Same-origin: a phone page's address holds its ticket's token, which must never reach
    # another site in a Referer.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

HSTS = "max-age=31536000"

# One limiter for the process, like the other extensions; init_app binds it to each app.
limiter = Limiter(key_func=get_remote_address)


class SweptMemoryStorage(MemoryStorage):
    """limits' memory storage (what `memory://` means), without the timer thread it starts
    after a hit whenever the previous one has run out (10 ms timers: with kiosks issuing
    seconds apart, a thread, or a green thread under eventlet, for every ticket). Its
    counts need no timer: reading a fixed window's counter drops it once expired, and a
    moving window counts only the hits still in it. The timer only freed the memory of
    expired keys: a hit does that here instead, at most every `SWEEP_SECONDS`."""

    STORAGE_SCHEME = ["xephang+memory"]  # noqa: RUF012 (as limits declares it)
    SWEEP_SECONDS = 10.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._swept = time.monotonic()
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (what each hit calls)
        if time.monotonic() - self._swept < self.SWEEP_SECONDS:
            return
        if self._sweeping.acquire(blocking=False):
            try:
                self._swept = time.monotonic()
                self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            finally:
                self._sweeping.release()


def storage_uri(configured: str) -> str:
    """The storage limits count in: `memory://` is counted by SweptMemoryStorage."""
    if urllib.parse.urlparse(configured).scheme == "memory":
        return "xephang+memory://"
    return configured


def init_app(app: Flask, config: Config) -> None:
    for value in (
        config.ratelimit_issue,
        config.ratelimit_public,
        config.ratelimit_login,
        config.ratelimit_api,
    ):
        parse_many(value)  # a mistyped limit stops the start, not the first citizen
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage_uri(config.ratelimit_storage),
        RATELIMIT_HEADERS_ENABLED=True,  # X-RateLimit-* and Retry-After
        # A limit's storage out of order (Redis down) is logged and lets requests through:
        # it must never stop a kiosk issuing tickets.
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    limiter.init_app(app)
    # Before any route is added: every `<int:…>` of every route uses it.
    app.url_map.converters["int"] = DatabaseId
    app.before_request(_refuse_oversized_body)
    request_guard.init_app(app)
    app.after_request(_security_headers)


@limiter.request_filter
def _monitoring() -> bool:
    # Health checks run every few seconds from one address; they never count.
    return request.endpoint == "home.health"


class DatabaseId(IntegerConverter):
    """`<int:…>` in a route: a number beyond what an id column holds matches no route (a
    404), instead of reaching the database and failing there (an overflow, a 500). Only
    ASCII digits: Werkzeug's `\\d` would take fullwidth or Arabic-Indic digits as well."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Map, **options: Any) -> None:
        super().__init__(url_map, **{"max": MAX_ID, **options})


def _refuse_oversized_body() -> None:
    # Werkzeug refuses a body over MAX_CONTENT_LENGTH only when a view reads it; refuse it
    # up front, so that a view that ignores its body (a cancel) is not run either.
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


# Files served as they are (scripts, styles, sounds) may be cached; everything a view
# makes may hold a token (the kiosk page holds its device's) or a person's data (exports).
CACHEABLE_ENDPOINTS = {"static", "vendor"}


def _security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in CACHEABLE_ENDPOINTS and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    if runtime().config.https_only:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# -- limits, read from the app's Config on every request ---------------------------------


def issue_limit() -> str:
    return runtime().config.ratelimit_issue


def public_limit() -> str:
    return runtime().config.ratelimit_public


def login_limit() -> str:
    return runtime().config.ratelimit_login


def api_limit() -> str:
    return runtime().config.ratelimit_api


# -- who a limit counts -------------------------------------------------------------------


def kiosk_key() -> str:
    """The kiosk device, by a hash of its token (never the token itself, which Redis would
    then hold); a request without a token counts against its address."""
    token = request.headers.get(DEVICE_HEADER)
    if token:
        return f"device:{token_hash(token)}"
    return f"address:{get_remote_address()}"


def api_token_key() -> str:
    """The integration, by a hash of its bearer token (as kiosk_key does for a kiosk); a
    request without one counts against its address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"api-token:{token_hash(token.strip())}"
    return f"address:{get_remote_address()}"


def client_key() -> str:
    return f"address:{get_remote_address()}"


def sign_in_failed(response: Response) -> bool:
    """Only failed sign-ins count (a 401): a whole office signing in each morning from one
    address is never throttled, and an attempt refused while waiting (a 429) adds nothing."""
    return response.status_code == 401
