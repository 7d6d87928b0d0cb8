"""Staff sign-in and sign-out."""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.domain.roles import Role
from server.runtime import runtime
from server.services import sessions
from server.services.counters import leave_counters
from server.web import sign_in_throttle
from server.web.identity import authenticate
from server.web.security import client_key, limiter, login_limit, sign_in_failed

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Tên đăng nhập", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never redirect a clerk to another host after sign-in. Browsers
    # drop tabs and newlines from a Location and read "\\" as "/", so "/\t/evil.example"
    # would become "//evil.example": refuse any such character outright.
    if not target or any(c == "\\" or c.isspace() or not c.isprintable() for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def _too_many_failures(limit: RequestLimit) -> Response:
    """The sign-in form again, saying when to try next, instead of an error page."""
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    error = gettext(
        "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau %(minutes)s phút.", minutes=minutes
    )
    return make_response(render_template("auth/login.html", form=LoginForm(), error=error), 429)


def _wait(form: LoginForm, seconds: int) -> Response:
    """The sign-in form again, saying how long this address must wait for this name."""
    if seconds < 60:
        error = gettext(
            "Đăng nhập sai nhiều lần, vui lòng chờ %(seconds)s giây rồi thử lại.", seconds=seconds
        )
    else:
        error = gettext(
            "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau %(minutes)s phút.",
            minutes=math.ceil(seconds / 60),
        )
    response = make_response(render_template("auth/login.html", form=form, error=error), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.route("/login", methods=["GET", "POST"])
# Failed sign-ins from one address are limited (a flood from one machine); each username
# from each address is slowed down further (server/web/sign_in_throttle.py), so that
# nobody can lock a clerk out from elsewhere.
@limiter.limit(
    login_limit,
    key_func=client_key,
    methods=["POST"],
    deduct_when=sign_in_failed,
    on_breach=_too_many_failures,
)
def login() -> Any:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        username = form.username.data or ""
        wait = sign_in_throttle.seconds_to_wait(username)
        if wait:
            return _wait(form, wait)
        user = authenticate(username, form.password.data or "")
        if user is None:
            sign_in_throttle.failed(username)
        else:
            sign_in_throttle.succeeded(username)
            login_user(user)
            home = url_for("home.index")
            if user.role == Role.CLERK:
                home = url_for("counter.choose")
            elif user.role == Role.MANAGER:
                home = url_for("manager.hall")  # the live hall is a manager's landing page
            return redirect(_safe_next(request.args.get("next")) or home)
        error = gettext("Sai tên đăng nhập hoặc mật khẩu.")
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        leave_counters(runtime().uow(), current_user.id)  # nobody is called to an empty desk
        # Signing out ends the account's sessions everywhere: a copy of this cookie, or
        # another browser still signed in, no longer works either.
        with runtime().uow() as uow:
            sessions.end_sessions(uow.session, current_user.id)
            uow.commit()
    logout_user()
    return redirect(url_for("auth.login"))
