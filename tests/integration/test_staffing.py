"""The staffing advisor on a real database (SQLite, or PostgreSQL in the second pass): a
week's plan learned from a synthetic history (bench/history.py) of the weeks before it,
against what that week really brought; the managers' page, its XLSX and the integration
API over the same plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from bench import history
from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, Site
from server.cli.demo import DemoCredentials
from server.services import api_tokens, staffing
from server.services.api_tokens import STATISTICS_READ
from server.services.unit_of_work import UnitOfWork
from server.web.schemas.staffing import StaffingPlan
from tests.conftest import Centre
from tests.databases import Databases

# Ten weeks of history ending on a Saturday; the plan is for its last week (already over,
# so the actual figures stand beside it), learned from the eight weeks before.
END = date(2026, 11, 28)
WEEK = date(2026, 11, 23)
LATER = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
PER_DAY = 120


@pytest.fixture(scope="module")
def filled(
    backend: Databases,
    demo_template: tuple[str, DemoCredentials],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Database, int]]:
    url = backend.copy(demo_template[0], tmp_path_factory.mktemp("staffing"))
    db = Database(url)
    made = history.fill(db, 1, 70, PER_DAY, seed=11, end=END)
    yield db, made.sites[0][0]
    db.dispose()
    backend.drop(url)


@pytest.fixture(scope="module")
def plan(filled: tuple[Database, int]) -> staffing.WeeklyPlan:
    db, site_id = filled
    with db.reading() as session:
        return staffing.weekly_plan(session, site_id, WEEK + timedelta(days=2), LATER)


def test_the_plan_covers_the_week_from_its_monday_and_learns_only_from_before(
    plan: staffing.WeeklyPlan,
) -> None:
    assert plan.week_start == WEEK
    assert plan.history_from == WEEK - timedelta(weeks=8)
    assert [d.day for d in plan.days] == [WEEK + timedelta(days=i) for i in range(7)]
    # Five weekdays and a Saturday morning, learned from about 8 weeks (less holidays)
    assert 40 <= plan.forecast.history_days <= 48
    assert [bool(d.hours) for d in plan.days] == [True] * 6 + [False]
    assert max(h.hour for h in plan.days[5].hours) <= 11  # Saturday: mornings only
    assert plan.past_days == frozenset(d.day for d in plan.days)


def test_the_forecast_is_close_to_what_the_week_brought(plan: staffing.WeeklyPlan) -> None:
    came = {day.day: 0 for day in plan.forecast.days}
    for (day, _, _), cell in plan.actual.items():
        came[day] += cell.arrivals
    expected = {day.day: day.total for day in plan.forecast.days}
    # A day varies a lot around its expected volume (Poisson-like noise on top of the
    # generator's own); the week much less.
    assert sum(expected.values()) == pytest.approx(sum(came.values()), rel=0.15)
    for day_plan in plan.days[:6]:
        day = day_plan.day
        assert came[day] > 0 and expected[day] == pytest.approx(came[day], rel=0.5)
    assert came[plan.days[6].day] == 0 and expected[plan.days[6].day] == 0
    # service times learned from the history match the demo's configured minutes
    by_code = {s.code: s.service_id for s in plan.services}
    assert plan.forecast.service_minutes[by_code["DD"]] == pytest.approx(20, rel=0.2)
    assert plan.forecast.service_minutes[by_code["TKQ"]] == pytest.approx(3, rel=0.25)
    assert 0.01 < plan.forecast.no_show_share[by_code["HT"]] < 0.12


def test_counters_and_clerks_are_the_sites_and_each_clerk_may_sit_where_planned(
    filled: tuple[Database, int], plan: staffing.WeeklyPlan
) -> None:
    db, site_id = filled
    with db.reading() as session:
        counters = {
            c.id: {u.id for u in c.assigned_clerks}
            for c in session.scalars(select(Counter).where(Counter.site_id == site_id))
        }
    for day in plan.days:
        for hour in day.hours:
            assert 1 <= hour.counters <= len(counters)
            clerks = [seat.clerk_id for seat in hour.seats]
            assert len(set(clerks)) == len(clerks)  # one counter per clerk
            for seat in hour.seats:
                assert seat.counter_id in counters
                assert seat.clerk_id in counters[seat.counter_id]
    # a quiet hour needs fewer counters than the busiest one
    monday = plan.days[0]
    assert min(h.counters for h in monday.hours) < max(h.counters for h in monday.hours)


def test_the_actual_figures_count_the_weeks_tickets(plan: staffing.WeeklyPlan) -> None:
    called = sum(cell.called for cell in plan.actual.values())
    within = sum(cell.within_target for cell in plan.actual.values())
    assert 0 < within <= called
    busiest = max(plan.actual_counters.values())
    assert busiest <= len(plan.counter_numbers)


def test_the_json_matches_its_declared_schema(plan: staffing.WeeklyPlan) -> None:
    answer = StaffingPlan.model_validate(plan.as_dict())
    assert answer.days[0].hours[0].services[0].actual is not None
    assert answer.counter_hours == plan.counter_hours


def test_a_week_still_to_come_has_no_actual_figures(filled: tuple[Database, int]) -> None:
    db, site_id = filled
    with db.reading() as session:
        ahead = staffing.weekly_plan(session, site_id, END + timedelta(days=10), LATER, weeks=4)
    assert ahead.week_start == date(2026, 12, 7)
    assert not ahead.past_days
    assert ahead.as_dict()["days"][0]["hours"][0]["services"][0]["actual"] is None


# -- through HTTP, on the demo centre's database with a synthetic site of its own ---------


@pytest.fixture
def hist_site(database: Database) -> int:
    made = history.fill(database, 1, 21, 60, seed=5, end=END, manager="quanly")
    return made.sites[0][0]


def test_the_page_shows_the_week_for_the_sites_manager_and_prints(
    app: Flask, login: object, hist_site: int
) -> None:
    manager = login("quanly")  # type: ignore[operator]
    page = manager.get(f"/manager/staffing?site={hist_site}&week=23/11/2026")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Kế hoạch nhân sự" in text
    assert 'id="day-2026-11-23"' in text and 'id="day-2026-11-29"' in text
    assert "thực tế" in text  # Monday to Wednesday are over on the test clock (Thursday)
    assert "css/staffing.css" in text
    english = manager.get(f"/manager/staffing?site={hist_site}&week=23/11/2026&lang=en")
    words = english.get_data(as_text=True)
    assert "Staffing plan" in words and "Monday" in words and "Open counters" in words
    assert "Kế hoạch nhân sự" not in words


def test_a_bad_week_is_refused_in_both_languages(app: Flask, login: object) -> None:
    manager = login("quanly")  # type: ignore[operator]
    page = manager.get("/manager/staffing?week=31/02/2026")
    assert page.status_code == 400
    assert "Tuần không hợp lệ" in page.get_data(as_text=True)


def test_the_xlsx_has_vietnamese_headers_and_one_row_per_hour_and_service(
    app: Flask, login: object, hist_site: int
) -> None:
    manager = login("quanly")  # type: ignore[operator]
    response = manager.get(f"/manager/staffing.xlsx?site={hist_site}&week=2026-11-23")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["Kế hoạch", "Bố trí cán bộ", "Lĩnh vực"]
    sheet = book["Kế hoạch"]
    headers = [cell.value for cell in sheet[2]]
    assert headers[:5] == ["Ngày", "Thứ", "Loại ngày", "Giờ", "Lĩnh vực"]
    assert "Số quầy cần riêng (Erlang C)" in headers
    assert sheet.max_row > 2 + 6 * 5  # a row per open hour and service
    assert book["Lĩnh vực"].max_row == 2 + 6


def test_the_integration_api_gives_the_same_plan(
    app: Flask, uow: UnitOfWork, centre: Centre, hist_site: int, tmp_path: Path
) -> None:
    made = api_tokens.create(uow, "Báo cáo tỉnh", (STATISTICS_READ,), None, centre.user["admin"])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {made.token}"}
    answer = client.get(f"/api/v1/sites/{hist_site}/staffing?week=2026-11-23", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["week_start"] == "2026-11-23"
    assert {s["code"] for s in body["services"]} == {"HT", "CT", "DD", "LD", "KD", "TKQ"}
    with centre.db.reading() as session:
        site = session.get(Site, hist_site)
        assert site is not None and body["site_name"] == site.name
    refused = client.get(f"/api/v1/sites/{hist_site}/staffing?week=23-11", headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["message_en"].startswith("The week is not valid")
    # A blank number of weeks is the default (it was a 500 under the fuzzer), zero is refused.
    blank = client.get(
        f"/api/v1/sites/{hist_site}/staffing?week=2026-11-23&weeks=", headers=headers
    )
    assert blank.status_code == 200 and blank.get_json() == body
    zero = client.get(f"/api/v1/sites/{hist_site}/staffing?weeks=0", headers=headers)
    assert zero.status_code == 400
    assert zero.get_json()["message_en"].startswith("The weeks of history must be")


def test_an_admin_sets_a_services_share_within_target_and_the_plan_uses_it(
    app: Flask, login: object, centre: Centre
) -> None:
    admin = login("admin")  # type: ignore[operator]
    ct = centre.service["CT"]
    page = admin.get(f"/admin/services/{ct}")
    assert 'name="target_percent" value="80"' in page.get_data(as_text=True)
    fields = {
        "code": "CT",
        "name_vi": "Chứng thực",
        "name_en": "Certification",
        "pictogram": "stamp",
        "numbering": "prefix",
        "prefix": "B",
        "number_width": "3",
        "expected_minutes": "5",
        "target_minutes": "30",
        "target_percent": "90",
        "active": "1",
        "position": "1",
    }
    saved = admin.client.post(f"/admin/services/{ct}", data={**fields, "csrf_token": admin.csrf})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    refused = admin.client.post(
        f"/admin/services/{ct}",
        data={**fields, "target_percent": "40", "csrf_token": admin.csrf},
    )
    assert refused.status_code == 400
    assert "50 % đến 99 %" in refused.get_data(as_text=True)
    with centre.db.reading() as session:
        plan = staffing.weekly_plan(session, centre.site_id, WEEK, LATER)
    shares = {line.code: line.target_share for line in plan.services}
    assert shares["CT"] == pytest.approx(0.9) and shares["HT"] == pytest.approx(0.8)
