"""The managers' screens over HTTP: the live hall's snapshot, the statistics page and its
JSON, who may see them, and how bad input is refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from server.services.unit_of_work import UnitOfWork
from tests.conftest import MORNING, Centre, FakeClock
from tests.integration.test_statistics import build_day

DAY_QUERY = "from=2026-11-26&to=2026-11-26"


def test_the_hall_snapshot_lists_each_waiting_citizen_against_the_target(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    from server.services.tickets import issue_ticket

    issue_ticket(uow, centre.site_id, centre.service["DD"])
    clock.now = MORNING + timedelta(minutes=12)
    issue_ticket(uow, centre.site_id, centre.service["DD"])
    manager = login("quanly")
    snapshot = manager.get(f"/api/sites/{centre.site_id}/overview").get_json()
    land = next(s for s in snapshot["services"] if s["code"] == "DD")
    assert land["waiting"] == 2
    assert land["target_minutes"] == 30
    assert land["oldest_queued_at"] == MORNING.isoformat()
    assert land["waiting_since"] == [
        MORNING.isoformat(),
        (MORNING + timedelta(minutes=12)).isoformat(),
    ]
    assert snapshot["now"] == clock.now.isoformat()
    assert {c["number"] for c in snapshot["counters"]} == {1, 2, 3, 4, 5, 6}


def test_the_statistics_json_gives_the_hand_counted_day(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_day(uow, centre, clock)
    manager = login("quanly")
    response = manager.get(f"/api/statistics?site={centre.site_id}&{DAY_QUERY}")
    assert response.status_code == 200
    report = response.get_json()
    assert (report["first"], report["last"]) == ("2026-11-26", "2026-11-26")
    total = report["total"]
    assert (total["issued"], total["served"], total["no_show"]) == (7, 4, 1)
    assert total["wait"] == {"count": 6, "mean": 15.1, "median": 10.0, "p90": 31.0, "max": 31.0}
    assert total["within_target"] == 0.8333
    assert [s["label_vi"] for s in report["by_service"]] == ["Tư pháp - Hộ tịch", "Chứng thực"]
    assert all_sites_total(manager) == total


def all_sites_total(manager: Any) -> Any:
    return manager.get(f"/api/statistics?site=all&{DAY_QUERY}").get_json()["total"]


def test_the_statistics_page_shows_tables_exports_and_charts(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_day(uow, centre, clock)
    page = login("quanly").get(f"/manager/statistics?site={centre.site_id}&{DAY_QUERY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<span class="big-figure" id="total-issued">7</span>' in html
    assert "Tư pháp - Hộ tịch" in html and "Nguyễn Thị Hồng" in html
    assert "09:00–10:00" in html
    assert f"/manager/statistics.xlsx?site={centre.site_id}&amp;from=2026-11-26" in html
    assert "/vendor/chart.umd.min.js" in html


def test_chart_js_is_served_from_our_own_server(client: Any) -> None:
    response = client.get("/vendor/chart.umd.min.js")
    assert response.status_code == 200
    assert b"Chart" in response.data[:2000]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("site=all&from=26/11/2026&to=2026-11-26", 400),
        ("site=all&from=2026-11-27&to=2026-11-26", 400),
        ("site=all&from=2000-01-01&to=2026-11-26", 400),
        ("site=abc", 400),
        ("site=99999", 404),
    ],
)
def test_bad_statistics_queries_get_a_clear_4xx(login: Any, query: str, status: int) -> None:
    response = login("quanly").get(f"/api/statistics?{query}")
    assert response.status_code == status
    assert response.get_json()["message"]


def test_a_bad_date_on_the_page_is_shown_not_a_crash(login: Any) -> None:
    page = login("quanly").get("/manager/statistics?site=all&from=hôm-nay")
    assert page.status_code == 400
    assert "không hợp lệ" in page.get_data(as_text=True)


def test_clerks_and_strangers_see_no_managers_screen(
    login: Any, client: Any, centre: Centre
) -> None:
    clerk = login("canbo1")
    for url in ("/manager", "/manager/statistics"):
        assert clerk.get(url).status_code == 403
        assert client.get(url).status_code == 302  # to the sign-in page
    for url in (f"/api/sites/{centre.site_id}/overview", "/api/statistics"):
        assert clerk.get(url).status_code == 403
        assert client.get(url).status_code == 401


def test_the_hall_page_names_the_site(login: Any, centre: Centre) -> None:
    page = login("quanly").get("/manager")
    assert page.status_code == 200
    assert f'data-site-id="{centre.site_id}"' in page.get_data(as_text=True)
    assert login("quanly").get("/manager?site=99999").status_code == 404


def test_exports_download_as_files_that_read_back(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    build_day(uow, centre, clock)
    manager = login("quanly")
    query = f"site={centre.site_id}&{DAY_QUERY}"

    figures = manager.get(f"/manager/statistics.csv?{query}")
    assert figures.status_code == 200
    assert figures.mimetype == "text/csv"
    assert "attachment" in figures.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(figures.data.decode("utf-8-sig"))))
    assert any("Tư pháp - Hộ tịch" in row for row in rows)

    tickets = manager.get(f"/manager/tickets.csv?{query}")
    assert tickets.status_code == 200
    lines = list(csv.reader(io.StringIO(tickets.get_data().decode("utf-8-sig"))))
    assert len(lines) == 1 + 8  # a header, then the day's eight ticket rows

    for url in (f"/manager/statistics.xlsx?{query}", f"/manager/tickets.xlsx?{query}"):
        response = manager.get(url)
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        assert load_workbook(io.BytesIO(response.data)).sheetnames

    too_long = manager.get(f"/manager/tickets.csv?site=all&from=2026-01-01&{'to=2026-11-26'}")
    assert too_long.status_code == 400
    assert login("canbo1").get(f"/manager/tickets.csv?{query}").status_code == 403


def test_a_manager_sets_the_boards_notice_and_it_is_audited(
    login: Any, centre: Centre, published: Any, client: Any
) -> None:
    from sqlalchemy import select

    from server.adapters.db.models import AuditEntry

    manager = login("quanly")
    answer = manager.post(
        f"/api/sites/{centre.site_id}/notice", json={"notice": "  Chiều nay\nnghỉ  tiếp dân "}
    )
    assert answer.status_code == 200
    assert answer.get_json()["notice"] == "Chiều nay nghỉ tiếp dân"
    assert published.kinds()[-1] == "notice_changed"
    board = client.get(
        "/api/board/snapshot", headers={"X-Device-Token": centre.creds.device_tokens["board"]}
    )
    assert board.get_json()["site"]["notice"] == "Chiều nay nghỉ tiếp dân"
    with centre.db.reading() as session:
        entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id) == ("site.notice", centre.user["quanly"])
    assert entry.detail == {"notice": ["", "Chiều nay nghỉ tiếp dân"]}

    too_long = manager.post(f"/api/sites/{centre.site_id}/notice", json={"notice": "x" * 301})
    assert too_long.status_code == 400
    assert (
        login("canbo1")
        .post(f"/api/sites/{centre.site_id}/notice", json={"notice": "x"})
        .status_code
        == 403
    )


def test_a_manager_sees_only_the_sites_given_to_them(login: Any, centre: Centre) -> None:
    from sqlalchemy import delete

    from server.adapters.db.models import manager_sites

    manager = login("quanly")
    assert manager.get(f"/api/sites/{centre.site_id}/overview").status_code == 200
    with centre.db.write_session() as session, session.begin():
        session.execute(delete(manager_sites))
    stranger = login("quanly")  # signs in again: no site any more
    assert stranger.get(f"/api/sites/{centre.site_id}/overview").status_code == 403
    assert stranger.get(f"/api/statistics?site={centre.site_id}").status_code == 403
    assert stranger.get("/api/statistics?site=all").get_json()["site_ids"] == []
    assert stranger.get("/manager").status_code == 403
    assert login("admin").get(f"/api/sites/{centre.site_id}/overview").status_code == 200
