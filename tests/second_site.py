"""A second centre beside the demo one, with its own manager: for the rules that keep one
site's staff and integrations out of another site."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import time

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, CounterService, Service, Site, User
from server.domain.roles import Role
from server.services.credentials import hash_password

MANAGER = "quanly-thuduc"


@dataclass(frozen=True)
class SecondSite:
    site_id: int
    service_id: int
    counter_id: int
    manager: str
    manager_password: str


def add_second_site(db: Database) -> SecondSite:
    """Phường Thủ Đức's centre: one service, one counter, and its manager (who looks after
    this site only)."""
    password = secrets.token_urlsafe(8)
    with db.write_session() as session, session.begin():
        site = Site(
            code="thu-duc",
            name="Trung tâm Phục vụ hành chính công phường Thủ Đức",
            timezone="Asia/Ho_Chi_Minh",
            closes_at=time(17, 0),
        )
        session.add(site)
        session.flush()
        service = Service(
            site_id=site.id,
            code="HT",
            name_vi="Tư pháp - Hộ tịch",
            name_en="Justice and civil status",
            prefix="A",
            expected_minutes=12,
        )
        session.add(service)
        session.flush()
        counter = Counter(site_id=site.id, number=1, label="Hộ tịch")
        counter.service_links.append(CounterService(service_id=service.id, rank=0))
        session.add(counter)
        session.add(
            User(
                username=MANAGER,
                full_name="Trương Thị Mai",
                role=Role.MANAGER,
                password_hash=hash_password(password),
                sites=[site],
            )
        )
        session.flush()
        return SecondSite(site.id, service.id, counter.id, MANAGER, password)
