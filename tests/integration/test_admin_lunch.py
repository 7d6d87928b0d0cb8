"""A site's lunch break, set by an administrator: both ends or none, within the opening
hours, start before end; the wait forecast plays it forward."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

import pytest
from sqlalchemy import select

from server.adapters.db.models import AuditEntry, Site
from server.domain.errors import InvalidInput
from server.services.admin.sites import SiteSettings, update_site
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, Staff

DEMO = SiteSettings(
    code="tan-dinh",
    name="Trung tâm Phục vụ hành chính công phường Tân Định",
    address="Phường Tân Định, Thành phố Hồ Chí Minh",
    opens_at=time(7, 30),
    closes_at=time(17, 0),
    lunch_starts_at=time(11, 30),
    lunch_ends_at=time(13, 0),
)


def lunch(centre: Centre) -> tuple[time | None, time | None]:
    with centre.db.reading() as session:
        site = session.get(Site, centre.site_id)
        assert site is not None
        return site.lunch_starts_at, site.lunch_ends_at


def test_the_demo_centre_breaks_for_lunch_from_half_past_eleven_to_one(centre: Centre) -> None:
    assert lunch(centre) == (time(11, 30), time(13, 0))


def test_an_admin_moves_or_removes_the_lunch_break_and_it_is_audited(
    uow: UnitOfWork, centre: Centre
) -> None:
    admin = centre.user["admin"]
    update_site(uow, admin, centre.site_id, replace(DEMO, lunch_starts_at=time(12, 0)))
    assert lunch(centre) == (time(12, 0), time(13, 0))
    update_site(uow, admin, centre.site_id, replace(DEMO, lunch_starts_at=None, lunch_ends_at=None))
    assert lunch(centre) == (None, None)
    with centre.db.reading() as session:
        details = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "site.update")
        ).all()
    assert details == [
        {"lunch_starts_at": ["11:30", "12:00"]},
        {"lunch_starts_at": ["12:00", None], "lunch_ends_at": ["13:00", None]},
    ]


@pytest.mark.parametrize(
    ("starts", "ends", "english"),
    [
        (time(11, 30), None, "Give both the start and the end of the lunch break, or neither."),
        (None, time(13, 0), "Give both the start and the end of the lunch break, or neither."),
        (time(13, 0), time(11, 30), "The lunch break must start before it ends."),
        (time(12, 0), time(12, 0), "The lunch break must start before it ends."),
        (time(7, 0), time(8, 0), "The lunch break must lie within the opening hours"),
        (time(16, 30), time(17, 30), "The lunch break must lie within the opening hours"),
    ],
)
def test_a_lunch_break_out_of_shape_is_refused_in_both_languages(
    uow: UnitOfWork, centre: Centre, starts: time | None, ends: time | None, english: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        update_site(
            uow,
            centre.user["admin"],
            centre.site_id,
            replace(DEMO, lunch_starts_at=starts, lunch_ends_at=ends),
        )
    assert refused.value.message_en.startswith(english)
    assert "nghỉ trưa" in refused.value.message_vi.lower()
    assert lunch(centre) == (time(11, 30), time(13, 0))


def form(staff: Staff, url: str, data: dict[str, Any]) -> Any:
    return staff.client.post(url, data={**data, "csrf_token": staff.csrf})


def test_the_site_form_shows_and_takes_the_lunch_break(login: Any, centre: Centre) -> None:
    admin: Staff = login("admin")
    url = f"/admin/sites/{centre.site_id}"
    page = admin.get(url).get_data(as_text=True)
    assert 'name="lunch_starts_at"' in page and 'value="11:30"' in page
    assert 'name="lunch_ends_at"' in page and 'value="13:00"' in page
    site = {
        "code": "tan-dinh",
        "name": DEMO.name,
        "address": DEMO.address,
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "07:30",
        "closes_at": "17:00",
        "streak": "3",
        "lunch_starts_at": "11:45",
        "lunch_ends_at": "13:15",
    }
    assert form(admin, url, site).status_code == 303
    assert lunch(centre) == (time(11, 45), time(13, 15))
    refused = form(admin, url, {**site, "lunch_ends_at": ""})
    assert refused.status_code == 400
    assert "nghỉ trưa" in refused.get_data(as_text=True)
    assert lunch(centre) == (time(11, 45), time(13, 15))
    assert form(admin, url, {**site, "lunch_starts_at": "", "lunch_ends_at": ""}).status_code == 303
    assert lunch(centre) == (None, None)
