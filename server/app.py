"""The application factory."""

from __future__ import annotations

import logging

from flask import Flask, abort, jsonify, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from server.adapters.db.engine import Database
from server.adapters.realtime import LivePublisher, socketio
from server.config import PROJECT_ROOT, Config
from server.runtime import Runtime
from server.services.unit_of_work import Clock, Publisher, system_clock
from server.web import errors, i18n, security

# The Socket.IO handlers, before socketio.init_app: a handler declared after it goes to that
# app's server only, and a second app (each test makes one) would lose them all.
from server.web import sockets as _socket_handlers  # noqa: F401
from server.web.contract import PUBLIC, contract
from server.web.identity import csrf, login_manager
from server.web.openapi import document as api_document
from server.web.schemas import OpenApiDocument

# Front-end packages installed by npm (package.json), served from our own server: offices
# lose their internet, so nothing is loaded from a CDN.
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    "socket.io.min.js.map": "socket.io-client/dist/socket.io.min.js.map",
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "chart.umd.min.js.map": "chart.js/dist/chart.umd.min.js.map",
}


def create_app(
    config: Config | None = None,
    publisher: Publisher | None = None,
    clock: Clock = system_clock,
) -> Flask:
    config = config or Config.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config.instance_path),
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        # Over HTTPS only when the public address is HTTPS (XEPHANG_PUBLIC_URL, or
        # XEPHANG_SECURE_COOKIES): a centre's own http://192.168.x.x must keep working.
        SESSION_COOKIE_SECURE=config.https_only,
        REMEMBER_COOKIE_SECURE=config.https_only,
        WTF_CSRF_TIME_LIMIT=None,  # a clerk's screen stays open all day
        JSON_AS_ASCII=False,
        TESTING=config.testing,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    if config.proxies:
        # Behind nginx: phone links in QR codes get the public scheme and host, and logs
        # the citizen's address, not the proxy's.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=config.proxies,
            x_proto=config.proxies,
            x_host=config.proxies,
        )

    db = Database(config.database_url)
    # The real publisher queues what each commit hands it and publishes it in the
    # background (server/adapters/realtime.py); tests may pass a list to collect into.
    if publisher is None:
        publisher = LivePublisher(db, clock, window=config.publish_window_ms / 1000)
    app.extensions["xephang"] = Runtime(config, db, publisher, clock)

    security.init_app(app, config)
    i18n.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    socketio.init_app(
        app,
        async_mode=config.async_mode,
        message_queue=config.message_queue,
        channel=config.message_queue_channel,
        # Same-origin only: screens are served by this server.
        cors_allowed_origins=None,
        # Every screen and the print agent use websockets; long-polling answers would
        # bypass the security headers and only widen what anyone can reach.
        transports=["websocket"],
    )
    errors.register(app)
    _register_blueprints(app)

    @app.get("/vendor/<path:name>")
    def vendor(name: str) -> Response:
        if name not in VENDOR_FILES:
            abort(404)
        return send_from_directory(config.node_modules, VENDOR_FILES[name], max_age=3600)

    @app.get("/api/openapi.json")
    @contract("openapi", "meta", "This document.", PUBLIC, answers={200: OpenApiDocument})
    def openapi_document() -> Response:
        """The JSON API described in OpenAPI 3.1, generated (server/web/openapi.py)."""
        if "openapi" not in app.extensions:
            app.extensions["openapi"] = api_document(app)
        return jsonify(app.extensions["openapi"])

    return app


def _register_blueprints(app: Flask) -> None:
    # The Socket.IO handlers register themselves on the shared SocketIO when imported.
    from server.web import sockets  # noqa: F401
    from server.web.admin import bp as admin_bp
    from server.web.admin.api_tokens import bp as api_tokens_bp
    from server.web.auth import bp as auth_bp
    from server.web.board import bp as display_bp
    from server.web.counter import bp as counter_bp
    from server.web.home import bp as home_bp
    from server.web.integration import bp as integration_bp
    from server.web.kiosk import bp as kiosk_bp
    from server.web.manager import bp as manager_bp
    from server.web.notify import bp as notify_bp
    from server.web.pairing import bp as pairing_bp
    from server.web.phone import bp as phone_bp
    from server.web.printing import bp as printing_bp
    from server.web.rating import bp as rating_bp
    from server.web.reception import bp as reception_bp
    from server.web.staffing import bp as staffing_bp

    for bp in (
        home_bp,
        auth_bp,
        kiosk_bp,
        display_bp,
        counter_bp,
        reception_bp,
        phone_bp,
        notify_bp,
        printing_bp,
        manager_bp,
        rating_bp,
        admin_bp,
        api_tokens_bp,
        integration_bp,
        pairing_bp,
        staffing_bp,
    ):
        app.register_blueprint(bp)
