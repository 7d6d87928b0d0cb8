"""Use cases of administration: the sites, their services, counters and staff accounts
(devices are in devices.py). A centre is set up and run by its own staff, never by editing
the database.

Each use case is one transaction: it checks the actor (an active admin; a manager may only
set the target minutes of the services of their sites), validates the whole input with
bilingual errors, writes the row, an audit entry with every changed field as (old, new),
never a password, and a site-wide `config_changed` change, so every screen of the site
fetches a fresh snapshot: the kiosk's buttons, the board, the clerks' screens, the hall.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, CounterService, Service, Site, User
from server.config import PROJECT_ROOT
from server.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from server.domain.numbering import NumberFormat
from server.domain.roles import Role
from server.services import audit
from server.services.access import get_service, get_site, get_user
from server.services.changes import Change
from server.services.credentials import hash_password
from server.services.unit_of_work import UnitOfWork

CONFIG_CHANGED = "config_changed"

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_MINUTES = 480  # a working day
MAX_DAILY_CAP = 100_000
MAX_COUNTER_NUMBER = 999
MAX_POSITION = 10_000
MAX_PRIORITY_STREAK = 20
MIN_PASSWORD = 8
MAX_PASSWORD = 200

SITE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
SERVICE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

MAIN, SECONDARY = 0, 1  # counter_services.rank


@cache
def pictograms() -> tuple[str, ...]:
    """The pictograms a service may show on the kiosk: the SVGs in static/pictograms."""
    return tuple(sorted(p.stem for p in (PROJECT_ROOT / "static" / "pictograms").glob("*.svg")))


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


# -- what the forms send -------------------------------------------------------------------


@dataclass(frozen=True)
class SiteSettings:
    code: str
    name: str
    address: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    opens_at: time = time(7, 30)
    closes_at: time = time(17, 30)
    max_priority_streak: int = 3


@dataclass(frozen=True)
class ServiceSettings:
    """Numbering is either `prefix` + `number_width` ("A007") or `range_start`-`range_end`
    ("1001".."1999"). `daily_cap`, `issue_from` and `issue_until` are optional (None)."""

    code: str
    name_vi: str
    name_en: str
    pictogram: str = ""
    prefix: str = ""
    number_width: int = 3
    range_start: int | None = None
    range_end: int | None = None
    expected_minutes: float = 10.0
    target_minutes: int = 30
    daily_cap: int | None = None
    issue_from: time | None = None
    issue_until: time | None = None
    active: bool = True
    position: int = 0


@dataclass(frozen=True)
class CounterSettings:
    """`services` in the order the counter serves them: (service id, rank), rank 0 for a
    main service and 1 for a secondary one (served when no main service has anyone)."""

    number: int
    label: str = ""
    services: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class UserSettings:
    """`counter_ids` count for a clerk only, `site_ids` for a manager only."""

    username: str
    full_name: str
    role: Role
    counter_ids: tuple[int, ...] = ()
    site_ids: tuple[int, ...] = ()


# -- shared by the use cases -------------------------------------------------------------


def require_admin(session: Session, user_id: int) -> User:
    """The actor's row, if they are an active administrator; Forbidden otherwise (the views
    check the role too: this keeps the rule with the use case)."""
    user = get_user(session, user_id)
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


def _text(value: str, max_length: int, label_vi: str, label_en: str, required: bool) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise InvalidInput(f"Hãy nhập {label_vi}.", f"The {label_en} is required.")
    if len(value) > max_length:
        raise InvalidInput(
            f"{_sentence(label_vi)} dài quá {max_length} ký tự.",
            f"The {label_en} is longer than {max_length} characters.",
        )
    return value


def _in_range(value: int | float, low: int, high: int, label_vi: str, label_en: str) -> None:
    if not low <= value <= high:
        raise InvalidInput(
            f"{_sentence(label_vi)} phải từ {low} đến {high}.",
            f"The {label_en} must be from {low} to {high}.",
        )


def _commit(uow: UnitOfWork, what_vi: str, what_en: str) -> None:
    with unique(what_vi, what_en):
        uow.session.flush()
        uow.commit()


# -- sites -------------------------------------------------------------------------------


def _checked_site(data: SiteSettings) -> SiteSettings:
    code = data.code.strip().lower()
    if not SITE_CODE.match(code):
        raise InvalidInput(
            "Mã điểm phục vụ gồm chữ thường không dấu, số và dấu gạch ngang (tối đa 32 ký tự).",
            "The site code is lower-case letters, digits and dashes (at most 32 characters).",
        )
    if data.timezone not in time_zones():
        raise InvalidInput(
            f"Múi giờ “{data.timezone}” không tồn tại (ví dụ: Asia/Ho_Chi_Minh).",
            f"There is no time zone “{data.timezone}” (for example Asia/Ho_Chi_Minh).",
        )
    if data.opens_at >= data.closes_at:
        raise InvalidInput(
            "Giờ mở cửa phải trước giờ đóng cửa.", "The opening time must be before closing."
        )
    _in_range(
        data.max_priority_streak,
        1,
        MAX_PRIORITY_STREAK,
        "số lượt ưu tiên liên tiếp",
        "priority streak",
    )
    return SiteSettings(
        code=code,
        name=_text(data.name, MAX_NAME, "tên điểm phục vụ", "site name", True),
        address=_text(data.address, MAX_ADDRESS, "địa chỉ", "address", False),
        timezone=data.timezone,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        max_priority_streak=data.max_priority_streak,
    )


def _refuse_taken_site_code(session: Session, code: str, site_id: int | None) -> None:
    taken = session.scalar(select(Site.id).where(Site.code == code))
    if taken is not None and taken != site_id:
        raise AlreadyExists(
            f"Mã điểm phục vụ “{code}” đã được dùng.", f"The site code “{code}” is already in use."
        )


def create_site(uow: UnitOfWork, actor_id: int, data: SiteSettings) -> int:
    """Add a centre's hall or a reception point; returns its id."""
    data = _checked_site(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        _refuse_taken_site_code(session, data.code, None)
        site = Site(**{name: getattr(data, name) for name in SiteSettings.__dataclass_fields__})
        session.add(site)
        with unique("Mã điểm phục vụ", "The site code"):
            session.flush()
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "site.create",
            "site",
            site.id,
            site_id=site.id,
            detail={n: [None, plain(getattr(data, n))] for n in SiteSettings.__dataclass_fields__},
        )
        config_change(uow, site.id, "site", site.id)
        site_id = site.id
        _commit(uow, "Mã điểm phục vụ", "The site code")
    return site_id


