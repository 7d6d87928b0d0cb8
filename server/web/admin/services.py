"""The services screen (admins): the list per site, and a form to add or edit a service;
and the target minutes, which managers of a site set too."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from server.adapters.db.models import Service, Site
from server.domain.errors import DomainError, InvalidInput
from server.runtime import runtime
from server.services.admin.history import visible_site_ids
from server.services.admin.services import (
    ServiceSettings,
    create_service,
    find_service,
    pictograms,
    set_target_minutes,
    update_service,
)
from server.services.admin.sites import all_sites, find_site
from server.web import forms
from server.web.admin import bp
from server.web.admin.common import (
    Page,
    admin_only,
    edit,
    found,
    hhmm,
    managers_only,
    number,
    refused,
    saved,
)
from server.web.identity import StaffUser


def _service_form(service: Service | None) -> MultiDict[str, str]:
    if service is None:
        return MultiDict(
            {
                "numbering": "prefix",
                "number_width": "3",
                "expected_minutes": "10",
                "target_minutes": "30",
                "target_percent": "80",
                "active": "1",
                "position": "0",
            }
        )
    values = {
        "code": service.code,
        "name_vi": service.name_vi,
        "name_en": service.name_en,
        "pictogram": service.pictogram,
        "numbering": "range" if service.range_start is not None else "prefix",
        "prefix": service.prefix,
        "number_width": str(service.number_width),
        "range_start": number(service.range_start),
        "range_end": number(service.range_end),
        "expected_minutes": number(service.expected_minutes),
        "target_minutes": str(service.target_minutes),
        "daily_cap": number(service.daily_cap),
        "issue_from": hhmm(service.issue_from),
        "issue_until": hhmm(service.issue_until),
        "position": str(service.position),
        "target_percent": number(round(service.target_share * 100)),
    }
    if service.active:
        values["active"] = "1"
    return MultiDict(values)


def _service_settings() -> ServiceSettings:
    ranged = forms.text("numbering") == "range"
    range_start = forms.integer("range_start", "số đầu của dải số", "start of the range")
    range_end = forms.integer("range_end", "số cuối của dải số", "end of the range")
    if ranged and (range_start is None or range_end is None):
        raise InvalidInput(
            "Dải số phải có cả số đầu và số cuối.",
            "A number range needs both a start and an end.",
        )
    return ServiceSettings(
        code=forms.text("code"),
        name_vi=forms.text("name_vi"),
        name_en=forms.text("name_en"),
        pictogram=forms.text("pictogram"),
        prefix="" if ranged else forms.text("prefix"),
        number_width=forms.integer("number_width", "độ dài số", "number width") or 3,
        range_start=range_start if ranged else None,
        range_end=range_end if ranged else None,
        expected_minutes=forms.decimal(
            "expected_minutes", "thời gian phục vụ dự kiến", "expected service time"
        ),
        target_minutes=forms.required_integer(
            "target_minutes", "thời gian chờ mục tiêu", "target wait"
        ),
        daily_cap=forms.integer("daily_cap", "số lượt tối đa mỗi ngày", "daily cap"),
        issue_from=forms.clock_time("issue_from", "giờ bắt đầu cấp số", "issuing start"),
        issue_until=forms.clock_time("issue_until", "giờ kết thúc cấp số", "issuing end"),
        active=forms.checkbox("active"),
        position=forms.integer("position", "thứ tự hiển thị", "position") or 0,
        target_share=(
            forms.integer("target_percent", "tỉ lệ gọi trong hạn mục tiêu", "share within target")
            or 80
        )
        / 100,
    )


def _service_context(site: Site, service: Service | None) -> dict[str, Any]:
    return {
        "active": "admin",
        "section": "services",
        "site": site,
        "service": service,
        "pictograms": pictograms(),
    }


@bp.get("/services")
@login_required
def services() -> str:
    admin_only()
    with runtime().db.reading() as session:
        return render_template(
            "admin/services/list.html",
            active="admin",
            section="services",
            sites=all_sites(session),
        )


@bp.route("/sites/<int:site_id>/services/new", methods=["GET", "POST"])
@login_required
def service_new(site_id: int) -> Page:
    actor = admin_only()
    return edit(
        "admin/services/form.html",
        lambda session: _service_context(found(find_site(session, site_id)), None),
        lambda values: _service_form(None),
        lambda: create_service(runtime().uow(), actor.id, site_id, _service_settings()),
        "admin.services",
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@login_required
def service_edit(service_id: int) -> Page:
    actor = admin_only()

    def context(session: Session) -> dict[str, Any]:
        service = found(find_service(session, service_id))
        return _service_context(service.site, service)

    return edit(
        "admin/services/form.html",
        context,
        lambda values: _service_form(values["service"]),
        lambda: update_service(runtime().uow(), actor.id, service_id, _service_settings()),
        "admin.services",
    )


# -- target minutes (managers of the site, and admins) -----------------------------------


def _targets_context(session: Session, user: StaffUser) -> dict[str, Any]:
    allowed = visible_site_ids(session, user.role, user.site_ids)
    shown = [s for s in all_sites(session) if s.id in allowed]
    return {"active": "targets", "section": "targets", "sites": shown}


@bp.get("/targets")
@login_required
def targets() -> str:
    user = managers_only()
    with runtime().db.reading() as session:
        return render_template("admin/services/targets.html", **_targets_context(session, user))


@bp.post("/services/<int:service_id>/target")
@login_required
def service_target(service_id: int) -> Page:
    user = managers_only()
    try:
        minutes = forms.required_integer("target_minutes", "thời gian chờ mục tiêu", "target wait")
        set_target_minutes(runtime().uow(), user.id, service_id, minutes)
    except DomainError as error:
        with runtime().db.reading() as session:
            return refused(error, "admin/services/targets.html", **_targets_context(session, user))
    return saved("admin.targets")
