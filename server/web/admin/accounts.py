"""The staff accounts screen (admins): the list, a form to add or edit an account (a
clerk's counters, a manager's sites), and its buttons to reset the password and to
deactivate or activate it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template, request
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from server.adapters.db.models import User
from server.domain.errors import DomainError
from server.domain.roles import Role
from server.runtime import runtime
from server.services.admin.accounts import (
    UserSettings,
    all_users,
    create_user,
    find_user,
    reset_password,
    set_user_active,
    update_user,
)
from server.services.admin.sites import all_sites
from server.web import forms
from server.web.admin import bp
from server.web.admin.common import Page, admin_only, edit, found, refused, saved
from server.web.identity import StaffUser


def _user_form(user: User | None) -> MultiDict[str, str]:
    if user is None:
        return MultiDict({"role": Role.CLERK.value})
    values: list[tuple[str, str]] = [
        ("username", user.username),
        ("full_name", user.full_name),
        ("role", str(user.role)),
    ]
    values += [("counters", str(c.id)) for c in user.counters]
    values += [("sites", str(s.id)) for s in user.sites]
    return MultiDict(values)


def _user_settings() -> UserSettings:
    return UserSettings(
        username=forms.text("username"),
        full_name=forms.text("full_name"),
        role=forms.choice("role", Role, "vai trò", "role"),
        counter_ids=forms.ids("counters"),
        site_ids=forms.ids("sites"),
    )


def _user_context(session: Session, user_id: int | None) -> dict[str, Any]:
    return {
        "active": "admin",
        "section": "users",
        "user_row": found(find_user(session, user_id)) if user_id is not None else None,
        "sites": all_sites(session),
        "roles": list(Role),
    }


@bp.get("/users")
@login_required
def users() -> str:
    admin_only()
    with runtime().db.reading() as session:
        return render_template(
            "admin/users/list.html", active="admin", section="users", users=all_users(session)
        )


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def user_new() -> Page:
    actor = admin_only()
    return edit(
        "admin/users/form.html",
        lambda session: _user_context(session, None),
        lambda values: _user_form(None),
        lambda: create_user(
            runtime().uow(), actor.id, _user_settings(), request.form.get("password", "")
        ),
        "admin.users",
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> Page:
    actor = admin_only()
    return edit(
        "admin/users/form.html",
        lambda session: _user_context(session, user_id),
        lambda values: _user_form(values["user_row"]),
        lambda: update_user(runtime().uow(), actor.id, user_id, _user_settings()),
        "admin.users",
    )


def _user_action(user_id: int, action: Callable[[StaffUser], None]) -> Page:
    """A button of the user's page (reset the password, deactivate): back to the page,
    with the reason if it was refused."""
    actor = admin_only()
    try:
        action(actor)
    except DomainError as error:
        with runtime().db.reading() as session:
            context = _user_context(session, user_id)
            form = _user_form(context["user_row"])
            return refused(error, "admin/users/form.html", form=form, **context)
    return saved("admin.user_edit", user_id=user_id)


@bp.post("/users/<int:user_id>/password")
@login_required
def user_password(user_id: int) -> Page:
    return _user_action(
        user_id,
        lambda actor: reset_password(
            runtime().uow(), actor.id, user_id, request.form.get("password", "")
        ),
    )


@bp.post("/users/<int:user_id>/active")
@login_required
def user_active(user_id: int) -> Page:
    return _user_action(
        user_id,
        lambda actor: set_user_active(runtime().uow(), actor.id, user_id, forms.checkbox("active")),
    )
