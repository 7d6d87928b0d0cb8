"""The outbox through the real use cases (issue 15): consent, the messages a call, a near
turn and a missed turn write in their own transaction, the phone numbers forgotten at the
day's end, and the sender's retries, backoff, caps and at-most-once claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import (
    AuditEntry,
    NotificationMessage,
    NotificationSubscription,
    Site,
    Ticket,
    ticket_stats,
)
from server.adapters.notify.base import Delivery, Outgoing, PermanentFailure, TemporaryFailure
from server.domain.errors import CounterBusy, InvalidInput
from server.domain.notifications import MessageStatus
from server.services.counters import open_counter
from server.services.notifications import (
    Sender,
    Settings,
    save_settings,
    set_template,
    subscribe,
)
from server.services.tickets import (
    call_next,
    expire_leftovers,
    issue_ticket,
    mark_no_show,
    recall,
)
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock

PHONE = "0912 345 678"


@dataclass
class Phone:
    """The far end of a channel: records what it was given; fails as told."""

    name: str = "test"
    failures: list[Exception] = field(default_factory=list)
    got: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> Delivery:
        if self.failures:
            raise self.failures.pop(0)
        self.got.append(message)
        return Delivery(ref=f"ref{len(self.got)}")

    def close(self) -> None:
        pass


@pytest.fixture
def counter_1(uow: UnitOfWork, centre: Centre) -> tuple[int, int]:
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    return counter, clerk


def issue(uow: UnitOfWork, centre: Centre, code: str = "HT") -> Ticket:
    issued = issue_ticket(uow, centre.site_id, centre.service[code])
    return centre.ticket(issued.ticket_id)


def messages(db: Database) -> list[NotificationMessage]:
    with db.reading() as session:
        return list(session.scalars(select(NotificationMessage).order_by(NotificationMessage.id)))


def sender(db: Database, clock: FakeClock, phone: Phone) -> Sender:
    return Sender(db, phone, public_url="http://192.168.1.10:8000", clock=clock)


# -- consent -------------------------------------------------------------------------------


def test_no_number_is_kept_without_an_explicit_yes(uow: UnitOfWork, centre: Centre) -> None:
    ticket = issue(uow, centre)
    with pytest.raises(InvalidInput) as refused:
        subscribe(uow, ticket.token, PHONE, consent=False, language="vi")
    assert "đồng ý" in refused.value.message_vi and "consent" in refused.value.message_en
    with centre.db.reading() as session:
        assert session.scalars(select(NotificationSubscription)).all() == []


@pytest.mark.parametrize("phone", ["12345", "0212345678", "+8491234567", "0912-345-67x", ""])
def test_a_number_that_is_not_a_vietnamese_mobile_is_refused_in_both_languages(
    uow: UnitOfWork, centre: Centre, phone: str
) -> None:
    ticket = issue(uow, centre)
    with pytest.raises(InvalidInput) as refused:
        subscribe(uow, ticket.token, phone, consent=True, language="vi")
    assert "0xxxxxxxxx" in refused.value.message_vi and "+84" in refused.value.message_en


def test_a_subscription_keeps_the_number_as_plus_84_and_shows_it_masked(
    uow: UnitOfWork, centre: Centre
) -> None:
    ticket = issue(uow, centre)
    done = subscribe(uow, ticket.token, PHONE, consent=True, language="en")
    assert done.phone_masked == "+84*****5678"
    with centre.db.reading() as session:
        row = session.scalars(select(NotificationSubscription)).one()
    assert (row.phone, row.language, row.token) == ("+84912345678", "en", ticket.token)


# -- what the use cases write --------------------------------------------------------------


def test_a_call_writes_its_message_in_its_own_transaction(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    counter, clerk = counter_1
    ticket = issue(uow, centre)
    subscribe(uow, ticket.token, PHONE, consent=True, language="vi")
    call_next(uow, counter, clerk)
    [message] = messages(centre.db)
    assert message.kind == "called" and message.status == MessageStatus.PENDING
    assert message.body.endswith("Mời công dân số A001 đến quầy số 1.")
    assert message.recipient == "+84912345678" and message.created_at == clock.now
    # A refused call (the counter is busy) writes nothing.
    other = issue(uow, centre)
    subscribe(uow, other.token, "0387654321", consent=True, language="vi")
    with pytest.raises(CounterBusy):
        call_next(uow, counter, clerk)
    assert len(messages(centre.db)) == 1


def test_near_turn_is_told_once_and_a_missed_turn_carries_the_rejoin_link(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    counter, clerk = counter_1
    save_settings(uow, centre.site_id, Settings(near_ahead=1))
    first, second, third = issue(uow, centre), issue(uow, centre), issue(uow, centre)
    subscribe(uow, third.token, PHONE, consent=True, language="en")
    call_next(uow, counter, clerk)  # first called: third has 1 ahead
    assert [(m.kind, m.ticket_id) for m in messages(centre.db)] == [("near", third.id)]
    assert "ticket A003 is nearly up, 1 ahead" in messages(centre.db)[0].body
    mark_no_show(uow, counter, clerk)
    call_next(uow, counter, clerk)  # second called: third is next, told already
    mark_no_show(uow, counter, clerk)
    call_next(uow, counter, clerk)  # third called
    mark_no_show(uow, counter, clerk)
    kinds = [m.kind for m in messages(centre.db)]
    assert kinds == ["near", "called", "missed"]
    phone = Phone()
    assert sender(centre.db, clock, phone).send_due() == 3
    missed = phone.got[-1]
    assert missed.body.endswith(
        "ticket A003 missed its turn. Rejoin within 15 min: "
        f"http://192.168.1.10:8000/t/{third.token}"
    )
    assert {first.id, second.id} & {m.ticket_id for m in messages(centre.db)} == set()


def test_numbers_are_forgotten_when_the_days_tickets_are_closed(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    counter, clerk = counter_1
    called, waiting = issue(uow, centre), issue(uow, centre)
    subscribe(uow, called.token, PHONE, consent=True, language="vi")
    subscribe(uow, waiting.token, "0387654321", consent=True, language="vi")
    call_next(uow, counter, clerk)
    sender(centre.db, clock, Phone()).send_due()
    recall(uow, counter, clerk)  # a pending message at closing time
    expire_leftovers(uow, centre.site_id)  # before closing: nothing forgotten
    with centre.db.reading() as session:
        assert len(session.scalars(select(NotificationSubscription)).all()) == 2
    expire_leftovers(uow, centre.site_id, closing=True)  # the waiting one expires
    with centre.db.reading() as session:
        # The called ticket is still open: its number stays until it is closed.
        assert [s.token for s in session.scalars(select(NotificationSubscription))] == [
            called.token
        ]
    clock.advance(days=1)
    expire_leftovers(uow, centre.site_id)  # yesterday's called ticket expires
    with centre.db.reading() as session:
        assert session.scalars(select(NotificationSubscription)).all() == []
    left = messages(centre.db)
    assert [(m.kind, m.status) for m in left] == [
        ("called", MessageStatus.SENT),
        ("near", MessageStatus.SENT),  # the waiting one was next
        ("called", MessageStatus.STALE),  # the recall's, unsent when the day ended
    ]
    assert all(m.recipient is None for m in left)  # the figures stay, the number goes


# -- the sender ----------------------------------------------------------------------------


def called_message(uow: UnitOfWork, centre: Centre, counter: tuple[int, int]) -> None:
    ticket = issue(uow, centre)
    subscribe(uow, ticket.token, PHONE, consent=True, language="vi")
    call_next(uow, *counter)


def test_a_temporary_failure_is_retried_with_exponential_backoff_then_given_up(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    called_message(uow, centre, counter_1)
    phone = Phone(failures=[TemporaryFailure("throttled")] * 5)
    send = sender(centre.db, clock, phone)
    waits = []
    for _ in range(4):
        assert send.send_due() == 1
        [message] = messages(centre.db)
        assert message.status == MessageStatus.PENDING and message.last_error == "throttled"
        waits.append(message.next_attempt_at - clock.now)
        assert send.send_due() == 0  # not due yet
        clock.now = message.next_attempt_at
    assert waits == [timedelta(seconds=s) for s in (10, 20, 40, 80)]
    send.send_due()
    [message] = messages(centre.db)
    assert (message.status, message.attempts, message.cost) == (MessageStatus.FAILED, 5, 0)
    assert phone.got == []


def test_a_permanent_failure_is_not_retried_and_success_records_ref_and_cost(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    called_message(uow, centre, counter_1)
    phone = Phone(failures=[PermanentFailure("blocked number")])
    sender(centre.db, clock, phone).send_due()
    assert messages(centre.db)[0].status == MessageStatus.FAILED
    recall(uow, *counter_1)
    sender(centre.db, clock, phone).send_due()
    done = messages(centre.db)[1]
    assert (done.status, done.provider_ref, done.cost, done.channel) == (
        MessageStatus.SENT,
        "ref1",
        800,
        "test",
    )


def test_per_minute_and_daily_cost_caps_of_a_centre(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    save_settings(
        uow, centre.site_id, Settings(per_minute=2, daily_cost_cap=2400, message_cost=800)
    )
    called_message(uow, centre, counter_1)
    for _ in range(3):
        recall(uow, *counter_1)
    phone = Phone()
    send = sender(centre.db, clock, phone)
    assert send.send_due() == 2  # the minute's allowance
    assert send.send_due() == 0
    clock.advance(seconds=61)
    send.send_due()
    statuses = [m.status for m in messages(centre.db)]
    assert statuses == [MessageStatus.SENT] * 3 + [MessageStatus.CAPPED]
    assert len(phone.got) == 3


def test_a_stale_message_is_not_sent(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    called_message(uow, centre, counter_1)
    clock.advance(minutes=11)  # "go to counter 1" eleven minutes late helps nobody
    phone = Phone()
    sender(centre.db, clock, phone).send_due()
    assert messages(centre.db)[0].status == MessageStatus.STALE and phone.got == []


def test_a_claim_left_by_a_dead_sender_is_never_sent_again(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    called_message(uow, centre, counter_1)
    dead = sender(centre.db, clock, Phone())
    claimed = dead.claim()  # ... and the process dies before sending or recording
    assert claimed is not None
    phone = Phone()
    alive = sender(centre.db, clock, phone)
    assert alive.send_due() == 0  # claimed: not sent by another
    clock.advance(minutes=3)
    assert alive.settle_abandoned() == 1
    assert alive.send_due() == 0 and phone.got == []
    assert messages(centre.db)[0].status == MessageStatus.UNKNOWN
    # A late answer of the dead attempt cannot overwrite the verdict.
    dead._record(claimed, MessageStatus.SENT, {})
    assert messages(centre.db)[0].status == MessageStatus.UNKNOWN


def test_two_senders_never_claim_the_same_message(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int], clock: FakeClock
) -> None:
    called_message(uow, centre, counter_1)
    recall(uow, *counter_1)
    a, b = sender(centre.db, clock, Phone()), sender(centre.db, clock, Phone())
    first, second, third = a.claim(), b.claim(), a.claim()
    assert first and second and third is None
    assert first.id != second.id


def test_statistics_never_hold_a_phone_number() -> None:
    for table in (ticket_stats, Site.__table__, Ticket.__table__):
        assert not any("phone" in c.name or "recipient" in c.name for c in table.columns)


def test_a_centre_words_its_own_messages_and_a_typo_is_caught_before_any_sms(
    uow: UnitOfWork, centre: Centre, counter_1: tuple[int, int]
) -> None:
    admin = centre.user["admin"]
    with pytest.raises(InvalidInput) as typo:
        set_template(uow, admin, centre.site_id, "called", "vi", "Số {numbr} tới quầy {counter}")
    assert "{numbr}" in typo.value.message_vi and "{number}" in typo.value.message_en
    set_template(uow, admin, centre.site_id, "called", "vi", "Moi so {number} den quay {counter}")
    called_message(uow, centre, counter_1)
    assert messages(centre.db)[-1].body == "Moi so A001 den quay 1"
    set_template(uow, admin, centre.site_id, "called", "vi", "")  # back to the default
    recall(uow, *counter_1)
    assert messages(centre.db)[-1].body.endswith("Mời công dân số A001 đến quầy số 1.")
    with centre.db.reading() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "notifications.template")
        ).all()
    assert [e.user_id for e in entries] == [admin, admin]
    assert entries[1].detail == {
        "kind": "called",
        "language": "vi",
        "text": [
            "Moi so {number} den quay {counter}",
            "{site}: Mời công dân số {number} đến quầy số {counter}.",
        ],
    }
