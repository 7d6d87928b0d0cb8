"""Use cases of a site (a centre's hall or a reception point): add one, change its name,
address, time zone, opening hours, lunch break or priority bound; and the list the screens
show."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Site
from server.domain.errors import AlreadyExists, InvalidInput, NotFound
from server.services import audit
from server.services.access import get_site
from server.services.admin.common import (
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

MAX_ADDRESS = 300
MAX_PRIORITY_STREAK = 20
SITE_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class SiteSettings:
    """What the site form sends."""

    code: str
    name: str
    address: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    opens_at: time = time(7, 30)
    closes_at: time = time(17, 30)
    max_priority_streak: int = 3
    # The lunch break, when counters do not call: both set, or neither.
    lunch_starts_at: time | None = None
    lunch_ends_at: time | None = None


@cache
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def all_sites(session: Session) -> list[Site]:
    """Every site, in the order they were added."""
    return list(session.scalars(select(Site).order_by(Site.id)))


def find_site(session: Session, site_id: int) -> Site | None:
    return session.get(Site, site_id)


def site_by_code(session: Session, code: str) -> Site:
    """The site with this code (as the command line names it)."""
    site = session.scalars(select(Site).where(Site.code == code)).first()
    if site is None:
        raise NotFound(
            f"Không có điểm phục vụ mã “{code}”.", f"There is no site with the code “{code}”."
        )
    return site


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
    _check_lunch(data)
    in_range(
        data.max_priority_streak,
        1,
        MAX_PRIORITY_STREAK,
        "số lượt ưu tiên liên tiếp",
        "priority streak",
    )
    return SiteSettings(
        code=code,
        name=clean_text(data.name, MAX_NAME, "tên điểm phục vụ", "site name", True),
        address=clean_text(data.address, MAX_ADDRESS, "địa chỉ", "address", False),
        timezone=data.timezone,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        max_priority_streak=data.max_priority_streak,
        lunch_starts_at=data.lunch_starts_at,
        lunch_ends_at=data.lunch_ends_at,
    )


def _check_lunch(data: SiteSettings) -> None:
    """A lunch break has both ends or none, starts before it ends, and lies within the
    opening hours (the wait predictor stops calling in it; the kiosk warns before it)."""
    starts, ends = data.lunch_starts_at, data.lunch_ends_at
    if starts is None and ends is None:
        return
    if starts is None or ends is None:
        raise InvalidInput(
            "Hãy nhập cả giờ bắt đầu và giờ kết thúc nghỉ trưa, hoặc để trống cả hai.",
            "Give both the start and the end of the lunch break, or neither.",
        )
    if starts >= ends:
        raise InvalidInput(
            "Giờ bắt đầu nghỉ trưa phải trước giờ kết thúc nghỉ trưa.",
            "The lunch break must start before it ends.",
        )
    if starts <= data.opens_at or ends >= data.closes_at:
        raise InvalidInput(
            f"Giờ nghỉ trưa phải nằm trong giờ làm việc "
            f"({data.opens_at:%H:%M}–{data.closes_at:%H:%M}).",
            f"The lunch break must lie within the opening hours "
            f"({data.opens_at:%H:%M}–{data.closes_at:%H:%M}).",
        )


def _refuse_taken_site_code(session: Session, code: str, site_id: int | None) -> None:
    taken = session.scalar(select(Site.id).where(Site.code == code))
    if taken is not None and taken != site_id:
        raise AlreadyExists(
            f"Mã điểm phục vụ “{code}” đã được dùng.", f"The site code “{code}” is already in use."
        )


def create_site(uow: UnitOfWork, actor_id: Actor, data: SiteSettings) -> int:
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
        commit(uow, "Mã điểm phục vụ", "The site code")
    return site_id


def update_site(uow: UnitOfWork, actor_id: Actor, site_id: int, data: SiteSettings) -> None:
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
        commit(uow, "Mã điểm phục vụ", "The site code")
