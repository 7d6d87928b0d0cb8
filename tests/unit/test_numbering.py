from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from server.domain.errors import InvalidInput, NumberRangeExhausted
from server.domain.numbering import NumberFormat, local_day

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_prefix_numbers_are_padded_to_the_width() -> None:
    fmt = NumberFormat(prefix="A", width=3)
    assert [fmt.display(n) for n in (1, 9, 10, 999)] == ["A001", "A009", "A010", "A999"]


def test_prefix_numbers_grow_past_the_width_rather_than_wrap() -> None:
    assert NumberFormat(prefix="b", width=3).display(1000) == "B1000"


def test_range_numbers_count_from_the_start_of_the_range() -> None:
    fmt = NumberFormat(range_start=1001, range_end=1999)
    assert [fmt.display(n) for n in (1, 2, 999)] == ["1001", "1002", "1999"]
    assert fmt.capacity == 999


def test_an_exhausted_range_is_refused_not_wrapped() -> None:
    fmt = NumberFormat(range_start=1001, range_end=1003)
    with pytest.raises(NumberRangeExhausted) as error:
        fmt.display(4)
    assert "1001-1003" in error.value.message_vi


@pytest.mark.parametrize(
    "kwargs",
    [
        {"prefix": "Ă"},  # letters with diacritics cannot be read out or printed reliably
        {"prefix": "ABC"},
        {"prefix": "1"},
        {"range_start": 10},
        {"range_start": 20, "range_end": 10},
        {"prefix": "A", "width": 0},
    ],
)
def test_invalid_formats_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        NumberFormat(**kwargs)  # type: ignore[arg-type]


def test_sequences_start_at_one() -> None:
    with pytest.raises(ValueError):
        NumberFormat(prefix="A").display(0)


def test_the_day_rolls_over_at_local_midnight_not_utc_midnight() -> None:
    # 16:59 UTC is 23:59 in Vietnam; 17:00 UTC is already tomorrow there.
    assert local_day(datetime(2026, 11, 26, 16, 59, tzinfo=UTC), HANOI) == date(2026, 11, 26)
    assert local_day(datetime(2026, 11, 26, 17, 0, tzinfo=UTC), HANOI) == date(2026, 11, 27)
    # and 00:30 UTC is 07:30 the same day
    assert local_day(datetime(2026, 11, 27, 0, 30, tzinfo=UTC), HANOI) == date(2026, 11, 27)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        local_day(datetime(2026, 11, 26, 12, 0), HANOI)
