"""Use cases of a service (a queue with its own numbering) at a site: add one, change it,
and its target minutes, which a manager of the site may set too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Service
from server.config import PROJECT_ROOT
from server.domain.errors import AlreadyExists, Forbidden, InvalidInput
from server.domain.numbering import NumberFormat
from server.domain.roles import Role
from server.services import audit
from server.services.access import get_service, get_site, get_user
from server.services.admin.common import (
    MAX_MINUTES,
    MAX_NAME,
    Actor,
    assign,
    clean_text,
    commit,
    config_change,
    in_range,
    plain,
    require_admin,
    unique,
)
from server.services.unit_of_work import UnitOfWork

MAX_DAILY_CAP = 100_000
MAX_POSITION = 10_000
SERVICE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


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
    target_share: float = 0.8  # of citizens called within target_minutes (staffing plan)


@cache
def pictograms() -> tuple[str, ...]:
    """The pictograms a service may show on the kiosk: the SVGs in static/pictograms."""
    return tuple(sorted(p.stem for p in (PROJECT_ROOT / "static" / "pictograms").glob("*.svg")))


def find_service(session: Session, service_id: int) -> Service | None:
    return session.get(Service, service_id)


def site_service_ids(session: Session, site_id: int) -> list[int]:
    """The site's services, in the order the kiosk shows them."""
    return list(
        session.scalars(
            select(Service.id).where(Service.site_id == site_id).order_by(Service.position)
        )
    )


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
        in_range(data.range_end, 1, 999_999, "số cuối của dải số", "end of the number range")
    if not 0 < data.expected_minutes <= MAX_MINUTES:
        raise InvalidInput(
            f"Thời gian phục vụ dự kiến phải lớn hơn 0 và không quá {MAX_MINUTES} phút.",
            f"The expected service time must be over 0 and at most {MAX_MINUTES} minutes.",
        )
    in_range(data.target_minutes, 1, MAX_MINUTES, "thời gian chờ mục tiêu", "target wait")
    if data.daily_cap is not None:
        in_range(data.daily_cap, 1, MAX_DAILY_CAP, "số lượt tối đa mỗi ngày", "daily cap")
    if (
        data.issue_from is not None
        and data.issue_until is not None
        and data.issue_from >= data.issue_until
    ):
        raise InvalidInput(
            "Giờ bắt đầu cấp số phải trước giờ kết thúc.",
            "Ticket issuing must start before it ends.",
        )
    in_range(data.position, 0, MAX_POSITION, "thứ tự hiển thị", "position")
    if not 0.5 <= data.target_share <= 0.99:
        raise InvalidInput(
            "Tỉ lệ gọi trong thời gian mục tiêu phải từ 50 % đến 99 %.",
            "The share called within the target must be from 50 % to 99 %.",
        )
    return ServiceSettings(
        code=code,
        name_vi=clean_text(data.name_vi, MAX_NAME, "tên tiếng Việt", "Vietnamese name", True),
        name_en=clean_text(data.name_en, MAX_NAME, "tên tiếng Anh", "English name", True),
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
        target_share=float(data.target_share),
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


def create_service(uow: UnitOfWork, actor_id: Actor, site_id: int, data: ServiceSettings) -> int:
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
        commit(uow, "Mã lĩnh vực", "The service code")
    return service_id


def update_service(
    uow: UnitOfWork, actor_id: Actor, service_id: int, data: ServiceSettings
) -> None:
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
        commit(uow, "Mã lĩnh vực", "The service code")


def set_target_minutes(uow: UnitOfWork, actor_id: int, service_id: int, minutes: int) -> None:
    """A manager of the service's site (or an admin) sets how long a citizen should wait
    at most; the hall's alerts follow at once."""
    in_range(minutes, 1, MAX_MINUTES, "thời gian chờ mục tiêu", "target wait")
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
