"""What the administration use cases share: who may act, the audit log's view of a
change, the change event every screen of a site listens for, and the checks of text and
numbers with their bilingual messages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import time
from enum import StrEnum
from typing import Any, Final, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, Device, Service, Site, User
from server.domain.errors import AlreadyExists, Forbidden, InvalidInput
from server.domain.roles import Role
from server.services.access import get_user
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

CONFIG_CHANGED = "config_changed"

MAX_NAME = 200
MAX_MINUTES = 480  # a working day

Actor: TypeAlias = int | None
"""Who makes an administrative change: a staff account's id, or COMMAND_LINE."""

COMMAND_LINE: Final = None
"""The actor of `xephang create-user`, `create-device` and `create-api-token`. Nobody signs
in there: whoever runs the command holds the server's database credentials, so it may do
what an administrator may. Its audit entries have no user (the log shows "Thiết bị / hệ
thống", device or system), like a device pairing itself."""


def require_admin(session: Session, actor: Actor) -> User | None:
    """The actor's row, if they are an active administrator (None for the command line);
    Forbidden otherwise (the views check the role too: this keeps the rule with the use
    case)."""
    if actor is COMMAND_LINE:
        return None
    user = get_user(session, actor)
    if user.role != Role.ADMIN:
        raise Forbidden(
            "Chỉ quản trị viên mới được thay đổi cấu hình.",
            "Only administrators may change the configuration.",
        )
    return user


def plain(value: Any) -> Any:
    """A value as the audit log stores it (JSON): times as HH:MM, enums as their value."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def assign(row: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the row's fields to `values`; the fields that changed, as {name: [old, new]}."""
    changed: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(row, name)
        if old != new:
            changed[name] = [plain(old), plain(new)]
            setattr(row, name, new)
    return changed


def config_change(
    uow: UnitOfWork,
    site_id: int,
    entity: str,
    entity_id: int,
    service_ids: Iterable[int] = (),
    counter_id: int | None = None,
) -> None:
    """Tell every screen of the site that its configuration changed: each one fetches a
    new snapshot (a phone page only if its ticket's service is among `service_ids`, a
    rating tablet only if `counter_id` is its counter)."""
    uow.record(
        Change(
            site_id=site_id,
            kind=CONFIG_CHANGED,
            service_ids=tuple(sorted(set(service_ids))),
            counter_id=counter_id,
            public={"config": {"entity": entity, "id": entity_id}},
        )
    )


@contextmanager
def unique(what_vi: str, what_en: str) -> Iterator[None]:
    """Turn a unique index refusing a row (two admins saving the same code at once, past
    the check each use case makes first) into a 409 instead of an error 500."""
    try:
        yield
    except IntegrityError as error:
        raise AlreadyExists(f"{what_vi} đã được dùng.", f"{what_en} is already in use.") from error


def _sentence(label: str) -> str:
    """A label at the start of a sentence: only its first letter up ("tên tiếng Việt")."""
    return label[:1].upper() + label[1:]


def clean_text(value: str, max_length: int, label_vi: str, label_en: str, required: bool) -> str:
    """`value` with its runs of spaces made one; refused if missing (when `required`) or
    longer than `max_length`."""
    value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(f"Hãy nhập {label_vi}.", f"The {label_en} is required.")
    if len(value) > max_length:
        raise InvalidInput(
            f"{_sentence(label_vi)} dài quá {max_length} ký tự.",
            f"The {label_en} is longer than {max_length} characters.",
        )
    return value


def in_range(value: int | float, low: int, high: int, label_vi: str, label_en: str) -> None:
    """Refuse a number outside [low, high]."""
    if not low <= value <= high:
        raise InvalidInput(
            f"{_sentence(label_vi)} phải từ {low} đến {high}.",
            f"The {label_en} must be from {low} to {high}.",
        )


def commit(uow: UnitOfWork, what_vi: str, what_en: str) -> None:
    """Flush and commit, a unique index's refusal becoming AlreadyExists(`what`)."""
    with unique(what_vi, what_en):
        uow.session.flush()
        uow.commit()


def entity_counts(session: Session) -> dict[str, int]:
    """How many sites, services, counters, accounts and devices there are (the admin's
    start page)."""
    return {
        name: session.scalar(select(func.count()).select_from(model)) or 0
        for name, model in (
            ("sites", Site),
            ("services", Service),
            ("counters", Counter),
            ("users", User),
            ("devices", Device),
        )
    }
