"""Issuing tickets through the service layer, on a real SQLite file."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.adapters.db.models import Service, Site, TicketEvent
from server.cli.demo import DemoCredentials
from server.domain.errors import NotFound, NumberRangeExhausted, ServiceUnavailable
from server.domain.tickets import Priority, TicketStatus
from server.services import snapshots
from server.services.counters import open_counter
from server.services.tickets import issue_ticket
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock, Published, kiosk_headers


def issue(uow: UnitOfWork, centre: Centre, code: str, priority: Priority | None = None) -> str:
    return issue_ticket(uow, centre.site_id, centre.service[code], priority).number


def test_each_service_numbers_its_own_tickets_from_one(uow: UnitOfWork, centre: Centre) -> None:
    numbers = [issue(uow, centre, code) for code in ("HT", "HT", "CT", "HT", "DD", "CT")]
    assert numbers == ["A001", "A002", "B001", "A003", "C001", "B002"]


def test_numbers_restart_at_local_midnight(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    _set_site_hours(centre, time(0, 0), time.max)  # a site open around the clock
    clock.now = clock.now.replace(hour=16, minute=58)  # 23:58 in Vietnam
    assert [issue(uow, centre, "HT") for _ in range(2)] == ["A001", "A002"]
    clock.advance(minutes=3)  # 00:01 the next local day, still the same UTC day
    assert issue(uow, centre, "HT") == "A001"
    days = {t.day for t in centre.tickets()}
    assert len(days) == 2


def test_a_service_can_number_in_a_thousand_range(uow: UnitOfWork, centre: Centre) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Service)
            .where(Service.id == centre.service["DD"])
            .values(prefix="", range_start=3001, range_end=3002)
        )
    assert [issue(uow, centre, "DD") for _ in range(2)] == ["3001", "3002"]
    with pytest.raises(NumberRangeExhausted):
        issue(uow, centre, "DD")
    # The refused issue left nothing behind: no ticket, no gap, no event.
    assert [t.number for t in centre.tickets()] == ["3001", "3002"]


def test_the_new_ticket_knows_who_is_ahead_and_how_long_to_wait(
    uow: UnitOfWork, centre: Centre
) -> None:
    for _ in range(3):
        issue(uow, centre, "DD")
    issued = issue_ticket(uow, centre.site_id, centre.service["DD"])
    # No counter open yet: the wait says so, and has no top (perhaps not before closing).
    assert issued.people_ahead == 3
    assert issued.wait["no_counter"] is True and issued.wait["high"] is None
    assert issued.estimated_wait_minutes == issued.wait["median"]
    urgent = issue_ticket(uow, centre.site_id, centre.service["DD"], Priority.PREGNANT)
    assert urgent.people_ahead == 0 and urgent.wait["no_counter"] is True


def test_the_wait_follows_the_counters_that_serve_the_service(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    counter, clerk = centre.counter[4], centre.user["canbo4"]
    open_counter(uow, counter, clerk)
    for _ in range(3):
        issue(uow, centre, "DD")
    with centre.db.reading() as session:
        kiosk = snapshots.kiosk(session, centre.site_id, clock.now)
    land = next(s for s in kiosk["services"] if s["code"] == "DD")
    issued = issue_ticket(uow, centre.site_id, centre.service["DD"])
    # Told what the kiosk showed: the forecast this worker keeps, nothing computed anew.
    assert issued.wait == land["wait"] and issued.wait["no_counter"] is False
    assert 0 < issued.wait["low"] <= issued.estimated_wait_minutes <= issued.wait["high"]


def test_an_inactive_service_takes_no_ticket(uow: UnitOfWork, centre: Centre) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Service).where(Service.id == centre.service["KD"]).values(active=False)
        )
    with pytest.raises(ServiceUnavailable) as error:
        issue(uow, centre, "KD")
    assert "Đăng ký kinh doanh" in error.value.message_vi
    assert centre.tickets() == []


def test_a_service_of_another_site_or_none_at_all_is_not_found(
    uow: UnitOfWork, centre: Centre
) -> None:
    with pytest.raises(NotFound):
        issue_ticket(uow, centre.site_id, 9999)
    with pytest.raises(NotFound):
        issue_ticket(uow, 9999, centre.service["HT"])


def test_issuing_records_the_step_and_publishes_after_commit(
    uow: UnitOfWork, centre: Centre, published: Published
) -> None:
    issued = issue_ticket(uow, centre.site_id, centre.service["CT"], Priority.ELDERLY)
    ticket = centre.ticket(issued.ticket_id)
    assert ticket.status == TicketStatus.WAITING
    assert ticket.priority == Priority.ELDERLY
    assert ticket.queued_at == ticket.issued_at
    with centre.db.reading() as session:
        events = session.scalars(select(TicketEvent)).all()
    assert [(e.kind, e.ticket_id) for e in events] == [("issued", issued.ticket_id)]
    [change] = published.changes
    assert change.kind == "ticket_issued"
    assert change.seq == 1
    assert change.tokens == (issued.token,)
    # The board's message carries the number, never the phone token.
    assert issued.token not in str(change.message())
    assert change.message()["ticket"]["number"] == "B001"


def test_every_committed_change_gets_the_next_site_sequence_number(
    uow: UnitOfWork, centre: Centre, published: Published, clock: FakeClock
) -> None:
    for code in ("HT", "CT", "DD"):
        issue(uow, centre, code)
    with pytest.raises(NotFound):
        issue_ticket(uow, centre.site_id, 9999)
    issue(uow, centre, "HT")
    assert [c.seq for c in published.changes] == [1, 2, 3, 4]
    with centre.db.reading() as session:
        assert snapshots.board(session, centre.site_id, clock.now)["seq"] == 4


def test_the_phone_token_is_unguessable_and_unique(uow: UnitOfWork, centre: Centre) -> None:
    tokens = {issue_ticket(uow, centre.site_id, centre.service["HT"]).token for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 20 for t in tokens)


def _set_service(centre: Centre, code: str, **values: object) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(update(Service).where(Service.id == centre.service[code]).values(**values))


def test_a_daily_cap_refuses_the_next_number_and_leaves_no_gap(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    _set_service(centre, "DD", daily_cap=2)
    assert [issue(uow, centre, "DD"), issue(uow, centre, "DD")] == ["C001", "C002"]
    with pytest.raises(ServiceUnavailable, match="2 numbers"):
        issue(uow, centre, "DD")
    assert len(centre.tickets()) == 2
    _set_service(centre, "DD", daily_cap=3)
    assert issue(uow, centre, "DD") == "C003"  # the refused attempt used no number
    clock.advance(days=1)
    assert issue(uow, centre, "DD") == "C001"  # a new day, a new cap


def test_a_service_gives_numbers_only_in_its_issuing_hours(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    _set_service(centre, "DD", issue_from=time(7, 30), issue_until=time(16, 0))
    clock.now = clock.now.replace(hour=0, minute=29)  # 07:29 local
    with pytest.raises(ServiceUnavailable, match="from 07:30 until 16:00"):
        issue(uow, centre, "DD")
    clock.now = clock.now.replace(hour=0, minute=30)
    assert issue(uow, centre, "DD") == "C001"
    clock.now = clock.now.replace(hour=9, minute=0)  # 16:00 local: the window has closed
    with pytest.raises(ServiceUnavailable):
        issue(uow, centre, "DD")
    assert issue(uow, centre, "HT") == "A001"  # other services are not concerned


def _set_site_hours(centre: Centre, opens_at: time, closes_at: time) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Site)
            .where(Site.id == centre.site_id)
            .values(opens_at=opens_at, closes_at=closes_at)
        )


def kiosk_issue(client: FlaskClient, creds: DemoCredentials, centre: Centre, code: str) -> Any:
    return client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service[code]},
        headers=kiosk_headers(creds),
    )


def test_without_issuing_hours_no_number_is_issued_outside_opening_hours(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, clock: FakeClock
) -> None:
    """The admin form says a blank issuing time means the opening hours: at 21:12 a site
    open 07:30-17:00 gives no number (one nobody would call), with a clear answer."""
    _set_site_hours(centre, time(7, 30), time(17, 0))
    clock.now = clock.now.replace(hour=14, minute=12)  # 21:12 in Vietnam
    response = kiosk_issue(client, creds, centre, "HT")
    assert response.status_code == 409, response.get_json()
    error = response.get_json()
    assert error["error"] == "service_unavailable"
    assert "Ngoài giờ làm việc" in error["message"] and "07:30 đến 17:00" in error["message"]
    assert (
        "Outside opening hours" in error["message_en"]
        and "07:30 until 17:00" in error["message_en"]
    )
    assert centre.tickets() == []
    clock.now = clock.now.replace(hour=0, minute=29)  # 07:29: not yet
    assert kiosk_issue(client, creds, centre, "HT").status_code == 409
    clock.now = clock.now.replace(hour=0, minute=30)  # 07:30: open
    assert kiosk_issue(client, creds, centre, "HT").status_code == 201


def test_the_kiosk_snapshot_says_which_services_give_no_number_and_why(
    client: FlaskClient, uow: UnitOfWork, creds: DemoCredentials, centre: Centre, clock: FakeClock
) -> None:
    _set_site_hours(centre, time(7, 30), time(17, 0))
    _set_service(centre, "DD", issue_until=time(16, 0))
    _set_service(centre, "CT", daily_cap=1, issue_from=time(13, 0))

    def issuing() -> dict[str, dict[str, object]]:
        snapshot = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).get_json()
        codes = {service_id: code for code, service_id in centre.service.items()}
        return {codes[s["id"]]: s["issuing"] for s in snapshot["services"]}

    clock.now = clock.now.replace(hour=3, minute=0)  # 10:00
    now = issuing()
    assert now["HT"] == {"open": True, "reason": None, "from": "07:30", "until": "17:00"}
    assert now["CT"]["reason"] == "not_yet" and now["CT"]["from"] == "13:00"
    clock.now = clock.now.replace(hour=6, minute=0)  # 13:00
    issue(uow, centre, "CT")
    now = issuing()
    assert now["CT"] == {"open": False, "reason": "full", "from": "13:00", "until": "17:00"}
    assert now["DD"]["open"] is True
    clock.now = clock.now.replace(hour=9, minute=30)  # 16:30
    assert issuing()["DD"] == {"open": False, "reason": "over", "from": "07:30", "until": "16:00"}
    snapshot = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).get_json()
    assert snapshot["next_change_at"].startswith("2026-11-26T17:00:00")
    clock.now = clock.now.replace(hour=14, minute=12)  # 21:12
    assert {why["reason"] for why in issuing().values()} == {"closed"}
