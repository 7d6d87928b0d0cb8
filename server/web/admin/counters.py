"""The counters screen (admins): the list per site, and a form to add or edit a counter
with its main and secondary services in the order it serves them."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from server.adapters.db.models import Counter, Site
from server.runtime import runtime
from server.services.admin.counters import (
    MAIN,
    SECONDARY,
    CounterSettings,
    create_counter,
    find_counter,
    update_counter,
)
from server.services.admin.services import site_service_ids
from server.services.admin.sites import all_sites, find_site
from server.web import forms
from server.web.admin import bp
from server.web.admin.common import Page, admin_only, edit, found


def _counter_form(counter: Counter | None) -> MultiDict[str, str]:
    if counter is None:
        return MultiDict()
    values = {"number": str(counter.number), "label": counter.label}
    for link in counter.service_links:
        values[f"rank_{link.service_id}"] = "main" if link.rank == MAIN else "secondary"
        values[f"order_{link.service_id}"] = str(link.position + 1)
    return MultiDict(values)


def _counter_settings(site_id: int) -> CounterSettings:
    """The counter's services from one row per service of the site: main, secondary or
    none, and a number giving the order."""
    with runtime().db.reading() as session:
        service_ids = site_service_ids(session, site_id)
    chosen: list[tuple[int, int, int, int]] = []
    for index, service_id in enumerate(service_ids):
        role = forms.text(f"rank_{service_id}")
        if role not in ("main", "secondary"):
            continue
        order = forms.integer(f"order_{service_id}", "thứ tự", "order")
        rank = MAIN if role == "main" else SECONDARY
        chosen.append((rank, order if order is not None else 1000, index, service_id))
    chosen.sort()
    return CounterSettings(
        number=forms.required_integer("number", "số quầy", "counter number"),
        label=forms.text("label"),
        services=tuple((service_id, rank) for rank, _, _, service_id in chosen),
    )


def _counter_context(site: Site, counter: Counter | None) -> dict[str, Any]:
    return {
        "active": "admin",
        "section": "counters",
        "site": site,
        "site_services": list(site.services),
        "counter": counter,
    }


@bp.get("/counters")
@login_required
def counters() -> str:
    admin_only()
    with runtime().db.reading() as session:
        return render_template(
            "admin/counters/list.html",
            active="admin",
            section="counters",
            sites=all_sites(session),
        )


@bp.route("/sites/<int:site_id>/counters/new", methods=["GET", "POST"])
@login_required
def counter_new(site_id: int) -> Page:
    actor = admin_only()
    return edit(
        "admin/counters/form.html",
        lambda session: _counter_context(found(find_site(session, site_id)), None),
        lambda values: _counter_form(None),
        lambda: create_counter(runtime().uow(), actor.id, site_id, _counter_settings(site_id)),
        "admin.counters",
    )


@bp.route("/counters/<int:counter_id>", methods=["GET", "POST"])
@login_required
def counter_edit(counter_id: int) -> Page:
    actor = admin_only()

    def context(session: Session) -> dict[str, Any]:
        counter = found(find_counter(session, counter_id))
        return _counter_context(counter.site, counter)

    def save() -> None:
        with runtime().db.reading() as session:
            site_id = found(find_counter(session, counter_id)).site_id
        update_counter(runtime().uow(), actor.id, counter_id, _counter_settings(site_id))

    return edit(
        "admin/counters/form.html",
        context,
        lambda values: _counter_form(values["counter"]),
        save,
        "admin.counters",
    )
