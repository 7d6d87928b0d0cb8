"""The administration screens (admin role): sites, services, counters, staff accounts and
devices, each as a list and an edit form. Managers and admins: the audit log, a ticket's
history, and the target minutes of their sites' services.

Forms post back to their own address with their CSRF token; a refused change shows the
form again, as it was typed, with the reason and a 4xx status, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from server.adapters.db.models import (
    AuditEntry,
    Counter,
    Device,
    Service,
    Site,
    Ticket,
    TicketEvent,
    User,
)
from server.adapters.realtime import disconnect_device, move_rating_tablet
from server.domain.errors import DomainError, InvalidInput
from server.domain.roles import DeviceKind, Role
from server.runtime import runtime
from server.services import admin, devices
from server.services.admin import (
    MAIN,
    SECONDARY,
    CounterSettings,
    ServiceSettings,
    SiteSettings,
    UserSettings,
)
from server.services.devices import DeviceSettings, PairingCode
from server.web import forms
from server.web.errors import STATUS
from server.web.identity import StaffUser, staff

bp = Blueprint("admin", __name__, url_prefix="/admin")

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
AUDIT_PAGE = 200
ENTITIES = ("site", "service", "counter", "user", "device", "api_token")

Page = str | Response | tuple[str, int]


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def local_time(moment: datetime | None, zone: str) -> str:
        return "" if moment is None else moment.astimezone(ZoneInfo(zone)).strftime("%d/%m %H:%M")

    return {"local_time": local_time}


# -- who may -----------------------------------------------------------------------------


def _admin() -> StaffUser:
    user = staff()
    if user.role != Role.ADMIN:
        abort(403)
    return user


def _manager() -> StaffUser:
    user = staff()
    if user.role not in (Role.ADMIN, Role.MANAGER):
        abort(403)
    return user


def _site_ids(user: StaffUser, session: Session) -> list[int]:
    """The sites whose audit, tickets and targets the user may see."""
    if user.role == Role.ADMIN:
        return list(session.scalars(select(Site.id).order_by(Site.id)))
    return sorted(user.site_ids)


def _get(session: Session, model: Any, row_id: int) -> Any:
    row = session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _refused(error: DomainError, template: str, **context: Any) -> tuple[str, int]:
    """The form again, as it was sent, with the reason it was refused."""
    return render_template(template, error=error, **context), STATUS[error.kind]


def _saved(endpoint: str, **values: Any) -> Response:
    flash("saved")
    return redirect(url_for(endpoint, **values), 303)


def _sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.id)))


def _hhmm(value: time | None) -> str:
    return "" if value is None else value.strftime("%H:%M")


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


@bp.get("")
@login_required
def index() -> str:
    _admin()
    with runtime().db.reading() as session:
        counts = {
            "sites": len(_sites(session)),
            "services": len(session.scalars(select(Service.id)).all()),
            "counters": len(session.scalars(select(Counter.id)).all()),
            "users": len(session.scalars(select(User.id)).all()),
            "devices": len(session.scalars(select(Device.id)).all()),
        }
    return render_template("admin/index.html", active="admin", section="index", counts=counts)


def _edit(
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
                return _refused(error, template, form=request.form, **context(session))
        return _saved(done)
    with runtime().db.reading() as session:
        values = context(session)
        return render_template(template, form=initial(values), **values)


# -- sites -------------------------------------------------------------------------------


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
            "opens_at": _hhmm(site.opens_at),
            "closes_at": _hhmm(site.closes_at),
            "streak": str(site.max_priority_streak),
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
    )


@bp.get("/sites")
@login_required
def sites() -> str:
    _admin()
    with runtime().db.reading() as session:
        return render_template(
            "admin/sites.html", active="admin", section="sites", sites=_sites(session)
        )


@bp.route("/sites/new", methods=["GET", "POST"])
@login_required
def site_new() -> Page:
    actor = _admin()
    return _edit(
        "admin/site_form.html",
        lambda session: {"active": "admin", "section": "sites", "site": None},
        lambda values: _site_form(None),
        lambda: admin.create_site(runtime().uow(), actor.id, _site_settings()),
        "admin.sites",
    )


@bp.route("/sites/<int:site_id>", methods=["GET", "POST"])
@login_required
def site_edit(site_id: int) -> Page:
    actor = _admin()
    return _edit(
        "admin/site_form.html",
        lambda session: {
            "active": "admin",
            "section": "sites",
            "site": _get(session, Site, site_id),
        },
        lambda values: _site_form(values["site"]),
        lambda: admin.update_site(runtime().uow(), actor.id, site_id, _site_settings()),
        "admin.sites",
    )


# -- services ----------------------------------------------------------------------------


def _service_form(service: Service | None) -> MultiDict[str, str]:
    if service is None:
        return MultiDict(
            {
                "numbering": "prefix",
                "number_width": "3",
                "expected_minutes": "10",
                "target_minutes": "30",
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
        "range_start": _number(service.range_start),
        "range_end": _number(service.range_end),
        "expected_minutes": _number(service.expected_minutes),
        "target_minutes": str(service.target_minutes),
        "daily_cap": _number(service.daily_cap),
        "issue_from": _hhmm(service.issue_from),
        "issue_until": _hhmm(service.issue_until),
        "position": str(service.position),
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
    )


def _service_context(site: Site, service: Service | None) -> dict[str, Any]:
    return {
        "active": "admin",
        "section": "services",
        "site": site,
        "service": service,
        "pictograms": admin.pictograms(),
    }


@bp.get("/services")
@login_required
def services() -> str:
    _admin()
    with runtime().db.reading() as session:
        return render_template(
            "admin/services.html", active="admin", section="services", sites=_sites(session)
        )


@bp.route("/sites/<int:site_id>/services/new", methods=["GET", "POST"])
@login_required
def service_new(site_id: int) -> Page:
    actor = _admin()
    return _edit(
        "admin/service_form.html",
        lambda session: _service_context(_get(session, Site, site_id), None),
        lambda values: _service_form(None),
        lambda: admin.create_service(runtime().uow(), actor.id, site_id, _service_settings()),
        "admin.services",
    )


@bp.route("/services/<int:service_id>", methods=["GET", "POST"])
@login_required
def service_edit(service_id: int) -> Page:
    actor = _admin()

    def context(session: Session) -> dict[str, Any]:
        service = _get(session, Service, service_id)
        return _service_context(service.site, service)

    return _edit(
        "admin/service_form.html",
        context,
        lambda values: _service_form(values["service"]),
        lambda: admin.update_service(runtime().uow(), actor.id, service_id, _service_settings()),
        "admin.services",
    )


# -- target minutes (managers of the site, and admins) -----------------------------------


def _targets_context(session: Session, user: StaffUser) -> dict[str, Any]:
    allowed = _site_ids(user, session)
    shown = [s for s in _sites(session) if s.id in allowed]
    return {"active": "targets", "section": "targets", "sites": shown}


@bp.get("/targets")
@login_required
def targets() -> str:
    user = _manager()
    with runtime().db.reading() as session:
        return render_template("admin/targets.html", **_targets_context(session, user))


@bp.post("/services/<int:service_id>/target")
@login_required
def service_target(service_id: int) -> Page:
    user = _manager()
    try:
        minutes = forms.required_integer("target_minutes", "thời gian chờ mục tiêu", "target wait")
        admin.set_target_minutes(runtime().uow(), user.id, service_id, minutes)
    except DomainError as error:
        with runtime().db.reading() as session:
            return _refused(error, "admin/targets.html", **_targets_context(session, user))
    return _saved("admin.targets")


# -- counters ----------------------------------------------------------------------------


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
        service_ids = list(
            session.scalars(
                select(Service.id).where(Service.site_id == site_id).order_by(Service.position)
            )
        )
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
    _admin()
    with runtime().db.reading() as session:
        return render_template(
            "admin/counters.html", active="admin", section="counters", sites=_sites(session)
        )


@bp.route("/sites/<int:site_id>/counters/new", methods=["GET", "POST"])
@login_required
def counter_new(site_id: int) -> Page:
    actor = _admin()
    return _edit(
        "admin/counter_form.html",
        lambda session: _counter_context(_get(session, Site, site_id), None),
        lambda values: _counter_form(None),
        lambda: admin.create_counter(
            runtime().uow(), actor.id, site_id, _counter_settings(site_id)
        ),
        "admin.counters",
    )


@bp.route("/counters/<int:counter_id>", methods=["GET", "POST"])
@login_required
def counter_edit(counter_id: int) -> Page:
    actor = _admin()

    def context(session: Session) -> dict[str, Any]:
        counter = _get(session, Counter, counter_id)
        return _counter_context(counter.site, counter)

    def save() -> None:
        with runtime().db.reading() as session:
            site_id = _get(session, Counter, counter_id).site_id
        admin.update_counter(runtime().uow(), actor.id, counter_id, _counter_settings(site_id))

    return _edit(
        "admin/counter_form.html",
        context,
        lambda values: _counter_form(values["counter"]),
        save,
        "admin.counters",
    )


# -- users -------------------------------------------------------------------------------


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
        "user_row": _get(session, User, user_id) if user_id is not None else None,
        "sites": _sites(session),
        "roles": list(Role),
    }


@bp.get("/users")
@login_required
def users() -> str:
    _admin()
    with runtime().db.reading() as session:
        rows = list(session.scalars(select(User).order_by(User.role, User.username)))
        return render_template("admin/users.html", active="admin", section="users", users=rows)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def user_new() -> Page:
    actor = _admin()
    return _edit(
        "admin/user_form.html",
        lambda session: _user_context(session, None),
        lambda values: _user_form(None),
        lambda: admin.create_user(
            runtime().uow(), actor.id, _user_settings(), request.form.get("password", "")
        ),
        "admin.users",
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> Page:
    actor = _admin()
    return _edit(
        "admin/user_form.html",
        lambda session: _user_context(session, user_id),
        lambda values: _user_form(values["user_row"]),
        lambda: admin.update_user(runtime().uow(), actor.id, user_id, _user_settings()),
        "admin.users",
    )


def _user_action(user_id: int, action: Callable[[StaffUser], None]) -> Page:
    """A button of the user's page (reset the password, deactivate): back to the page,
    with the reason if it was refused."""
    actor = _admin()
    try:
        action(actor)
    except DomainError as error:
        with runtime().db.reading() as session:
            context = _user_context(session, user_id)
            form = _user_form(context["user_row"])
            return _refused(error, "admin/user_form.html", form=form, **context)
    return _saved("admin.user_edit", user_id=user_id)


@bp.post("/users/<int:user_id>/password")
@login_required
def user_password(user_id: int) -> Page:
    return _user_action(
        user_id,
        lambda actor: admin.reset_password(
            runtime().uow(), actor.id, user_id, request.form.get("password", "")
        ),
    )


@bp.post("/users/<int:user_id>/active")
@login_required
def user_active(user_id: int) -> Page:
    return _user_action(
        user_id,
        lambda actor: admin.set_user_active(
            runtime().uow(), actor.id, user_id, forms.checkbox("active")
        ),
    )


# -- devices -----------------------------------------------------------------------------


def _device_form(device: Device | None) -> MultiDict[str, str]:
    if device is None:
        return MultiDict({"kind": DeviceKind.KIOSK.value})
    return MultiDict(
        {
            "site_id": str(device.site_id),
            "kind": str(device.kind),
            "name": device.name,
            "counter_id": _number(device.counter_id),
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
        "device": _get(session, Device, device_id) if device_id is not None else None,
        "sites": _sites(session),
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
        device = _get(session, Device, code.device_id)
        zone = ZoneInfo(device.site.timezone)
        return render_template(
            "admin/device_code.html",
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
    _admin()
    with runtime().db.reading() as session:
        rows = list(session.scalars(select(Device).order_by(Device.site_id, Device.id)))
        return render_template("admin/devices.html", **_device_context(session, None), devices=rows)


@bp.route("/devices/new", methods=["GET", "POST"])
@login_required
def device_new() -> Page:
    actor = _admin()
    if request.method == "GET":
        with runtime().db.reading() as session:
            context = _device_context(session, None)
            return render_template("admin/device_form.html", form=_device_form(None), **context)
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
            return _refused(error, "admin/device_form.html", form=request.form, **context)
    return _pairing_page(code, 201)


@bp.route("/devices/<int:device_id>", methods=["GET", "POST"])
@login_required
def device_edit(device_id: int) -> Page:
    actor = _admin()

    def save() -> None:
        before, after = devices.update_device(
            runtime().uow(), actor.id, device_id, _device_settings()
        )
        if after is not None and after != before:
            move_rating_tablet(device_id, before, after)

    return _edit(
        "admin/device_form.html",
        lambda session: _device_context(session, device_id),
        lambda values: _device_form(values["device"]),
        save,
        "admin.devices_list",
    )


@bp.post("/devices/<int:device_id>/revoke")
@login_required
def device_revoke(device_id: int) -> Response:
    actor = _admin()
    devices.revoke_device(runtime().uow(), actor.id, device_id)
    disconnect_device(device_id)
    return _saved("admin.devices_list")


@bp.post("/devices/<int:device_id>/pair")
@login_required
def device_repair(device_id: int) -> Page:
    actor = _admin()
    code = devices.repair_device(runtime().uow(), actor.id, device_id)
    disconnect_device(device_id)
    return _pairing_page(code, 200)


# -- audit log and ticket history (managers and admins) ----------------------------------


def _zone_of(session: Session, site_id: int | None) -> ZoneInfo:
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        site = session.scalars(select(Site).order_by(Site.id)).first()
    return ZoneInfo(site.timezone if site else DEFAULT_ZONE)


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            "Ngày phải có dạng YYYY-MM-DD.", "A date must be written YYYY-MM-DD."
        ) from None


def _arg_id(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def _detail_lines(detail: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """An audit entry's changed fields as (field, old, new) text."""

    def shown(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, list):
            return ", ".join(shown(v) for v in value) or "–"
        return str(value)

    lines = []
    for name, change in (detail or {}).items():
        if isinstance(change, list) and len(change) == 2:
            lines.append((name, shown(change[0]), shown(change[1])))
        else:
            lines.append((name, "", shown(change)))
    return lines


