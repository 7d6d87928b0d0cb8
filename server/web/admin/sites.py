"""The sites screen (admins): the list, and a form to add or edit a site."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from server.adapters.db.models import Site
from server.runtime import runtime
from server.services.admin.history import DEFAULT_ZONE
from server.services.admin.sites import (
    SiteSettings,
    all_sites,
    create_site,
    find_site,
    update_site,
)
from server.web import forms
from server.web.admin import bp
from server.web.admin.common import Page, admin_only, edit, found, hhmm


def _site_form(site: Site | None) -> MultiDict[str, str]:
    if site is None:
        return MultiDict(
            {"timezone": DEFAULT_ZONE, "opens_at": "07:30", "closes_at": "17:30", "streak": "3"}
        )
    return MultiDict(
        {
            "code": site.code,
            "name": site.name,
            "address": site.address,
            "timezone": site.timezone,
            "opens_at": hhmm(site.opens_at),
            "closes_at": hhmm(site.closes_at),
            "streak": str(site.max_priority_streak),
            "lunch_starts_at": hhmm(site.lunch_starts_at),
            "lunch_ends_at": hhmm(site.lunch_ends_at),
        }
    )


def _site_settings() -> SiteSettings:
    return SiteSettings(
        code=forms.text("code"),
        name=forms.text("name"),
        address=forms.text("address"),
        timezone=forms.text("timezone").strip(),
        opens_at=forms.required_time("opens_at", "giờ mở cửa", "opening time"),
        closes_at=forms.required_time("closes_at", "giờ đóng cửa", "closing time"),
        max_priority_streak=forms.required_integer(
            "streak", "số lượt ưu tiên liên tiếp", "priority streak"
        ),
        lunch_starts_at=forms.clock_time(
            "lunch_starts_at", "giờ bắt đầu nghỉ trưa", "start of the lunch break"
        ),
        lunch_ends_at=forms.clock_time(
            "lunch_ends_at", "giờ kết thúc nghỉ trưa", "end of the lunch break"
        ),
    )


@bp.get("/sites")
@login_required
def sites() -> str:
    admin_only()
    with runtime().db.reading() as session:
        return render_template(
            "admin/sites/list.html",
            active="admin",
            section="sites",
            sites=all_sites(session),
        )


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required
def site_new() -> Page:
    actor = admin_only()
    return edit(
        "admin/sites/form.html",
        lambda session: {"active": "admin", "section": "sites", "site": None},
        lambda values: _site_form(None),
        lambda: create_site(runtime().uow(), actor.id, _site_settings()),
        "admin.sites",
    )


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@login_required
def site_edit(site_id: int) -> Page:
    actor = admin_only()
    return edit(
        "admin/sites/form.html",
        lambda session: {
            "active": "admin",
            "section": "sites",
            "site": found(find_site(session, site_id)),
        },
        lambda values: _site_form(values["site"]),
        lambda: update_site(runtime().uow(), actor.id, site_id, _site_settings()),
        "admin.sites",
    )
