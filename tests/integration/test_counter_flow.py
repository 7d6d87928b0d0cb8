"""A counter's day through the service layer: open, call, serve, transfer, pause, close."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, Service, TicketEvent
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.config import Config
from server.domain.errors import (
    CounterBusy,
    CounterNotOpen,
    Forbidden,
    InvalidInput,
    NotFound,
    QueueEmpty,
    WrongTicketState,
)
from server.domain.roles import CounterState
from server.domain.tickets import Priority, TicketStatus
from server.runtime import Runtime
from server.services import snapshots
from server.services.counters import (
    clerk_back,
    clerk_left_screen,
    close_counter,
    open_counter,
    pause_counter,
)
from server.services.tickets import (
    call_next,
    call_ticket,
    cancel_at_counter,
    cancel_by_citizen,
    expire_leftovers,
    finish,
    issue_ticket,
    mark_no_show,
    recall,
    start_serving,
    transfer,
)
from server.services.unit_of_work import UnitOfWork
from server.web.sweeper import sweep_once
from tests.conftest import Centre, FakeClock, Published, Staff


@pytest.fixture
def at_counter_1(uow: UnitOfWork, centre: Centre) -> tuple[int, int]:
    """Counter 1 (civil status, certification as secondary) opened by its clerk canbo1."""
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    return counter, clerk


def issue(uow: UnitOfWork, centre: Centre, code: str, priority: Priority | None = None) -> int:
    return issue_ticket(uow, centre.site_id, centre.service[code], priority).ticket_id


def test_a_citizen_is_called_served_and_finished(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    at_counter_1: tuple[int, int],
    published: Published,
) -> None:
    counter, clerk = at_counter_1
    ticket_id = issue(uow, centre, "HT")
    clock.advance(minutes=12)
    called = call_next(uow, counter, clerk)
    assert (called.ticket_id, called.number, called.counter_number) == (ticket_id, "A001", 1)
    clock.advance(minutes=1)
    start_serving(uow, counter, clerk)
    clock.advance(minutes=7)
    finish(uow, counter, clerk)
    ticket = centre.ticket(ticket_id)
    assert ticket.status == TicketStatus.DONE
    assert ticket.counter_id == counter and ticket.clerk_id == clerk
    assert ticket.first_called_at and ticket.started_at and ticket.ended_at
    assert (ticket.first_called_at - ticket.queued_at).total_seconds() == 12 * 60
    assert (ticket.ended_at - ticket.started_at).total_seconds() == 7 * 60
    with centre.db.reading() as session:
        kinds = [e.kind for e in session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds == ["issued", "call", "start", "finish"]
    assert published.kinds()[-3:] == ["ticket_called", "ticket_started", "ticket_finished"]


def test_the_counter_calls_priority_then_main_services_then_the_longest_wait(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    certification = issue(uow, centre, "CT")  # secondary service at counter 1, waited longest
    clock.advance(minutes=1)
    civil_first = issue(uow, centre, "HT")
    clock.advance(minutes=1)
    civil_second = issue(uow, centre, "HT")
    clock.advance(minutes=1)
    elderly = issue(uow, centre, "HT", Priority.ELDERLY)
    order = []
    for _ in range(4):
        order.append(call_next(uow, counter, clerk).ticket_id)
        mark_no_show(uow, counter, clerk)
    assert order == [elderly, civil_first, civil_second, certification]


def test_an_empty_queue_is_a_clear_refusal(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    issue(uow, centre, "DD")  # land: not served at counter 1
    with pytest.raises(QueueEmpty) as error:
        call_next(uow, *at_counter_1)
    assert "quầy số 1" in error.value.message_vi


def test_a_closed_or_paused_counter_cannot_call(uow: UnitOfWork, centre: Centre) -> None:
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    issue(uow, centre, "HT")
    with pytest.raises(CounterNotOpen):
        call_next(uow, counter, clerk)
    open_counter(uow, counter, clerk)
    pause_counter(uow, counter, clerk, "Nghỉ trưa")
    with pytest.raises(CounterNotOpen):
        call_next(uow, counter, clerk)
    assert centre.ticket(1).status == TicketStatus.WAITING


def test_a_counter_serves_one_citizen_at_a_time(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    issue(uow, centre, "HT")
    second = issue(uow, centre, "HT")
    call_next(uow, *at_counter_1)
    with pytest.raises(CounterBusy) as error:
        call_next(uow, *at_counter_1)
    assert "A001" in error.value.message_vi
    assert centre.ticket(second).status == TicketStatus.WAITING


def test_a_clerk_cannot_act_for_a_counter_not_assigned_to_them(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    issue(uow, centre, "HT")
    with pytest.raises(Forbidden) as error:
        call_next(uow, centre.counter[1], centre.user["canbo4"])
    assert "quầy số 1" in error.value.message_vi
    with pytest.raises(Forbidden):
        open_counter(uow, centre.counter[4], centre.user["canbo1"])
    with pytest.raises(Forbidden):  # managers watch; they do not call
        call_next(uow, centre.counter[1], centre.user["quanly"])
    assert centre.ticket(1).status == TicketStatus.WAITING


def test_actions_in_the_wrong_state_are_refused_and_change_nothing(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int], published: Published
) -> None:
    counter, clerk = at_counter_1
    issue(uow, centre, "HT")
    with pytest.raises(CounterBusy):  # nothing called yet
        finish(uow, counter, clerk)
    call_next(uow, counter, clerk)
    before = len(published.changes)
    with pytest.raises(WrongTicketState):
        finish(uow, counter, clerk)  # must start first
    start_serving(uow, counter, clerk)
    with pytest.raises(WrongTicketState):
        mark_no_show(uow, counter, clerk)  # already here
    with pytest.raises(WrongTicketState):
        recall(uow, counter, clerk)
    assert centre.ticket(1).status == TicketStatus.SERVING
    assert len(published.changes) == before + 1  # only the start


def test_a_stale_screen_cannot_act_on_another_ticket(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    first = issue(uow, centre, "HT")
    call_next(uow, counter, clerk)
    with pytest.raises(CounterBusy):
        mark_no_show(uow, counter, clerk, ticket_id=first + 1)
    mark_no_show(uow, counter, clerk, ticket_id=first)
    assert centre.ticket(first).status == TicketStatus.NO_SHOW


def test_recall_announces_again_and_counts(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    at_counter_1: tuple[int, int],
    published: Published,
) -> None:
    issue(uow, centre, "HT")
    call_next(uow, *at_counter_1)
    recall(uow, *at_counter_1)
    recall(uow, *at_counter_1)
    assert centre.ticket(1).recall_count == 2
    assert published.kinds()[-2:] == ["ticket_recalled", "ticket_recalled"]
    with centre.db.reading() as session:
        board = snapshots.board(session, centre.site_id, clock.now)
    assert [(c["number"], c["counter_number"], c["recall"]) for c in board["recent_calls"]] == [
        ("A001", 1, True),
        ("A001", 1, True),
        ("A001", 1, False),
    ]


def test_calling_a_chosen_ticket_out_of_turn(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    issue(uow, centre, "HT")
    later = issue(uow, centre, "HT")
    assert call_ticket(uow, counter, clerk, later).number == "A002"
    mark_no_show(uow, counter, clerk)
    land = issue(uow, centre, "DD")
    with pytest.raises(InvalidInput):  # counter 1 does not serve land
        call_ticket(uow, counter, clerk, land)
    with pytest.raises(WrongTicketState):  # already ended
        call_ticket(uow, counter, clerk, later)
    with pytest.raises(InvalidInput):
        call_ticket(uow, counter, clerk, 9999)


def test_a_transfer_keeps_the_number_the_phone_and_the_place_in_line(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    first = issue_ticket(uow, centre.site_id, centre.service["HT"])  # 09:00
    clock.advance(minutes=5)
    land_early = issue(uow, centre, "DD")  # 09:05
    clock.advance(minutes=5)
    land_late = issue(uow, centre, "DD")  # 09:10
    call_next(uow, counter, clerk)
    start_serving(uow, counter, clerk)
    clock.advance(minutes=10)
    moved = transfer(uow, counter, clerk, centre.service["DD"])
    old = centre.ticket(first.ticket_id)
    new = centre.ticket(moved.ticket_id)
    assert old.status == TicketStatus.TRANSFERRED
    assert (new.status, new.service_id) == (TicketStatus.WAITING, centre.service["DD"])
    assert (new.number, new.token, new.queued_at) == ("A001", first.token, old.queued_at)
    assert new.transferred_from_id == old.id
    # The land counter now calls the transferred citizen first: they came at 09:00.
    land_counter, land_clerk = centre.counter[4], centre.user["canbo4"]
    open_counter(uow, land_counter, land_clerk)
    calls = []
    for _ in range(3):
        calls.append(call_next(uow, land_counter, land_clerk).ticket_id)
        mark_no_show(uow, land_counter, land_clerk)
    assert calls == [new.id, land_early, land_late]
    # The phone page follows the citizen to the new service, and says where it came from.
    with centre.db.reading() as session:
        phone = snapshots.ticket(session, first.token)
    assert phone["ticket"]["service_id"] == centre.service["DD"]
    assert phone["ticket"]["transferred_from"] == {
        "service_name_vi": "Tư pháp - Hộ tịch",
        "service_name_en": "Justice and civil status",
    }


def test_a_transfer_to_the_same_or_an_unknown_service_is_refused(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    issue(uow, centre, "HT")
    call_next(uow, counter, clerk)
    with pytest.raises(InvalidInput):
        transfer(uow, counter, clerk, centre.service["HT"])
    with pytest.raises(NotFound):
        transfer(uow, counter, clerk, 9999)
    assert centre.ticket(1).status == TicketStatus.CALLED
    assert len(centre.tickets()) == 1


def test_closing_is_refused_while_a_citizen_is_at_the_counter(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    issue(uow, centre, "HT")
    call_next(uow, counter, clerk)
    with pytest.raises(CounterBusy):
        close_counter(uow, counter, clerk)
    pause_counter(uow, counter, clerk, "Hồ sơ phức tạp")  # pausing is fine: no new calls
    start_serving(uow, counter, clerk)
    finish(uow, counter, clerk)
    status = close_counter(uow, counter, clerk)
    assert status.state == CounterState.CLOSED
    with centre.db.reading() as session:
        row = session.get(Counter, counter)
        assert row is not None and row.clerk_id is None


def test_pause_shows_its_reason_and_a_long_reason_is_refused(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    pause_counter(uow, counter, clerk, "  Họp giao ban  ")
    with centre.db.reading() as session:
        board = snapshots.board(session, centre.site_id, clock.now)
    [one] = [c for c in board["counters"] if c["number"] == 1]
    assert (one["state"], one["pause_reason"]) == ("paused", "Họp giao ban")
    with pytest.raises(InvalidInput):
        pause_counter(uow, counter, clerk, "x" * 201)


def test_a_citizen_can_give_up_their_place_from_the_phone(uow: UnitOfWork, centre: Centre) -> None:
    issued = issue_ticket(uow, centre.site_id, centre.service["HT"])
    cancel_by_citizen(uow, issued.token)
    assert centre.ticket(issued.ticket_id).status == TicketStatus.CANCELLED
    with pytest.raises(WrongTicketState):
        cancel_by_citizen(uow, issued.token)


def test_a_clerk_cancels_a_duplicate_ticket_of_their_services(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    ticket = issue(uow, centre, "CT")
    land = issue(uow, centre, "DD")
    cancel_at_counter(uow, counter, clerk, ticket)
    assert centre.ticket(ticket).status == TicketStatus.CANCELLED
    with pytest.raises(InvalidInput):
        cancel_at_counter(uow, counter, clerk, land)


def test_priority_tickets_are_bounded_so_normal_ones_never_starve(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    normal = issue(uow, centre, "HT")
    priorities = []
    for _ in range(5):
        clock.advance(minutes=1)
        priorities.append(issue(uow, centre, "HT", Priority.DISABILITY))
    calls = []
    for _ in range(6):
        calls.append(call_next(uow, counter, clerk).ticket_id)
        mark_no_show(uow, counter, clerk)
    # The demo site allows three priority calls in a row while a normal citizen waits.
    assert calls == [*priorities[:3], normal, *priorities[3:]]


def test_closing_time_expires_waiting_tickets_but_keeps_them(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    counter, clerk = at_counter_1
    waiting = issue(uow, centre, "HT")
    served = issue(uow, centre, "HT")
    call_ticket(uow, counter, clerk, served)
    start_serving(uow, counter, clerk)
    assert expire_leftovers(uow, centre.site_id) == 0  # 09:00: still open
    clock.now = clock.now.replace(hour=10, minute=1)  # 17:01 local, the demo closes at 17:00
    with centre.db.write_session() as session, session.begin():  # CT issues until 17:30
        session.execute(
            update(Service)
            .where(Service.id == centre.service["CT"])
            .values(issue_until=time(17, 30))
        )
    late = issue(uow, centre, "CT")  # taken after closing: staff are still serving
    assert expire_leftovers(uow, centre.site_id) == 1
    assert centre.ticket(waiting).status == TicketStatus.EXPIRED
    assert centre.ticket(served).status == TicketStatus.SERVING  # may still finish today
    assert centre.ticket(late).status == TicketStatus.WAITING
    clock.advance(days=1)
    clock.now = clock.now.replace(hour=1)  # 08:00 the next morning
    assert expire_leftovers(uow, centre.site_id) == 2  # yesterday's leftovers, whatever state
    assert centre.ticket(served).status == TicketStatus.EXPIRED
    assert centre.ticket(late).status == TicketStatus.EXPIRED
    assert len(centre.tickets()) == 3


def test_closing_early_expires_all_of_todays_waiting_tickets(
    uow: UnitOfWork, centre: Centre, published: Published
) -> None:
    tickets = [issue(uow, centre, code) for code in ("HT", "DD")]
    assert expire_leftovers(uow, centre.site_id, closing=True) == 2
    assert [centre.ticket(t).status for t in tickets] == [TicketStatus.EXPIRED] * 2
    change = published.changes[-1]
    assert change.kind == "tickets_expired"
    assert set(change.service_ids) == {centre.service["HT"], centre.service["DD"]}
    assert len(change.tokens) == 2


def test_the_servers_sweeper_expires_every_sites_leftovers(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database
) -> None:
    issue(uow, centre, "HT")
    runtime = Runtime(Config(Path("."), "", ""), database, uow.publish, clock)
    assert sweep_once(runtime) == 0
    clock.advance(days=1)
    assert sweep_once(runtime) == 1


def test_the_board_lists_todays_calls_by_the_centres_clock(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    clock.now = clock.now.replace(year=2031, month=3, day=14)  # any day, not the machine's
    issue(uow, centre, "HT")
    call_next(uow, *at_counter_1)
    with centre.db.reading() as session:
        calls = snapshots.board(session, centre.site_id, clock.now)["recent_calls"]
        served = snapshots.counter(session, at_counter_1[0], clock.now)
    assert [c["number"] for c in calls] == ["A001"]
    assert served["counter"]["served_today"] == 0
    clock.advance(days=1)
    with centre.db.reading() as session:
        assert snapshots.board(session, centre.site_id, clock.now)["recent_calls"] == []


def counter_row(centre: Centre, counter_id: int) -> Counter:
    with centre.db.reading() as session:
        counter = session.get(Counter, counter_id)
        assert counter is not None
        session.expunge(counter)
        return counter


def test_a_clerk_holds_one_open_counter_opening_another_pauses_the_first(
    uow: UnitOfWork, centre: Centre, at_counter_1: tuple[int, int]
) -> None:
    # canbo1 may work at counters 1 and 2: "đổi quầy" is opening the other one.
    clerk = at_counter_1[1]
    open_counter(uow, centre.counter[2], clerk)
    first, second = counter_row(centre, centre.counter[1]), counter_row(centre, centre.counter[2])
    assert (second.state, second.clerk_id) == (CounterState.OPEN, clerk)
    assert first.state == CounterState.PAUSED
    assert first.pause_reason == "Cán bộ đã chuyển sang quầy số 2"


def test_signing_out_pauses_the_clerks_open_counter(
    login: Any, centre: Centre, published: Published
) -> None:
    clerk = login("canbo1")
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.post("/logout").status_code == 302
    counter = counter_row(centre, centre.counter[1])
    assert counter.state == CounterState.PAUSED
    assert counter.pause_reason == "Cán bộ đã đăng xuất"
    assert published.kinds()[-1] == "counter_changed"


def test_a_counter_whose_clerk_is_gone_for_the_set_minutes_pauses_by_itself(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    database: Database,
    at_counter_1: tuple[int, int],
) -> None:
    runtime = Runtime(
        Config(Path("."), "", "", clerk_away_minutes=10), database, uow.publish, clock
    )
    clerk_left_screen(uow, *at_counter_1)
    clock.advance(minutes=9)
    sweep_once(runtime)
    assert counter_row(centre, centre.counter[1]).state == CounterState.OPEN
    clerk_back(uow, *at_counter_1)  # the screen reconnected: the clock starts again
    clerk_left_screen(uow, *at_counter_1)
    clock.advance(minutes=9)
    sweep_once(runtime)
    assert counter_row(centre, centre.counter[1]).state == CounterState.OPEN
    clock.advance(minutes=1)
    sweep_once(runtime)
    counter = counter_row(centre, centre.counter[1])
    assert counter.state == CounterState.PAUSED
    assert counter.pause_reason == "Cán bộ vắng mặt quá 10 phút"


def test_the_absence_clock_starts_only_when_the_clerks_last_screen_of_the_counter_drops(
    app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    # A second tab, or a reconnect whose new socket arrives before the old one drops.
    clerk = Staff(app.test_client(), "canbo1", creds.passwords["canbo1"])
    assert clerk.act(centre.counter[1], "open").status_code == 200
    auth = {"counter": centre.counter[1]}
    first = socketio.test_client(app, flask_test_client=clerk.client, auth=auth)
    second = socketio.test_client(app, flask_test_client=clerk.client, auth=auth)
    assert first.is_connected() and second.is_connected()
    first.disconnect()
    assert counter_row(centre, centre.counter[1]).clerk_away_since is None
    second.disconnect()
    assert counter_row(centre, centre.counter[1]).clerk_away_since is not None
    third = socketio.test_client(app, flask_test_client=clerk.client, auth=auth)
    assert third.is_connected()
    assert counter_row(centre, centre.counter[1]).clerk_away_since is None
    third.disconnect()


def test_the_clerk_sees_the_priority_by_name_and_where_a_transfer_came_from_with_its_note(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    at_counter_1: tuple[int, int],
    published: Published,
) -> None:
    counter, clerk = at_counter_1
    elderly = issue(uow, centre, "HT", Priority.ELDERLY)
    clock.advance(minutes=3)
    call_next(uow, counter, clerk)
    note = "  Cần chứng thực   bản sao giấy khai sinh "
    transfer(uow, counter, clerk, centre.service["CT"], note=note)
    with centre.db.reading() as session:
        event = session.scalars(
            select(TicketEvent).where(
                TicketEvent.ticket_id == elderly, TicketEvent.kind == "transfer"
            )
        ).one()
        screen = snapshots.counter(session, counter, clock.now)  # counter 1 serves CT too
        board = snapshots.board(session, centre.site_id, clock.now)
    assert event.detail is not None
    assert event.detail["note"] == "Cần chứng thực bản sao giấy khai sinh"
    [row] = screen["waiting"]
    assert row["number"] == "A001"
    assert (row["priority_name_vi"], row["priority_name_en"]) == (
        "Người cao tuổi",
        "Elderly person",
    )
    assert row["transferred_from"] == {
        "service_name_vi": "Tư pháp - Hộ tịch",
        "service_name_en": "Justice and civil status",
        "counter_number": 1,
        "note": "Cần chứng thực bản sao giấy khai sinh",
    }
    assert row["queued_at"] == centre.ticket(elderly).queued_at.isoformat()
    assert screen["now"] == clock.now.isoformat()  # the screen counts minutes waited from it
    # The note is for staff: neither the board nor any published change carries it.
    assert "Cần chứng thực" not in repr(board)
    assert not any("Cần chứng thực" in repr(c) for c in published.changes)

    call_next(uow, counter, clerk)  # the same citizen, now in certification
    with centre.db.reading() as session:
        current = snapshots.counter(session, counter, clock.now)["current"]
    assert current["number"] == "A001" and current["priority_name_vi"] == "Người cao tuổi"
    assert current["transferred_from"]["note"] == "Cần chứng thực bản sao giấy khai sinh"
    with pytest.raises(InvalidInput):
        transfer(uow, counter, clerk, centre.service["HT"], note="x" * 201)
    assert centre.ticket(current["id"]).status == TicketStatus.CALLED


def test_a_transfer_note_goes_through_the_counter_api(
    login: Any, uow: UnitOfWork, centre: Centre
) -> None:
    issue(uow, centre, "HT")
    clerk, counter = login("canbo1"), centre.counter[1]
    clerk.act(counter, "open")
    clerk.act(counter, "call-next")
    too_long = clerk.act(counter, "transfer", service_id=centre.service["CT"], note="x" * 201)
    assert too_long.status_code == 400 and "“note”" in too_long.get_json()["message_en"]
    moved = clerk.act(counter, "transfer", service_id=centre.service["CT"], note="Thiếu bản sao")
    assert moved.status_code == 200, moved.get_json()
    [row] = clerk.get(f"/api/counters/{counter}").get_json()["waiting"]
    assert row["transferred_from"]["note"] == "Thiếu bản sao"


def test_a_long_queue_shows_the_clerk_the_next_in_call_order_and_counts_the_rest(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: tuple[int, int]
) -> None:
    # Counter 1 serves HT before CT. A priority ticket issued last still comes first.
    counter, clerk = at_counter_1
    waiting = snapshots.CLERK_LIST_LENGTH + 20
    for _ in range(waiting - 1):
        issue(uow, centre, "CT")
    elderly = issue(uow, centre, "HT", Priority.ELDERLY)
    with centre.db.reading() as session:
        screen = snapshots.counter(session, counter, clock.now)
    assert screen["waiting_count"] == waiting
    assert len(screen["waiting"]) == snapshots.CLERK_LIST_LENGTH
    assert screen["waiting"][0]["id"] == elderly
    shown = [row["number"] for row in screen["waiting"][1:]]
    assert shown == [f"B{n:03d}" for n in range(1, snapshots.CLERK_LIST_LENGTH)]
    assert call_next(uow, counter, clerk).ticket_id == elderly


@pytest.mark.postgres
def test_a_ticket_another_transaction_only_points_at_is_still_called(
    database: Database, uow: UnitOfWork, centre: Centre, clock: FakeClock, at_counter_1: Any
) -> None:
    # A row that refers to a waiting ticket (a wait quote stored by the live publisher, an
    # event, a message) holds a KEY SHARE lock on it until its transaction ends. The call
    # must not take that for another clerk's call and skip the ticket: with one citizen
    # waiting the clerk was told nobody waited (10 clerks x 1,000 calls on two workers
    # left one citizen uncalled).
    if database.dialect != "postgresql":
        pytest.skip("row locks: SQLite's writer lock lets one transaction in at a time")
    counter, clerk = at_counter_1
    waiting = issue(uow, centre, "HT")
    with database.write_session() as other, other.begin():
        other.add(
            TicketEvent(ticket_id=waiting, site_id=centre.site_id, kind="quote", at=clock.now)
        )
        other.flush()
        assert call_next(uow, counter, clerk).ticket_id == waiting
        other.rollback()
