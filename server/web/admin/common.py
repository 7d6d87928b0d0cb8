"""What the admin screens share: who may see them, an edit form's GET and POST, and how a
refused or saved change is answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from server.domain.errors import DomainError
from server.domain.roles import Role
from server.runtime import runtime
from server.web.errors import STATUS
from server.web.identity import StaffUser, staff

Page = str | Response | tuple[str, int]
Row = TypeVar("Row")


def admin_only() -> StaffUser:
    """The signed-in administrator; 403 for anyone else."""
    user = staff()
    if user.role != Role.ADMIN:
        abort(403)
    return user


def managers_only() -> StaffUser:
    """The signed-in manager or administrator; 403 for a clerk."""
    user = staff()
    if user.role not in (Role.ADMIN, Role.MANAGER):
        abort(403)
    return user


def found(row: Row | None) -> Row:
    """The row a page is about; 404 when there is none."""
    if row is None:
        abort(404)
    return row


def refused(error: DomainError, template: str, **context: Any) -> tuple[str, int]:
    """The form again, as it was sent, with the reason it was refused."""
    return render_template(template, error=error, **context), STATUS[error.kind]


def saved(endpoint: str, **values: Any) -> Response:
    flash("saved")
    return redirect(url_for(endpoint, **values), 303)


def hhmm(value: time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def edit(
    template: str,
    context: Callable[[Session], dict[str, Any]],
    initial: Callable[[dict[str, Any]], MultiDict[str, str]],
    save: Callable[[], object],
    done: str,
) -> Page:
    """An edit form: on GET the form filled from the row; on POST the use case `save`,
    then back to the list `done`, or the form again as sent with why it was refused."""
    if request.method == "POST":
        try:
            save()
        except DomainError as error:
            with runtime().db.reading() as session:
                return refused(error, template, form=request.form, **context(session))
        return saved(done)
    with runtime().db.reading() as session:
        values = context(session)
        return render_template(template, form=initial(values), **values)