@bp.get("/audit")
@login_required
def audit_log() -> Page:
    user = _manager()
    with runtime().db.reading() as session:
        allowed = _site_ids(user, session)
        site_id = _arg_id("site")
        error = None
        try:
            first, last = _day("from"), _day("to")
        except InvalidInput as refused:
            error, first, last = refused, None, None
        zone = _zone_of(session, site_id)
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE)
        if user.role != Role.ADMIN:
            # A manager reads what was done at their sites, not the accounts of others.
            query = query.where(AuditEntry.site_id.in_(allowed))
        if site_id is not None:
            query = query.where(AuditEntry.site_id == site_id)
        entity = request.args.get("entity", "")
        if entity in ENTITIES:
            query = query.where(AuditEntry.entity == entity)
        author = _arg_id("user")
        if author is not None:
            query = query.where(AuditEntry.user_id == author)
        if first is not None:
            query = query.where(AuditEntry.at >= datetime.combine(first, time(0), zone))
        if last is not None:
            end = datetime.combine(last + timedelta(days=1), time(0), zone)
            query = query.where(AuditEntry.at < end)
        entries = list(session.scalars(query))
        people = {u.id: u for u in session.scalars(select(User))}
        site_rows = {s.id: s for s in _sites(session)}
        rows = [
            {
                "at": e.at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
                "user": people.get(e.user_id) if e.user_id else None,
                "site": site_rows.get(e.site_id) if e.site_id else None,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "lines": _detail_lines(e.detail),
            }
            for e in entries
        ]
        page = render_template(
            "admin/audit.html",
            active="audit",
            section="audit",
            rows=rows,
            limit=AUDIT_PAGE,
            entities=ENTITIES,
            people=sorted(people.values(), key=lambda u: u.username),
            sites=[s for s in site_rows.values() if s.id in allowed],
            args=request.args,
            error=error,
        )
    return (page, 400) if error else page


