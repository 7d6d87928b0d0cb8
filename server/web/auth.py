"""Staff sign-in and sign-out."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_limiter import RequestLimit, RouteLimit
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.domain.roles import Role
from server.web.identity import authenticate
from server.web.security import client_key, limiter, login_limit, sign_in_failed, username_key

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("Tên đăng nhập", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Mật khẩu", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never redirect a clerk to another host after sign-in.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


def _too_many_failures(limit: RequestLimit) -> Response:
    """The sign-in form again, saying when to try next, instead of an error page."""
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    error = gettext(
        "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau %(minutes)s phút.", minutes=minutes
    )
    return make_response(render_template("auth/login.html", form=LoginForm(), error=error), 429)


def _failed_sign_ins(per: Callable[[], str]) -> RouteLimit:
    return limiter.limit(
        login_limit,
        key_func=per,
        methods=["POST"],
        deduct_when=sign_in_failed,
        on_breach=_too_many_failures,
    )


@bp.route("/login", methods=["GET", "POST"])
# Per address and per username: guessing passwords is slowed down from one machine and
# against one account alike.
@_failed_sign_ins(client_key)
@_failed_sign_ins(username_key)
def login() -> Any:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            home = url_for("counter.choose") if user.role == Role.CLERK else url_for("home.index")
            return redirect(_safe_next(request.args.get("next")) or home)
        error = gettext("Sai tên đăng nhập hoặc mật khẩu.")
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    return redirect(url_for("auth.login"))