def update_site(uow: UnitOfWork, actor_id: int, site_id: int, data: SiteSettings) -> None:
    """Change a site's name, address, time zone, opening hours or priority bound."""
    data = _checked_site(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        site = get_site(session, site_id)
        _refuse_taken_site_code(session, data.code, site.id)
        changed = assign(
            site, {name: getattr(data, name) for name in SiteSettings.__dataclass_fields__}
        )
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "site.update",
                "site",
                site.id,
                site_id=site.id,
                detail=changed,
            )
            config_change(uow, site.id, "site", site.id, (s.id for s in site.services))
        _commit(uow, "Mã điểm phục vụ", "The site code")


# -- services ----------------------------------------------------------------------------


def _checked_service(data: ServiceSettings) -> ServiceSettings:
    code = data.code.strip().upper()
    if not SERVICE_CODE.match(code):
        raise InvalidInput(
            "Mã lĩnh vực gồm chữ in hoa không dấu, số, “-” và “_” (tối đa 32 ký tự).",
            "The service code is capital letters, digits, “-” and “_” (at most 32 characters).",
        )
    if data.pictogram and data.pictogram not in pictograms():
        raise InvalidInput(
            f"Không có biểu tượng “{data.pictogram}”.",
            f"There is no pictogram “{data.pictogram}”.",
        )
    ranged = data.range_start is not None or data.range_end is not None
    prefix = "" if ranged else data.prefix.strip().upper()
    NumberFormat(prefix, data.number_width, data.range_start, data.range_end)  # its own checks
    if data.range_end is not None:
        _in_range(data.range_end, 1, 999_999, "số cuối của dải số", "end of the number range")
    if not 0 < data.expected_minutes <= MAX_MINUTES:
        raise InvalidInput(
            f"Thời gian phục vụ dự kiến phải lớn hơn 0 và không quá {MAX_MINUTES} phút.",
            f"The expected service time must be over 0 and at most {MAX_MINUTES} minutes.",
        )
    _in_range(data.target_minutes, 1, MAX_MINUTES, "thời gian chờ mục tiêu", "target wait")
    if data.daily_cap is not None:
        _in_range(data.daily_cap, 1, MAX_DAILY_CAP, "số lượt tối đa mỗi ngày", "daily cap")
    if (
        data.issue_from is not None
        and data.issue_until is not None
        and data.issue_from >= data.issue_until
    ):
        raise InvalidInput(
            "Giờ bắt đầu cấp số phải trước giờ kết thúc.",
            "Ticket issuing must start before it ends.",
        )
    _in_range(data.position, 0, MAX_POSITION, "thứ tự hiển thị", "position")
    return ServiceSettings(
        code=code,
        name_vi=_text(data.name_vi, MAX_NAME, "tên tiếng Việt", "Vietnamese name", True),
        name_en=_text(data.name_en, MAX_NAME, "tên tiếng Anh", "English name", True),
        pictogram=data.pictogram,
        prefix=prefix,
        number_width=data.number_width,
        range_start=data.range_start,
        range_end=data.range_end,
        expected_minutes=float(data.expected_minutes),
        target_minutes=data.target_minutes,
        daily_cap=data.daily_cap,
        issue_from=data.issue_from,
        issue_until=data.issue_until,
        active=data.active,
        position=data.position,
    )


