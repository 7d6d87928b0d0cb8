"""Use cases of a staff account (admin, manager or clerk): add one, change its name, role,
a clerk's counters or a manager's sites, reset its password, deactivate it. The admin
screens and `xephang create-user` both come here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Site, User
from server.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from server.domain.roles import Role
from server.services import audit
from server.services.admin.common import (
    MAX_NAME,
    Actor,
    assign,
    clean_text,
    commit,
    config_change,
    plain,
    require_admin,
    unique,
)
from server.services.credentials import hash_password
from server.services.unit_of_work import UnitOfWork

MIN_PASSWORD = 8
MAX_PASSWORD = 200
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class UserSettings:
    """`counter_ids` count for a clerk only, `site_ids` for a manager only."""

    username: str
    full_name: str
    role: Role
    counter_ids: tuple[int, ...] = ()
    site_ids: tuple[int, ...] = ()


def all_users(session: Session) -> list[User]:
    """Every account, admins first, then managers, then clerks, by username."""
    return list(session.scalars(select(User).order_by(User.role, User.username)))


def find_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def _checked_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"Mật khẩu phải có từ {MIN_PASSWORD} đến {MAX_PASSWORD} ký tự.",
            f"The password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters.",
        )
    return password


def _checked_user(data: UserSettings, username_changed: bool) -> UserSettings:
    username = data.username.strip().lower()
    if username_changed and not USERNAME.match(username):
        raise InvalidInput(
            "Tên đăng nhập gồm 2 đến 64 chữ thường không dấu, số, “.”, “_” hoặc “-”.",
            "The username is 2 to 64 lower-case letters, digits, “.”, “_” or “-”.",
        )
    return UserSettings(
        username=username,
        full_name=clean_text(data.full_name, MAX_NAME, "họ tên", "full name", True),
        role=data.role,
        # A clerk works at counters; a manager looks after sites; an admin does everything.
        counter_ids=tuple(sorted(set(data.counter_ids))) if data.role == Role.CLERK else (),
        site_ids=tuple(sorted(set(data.site_ids))) if data.role == Role.MANAGER else (),
    )


def _refuse_taken_username(session: Session, username: str, user_id: int | None) -> None:
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username))
    if taken is not None and taken != user_id:
        raise AlreadyExists(
            f"Tên đăng nhập “{username}” đã được dùng.",
            f"The username “{username}” is already taken.",
        )


def _load_all(
    session: Session, model: type[Counter] | type[Site], ids: tuple[int, ...]
) -> list[Any]:
    rows = list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    if len(rows) != len(ids):
        raise NotFound(
            "Một quầy hoặc điểm phục vụ được chọn không còn tồn tại.",
            "A chosen counter or site no longer exists.",
        )
    return rows


def _assign_user(session: Session, user: User, data: UserSettings) -> dict[str, list[Any]]:
    changed = assign(
        user, {"username": data.username, "full_name": data.full_name, "role": data.role}
    )
    counters = _load_all(session, Counter, data.counter_ids)
    sites = _load_all(session, Site, data.site_ids)
    old_counters = [f"{c.site.code}#{c.number}" for c in user.counters]
    old_sites = [s.code for s in user.sites]
    user.counters = sorted(counters, key=lambda c: (c.site_id, c.number))
    user.sites = sorted(sites, key=lambda s: s.id)
    new_counters = [f"{c.site.code}#{c.number}" for c in user.counters]
    new_sites = [s.code for s in user.sites]
    if old_counters != new_counters:
        changed["counters"] = [old_counters, new_counters]
    if old_sites != new_sites:
        changed["sites"] = [old_sites, new_sites]
    return changed


def _counters_changed(uow: UnitOfWork, user_id: int, counters: Iterable[Counter]) -> None:
    """A clerk's counters show the clerk: each site concerned resyncs its screens."""
    by_site: dict[int, set[int]] = {}
    for counter in counters:
        by_site.setdefault(counter.site_id, set()).update(counter.service_rank)
    for site_id, service_ids in sorted(by_site.items()):
        config_change(uow, site_id, "user", user_id, service_ids)


def create_user(uow: UnitOfWork, actor_id: Actor, data: UserSettings, password: str) -> int:
    """Add a staff account (admin, manager or clerk); returns its id."""
    data = _checked_user(data, username_changed=True)
    password_hash = hash_password(_checked_password(password))
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        _refuse_taken_username(session, data.username, None)
        user = User(
            username=data.username,
            full_name=data.full_name,
            role=data.role,
            password_hash=password_hash,
            active=True,
            counters=_load_all(session, Counter, data.counter_ids),
            sites=_load_all(session, Site, data.site_ids),
        )
        session.add(user)
        with unique("Tên đăng nhập", "The username"):
            session.flush()
        detail: dict[str, list[Any]] = {
            "username": [None, user.username],
            "full_name": [None, user.full_name],
            "role": [None, plain(data.role)],
            "active": [None, True],
        }
        if user.counters:
            detail["counters"] = [None, [f"{c.site.code}#{c.number}" for c in user.counters]]
        if user.sites:
            detail["sites"] = [None, [s.code for s in user.sites]]
        audit.record(session, uow.clock(), actor_id, "user.create", "user", user.id, detail=detail)
        _counters_changed(uow, user.id, user.counters)
        user_id = user.id
        commit(uow, "Tên đăng nhập", "The username")
    return user_id


def update_user(uow: UnitOfWork, actor_id: Actor, user_id: int, data: UserSettings) -> None:
    """Change an account's username, name, role, a clerk's counters or a manager's sites.
    An admin cannot take the admin role from themselves (someone must stay admin)."""
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"Không có tài khoản mã {user_id}.", f"There is no user {user_id}.")
        data = _checked_user(data, username_changed=data.username.strip().lower() != user.username)
        if user.id == actor_id and data.role != Role.ADMIN:
            raise Forbidden(
                "Bạn không thể bỏ quyền quản trị của chính mình.",
                "You cannot take the admin role from yourself.",
            )
        _refuse_taken_username(session, data.username, user.id)
        old_counters = list(user.counters)
        changed = _assign_user(session, user, data)
        if changed:
            audit.record(
                session, uow.clock(), actor_id, "user.update", "user", user.id, detail=changed
            )
            _counters_changed(uow, user.id, {*old_counters, *user.counters})
        commit(uow, "Tên đăng nhập", "The username")


def reset_password(uow: UnitOfWork, actor_id: Actor, user_id: int, password: str) -> None:
    """Give an account a new password (the audit log says it was reset, never what to)."""
    password_hash = hash_password(_checked_password(password))
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"Không có tài khoản mã {user_id}.", f"There is no user {user_id}.")
        user.password_hash = password_hash
        audit.record(session, uow.clock(), actor_id, "user.password_reset", "user", user.id)
        uow.commit()


def set_user_active(uow: UnitOfWork, actor_id: Actor, user_id: int, active: bool) -> None:
    """Deactivate an account (it can no longer sign in, and its open sessions end at their
    next request) or activate it again. Nobody can deactivate themselves."""
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"Không có tài khoản mã {user_id}.", f"There is no user {user_id}.")
        if user.id == actor_id and not active:
            raise Forbidden(
                "Bạn không thể tự khoá tài khoản của mình.", "You cannot deactivate yourself."
            )
        changed = assign(user, {"active": active})
        if changed:
            action = "user.activate" if active else "user.deactivate"
            audit.record(session, uow.clock(), actor_id, action, "user", user.id, detail=changed)
            _counters_changed(uow, user.id, user.counters)
        uow.commit()
