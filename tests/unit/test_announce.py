"""What the board says for a call, as the ordered clips it plays."""

from __future__ import annotations

import re

import pytest

from server.domain.announce import (
    CHIME,
    CLIP_NAMES,
    CLIP_WORDS,
    INTRO,
    TO_COUNTER,
    announcement,
    announcement_clips,
    announcement_sequence,
    read_aloud,
)
from server.domain.numbering import NumberFormat


def test_a_prefixed_number_is_read_letter_then_digit_by_digit_zeros_included() -> None:
    assert announcement_clips("A012", 3) == [
        INTRO,
        "letter_a",
        "digit_0",
        "digit_1",
        "digit_2",
        TO_COUNTER,
        "digit_3",
    ]


def test_a_range_number_is_read_digit_by_digit_not_as_number_words() -> None:
    # "một không một hai", not "một nghìn không trăm mười hai".
    assert announcement_clips("1012", 3) == [
        INTRO,
        "digit_1",
        "digit_0",
        "digit_1",
        "digit_2",
        TO_COUNTER,
        "digit_3",
    ]


def counter_words(counter_number: int) -> str:
    clips = announcement_clips("B001", counter_number)
    return " ".join(CLIP_WORDS[clip] for clip in clips[clips.index(TO_COUNTER) + 1 :])


@pytest.mark.parametrize(
    ("counter_number", "words"),
    [
        (10, "mười"),
        (11, "mười một"),
        (12, "mười hai"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi bốn"),
        (25, "hai mươi lăm"),
        (99, "chín mươi chín"),
    ],
)
def test_a_counter_number_of_two_digits_is_read_as_a_number(
    counter_number: int, words: str
) -> None:
    # Counters are few and never have a leading zero: "quầy số mười hai", as people say it.
    assert counter_words(counter_number) == words


def test_a_counter_number_of_three_digits_is_read_digit_by_digit() -> None:
    assert counter_words(105) == "một không năm"


def test_counter_zero_is_read_as_khong() -> None:
    assert announcement_clips("C005", 0)[-2:] == [TO_COUNTER, "digit_0"]


def test_a_two_letter_prefix_reads_both_letters_in_order() -> None:
    assert read_aloud("XY07") == ["letter_x", "letter_y", "digit_0", "digit_7"]


def test_a_lower_case_prefix_reads_like_upper_case() -> None:
    assert (
        read_aloud("b1000") == read_aloud("B1000") == ["letter_b"] + ["digit_1"] + ["digit_0"] * 3
    )


def test_separators_are_silent() -> None:
    assert read_aloud("A-012") == read_aloud("A 012") == read_aloud("A012")


@pytest.mark.parametrize("number", ["Đ001", "A01?", "١٢", "A0½"])
def test_a_character_the_voice_cannot_read_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        announcement_clips(number, 1)


@pytest.mark.parametrize("number", ["", " ", "-"])
def test_a_number_with_nothing_to_read_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match="nothing to read"):
        announcement_clips(number, 1)


def test_a_negative_counter_number_is_refused() -> None:
    with pytest.raises(ValueError):
        announcement_clips("A001", -1)


def test_the_board_plays_the_chime_once_then_the_call_as_many_times_as_configured() -> None:
    call = announcement_clips("A012", 3)
    assert announcement_sequence("A012", 3, repeat=2) == [CHIME, *call, *call]
    assert announcement_sequence("A012", 3, repeat=1) == [CHIME, *call]
    assert announcement_sequence("A012", 3, repeat=3).count(INTRO) == 3


def test_a_recall_is_read_again_without_the_chime() -> None:
    call = announcement_clips("A012", 3)
    assert announcement_sequence("A012", 3, repeat=1, recall=True) == call
    assert announcement_sequence("A012", 3, repeat=2, recall=True) == [*call, *call]
    assert announcement_sequence("A012", 3, repeat=0, recall=True) == []


def test_repeat_zero_turns_the_voice_off_chime_included() -> None:
    assert announcement_sequence("A012", 3, repeat=0) == []


def test_every_letter_and_digit_has_a_clip_with_its_vietnamese_words() -> None:
    for character in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789":
        (clip,) = read_aloud(character)
        assert clip in CLIP_NAMES
        assert CLIP_WORDS[clip].strip()
    assert CLIP_WORDS["digit_0"] == "không"
    assert CLIP_WORDS["letter_b"] == "bê"
    assert CLIP_WORDS["letter_x"] == "ích xì"
    assert CLIP_WORDS[INTRO] == "Mời công dân có số thứ tự"
    assert CLIP_WORDS[TO_COUNTER] == "đến quầy số"


def test_the_clip_set_is_the_chime_two_phrases_ten_digits_four_number_words_and_26_letters() -> (
    None
):
    # The number words of counters 10-99: "mười", "mươi", "mốt", "lăm".
    assert len(CLIP_NAMES) == 1 + 2 + 10 + 4 + 26
    assert CHIME in CLIP_NAMES
    assert CHIME not in CLIP_WORDS  # a sound made by the build, not words


def test_clip_names_are_safe_file_names() -> None:
    # They become <name>.wav in the instance folder and /voice/<name>.wav on the server.
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in CLIP_NAMES)


def test_the_clips_say_the_sentence_the_board_shows() -> None:
    words = " ".join(CLIP_WORDS[clip] for clip in announcement_clips("1012", 3))
    assert words == "Mời công dân có số thứ tự một không một hai đến quầy số ba"
    assert announcement("1012", 3) == "Mời công dân có số thứ tự 1012 đến quầy số 3"


@pytest.mark.parametrize(
    "number_format",
    [
        NumberFormat(prefix="A", width=3),
        NumberFormat(prefix="qz", width=1),
        NumberFormat(prefix="F", width=6),
        NumberFormat(range_start=1001, range_end=1999),
        NumberFormat(range_start=0, range_end=99),
    ],
)
def test_every_number_a_service_can_issue_can_be_read(number_format: NumberFormat) -> None:
    for sequence in (1, 9, 10, 99, 100, 999):
        if number_format.capacity is not None and sequence > number_format.capacity:
            continue
        number = number_format.display(sequence)
        clips = announcement_clips(number, 6)
        assert len(clips) == 1 + len(number) + 1 + 1
        assert set(clips) <= CLIP_NAMES