def _refuse_clashing_service(
    session: Session, site_id: int, data: ServiceSettings, service_id: int | None
) -> None:
    """A code is unique at a site, and so is every number a citizen may hold: two services
    may not share a prefix, nor overlapping ranges (range numbers are digits only and
    prefixed ones start with a letter, so those two kinds never meet)."""
    others = [
        s
        for s in session.scalars(select(Service).where(Service.site_id == site_id))
        if s.id != service_id
    ]
    for other in others:
        if other.code == data.code:
            raise AlreadyExists(
                f"Mã lĩnh vực “{data.code}” đã có ở điểm này.",
                f"The service code “{data.code}” already exists at this site.",
            )
    for other in others:
        if data.range_start is None:
            if other.range_start is None and other.prefix.upper() == data.prefix:
                raise AlreadyExists(
                    f"Tiền tố “{data.prefix}” đã được lĩnh vực “{other.name_vi}” dùng: "
                    "hai lĩnh vực sẽ phát trùng số.",
                    f"The prefix “{data.prefix}” is used by “{other.name_en}”: "
                    "both services would give the same numbers.",
                )
        elif (
            other.range_start is not None
            and other.range_end is not None
            and data.range_end is not None
            and data.range_start <= other.range_end
            and other.range_start <= data.range_end
        ):
            raise AlreadyExists(
                f"Dải số {data.range_start}-{data.range_end} trùng với dải "
                f"{other.range_start}-{other.range_end} của “{other.name_vi}”.",
                f"The range {data.range_start}-{data.range_end} overlaps "
                f"{other.range_start}-{other.range_end} of “{other.name_en}”.",
            )


def _service_values(data: ServiceSettings) -> dict[str, Any]:
    return {name: getattr(data, name) for name in ServiceSettings.__dataclass_fields__}


