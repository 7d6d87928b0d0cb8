"""Who is asking: staff signed in with Flask-Login, devices by their token, citizens by
their ticket's token (the phone page's only credential)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import request
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select

from server.adapters.db.models import Device, User
from server.domain.errors import Forbidden, Unauthorized
from server.domain.roles import DeviceKind, Role
from server.runtime import runtime
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

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def from_row(cls, user: User) -> StaffUser:
        return cls(
            id=user.id,
            username=user.username,
            full_name=user.full_name,
            role=Role(user.role),
            counter_ids=frozenset(c.id for c in user.counters),
            site_ids=frozenset(s.id for s in user.sites),
        )


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    with runtime().db.reading() as session:
        user = session.get(User, int(user_id))
        if user is None or not user.active:
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


def device_by_token(token: str | None, kind: DeviceKind | None = None) -> DeviceIdentity:
    """The active device a token belongs to (of `kind`, if given), or Unauthorized."""
    if not token or len(token) > 200:
        raise Unauthorized(
            "Thiết bị chưa được đăng ký: thiếu mã thiết bị.",
            "This device is not registered: its token is missing.",
        )
    with runtime().db.reading() as session:
        device = session.scalars(
            select(Device).where(Device.token_hash == token_hash(token))
        ).first()
        if device is None or not device.active:
            raise Unauthorized(
                "Mã thiết bị không hợp lệ hoặc đã bị thu hồi.",
                "The device token is invalid or has been revoked.",
            )
        if kind is not None and device.kind != kind:
            raise Forbidden(
                "Thiết bị này không được dùng cho màn hình này.",
                "This device is not registered for this screen.",
            )
        return DeviceIdentity(
            device.id,
            device.site_id,
            DeviceKind(device.kind),
            device.name,
            has_printer=bool(device.printer_url),
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
