"""A realistic commune centre for demonstrations and for trying the system out.

Phường Tân Định (Hồ Chí Minh City) is one of the wards formed on 1 July 2025 by merging
former wards; its centre here has six counters whose services overlap, as real ones do.

Unlike every other write, it puts its rows in the caller's session directly rather than
through the admin use cases, on purpose: it is the fixture the tests and benchmarks build
inside their own transaction (tests/province.py, bench/history.py copies its layout), each
use case would commit and publish on its own; it renews every password and its own devices'
tokens at once, which no screen does (a device only ever gets a token by pairing); and
setting up a demonstration is not an administrator's change the audit log should show.
That is also how it knows its own devices: an administrator's every change to a device
(registering, pairing, renaming, revoking, pairing again) is in the audit log, so a device
with an entry there is the administrator's, and the demo leaves it alone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import (
    AuditEntry,
    Counter,
    CounterService,
    Device,
    Service,
    Site,
    User,
)
from server.domain.roles import DeviceKind, Role
from server.services.credentials import hash_password, new_device_token, token_hash

SITE_CODE = "tan-dinh"

SERVICES = [
    # code, Vietnamese, English, pictogram, prefix, expected minutes
    ("HT", "Tư pháp - Hộ tịch", "Justice and civil status", "family", "A", 12),
    ("CT", "Chứng thực", "Certification", "stamp", "B", 5),
    ("DD", "Đất đai", "Land", "land", "C", 20),
    (
        "LD",
        "Lao động - Thương binh và Xã hội",
        "Labour, invalids and social affairs",
        "people",
        "D",
        15,
    ),
    ("KD", "Đăng ký kinh doanh", "Business registration", "shop", "E", 15),
    ("TKQ", "Trả kết quả", "Result collection", "inbox", "F", 3),
]

# counter number: (label, main services, secondary services)
COUNTERS = {
    1: ("Hộ tịch", ["HT"], ["CT"]),
    2: ("Hộ tịch - Chứng thực", ["HT", "CT"], []),
    3: ("Chứng thực", ["CT"], ["TKQ"]),
    4: ("Đất đai", ["DD"], ["KD"]),
    5: ("Lao động - Xã hội", ["LD"], ["HT"]),
    6: ("Kinh doanh - Trả kết quả", ["KD", "TKQ"], ["DD"]),
}

# The screens the demo sets up itself, by kind and name.
DEMO_DEVICES = {
    DeviceKind.KIOSK: "Kiosk sảnh chính",
    DeviceKind.BOARD: "Màn hình sảnh chính",
    DeviceKind.RATING: "Máy đánh giá quầy 1",
}

CLERKS = [
    ("canbo1", "Nguyễn Thị Hồng", [1, 2]),
    ("canbo2", "Trần Văn Minh", [2, 3]),
    ("canbo3", "Lê Thị Thu Hà", [3]),
    ("canbo4", "Phạm Quốc Dũng", [4]),
    ("canbo5", "Hoàng Thị Lan", [5]),
    ("canbo6", "Võ Minh Tuấn", [6]),
]


@dataclass
class DemoCredentials:
    """Printed once by `xephang demo`: only hashes are stored."""

    site_id: int
    passwords: dict[str, str] = field(default_factory=dict)
    device_tokens: dict[str, str] = field(default_factory=dict)
    counter_ids: dict[int, int] = field(default_factory=dict)


def create_demo_centre(session: Session) -> DemoCredentials:
    """Create the demo centre if missing; (re)issue its passwords and its own devices'
    tokens (`device_tokens` has a kind only if the demo still has a device of that kind).

    Fresh random credentials on every run: nothing guessable is ever left in a database,
    and nothing secret lives in the repository. A device an administrator registered,
    paired, revoked or changed is never touched (see `own_devices`).
    """
    site = _demo_site(session)
    if site is None:
        site = _build(session)
    _add_rating_tablet(session, site)
    creds = DemoCredentials(site_id=site.id)
    creds.counter_ids = {c.number: c.id for c in site.counters}
    for user in session.scalars(select(User).where(User.username.in_(_usernames()))):
        password = secrets.token_urlsafe(6)
        user.password_hash = hash_password(password)
        creds.passwords[user.username] = password
    for device in own_devices(session, site):
        token = new_device_token()
        device.token_hash = token_hash(token)
        creds.device_tokens[device.kind] = token
    return creds


def own_devices(session: Session, site: Site) -> list[Device]:
    """The demo's devices at its site that no administrator has touched: in service, named
    as the demo names them, and with no audit entry (every administrative change to a device
    writes one, from the screens and the command line alike). A kiosk an administrator
    paired there, or the demo's kiosk they revoked or paired again, keeps its token."""
    touched = select(AuditEntry.entity_id).where(
        AuditEntry.entity == "device", AuditEntry.entity_id.is_not(None)
    )
    devices = session.scalars(
        select(Device)
        .where(Device.site_id == site.id, Device.active.is_(True), Device.id.not_in(touched))
        .order_by(Device.id)
    )
    return [d for d in devices if DEMO_DEVICES.get(DeviceKind(d.kind)) == d.name]


