"""The administrator's page of integration API tokens: the list (never a token's value),
a form to create one (its scopes ticked one by one, its site), which shows the new token
this once, and a revoke button per token. Administrators only. Its own blueprint,
`api_tokens`, under /admin/api-tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from server.domain.errors import DomainError
from server.runtime import runtime
from server.services import api_tokens
from server.services.admin.sites import all_sites
from server.web import forms
from server.web.admin.common import admin_only
from server.web.errors import STATUS

bp = Blueprint("api_tokens", __name__, url_prefix="/admin/api-tokens")

REVOKED = "api_token_revoked"
# Times are shown in the centres' time zone (every site of a province shares it).
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _shown(moment: datetime | None) -> str:
    return "–" if moment is None else moment.astimezone(ZONE).strftime("%d/%m/%Y %H:%M")


def _page(
    status: int = 200,
    created: api_tokens.CreatedToken | None = None,
    error: DomainError | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    with runtime().db.reading() as session:
        page = render_template(
            "admin/api_tokens.html",
            active="admin",
            section="api_tokens",
            tokens=api_tokens.list_tokens(session),
            sites=all_sites(session),
            scopes=api_tokens.SCOPES,
            created=created,
            error=error,
            form=form or {},
            shown=_shown,
        )
    # The page may hold a new token: never kept by the browser's cache or a proxy.
    return Response(page, status, headers={"Cache-Control": "no-store"})


@bp.get("")
@login_required
def index() -> Response:
    admin_only()
    return _page()


@bp.post("")
@login_required
def create() -> Response:
    actor = admin_only()
    try:
        created = api_tokens.create(
            runtime().uow(),
            forms.text("name"),
            request.form.getlist("scope"),
            forms.integer("site", "điểm phục vụ", "site"),
            actor.id,
        )
    except DomainError as error:
        return _page(STATUS[error.kind], error=error, form=request.form)
    return _page(created=created)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    actor = admin_only()
    try:
        api_tokens.revoke(runtime().uow(), token_id, actor.id)
    except DomainError as error:
        return _page(STATUS[error.kind], error=error)
    flash(REVOKED)
    return redirect(url_for("api_tokens.index"), 303)
