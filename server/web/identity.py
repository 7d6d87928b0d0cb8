"""Who is asking: staff signed in with Flask-Login, devices by their token, citizens by
their ticket's token (the phone page's only credential)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event, inspect, select

from server.adapters.db.models import Device, User
from server.domain.errors import Forbidden, Unauthorized
from server.domain.roles import DeviceKind, Role
from server.runtime import runtime
from server.services import sessions  # noqa: F401  (its hook ends sessions on account changes)
from server.services.credentials import password_matches, spend_a_password_check, token_hash

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."

DEVICE_HEADER = "X-Device-Token"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class StaffUser(UserMixin):  # type: ignore[misc]
    """The signed-in user as the views see it: a plain value, not a database row."""

    id: int
    username: str
    full_name: str
    role: Role
    counter_ids: frozenset[int]
    # The sites a manager looks after; an admin looks after every site.
    site_ids: frozenset[int] = frozenset()
    # The account's session version when this session began (server/services/sessions.py).
    session_version: int = 0

    def get_id(self) -> str:
        # What the session cookie holds: the account and its session version, so that
        # raising the version ends this session.
        return f"{self.id}.{self.session_version}"

    @classmethod
    def from_row(cls, user: User) -> StaffUser:
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=Role(user.role),
            counter_ids=frozenset(c.id for c in user.counters),
            site_ids=frozenset(s.id for s in user.sites),
            session_version=user.session_version,
        )


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    """The session's user, unless the session has ended: a cookie of an older session
    version (signed out, password reset, deactivated, role or counters changed) is refused."""
    user_id, _, version = session_id.partition(".")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(user_id) > 10 or len(version) > 10:
        return None
    with runtime().db.reading() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return StaffUser.from_row(user)


def authenticate(username: str, password: str) -> StaffUser | None:
    with runtime().db.reading() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            # Spend the same time as a real check, so timing does not reveal usernames.
            spend_a_password_check(password)
            return None
        if not password_matches(user.password_hash, password):
            return None
        return StaffUser.from_row(user)


def staff() -> StaffUser:
    """The signed-in staff member, or Unauthorized."""
    if not current_user.is_authenticated:
        raise Unauthorized("Vui lòng đăng nhập.", "Please sign in.")
    return cast(StaffUser, current_user._get_current_object())


def may_manage_site(user: StaffUser, site_id: int) -> bool:
    """Admins manage every site; a manager only the sites they are given."""
    return user.role == Role.ADMIN or (user.role == Role.MANAGER and site_id in user.site_ids)


def require_site_manager(site_id: int) -> StaffUser:
    """The signed-in admin, or manager of this site; anyone else is Forbidden."""
    user = staff()
    if not may_manage_site(user, site_id):
        raise Forbidden("Bạn không quản lý điểm phục vụ này.", "You do not manage this site.")
    return user


def require_roles(*roles: Role) -> StaffUser:
    user = staff()
    if user.role not in roles:
        raise Forbidden(
            "Tài khoản của bạn không có quyền làm việc này.",
            "Your account may not do this.",
        )
    return user


# -- devices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceIdentity:
    id: int
    site_id: int
    kind: DeviceKind
    name: str
    # Known with the token, so a kiosk without a printer costs no query more per ticket.
    has_printer: bool = False
    token_hash: str = ""


def device_by_token(token: str | None, kind: DeviceKind | None = None) -> DeviceIdentity:
    """The active device a token belongs to (of `kind`, if given), or Unauthorized."""
    hashed = _checked_hash(token)
    with runtime().db.reading() as session:
        device = session.scalars(select(Device).where(Device.token_hash == hashed)).first()
        if device is None or not device.active:
            raise Unauthorized(
                "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.",
                "The device token is invalid or has been revoked.",
            )
        identity = DeviceIdentity(
            device.id,
            device.site_id,
            DeviceKind(device.kind),
            device.name,
            has_printer=bool(device.printer_url),
            token_hash=hashed,
        )
    _require_kind(identity, kind)
    return identity


def _checked_hash(token: str | None) -> str:
    if not token or len(token) > 200:
        raise Unauthorized(
            "Thiết bị chưa được đăng ký: thiếu mã thiết bị.",
            "This device is not registered: its token is missing.",
        )
    return token_hash(token)


def _require_kind(device: DeviceIdentity, kind: DeviceKind | None) -> None:
    if kind is not None and device.kind != kind:
        raise Forbidden(
            "Thiết bị này không được dùng cho màn hình này.",
            "This device is not registered for this screen.",
        )


def request_device(kind: DeviceKind) -> DeviceIdentity:
    """The device making this HTTP request, from its X-Device-Token header."""
    return device_by_token(request.headers.get(DEVICE_HEADER), kind)


def bearer_token() -> str:
    """The integration API token of this request (`Authorization: Bearer <token>`), or
    Unauthorized; server.services.api_tokens says whose it is."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Thiếu mã tích hợp (Authorization: Bearer …).",
            "The API token is missing (Authorization: Bearer …).",
        )
    return token.strip()


