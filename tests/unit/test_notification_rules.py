"""The pure rules of issue 15: which numbers we accept, what a message says, how the
outbox backs off, and where a second chance puts a citizen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.errors import InvalidInput
from server.domain.notifications import (
    DEFAULT_TEMPLATES,
    MessageKind,
    Retry,
    masked,
    normalize_phone,
    render,
)
from server.domain.second_chance import moved_back, place_after
from server.domain.selection import Candidate

T0 = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0912345678", "+84912345678"),  # Vinaphone
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("0387.654.321", "+84387654321"),  # Viettel 03x
        ("(070) 123-4567", "+84701234567"),  # Mobifone 070
        ("0523456789", "+84523456789"),  # Vietnamobile
        ("0991234567", "+84991234567"),  # Gmobile
    ],
)
def test_vietnamese_mobile_numbers_are_kept_as_plus_84(typed: str, kept: str) -> None:
    assert normalize_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["", "091234567", "09123456789", "0212345678", "0112345678", "+85512345678", "09x2345678"],
)
def test_anything_else_is_refused_in_both_languages(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_phone(typed)
    assert "Số điện thoại không hợp lệ" in refused.value.message_vi
    assert "not valid" in refused.value.message_en


def test_a_number_is_shown_masked() -> None:
    assert masked("+84912345678") == "+84*****5678"


def test_every_kind_has_a_default_in_both_languages_and_a_typo_never_fails() -> None:
    assert {(k, lang) for k in MessageKind for lang in ("vi", "en")} == set(DEFAULT_TEMPLATES)
    called = DEFAULT_TEMPLATES[(MessageKind.CALLED, "vi")]
    fields = {"site": "UBND", "number": "A012", "counter": "3"}
    assert render(called, fields) == "UBND: Mời công dân số A012 đến quầy số 3."
    assert render("Số {number} {countr}", fields) == "Số A012 {countr}"


def test_backoff_doubles_up_to_its_cap_and_gives_up_after_the_attempts() -> None:
    retry = Retry(attempts=4, base=timedelta(seconds=10), longest=timedelta(seconds=60))
    assert [retry.delay(n).seconds for n in (1, 2, 3, 4, 5)] == [10, 20, 40, 60, 60]
    assert not retry.gives_up_after(3) and retry.gives_up_after(4)


def waiting(*minutes: int, priority: bool = False, service: int = 1) -> list[Candidate]:
    return [Candidate(100 + m, service, priority, T0 + timedelta(minutes=m)) for m in minutes]


def test_a_rejoin_goes_right_behind_the_kth_of_its_class() -> None:
    queue = waiting(1, 2, 3, 4) + waiting(0, priority=True) + waiting(0, service=2)
    now = T0 + timedelta(minutes=30)
    assert place_after(queue, 1, False, 3, now) == T0 + timedelta(minutes=3, microseconds=1)
    assert place_after(queue, 1, False, 9, now) == now  # fewer than K: at the back
    assert place_after([], 1, False, 3, now) == now


def test_more_time_lets_the_next_few_of_its_class_go_first() -> None:
    queue = waiting(1, 2, 3, 4, 5)
    me = queue[0]
    assert moved_back(me, queue, 3) == T0 + timedelta(minutes=4, microseconds=1)
    assert moved_back(me, queue, 10) == T0 + timedelta(minutes=5, microseconds=1)
    assert moved_back(queue[-1], queue, 3) is None
