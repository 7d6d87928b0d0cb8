"""The managers' screens over HTTP: the live hall's snapshot, the statistics page and its
JSON, who may see them, and how bad input is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
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
        ("site=all&from=31/02/2026&to=2026-11-26", 400),
        ("site=all&from=26.11.2026", 400),
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
    rows = list(csv.reader(io.StringIO(figures.data.decode("utf-8-sig")), delimiter=";"))
    assert any("Tư pháp - Hộ tịch" in row for row in rows)

    tickets = manager.get(f"/manager/tickets.csv?{query}")
    assert tickets.status_code == 200
    text = tickets.get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
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


def test_the_hall_snapshot_gives_the_days_totals_and_the_open_counters_of_each_service(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    from server.services.counters import open_counter
    from server.services.tickets import call_next, finish, issue_ticket, start_serving

    counter, clerk = centre.counter[4], centre.user["canbo4"]  # land (DD) only
    open_counter(uow, counter, clerk)
    issue_ticket(uow, centre.site_id, centre.service["DD"])
    issue_ticket(uow, centre.site_id, centre.service["DD"])
    issue_ticket(uow, centre.site_id, centre.service["HT"])
    clock.advance(minutes=4)
    call_next(uow, counter, clerk)
    start_serving(uow, counter, clerk)
    finish(uow, counter, clerk)
    clock.advance(minutes=2)
    call_next(uow, counter, clerk)
    snapshot = login("quanly").get(f"/api/sites/{centre.site_id}/overview").get_json()
    # Waits of the two called citizens: 4 and 6 minutes.
    assert snapshot["today"] == {"issued": 3, "served": 1, "mean_wait_seconds": 300}
    services = {s["code"]: s for s in snapshot["services"]}
    assert services["DD"]["open_counters"] == 1
    assert services["HT"]["open_counters"] == 0
    assert snapshot["called_alert_minutes"] == 5


def test_the_counter_form_and_readme_say_priority_tickets_of_secondary_services_come_first(
    login: Any, centre: Centre
) -> None:
    # server.domain.selection: priority first across all the counter's services, then main
    # before secondary; "secondary only when no main service has anyone waiting" is wrong.
    page = login("admin").get(f"/admin/counters/{centre.counter[1]}").get_data(as_text=True)
    assert "kể cả số ưu tiên của lĩnh vực phụ" in page
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())
    assert "a priority ticket of a secondary service is called before" in readme
    assert "Mở quầy" in readme and "--password-stdin" in readme


def test_the_statistics_page_reads_and_writes_days_and_decimals_as_vietnamese_do(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    import re

    build_day(uow, centre, clock)
    manager = login("quanly")
    url = f"/manager/statistics?site={centre.site_id}&from=26/11/2026&to=26/11/2026"
    page = manager.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # Text fields written dd/mm/yyyy, never the browser's own date picker and its locale.
    assert 'type="date"' not in html
    for name in ("from", "to"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert field, name
        assert 'type="text"' in field[0] and 'value="26/11/2026"' in field[0]
        assert "pattern=" in field[0] and 'placeholder="dd/mm/yyyy"' in field[0]
    # Decimal comma in Vietnamese, point in English: 83.33 % within target, median 10 min.
    assert "83,3 %" in html and ">10,0<" in html and "83.3" not in html
    english = manager.get(url + "&lang=en").get_data(as_text=True)
    assert "83.3 %" in english and ">10.0<" in english
    # The API takes either way of writing a day, and says which it wants.
    iso = manager.get(f"/api/statistics?site={centre.site_id}&{DAY_QUERY}").get_json()
    local = manager.get(f"/api/statistics?site={centre.site_id}&from=26/11/2026&to=26/11/2026")
    assert local.status_code == 200 and local.get_json() == iso
    bad = manager.get("/api/statistics?site=all&from=31/02/2026").get_json()
    assert "dd/mm/yyyy" in bad["message"] and "dd/mm/yyyy" in bad["message_en"]


def test_csv_exports_use_semicolons_and_decimal_commas_for_vietnamese_excel(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    import csv
    import io

    build_day(uow, centre, clock)
    manager = login("quanly")
    query = f"site={centre.site_id}&{DAY_QUERY}"
    vietnamese = manager.get(f"/manager/tickets.csv?{query}").get_data().decode("utf-8-sig")
    header, first, *_ = csv.reader(io.StringIO(vietnamese), delimiter=";")
    row = dict(zip(header, first, strict=True))
    assert row["Chờ (phút)"] == "2,0" and row["Ngày"] == "26/11/2026"
    report = manager.get(f"/manager/statistics.csv?{query}").get_data().decode("utf-8-sig")
    assert ";15,1;" in report  # the day's mean wait, in minutes
    english = manager.get(f"/manager/tickets.csv?{query}&lang=en").get_data().decode("utf-8-sig")
    header, first, *_ = csv.reader(io.StringIO(english))
    assert dict(zip(header, first, strict=True))["Chờ (phút)"] == "2.0"