def create_service(uow: UnitOfWork, actor_id: int, site_id: int, data: ServiceSettings) -> int:
    """Add a service (a queue with its own numbering) to a site; returns its id."""
    data = _checked_service(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        get_site(session, site_id)
        _refuse_clashing_service(session, site_id, data, None)
        service = Service(site_id=site_id, **_service_values(data))
        session.add(service)
        with unique("Mã lĩnh vực", "The service code"):
            session.flush()
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "service.create",
            "service",
            service.id,
            site_id=site_id,
            detail={name: [None, plain(v)] for name, v in _service_values(data).items()},
        )
        config_change(uow, site_id, "service", service.id, [service.id])
        service_id = service.id
        _commit(uow, "Mã lĩnh vực", "The service code")
    return service_id


def update_service(uow: UnitOfWork, actor_id: int, service_id: int, data: ServiceSettings) -> None:
    """Change a service: its names, pictogram, numbering, minutes, cap, issuing hours,
    whether it takes tickets. A new numbering applies to the next ticket: today's sequence
    goes on (a range is counted from its start)."""
    data = _checked_service(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        service = get_service(session, service_id)
        _refuse_clashing_service(session, service.site_id, data, service.id)
        changed = assign(service, _service_values(data))
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "service.update",
                "service",
                service.id,
                site_id=service.site_id,
                detail=changed,
            )
            config_change(uow, service.site_id, "service", service.id, [service.id])
        _commit(uow, "Mã lĩnh vực", "The service code")


def set_target_minutes(uow: UnitOfWork, actor_id: int, service_id: int, minutes: int) -> None:
    """A manager of the service's site (or an admin) sets how long a citizen should wait
    at most; the hall's alerts follow at once."""
    _in_range(minutes, 1, MAX_MINUTES, "thời gian chờ mục tiêu", "target wait")
    with uow:
        session = uow.session
        actor = get_user(session, actor_id)
        service = get_service(session, service_id)
        manages = actor.role == Role.ADMIN or (
            actor.role == Role.MANAGER and any(s.id == service.site_id for s in actor.sites)
        )
        if not manages:
            raise Forbidden("Bạn không quản lý điểm phục vụ này.", "You do not manage this site.")
        changed = assign(service, {"target_minutes": minutes})
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "service.target",
                "service",
                service.id,
                site_id=service.site_id,
                detail=changed,
            )
            config_change(uow, service.site_id, "service", service.id, [service.id])
        uow.commit()


# -- counters ----------------------------------------------------------------------------


def _checked_counter(data: CounterSettings) -> CounterSettings:
    _in_range(data.number, 1, MAX_COUNTER_NUMBER, "số quầy", "counter number")
    ids = [service_id for service_id, _ in data.services]
    if len(ids) != len(set(ids)):
        raise InvalidInput(
            "Mỗi lĩnh vực chỉ được chọn một lần cho một quầy.",
            "Each service may be given to a counter only once.",
        )
    if any(rank not in (MAIN, SECONDARY) for _, rank in data.services):
        raise InvalidInput(
            "Lĩnh vực của quầy là chính hoặc phụ.", "A counter's service is main or secondary."
        )
    return CounterSettings(
        number=data.number,
        label=_text(data.label, MAX_NAME, "tên quầy", "counter label", False),
        services=data.services,
    )


def _refuse_taken_number(
    session: Session, site_id: int, number: int, counter_id: int | None
) -> None:
    taken = session.scalar(
        select(Counter.id).where(Counter.site_id == site_id, Counter.number == number)
    )
    if taken is not None and taken != counter_id:
        raise AlreadyExists(
            f"Quầy số {number} đã có ở điểm này.",
            f"Counter {number} already exists at this site.",
        )


