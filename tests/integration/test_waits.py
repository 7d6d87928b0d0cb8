"""The waits shown to citizens (issue 13): the site's forecast computed once per change,
shown as a range in every snapshot, live state and issued ticket, stored per ticket."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.adapters.db.models import CounterPause, Service, Site, WaitQuote
from server.cli.demo import DemoCredentials
from server.domain.errors import ServiceUnavailable
from server.domain.roles import CounterState
from server.domain.tickets import Priority
from server.services import api_tokens, live_states, snapshots, waits
from server.services.api_tokens import QUEUE_READ
from server.services.changes import Change
from server.services.counters import (
    clerk_left_screen,
    close_counter,
    open_counter,
    pause_absent,
    pause_counter,
)
from server.services.tickets import IssuedTicket, call_next, issue_ticket
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock, Staff, kiosk_headers

WAIT_KEYS = {"low", "median", "high", "no_counter", "warning"}
# 11:00 in Ho Chi Minh City: half an hour before the demo centre's lunch break.
BEFORE_LUNCH = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
# 16:30: half an hour before the demo centre closes.
BEFORE_CLOSING = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    waits.cache.clear()


def assert_wait(wait: Any) -> None:
    """The `wait` object exactly as the screens read it."""
    assert set(wait) == WAIT_KEYS
    assert all(isinstance(wait[k], int) for k in ("low", "median"))
    assert wait["high"] is None or isinstance(wait["high"], int)
    assert isinstance(wait["no_counter"], bool)
    assert wait["low"] <= wait["median"]
    assert wait["high"] is None or wait["median"] <= wait["high"]
    warning = wait["warning"]
    assert warning is None or (set(warning) == {"vi", "en", "until"} and len(warning["until"]) == 5)


def assert_service_entry(entry: dict[str, Any]) -> None:
    assert_wait(entry["wait"])
    assert_wait(entry["priority_wait"])
    assert entry["estimated_wait_minutes"] == entry["wait"]["median"]


def issue(uow: UnitOfWork, centre: Centre, code: str, priority: Priority | None = None) -> Any:
    return issue_ticket(uow, centre.site_id, centre.service[code], priority)


def kiosk_service(centre: Centre, now: datetime, code: str) -> dict[str, Any]:
    with centre.db.reading() as session:
        kiosk = snapshots.kiosk(session, centre.site_id, now)
    return next(s for s in kiosk["services"] if s["code"] == code)


def site_states(
    centre: Centre, now: datetime, service_id: int, tokens: tuple[str, ...] = ()
) -> live_states.SiteStates:
    """What the publisher computes after a change of a service's queue (with the phone
    views of `tokens`: a change that only issued them would get none)."""
    kind = "ticket_transferred" if tokens else "ticket_issued"
    change = Change(site_id=centre.site_id, kind=kind, service_ids=(service_id,), tokens=tokens)
    with centre.db.reading() as session:
        return live_states.site_states(session, centre.site_id, [change], now)


# -- once per change ----------------------------------------------------------------------


def test_fifty_snapshots_after_one_change_compute_one_forecast(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    issued = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    ).get_json()["ticket"]
    before = waits.cache.computed
    for _ in range(25):
        assert client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).status_code == 200
        assert client.get(f"/api/tickets/{issued['token']}").status_code == 200
    assert waits.cache.computed == before + 1
    # The next change makes the next one.
    client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    for _ in range(10):
        client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds))
    assert waits.cache.computed == before + 2


def test_the_publisher_computes_the_forecast_once_and_the_snapshots_reuse_it(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    ticket = issue(uow, centre, "HT")
    before = waits.cache.computed
    states = site_states(centre, clock.now, centre.service["HT"])
    # One forecast for the board's, the kiosks', the hall's, the counters' and the queue's.
    assert waits.cache.computed == before + 1
    assert states.board and states.kiosk and states.manager and states.queues
    with centre.db.reading() as session:
        for _ in range(50):
            snapshots.kiosk(session, centre.site_id, clock.now)
            snapshots.ticket(session, ticket.token, clock.now)
    assert waits.cache.computed == before + 1


def test_issuing_computes_nothing_and_tells_what_the_kiosk_showed(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    open_counter(uow, centre.counter[1], centre.user["canbo1"])
    for _ in range(4):
        issue(uow, centre, "HT")
    shown = kiosk_service(centre, clock.now, "HT")
    computed = waits.cache.computed
    issued = issue(uow, centre, "HT")
    urgent = issue(uow, centre, "HT", Priority.ELDERLY)
    assert waits.cache.computed == computed
    assert issued.wait == shown["wait"] and urgent.wait == shown["priority_wait"]
    assert issued.estimated_wait_minutes == issued.wait["median"]


# -- payloads -------------------------------------------------------------------------------


def test_every_snapshot_shows_the_wait_of_each_service_as_a_range(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    client: FlaskClient,
    creds: DemoCredentials,
    login: Any,
) -> None:
    open_counter(uow, centre.counter[1], centre.user["canbo1"])
    for code in ("HT", "HT", "CT", "DD"):
        issue(uow, centre, code)
    token = api_tokens.create(
        uow, "Cổng dịch vụ công", (QUEUE_READ,), centre.site_id, centre.user["admin"]
    ).token
    guide: Staff = login("admin")
    board_headers = {"X-Device-Token": creds.device_tokens["board"]}
    answers = {
        "kiosk": client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)),
        "board": client.get("/api/board/snapshot", headers=board_headers),
        "integration": client.get(
            f"/api/v1/sites/{centre.site_id}/queue", headers={"Authorization": f"Bearer {token}"}
        ),
        "reception": guide.get(f"/api/reception/sites/{centre.site_id}"),
        "hall": guide.get(f"/api/sites/{centre.site_id}/overview"),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.get_json())
        services = answer.get_json()["services"]
        assert services, name
        for entry in services:
            assert_service_entry(entry)
    # Counter 1 serves civil status: a range; land has no counter open: said so.
    kiosk = {s["code"]: s for s in answers["kiosk"].get_json()["services"]}
    assert kiosk["HT"]["wait"]["no_counter"] is False
    assert kiosk["DD"]["wait"]["no_counter"] is True and kiosk["DD"]["wait"]["high"] is None


def test_the_phone_the_issue_answers_and_the_live_queue_show_the_tickets_range(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    client: FlaskClient,
    creds: DemoCredentials,
    login: Any,
) -> None:
    open_counter(uow, centre.counter[1], centre.user["canbo1"])
    kiosk = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    assert kiosk.status_code == 201
    guide: Staff = login("admin")
    reception = guide.post(
        f"/api/reception/sites/{centre.site_id}/tickets", json={"service_id": centre.service["HT"]}
    )
    assert reception.status_code == 201, reception.get_json()
    for answer in (kiosk, reception):
        ticket = answer.get_json()["ticket"]
        assert_wait(ticket["wait"])
        assert ticket["estimated_wait_minutes"] == ticket["wait"]["median"]
    token = kiosk.get_json()["ticket"]["token"]
    phone = client.get(f"/api/tickets/{token}").get_json()["ticket"]
    assert_wait(phone["wait"])
    assert phone["estimated_wait_minutes"] == phone["wait"]["median"]

    token = kiosk.get_json()["ticket"]["token"]
    states = site_states(centre, clock.now, centre.service["HT"], (token,))
    queue = states.queues[centre.service["HT"]]
    assert_service_entry(queue)
    assert set(queue["tickets"]) == {"A001", "A002"}
    for ahead, median, low, high in queue["tickets"].values():
        assert isinstance(ahead, int) and low <= median and (high is None or median <= high)
    first = queue["tickets"]["A001"]
    assert first[:2] == [0, phone["wait"]["median"]]
    assert first[2:] == [phone["wait"]["low"], phone["wait"]["high"]]
    assert states.tickets[token]["ticket"]["wait"] == phone["wait"]


def test_a_service_no_open_counter_serves_says_so(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    issue(uow, centre, "DD")
    land = kiosk_service(centre, clock.now, "DD")
    assert land["wait"]["no_counter"] and land["priority_wait"]["no_counter"]
    assert land["wait"]["high"] is None and land["wait"]["warning"] is None
    open_counter(uow, centre.counter[4], centre.user["canbo4"])  # counter 4 serves land
    land = kiosk_service(centre, clock.now, "DD")
    assert not land["wait"]["no_counter"] and land["wait"]["high"] is not None
    # Paused for a few minutes: it is expected back, so the service is still served.
    pause_counter(uow, centre.counter[4], centre.user["canbo4"], "Họp")
    assert not kiosk_service(centre, clock.now, "DD")["wait"]["no_counter"]
    open_counter(uow, centre.counter[4], centre.user["canbo4"])
    close_counter(uow, centre.counter[4], centre.user["canbo4"])
    assert kiosk_service(centre, clock.now, "DD")["wait"]["no_counter"]


def test_a_wait_that_reaches_past_lunch_warns_of_it(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    clock.now = BEFORE_LUNCH
    open_counter(uow, centre.counter[4], centre.user["canbo4"])
    for _ in range(6):  # land takes 20 minutes each: far past 11:30
        issue(uow, centre, "DD")
    land = kiosk_service(centre, clock.now, "DD")
    assert land["wait"]["warning"] == {
        "vi": "Có thể không kịp trước 11:30",
        "en": "May not be called before 11:30",
        "until": "11:30",
    }
    # A priority citizen is called next: nothing to warn of.
    assert land["priority_wait"]["warning"] is None


def test_a_wait_that_reaches_past_closing_warns_of_it_and_has_no_top(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    clock.now = BEFORE_CLOSING
    open_counter(uow, centre.counter[4], centre.user["canbo4"])
    for _ in range(6):
        issue(uow, centre, "DD")
    wait = kiosk_service(centre, clock.now, "DD")["wait"]
    assert wait["high"] is None
    assert wait["warning"] is not None and wait["warning"]["until"] == "17:00"
    assert wait["warning"]["vi"] == "Có thể không kịp trước 17:00"


# -- quotes stored --------------------------------------------------------------------------


def quotes(centre: Centre) -> list[WaitQuote]:
    with centre.db.reading() as session:
        return list(session.scalars(select(WaitQuote).order_by(WaitQuote.id)))


def test_the_wait_told_at_issue_is_stored_with_the_ticket(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    open_counter(uow, centre.counter[1], centre.user["canbo1"])
    issued: list[IssuedTicket] = [issue(uow, centre, "HT") for _ in range(3)]
    rows = quotes(centre)
    assert [(q.ticket_id, q.kind, q.people_ahead) for q in rows] == [
        (t.ticket_id, "issued", n) for n, t in enumerate(issued)
    ]
    last, told = rows[-1], issued[-1].wait
    assert (last.low_minutes, last.median_minutes, last.high_minutes) == (
        told["low"],
        told["median"],
        told["high"],
    )
    assert last.at == clock.now and last.site_id == centre.site_id


def test_a_refused_issue_stores_no_quote(uow: UnitOfWork, centre: Centre) -> None:
    with centre.db.write_session() as session, session.begin():
        session.execute(
            update(Service).where(Service.id == centre.service["DD"]).values(daily_cap=1)
        )
    issue(uow, centre, "DD")
    with pytest.raises(ServiceUnavailable):
        issue(uow, centre, "DD")
    assert len(quotes(centre)) == 1


def test_a_quote_is_stored_again_when_the_promise_moves(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    open_counter(uow, centre.counter[4], centre.user["canbo4"])
    for _ in range(6):
        issue(uow, centre, "DD")
    site_states(centre, clock.now, centre.service["DD"])
    settled = len(updates(centre))
    # Computed again on an unchanged hall: the same promise, not stored again.
    with centre.db.write_session() as session, session.begin():  # a change of no bearing
        session.execute(update(Site).values(event_seq=Site.event_seq + 1))
    site_states(centre, clock.now, centre.service["DD"])
    assert len(updates(centre)) == settled
    # Land dossiers turn out to take an hour each: every waiting citizen's promise moves.
    call_next(uow, centre.counter[4], centre.user["canbo4"])
    with centre.db.write_session() as session, session.begin():
        session.execute(update(Service).values(expected_minutes=60))
    waits.cache.habits.clear()
    site_states(centre, clock.now, centre.service["DD"])
    moved = updates(centre)[settled:]
    assert len(moved) == 5  # the five still waiting
    assert all(q.at == clock.now and q.service_id == centre.service["DD"] for q in moved)
    assert sorted(q.people_ahead for q in moved) == [0, 1, 2, 3, 4]


def updates(centre: Centre) -> list[WaitQuote]:
    return [q for q in quotes(centre) if q.kind == "update"]


# -- pauses -----------------------------------------------------------------------------------


def pauses(centre: Centre) -> list[CounterPause]:
    with centre.db.reading() as session:
        return list(session.scalars(select(CounterPause).order_by(CounterPause.id)))


def test_a_counters_pauses_are_recorded_from_pause_to_reopening(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    pause_counter_closed = pauses(centre)
    assert pause_counter_closed == []
    open_counter(uow, counter, clerk)
    started = clock.now
    pause_counter(uow, counter, clerk, "Nghỉ giải lao")
    clock.advance(minutes=5)
    pause_counter(uow, counter, clerk, "Họp")  # a new reason: the same pause
    [pause] = pauses(centre)
    assert (pause.started_at, pause.ended_at, pause.reason) == (started, None, "Nghỉ giải lao")
    with centre.db.reading() as session:
        site = session.get(Site, centre.site_id)
        assert site is not None
        hall = waits.read_hall(session, site, clock.now)
    paused = next(c for c in hall.counters if c.counter_id == counter)
    assert (paused.state, paused.state_since) == (CounterState.PAUSED, started)
    clock.advance(minutes=10)
    open_counter(uow, counter, clerk)
    [pause] = pauses(centre)
    assert pause.ended_at == clock.now
    pause_counter(uow, counter, clerk, "")
    clock.advance(minutes=3)
    close_counter(uow, counter, clerk)
    assert [p.ended_at for p in pauses(centre)] == [started.replace(minute=15), clock.now]


def test_the_sweepers_pause_is_recorded_too(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    open_counter(uow, centre.counter[2], centre.user["canbo2"])
    clerk_left_screen(uow, centre.counter[2], centre.user["canbo2"])
    clock.advance(minutes=10)
    assert pause_absent(uow, 5) == 1
    [pause] = pauses(centre)
    assert pause.counter_id == centre.counter[2] and pause.ended_at is None
    assert pause.reason.startswith("Cán bộ vắng mặt")


def test_habits_learn_from_past_pauses(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> None:
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    pause_counter(uow, counter, clerk, "Nghỉ")
    clock.advance(minutes=12)
    open_counter(uow, counter, clerk)
    with centre.db.reading() as session:
        site = session.get(Site, centre.site_id)
        assert site is not None
        habits = waits.learn_habits(session, site, clock.now)
    assert habits.pause_seconds == (720.0,)


def test_the_hall_has_the_sites_lunch_break(centre: Centre, clock: FakeClock) -> None:
    with centre.db.reading() as session:
        site = session.get(Site, centre.site_id)
        assert site is not None
        hours = waits.read_hall(session, site, clock.now).hours
    assert (hours.lunch_starts, hours.lunch_ends) == (time(11, 30), time(13, 0))