@bp.get("/tickets")
@login_required
def ticket_search() -> Page:
    """Find a ticket by its site, day and number (numbers restart every day)."""
    user = _manager()
    with runtime().db.reading() as session:
        allowed = _site_ids(user, session)
        sites = [s for s in _sites(session) if s.id in allowed]
        site_id = _arg_id("site") or (sites[0].id if sites else None)
        number = request.args.get("number", "").strip().upper()[:16]
        error = None
        try:
            day = _day("day") or runtime().clock().astimezone(_zone_of(session, site_id)).date()
        except InvalidInput as refused:
            error, day = refused, None
        found: list[Ticket] = []
        if number and day and site_id in allowed:
            found = list(
                session.scalars(
                    select(Ticket)
                    .where(Ticket.site_id == site_id, Ticket.day == day, Ticket.number == number)
                    .order_by(Ticket.id)
                )
            )
        page = render_template(
            "admin/tickets.html",
            active="tickets",
            section="tickets",
            sites=sites,
            site_id=site_id,
            day=day.isoformat() if day else request.args.get("day", ""),
            number=number,
            searched=bool(number),
            tickets=found,
            error=error,
        )
    return (page, 400) if error else page


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_history(ticket_id: int) -> str:
    """Who did what to one ticket, step by step (its ticket_events)."""
    user = _manager()
    with runtime().db.reading() as session:
        ticket = _get(session, Ticket, ticket_id)
        if ticket.site_id not in _site_ids(user, session):
            abort(403)
        zone = _zone_of(session, ticket.site_id)
        events = session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()
        people = {u.id: u for u in session.scalars(select(User))}
        counters_by_id = {c.id: c for c in session.scalars(select(Counter))}
        device_rows = {d.id: d for d in session.scalars(select(Device))}
        onward = session.scalars(
            select(Ticket).where(
                or_(
                    Ticket.transferred_from_id == ticket.id, Ticket.id == ticket.transferred_from_id
                )
            )
        ).all()
        rows = [
            {
                "at": e.at.astimezone(zone).strftime("%H:%M:%S"),
                "kind": e.kind,
                "counter": counters_by_id.get(e.counter_id) if e.counter_id else None,
                "user": people.get(e.user_id) if e.user_id else None,
                "device": device_rows.get(e.device_id) if e.device_id else None,
                "detail": _detail_lines(
                    {k: v for k, v in (e.detail or {}).items() if v is not None}
                ),
            }
            for e in events
        ]
        return render_template(
            "admin/ticket.html",
            active="tickets",
            section="tickets",
            ticket=ticket,
            rows=rows,
            related=onward,
            issued=ticket.issued_at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
        )
