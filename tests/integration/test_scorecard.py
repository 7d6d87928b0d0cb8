"""The wait scorecard on a hand-built morning whose grades were worked out by hand: tickets
issued and called through the real use cases at known times, the waits told to each
citizen stored as WaitQuote rows; on a real database (SQLite here, PostgreSQL in the
second pass). Then the same figures through the JSON API, the page and the exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete

from server.adapters.db.models import WaitQuote
from server.domain.errors import InvalidInput, NotFound
from server.services import api_tokens
from server.services.api_tokens import QUEUE_READ, STATISTICS_READ
from server.services.counters import open_counter
from server.services.scorecard import Grade, Scorecard, offset_spans, scorecard
from server.services.tickets import (
    call_ticket,
    cancel_by_citizen,
    finish,
    issue_ticket,
    start_serving,
    transfer,
)
from server.services.unit_of_work import UnitOfWork
from tests.conftest import MORNING, Centre, FakeClock

DAY = date(2026, 11, 26)  # MORNING is 09:00 on this day in Hồ Chí Minh City
QUERY = "from=2026-11-26&to=2026-11-26"


def at(clock: FakeClock, minutes: float) -> None:
    clock.now = MORNING + timedelta(minutes=minutes)


def build_morning(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> dict[str, int]:
    """Six citizens from 09:00 local, and the waits they were told (minutes after 09:00 in
    the comments; low / median / high as quoted; real = first call - quote)."""
    centre.open_around_the_clock()
    ht, ct = centre.service["HT"], centre.service["CT"]
    c1, c2 = centre.counter[1], centre.counter[2]
    clerk1, clerk2 = centre.user["canbo1"], centre.user["canbo2"]
    at(clock, 0)
    t = {
        name: issue_ticket(uow, centre.site_id, service).ticket_id
        for name, service in [("A1", ht), ("A2", ht), ("A3", ht), ("B1", ct)]
    }
    open_counter(uow, c1, clerk1)
    open_counter(uow, c2, clerk2)

    def serve(counter: int, clerk: int, ticket: int, called: float) -> None:
        at(clock, called)
        call_ticket(uow, counter, clerk, ticket)
        start_serving(uow, counter, clerk)
        at(clock, called + 1)
        finish(uow, counter, clerk)

    serve(c1, clerk1, t["A1"], 4.5)
    at(clock, 10)
    call_ticket(uow, c2, clerk2, t["B1"])
    at(clock, 11)
    t["M"] = transfer(uow, c2, clerk2, ht).ticket_id  # B1's citizen, now in HT
    serve(c1, clerk1, t["A2"], 12)
    serve(c1, clerk1, t["M"], 20)
    at(clock, 20.5)
    cancel_by_citizen(uow, centre.ticket(t["A3"]).token)  # never called
    at(clock, 60)
    t["B2"] = issue_ticket(uow, centre.site_id, ct).ticket_id  # 10:00 local
    serve(c2, clerk2, t["B2"], 90)

    # The waits told, written here as test data: whatever the server wrote itself is
    # replaced, so the hand count below stays the one figure to check.
    quotes = [
        # ticket, kind, minute told, low, median, high  -> real, error, where
        ("A1", "issued", 0, 2, 5, 8),  # 4.5, -0.5, within
        ("A2", "issued", 0, 3, 6, 10),  # 12, +6, later
        ("A3", "issued", 0, 5, 10, 15),  # not called
        ("B1", "issued", 0, 10, 15, None),  # 10, -5, within (no top: at or after 10)
        ("M", "issued", 11, 0, 2, 4),  # 9, +7, later
        ("B2", "issued", 60, 35, 40, 50),  # 30, -10, earlier
        ("A2", "update", 6, 4, 5, 8),  # 6, +1, within
        ("A3", "update", 15, 1, 3, 6),  # not called
        ("A1", "update", 4.75, 0, 0, 0),  # told after the call: counts nowhere
    ]
    with uow.db.write_session() as session, session.begin():
        session.execute(delete(WaitQuote).where(WaitQuote.site_id == centre.site_id))
        for name, kind, minute, low, median, high in quotes:
            ticket = centre.ticket(t[name])
            session.add(
                WaitQuote(
                    ticket_id=ticket.id,
                    site_id=centre.site_id,
                    service_id=ticket.service_id,
                    kind=kind,
                    at=MORNING + timedelta(minutes=minute),
                    people_ahead=0,
                    low_minutes=low,
                    median_minutes=median,
                    high_minutes=high,
                )
            )
    return t


def day_card(uow: UnitOfWork, centre: Centre, service: int | None = None) -> Scorecard:
    with uow.db.reading() as session:
        return scorecard(session, [centre.site_id], DAY, DAY, service)


def figures(grade: Grade | dict[str, Any]) -> tuple[Any, ...]:
    g = grade if isinstance(grade, dict) else vars(grade)
    return (
        g["graded"],
        g["not_called"],
        g["mae"],
        g["bias"],
        g["within"],
        g["later"],
        g["earlier"],
    )


# The hand count. Issued quotes graded: A1 -0.5, A2 +6, B1 -5, M +7, B2 -10 (A3 not called).
TOTAL = (5, 1, 5.7, -0.5, 0.4, 0.4, 0.2)  # |errors| 28.5 / 5; errors -2.5 / 5
HT = (3, 1, 4.5, 4.1667, 0.3333, 0.6667, 0.0)  # A1, A2, M: 13.5 / 3, 12.5 / 3
CT = (2, 0, 7.5, -7.5, 0.5, 0.0, 0.5)  # B1, B2: 15 / 2, -15 / 2
NINE = (4, 1, 4.625, 1.875, 0.5, 0.5, 0.0)  # A1, A2, B1, M: 18.5 / 4, 7.5 / 4
TEN = (1, 0, 10.0, -10.0, 0.0, 0.0, 1.0)  # B2
UPDATES = (1, 1, 1.0, 1.0, 1.0, 0.0, 0.0)  # A2 +1 (A3 not called; A1's came too late)


def close(found: tuple[Any, ...], expected: tuple[Any, ...]) -> bool:
    return found == pytest.approx(expected, abs=0.006)


def test_a_mornings_scorecard_matches_the_hand_count(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_morning(uow, centre, clock)
    card = day_card(uow, centre)
    assert close(figures(card.issued.total), TOTAL)
    by_service = {g.label_vi: figures(g) for g in card.issued.by_service}
    assert set(by_service) == {"Tư pháp - Hộ tịch", "Chứng thực"}
    assert close(by_service["Tư pháp - Hộ tịch"], HT)
    assert close(by_service["Chứng thực"], CT)
    hours = {g.label_vi: figures(g) for g in card.issued.by_hour}
    assert list(hours) == ["09:00–10:00", "10:00–11:00"]  # local hours of the quotes
    assert close(hours["09:00–10:00"], NINE)
    assert close(hours["10:00–11:00"], TEN)
    assert close(figures(card.updates.total), UPDATES)
    assert [g.label_vi for g in card.updates.by_service] == ["Tư pháp - Hộ tịch"]


def test_one_service_and_other_days(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> None:
    build_morning(uow, centre, clock)
    card = day_card(uow, centre, centre.service["CT"])
    assert close(figures(card.issued.total), CT)
    with uow.db.reading() as session:
        other_day = scorecard(
            session, [centre.site_id], DAY + timedelta(days=1), DAY + timedelta(days=1)
        )
        assert other_day.issued.total.graded == 0
        assert other_day.issued.total.mae is None
        with pytest.raises(InvalidInput):
            scorecard(session, [centre.site_id], DAY, DAY - timedelta(days=1))
        with pytest.raises(InvalidInput):
            scorecard(session, [centre.site_id], DAY - timedelta(days=400), DAY)
        with pytest.raises(NotFound):
            scorecard(session, [centre.site_id], DAY, DAY, 999_999)


def test_local_hours_follow_a_change_of_offset() -> None:
    """Vietnam keeps one offset; a zone with summer time is split where it changes."""
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    end = datetime(2026, 3, 29, 23, 0, tzinfo=UTC)
    spans = list(offset_spans(paris, start, end))
    assert spans == [
        (start, datetime(2026, 3, 29, 1, 0, tzinfo=UTC), 3600),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), end, 7200),
    ]
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    assert [offset for *_, offset in offset_spans(hcm, start, end + timedelta(days=365))] == [25200]


def test_the_api_gives_the_same_figures_to_a_manager_only(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_morning(uow, centre, clock)
    manager = login("quanly")
    response = manager.get(f"/api/statistics/scorecard?site={centre.site_id}&{QUERY}")
    assert response.status_code == 200
    card = response.get_json()
    assert close(figures(card["issued"]["total"]), TOTAL)
    by_service = {g["label_vi"]: figures(g) for g in card["issued"]["by_service"]}
    assert close(by_service["Tư pháp - Hộ tịch"], HT)
    assert close(by_service["Chứng thực"], CT)
    hours = card["issued"]["by_hour"]
    assert [g["label_vi"] for g in hours] == ["09:00–10:00", "10:00–11:00"]
    assert close(figures(hours[0]), NINE) and close(figures(hours[1]), TEN)
    assert close(figures(card["updates"]["total"]), UPDATES)

    one = manager.get(
        f"/api/statistics/scorecard?site={centre.site_id}&{QUERY}&service={centre.service['CT']}"
    )
    assert close(figures(one.get_json()["issued"]["total"]), CT)

    blank = manager.get(f"/api/statistics/scorecard?site={centre.site_id}&{QUERY}&service=")
    assert close(figures(blank.get_json()["issued"]["total"]), TOTAL)  # blank: every service

    assert login("canbo1").get(f"/api/statistics/scorecard?{QUERY}").status_code == 403


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("from=hôm-nay", 400, ("không hợp lệ", "not valid")),
        ("from=2026-11-26&to=2026-11-25", 400, ("Ngày kết thúc", "end date")),
        ("from=2025-01-01&to=2026-11-26", 400, ("366 ngày", "366 days")),
        ("service=abc", 400, ("Lĩnh vực", "service")),
        ("service=999999", 404, ("lĩnh vực", "service")),
    ],
)
def test_bad_scorecard_queries_get_a_bilingual_4xx(
    login: Any, centre: Centre, query: str, status: int, words: tuple[str, str]
) -> None:
    response = login("quanly").get(f"/api/statistics/scorecard?site={centre.site_id}&{query}")
    assert response.status_code == status
    answer = response.get_json()
    assert words[0] in answer["message"] and words[1] in answer["message_en"]


def test_the_page_and_the_exports_show_the_same_figures(
    login: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_morning(uow, centre, clock)
    manager = login("quanly")
    query = f"site={centre.site_id}&{QUERY}"

    page = manager.get(f"/manager/statistics?{query}").get_data(as_text=True)
    assert "Độ tin cậy của thời gian chờ dự kiến" in page
    assert 'id="scorecard-service"' in page and 'id="scorecard-hour"' in page
    assert "5,7" in page and "-0,5" in page  # Vietnamese decimals

    response = manager.get(f"/manager/scorecard.csv?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0].startswith("Độ tin cậy của thời gian chờ dự kiến")
    assert rows[3] == [
        "Nhóm",
        "Số lượt đã chấm",
        "Chưa được gọi",
        "Sai số trung bình (phút)",
        "Lệch (phút)",
        "Trong khoảng đã báo (%)",
        "Muộn hơn khoảng (%)",
        "Sớm hơn khoảng (%)",
    ]
    assert rows[4] == ["Tổng cộng", "5", "1", "5,7", "-0,5", "40,0", "40,0", "20,0"]
    assert ["Chứng thực", "2", "0", "7,5", "-7,5", "50,0", "0,0", "50,0"] in rows

    workbook = load_workbook(io.BytesIO(manager.get(f"/manager/scorecard.xlsx?{query}").data))
    assert workbook.sheetnames == [
        "Lấy số - Tổng",
        "Lấy số - Lĩnh vực",
        "Lấy số - Giờ",
        "Cập nhật - Tổng",
        "Cập nhật - Lĩnh vực",
        "Cập nhật - Giờ",
    ]
    total = [c.value for c in workbook["Lấy số - Tổng"][3]]
    assert total[:3] == ["Tổng cộng", 5, 1]
    assert close(tuple(total[3:]), TOTAL[2:])
    hours = workbook["Lấy số - Giờ"]
    assert [hours.cell(row, 1).value for row in (3, 4)] == ["09:00–10:00", "10:00–11:00"]

    assert login("canbo1").get(f"/manager/scorecard.csv?{query}").status_code == 403


def test_the_integration_api_gives_the_same_figures_to_a_statistics_token(
    client: Any, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    build_morning(uow, centre, clock)
    statistics = api_tokens.create(
        uow, "Hệ thống báo cáo tỉnh", [STATISTICS_READ], centre.site_id, centre.user["admin"]
    )
    queue_only = api_tokens.create(
        uow, "Bảng điện tử", [QUEUE_READ], centre.site_id, centre.user["admin"]
    )

    def get(token: str, query: str) -> Any:
        return client.get(
            f"/api/v1/statistics/scorecard?{query}", headers={"Authorization": f"Bearer {token}"}
        )

    card = get(statistics.token, QUERY).get_json()  # `all`: the token's own site
    assert card["site_ids"] == [centre.site_id]
    assert close(figures(card["issued"]["total"]), TOTAL)
    assert close(figures(card["updates"]["total"]), UPDATES)
    one = get(statistics.token, f"{QUERY}&service={centre.service['HT']}").get_json()
    assert close(figures(one["issued"]["total"]), HT)
    assert get(queue_only.token, QUERY).status_code == 403
    bad = get(statistics.token, "from=26/11/2026")  # programs write ISO days
    assert bad.status_code == 400 and "yyyy-mm-dd" in bad.get_json()["message_en"]
