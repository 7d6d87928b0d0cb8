"""The devices screen (admins): the kiosks, boards and rating tablets, a form to register
or edit one, and its buttons to revoke it or pair it again; a new pairing code is shown
once, with its QR."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import render_template, request, url_for
from flask_login import login_required
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from server.adapters.db.models import Device
from server.adapters.realtime import disconnect_device, move_rating_tablet
from server.domain.errors import DomainError
from server.domain.roles import DeviceKind
from server.runtime import runtime
from server.services import devices
from server.services.admin.sites import all_sites
from server.services.devices import DeviceSettings, PairingCode
from server.web import forms
from server.web.admin import bp
from server.web.admin.common import Page, admin_only, edit, found, number, refused, saved


def _device_form(device: Device | None) -> MultiDict[str, str]:
    if device is None:
        return MultiDict({"kind": DeviceKind.KIOSK.value})
    return MultiDict(
        {
            "site_id": str(device.site_id),
            "kind": str(device.kind),
            "name": device.name,
            "counter_id": number(device.counter_id),
            "printer_url": device.printer_url,
        }
    )


def _device_settings() -> DeviceSettings:
    return DeviceSettings(
        name=forms.text("name"),
        counter_id=forms.integer("counter_id", "quầy", "counter") or None,
        printer_url=forms.text("printer_url"),
    )


def _device_context(session: Session, device_id: int | None) -> dict[str, Any]:
    return {
        "active": "admin",
        "section": "devices",
        "device": found(devices.find_device(session, device_id)) if device_id is not None else None,
        "sites": all_sites(session),
        "kinds": list(DeviceKind),
        "now": runtime().clock(),
    }


def _pairing_page(code: PairingCode, status: int) -> tuple[str, int]:
    """The code, once: its QR opens /pair with it on a tablet's camera or a phone."""
    base = (runtime().config.public_url or request.host_url).rstrip("/")
    pair_page = f"{base}{url_for('pairing.pair')}"
    pair_url = f"{pair_page}?code={code.code.replace('-', '')}"
    qr = segno.make(pair_url, error="m").svg_data_uri(scale=6, border=2)
    with runtime().db.reading() as session:
        device = found(devices.find_device(session, code.device_id))
        zone = ZoneInfo(device.site.timezone)
        return render_template(
            "admin/devices/code.html",
            active="admin",
            section="devices",
            device=device,
            code=code,
            pair_url=pair_url,
            pair_page=pair_page,
            qr=qr,
            expires=code.expires_at.astimezone(zone).strftime("%H:%M"),
        ), status


@bp.get("/devices")
@login_required
def devices_list() -> str:
    admin_only()
    with runtime().db.reading() as session:
        return render_template(
            "admin/devices/list.html",
            **_device_context(session, None),
            devices=devices.all_devices(session),
        )


@bp.route("/devices/new", methods=["GET", "POST"])
@login_required
def device_new() -> Page:
    actor = admin_only()
    if request.method == "GET":
        with runtime().db.reading() as session:
            context = _device_context(session, None)
            return render_template("admin/devices/form.html", form=_device_form(None), **context)
    try:
        code = devices.create_device(
            runtime().uow(),
            actor.id,
            forms.required_integer("site_id", "điểm phục vụ", "site"),
            forms.choice("kind", DeviceKind, "loại thiết bị", "device kind"),
            _device_settings(),
        )
    except DomainError as error:
        with runtime().db.reading() as session:
            context = _device_context(session, None)
            return refused(error, "admin/devices/form.html", form=request.form, **context)
    return _pairing_page(code, 201)


@bp.route("/devices/<int:device_id>", methods=["GET", "POST"])
@login_required
def device_edit(device_id: int) -> Page:
    actor = admin_only()

    def save() -> None:
        before, after = devices.update_device(
            runtime().uow(), actor.id, device_id, _device_settings()
        )
        if after is not None and after != before:
            move_rating_tablet(device_id, before, after)

    return edit(
        "admin/devices/form.html",
        lambda session: _device_context(session, device_id),
        lambda values: _device_form(values["device"]),
        save,
        "admin.devices_list",
    )


@bp.post("/devices/<int:device_id>/revoke")
@login_required
def device_revoke(device_id: int) -> Response:
    actor = admin_only()
    devices.revoke_device(runtime().uow(), actor.id, device_id)
    disconnect_device(device_id)
    return saved("admin.devices_list")


@bp.post("/devices/<int:device_id>/pair")
@login_required
def device_repair(device_id: int) -> Page:
    actor = admin_only()
    code = devices.repair_device(runtime().uow(), actor.id, device_id)
    disconnect_device(device_id)
    return _pairing_page(code, 200)