def json_login_required(view: F) -> F:
    """Like flask_login.login_required, but a JSON 401 instead of a redirect."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        staff()
        return view(*args, **kwargs)

    return cast(F, wrapper)


# -- the kiosk issuing, remembered --------------------------------------------------------
# A kiosk issues a ticket every few seconds at peak, and its identity hardly ever changes:
# this worker remembers it by its token's hash for REMEMBER_KIOSK_SECONDS, and forgets
# every one as soon as a device changes here (the mapper event below). Its token is not
# taken on trust for that: issuing checks it again inside the issuing transaction (the
# caller passes `token_hash` to server/services/tickets.issue_ticket), so a kiosk revoked
# or paired again on any worker issues nothing more from that moment. What another
# worker's change may leave stale here for a while is only whether the kiosk has a printer.

REMEMBER_KIOSK_SECONDS = 60.0
# A province has hundreds of kiosks; anything beyond this is tokens nobody holds.
MAX_REMEMBERED_KIOSKS = 10_000
_kiosks_lock = threading.Lock()
# Raised by every change of a device on this worker: what was remembered before is gone.
_device_changes = [0]


def issuing_kiosk() -> DeviceIdentity:
    """The kiosk making this request to issue a ticket, remembered or read; the caller
    must have the issuing transaction check its `token_hash` (see above)."""
    token = request.headers.get(DEVICE_HEADER)
    hashed = _checked_hash(token)
    # Each app (each test's) remembers its own kiosks: a token means nothing elsewhere.
    remembered: dict[str, tuple[DeviceIdentity, float, int]] = current_app.extensions.setdefault(
        "xephang.kiosks", {}
    )
    now = time.monotonic()
    with _kiosks_lock:
        found = remembered.get(hashed)
        generation = _device_changes[0]
    if found is not None and found[1] > now and found[2] == generation:
        return found[0]
    kiosk = device_by_token(token, DeviceKind.KIOSK)
    with _kiosks_lock:
        if len(remembered) >= MAX_REMEMBERED_KIOSKS:
            remembered.clear()
        remembered[hashed] = (kiosk, now + REMEMBER_KIOSK_SECONDS, generation)
    return kiosk


# What a remembered identity holds, or decides it.
_IDENTITY = ("site_id", "kind", "name", "printer_url", "active", "token_hash")


@event.listens_for(Device, "before_update")
def _device_changing(_mapper: Any, _connection: Any, device: Device) -> None:
    """A device changes on this worker (revoked, paired again, given a printer): forget
    every remembered kiosk. Not for what changes with every print (the printer's status)."""
    state = inspect(device)
    if any(state.attrs[name].history.has_changes() for name in _IDENTITY):
        _forget_kiosks()


@event.listens_for(Device, "after_delete")
def _device_deleted(*_args: Any) -> None:
    _forget_kiosks()


def _forget_kiosks() -> None:
    with _kiosks_lock:
        _device_changes[0] += 1