def _demo_site(session: Session) -> Site | None:
    """The demo's site: by its code, or, if an admin renamed the code, the demo manager's."""
    site = session.scalars(select(Site).where(Site.code == SITE_CODE)).first()
    if site is not None:
        return site
    manager = session.scalars(select(User).where(User.username == "quanly")).first()
    return manager.sites[0] if manager is not None and manager.sites else None


def _add_rating_tablet(session: Session, site: Site) -> None:
    """Counter 1's rating tablet, also in a demo centre made before tablets existed."""
    has_one = session.scalars(
        select(Device.id).where(Device.site_id == site.id, Device.kind == DeviceKind.RATING)
    ).first()
    if has_one is None:
        counter = next(c for c in site.counters if c.number == 1)
        session.add(
            Device(
                site_id=site.id,
                kind=DeviceKind.RATING,
                name=DEMO_DEVICES[DeviceKind.RATING],
                token_hash=token_hash(new_device_token()),
                counter_id=counter.id,
            )
        )
        session.flush()


def _usernames() -> list[str]:
    return ["admin", "quanly", *[username for username, _, _ in CLERKS]]


def add_services(session: Session, site: Site) -> dict[str, Service]:
    """The demo's six services at a site (flushed, so they have ids), by code."""
    services = {
        code: Service(
            site_id=site.id,
            code=code,
            name_vi=vi,
            name_en=en,
            pictogram=picto,
            prefix=prefix,
            number_width=3,
            expected_minutes=minutes,
            target_minutes=30,
            position=position,
        )
        for position, (code, vi, en, picto, prefix, minutes) in enumerate(SERVICES)
    }
    session.add_all(services.values())
    session.flush()
    return services


def new_counter(
    site: Site,
    number: int,
    label: str,
    main: list[str],
    secondary: list[str],
    services: dict[str, Service],
) -> Counter:
    """A counter serving `main` services first, then `secondary` ones, in that order."""
    counter = Counter(site_id=site.id, number=number, label=label)
    for position, code in enumerate(main + secondary):
        counter.service_links.append(
            CounterService(
                service_id=services[code].id, rank=0 if code in main else 1, position=position
            )
        )
    return counter


def _build(session: Session) -> Site:
    site = Site(
        code=SITE_CODE,
        name="Trung tâm Phục vụ hành chính công phường Tân Định",
        address="Phường Tân Định, Thành phố Hồ Chí Minh",
        timezone="Asia/Ho_Chi_Minh",
        closes_at=time(17, 0),
        # Counters do not call over lunch, as in most Vietnamese centres.
        lunch_starts_at=time(11, 30),
        lunch_ends_at=time(13, 0),
        max_priority_streak=3,
    )
    session.add(site)
    session.flush()
    services = add_services(session, site)
    counters = {}
    for number, (label, main, secondary) in COUNTERS.items():
        counter = new_counter(site, number, label, main, secondary, services)
        session.add(counter)
        counters[number] = counter
    unusable = hash_password(secrets.token_hex(16))
    session.add(
        User(
            username="admin", full_name="Quản trị hệ thống", role=Role.ADMIN, password_hash=unusable
        )
    )
    session.add(
        User(
            username="quanly",
            full_name="Đặng Văn Phúc",
            role=Role.MANAGER,
            password_hash=unusable,
            sites=[site],
        )
    )
    for username, name, numbers in CLERKS:
        session.add(
            User(
                username=username,
                full_name=name,
                role=Role.CLERK,
                password_hash=unusable,
                counters=[counters[n] for n in numbers],
            )
        )
    for kind in (DeviceKind.KIOSK, DeviceKind.BOARD):
        name = DEMO_DEVICES[kind]
        session.add(
            Device(site_id=site.id, kind=kind, name=name, token_hash=token_hash(new_device_token()))
        )
    session.flush()
    session.refresh(site)
    return site
