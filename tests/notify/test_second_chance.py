"""A second chance for a missed turn, through the real use cases: recalls capped, the
automatic no-show, rejoining behind the next few, and "Tôi cần thêm thời gian"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.adapters.db.models import NotificationMessage, TicketEvent, ticket_stats
from server.domain.errors import QueueEmpty, WrongTicketState
from server.domain.tickets import TicketStatus
from server.services import statistics
from server.services.counters import open_counter
from server.services.notifications import Settings, save_settings, subscribe
from server.services.tickets import call_next, issue_ticket, mark_no_show, recall
from server.services.tickets.second_chance import (
    RecallsUsedUp,
    SecondChanceRefused,
    more_time,
    no_show_overdue,
    rejoin,
)
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock


@pytest.fixture
def counter_1(uow: UnitOfWork, centre: Centre) -> tuple[int, int]:
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    return counter, clerk


def issue(uow: UnitOfWork, centre: Centre) -> tuple[int, str]:
    assert isinstance(uow.clock, FakeClock)
    uow.clock.advance(seconds=30)  # citizens come one after another
    issued = issue_ticket(uow, centre.site_id, centre.service["HT"])
    return issued.ticket_id, issued.token


def stats_rows(centre: Centre) -> list[dict[str, object]]:
    with centre.db.reading() as session:
        rows = session.execute(select(ticket_stats).order_by(*ticket_stats.primary_key)).all()
    return [dict(row._mapping) for row in rows]


def calling_order(uow: UnitOfWork, centre: Centre, counter: tuple[int, int]) -> list[str]:
    """Call everyone waiting, one by one, and say in which order they came."""
    order: list[str] = []
    while True:
        try:
            called = call_next(uow, *counter)
        except QueueEmpty:
            return order
        order.append(centre.ticket(called.ticket_id).token)
        mark_no_show(uow, *counter)


def test_recalls_are_capped_then_the_ticket_becomes_a_no_show_by_itself(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    save_settings(uow, centre.site_id, Settings(recall_cap=2, no_show_after_seconds=120))
    ticket_id, token = issue(uow, centre)
    subscribe(uow, token, "0912345678", consent=True, language="vi")
    call_next(uow, *counter_1)
    recall(uow, *counter_1)
    recall(uow, *counter_1)
    with pytest.raises(RecallsUsedUp) as refused:
        recall(uow, *counter_1)
    assert "tối đa 2" in refused.value.message_vi and "at most 2" in refused.value.message_en
    clock.advance(seconds=119)
    assert no_show_overdue(uow, centre.site_id) == 0
    clock.advance(seconds=1)
    assert no_show_overdue(uow, centre.site_id) == 1
    ticket = centre.ticket(ticket_id)
    assert ticket.status == TicketStatus.NO_SHOW and ticket.ended_at == clock.now
    with centre.db.reading() as session:
        event = session.scalars(select(TicketEvent).order_by(TicketEvent.id.desc())).first()
        kinds = list(session.scalars(select(NotificationMessage.kind)))
    assert event is not None and event.kind == "no_show" and event.detail == {"automatic": True}
    assert kinds == ["called", "called", "called", "missed"]
    # The counter is free again: the next citizen can be called.
    issue(uow, centre)
    assert call_next(uow, *counter_1).status == TicketStatus.CALLED


def test_a_no_show_rejoins_behind_the_next_three_once_and_within_the_window(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    missed_id, missed = issue(uow, centre)
    others = [issue(uow, centre)[1] for _ in range(5)]
    call_next(uow, *counter_1)
    mark_no_show(uow, *counter_1)
    clock.advance(minutes=14)
    back = rejoin(uow, missed)
    assert (back.number, back.status) == ("A001", TicketStatus.WAITING)
    assert centre.ticket(back.ticket_id).token == missed
    assert calling_order(uow, centre, counter_1) == [*others[:3], missed, *others[3:]]
    with pytest.raises(SecondChanceRefused):  # missed again: no third chance
        rejoin(uow, missed)
    # The first no-show keeps its figures; the rejoin is not a second ticket issued; a
    # rebuild from the tickets gives exactly what the use cases kept.
    assert centre.ticket(missed_id).status == TicketStatus.NO_SHOW
    kept = stats_rows(centre)
    with centre.db.write_session() as session, session.begin():
        statistics.rebuild(session, centre.db.dialect, [centre.site_id])
    assert stats_rows(centre) == kept
    day = [r for r in kept if r["period"] == "d" and r["dimension"] == "all"]
    # Six numbers issued; seven turns missed (calling_order misses them all, A001 twice).
    assert [(r["issued"], r["no_show"]) for r in day] == [(6, 7)]


def test_rejoining_too_late_or_without_a_missed_turn_is_refused(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    _, waiting = issue(uow, centre)
    with pytest.raises(WrongTicketState) as refused:
        rejoin(uow, waiting)
    assert "lỡ lượt" in refused.value.message_vi
    call_next(uow, *counter_1)
    mark_no_show(uow, *counter_1)
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(SecondChanceRefused) as late:
        rejoin(uow, waiting)
    assert "15 phút" in late.value.message_vi and "15 minutes" in late.value.message_en


def test_more_time_lets_three_go_first_once(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int]
) -> None:
    tokens = [issue(uow, centre)[1] for _ in range(5)]
    moved = more_time(uow, tokens[0])
    assert moved.status == TicketStatus.WAITING
    with pytest.raises(SecondChanceRefused) as twice:
        more_time(uow, tokens[0])
    assert "một lần" in twice.value.message_vi and "once" in twice.value.message_en
    with pytest.raises(SecondChanceRefused):  # the last one has nobody behind
        more_time(uow, tokens[4])
    assert calling_order(uow, centre, counter_1) == [*tokens[1:4], tokens[0], tokens[4]]