def _set_counter_services(
    session: Session, counter: Counter, services: tuple[tuple[int, int], ...]
) -> None:
    """Give the counter its services, in order, updating links in place (a link removed
    and added again in one flush would collide on its primary key)."""
    for service_id, _ in services:
        get_service(session, service_id, counter.site_id)
    existing = {link.service_id: link for link in counter.service_links}
    wanted = {service_id for service_id, _ in services}
    for old in list(counter.service_links):
        if old.service_id not in wanted:
            counter.service_links.remove(old)
    for position, (service_id, rank) in enumerate(services):
        link = existing.get(service_id)
        if link is None:
            counter.service_links.append(
                CounterService(service_id=service_id, rank=rank, position=position)
            )
        else:
            link.rank, link.position = rank, position


def _service_list(session: Session, counter: Counter) -> list[str]:
    """The counter's services as the audit log shows them: "HT (chính)", in order."""
    rows = session.execute(
        select(Service.id, Service.code).where(Service.site_id == counter.site_id)
    )
    codes = {service_id: code for service_id, code in rows}
    ordered = sorted(counter.service_links, key=lambda link: (link.rank, link.position))
    return [
        f"{codes.get(link.service_id, link.service_id)} ({'chính' if link.rank == MAIN else 'phụ'})"
        for link in ordered
    ]


def create_counter(uow: UnitOfWork, actor_id: int, site_id: int, data: CounterSettings) -> int:
    """Add a numbered counter to a site, with its ordered services; returns its id."""
    data = _checked_counter(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        get_site(session, site_id)
        _refuse_taken_number(session, site_id, data.number, None)
        counter = Counter(site_id=site_id, number=data.number, label=data.label)
        session.add(counter)
        _set_counter_services(session, counter, data.services)
        with unique("Số quầy", "The counter number"):
            session.flush()
        audit.record(
            session,
            uow.clock(),
            actor_id,
            "counter.create",
            "counter",
            counter.id,
            site_id=site_id,
            detail={
                "number": [None, data.number],
                "label": [None, data.label],
                "services": [None, _service_list(session, counter)],
            },
        )
        config_change(
            uow, site_id, "counter", counter.id, [s for s, _ in data.services], counter.id
        )
        counter_id = counter.id
        _commit(uow, "Số quầy", "The counter number")
    return counter_id


def update_counter(uow: UnitOfWork, actor_id: int, counter_id: int, data: CounterSettings) -> None:
    """Renumber or relabel a counter, or change its services and their order. A ticket
    already called there stays there."""
    data = _checked_counter(data)
    with uow:
        session = uow.session
        require_admin(session, actor_id)
        counter = session.get(Counter, counter_id, with_for_update=True)
        if counter is None:
            raise NotFound(f"Không có quầy mã {counter_id}.", f"There is no counter {counter_id}.")
        _refuse_taken_number(session, counter.site_id, data.number, counter.id)
        before_services = _service_list(session, counter)
        old_service_ids = set(counter.service_rank)
        changed = assign(counter, {"number": data.number, "label": data.label})
        _set_counter_services(session, counter, data.services)
        after_services = _service_list(session, counter)
        if after_services != before_services:
            changed["services"] = [before_services, after_services]
        if changed:
            audit.record(
                session,
                uow.clock(),
                actor_id,
                "counter.update",
                "counter",
                counter.id,
                site_id=counter.site_id,
                detail=changed,
            )
            config_change(
                uow,
                counter.site_id,
                "counter",
                counter.id,
                old_service_ids | {s for s, _ in data.services},
                counter.id,
            )
        _commit(uow, "Số quầy", "The counter number")


# -- users -------------------------------------------------------------------------------


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
        full_name=_text(data.full_name, MAX_NAME, "họ tên", "full name", True),
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


def create_user(uow: UnitOfWork, actor_id: int, data: UserSettings, password: str) -> int:
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
        _commit(uow, "Tên đăng nhập", "The username")
    return user_id


def update_user(uow: UnitOfWork, actor_id: int, user_id: int, data: UserSettings) -> None:
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
        _commit(uow, "Tên đăng nhập", "The username")


def reset_password(uow: UnitOfWork, actor_id: int, user_id: int, password: str) -> None:
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


def set_user_active(uow: UnitOfWork, actor_id: int, user_id: int, active: bool) -> None:
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
