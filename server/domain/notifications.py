"""Messages to a citizen's phone (issue 15): the numbers we accept, what each message
says, and how the outbox retries. Pure rules, no I/O.

A message is written to the outbox in the transaction that causes it (a call, a missed
turn) and sent later by the sender; see server/services/notifications/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from server.domain.errors import InvalidInput


class MessageKind(StrEnum):
    ISSUED = "issued"  # the number taken (optional)
    NEAR = "near"  # a few people ahead
    CALLED = "called"  # "Mời công dân số A012 đến quầy số 3"
    MISSED = "missed"  # marked no-show, with the rejoin link


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (or its next attempt)
    SENDING = "sending"  # claimed by one sender's attempt; the send may be under way
    SENT = "sent"  # the channel took it
    FAILED = "failed"  # refused for good, or out of attempts
    UNKNOWN = "unknown"  # the sender died mid-send: never sent again (at most once)
    CAPPED = "capped"  # the centre's daily cost cap was reached
    STALE = "stale"  # too late to matter (a "near" message an hour later)


FINAL_STATUSES = frozenset(
    {
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.UNKNOWN,
        MessageStatus.CAPPED,
        MessageStatus.STALE,
    }
)

# Viettel 03x 086 096-098; Mobifone 07x 089 090 093; Vinaphone 08[1-58] 088 091 094;
# Vietnamobile 052 056 058 092; Gmobile 059 099; Itelecom 087; Reddi 055.
MOBILE_PREFIX = re.compile(r"^(3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])")
_SEPARATORS = re.compile(r"[\s.\-()]")

INVALID_PHONE = (
    "Số điện thoại không hợp lệ: hãy nhập số di động Việt Nam, dạng 0xxxxxxxxx hoặc +84xxxxxxxxx.",
    "This phone number is not valid: enter a Vietnamese mobile number, "
    "as 0xxxxxxxxx or +84xxxxxxxxx.",
)

# What the consent box says, in one line (the personal data law: purpose stated, opt-in).
CONSENT_PURPOSE = (
    "Tôi đồng ý cho trung tâm dùng số điện thoại này chỉ để báo lượt của tôi hôm nay; "
    "số sẽ bị xoá khi hết ngày.",
    "I agree that the centre uses this number only to tell me about my turn today; "
    "it is deleted at the end of the day.",
)


def normalize_phone(raw: str) -> str:
    """A Vietnamese mobile number as +84 and nine digits, or InvalidInput (bilingual)."""
    digits = _SEPARATORS.sub("", raw or "")
    if digits.startswith("+84"):
        national = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        raise InvalidInput(*INVALID_PHONE)
    if len(national) != 9 or not national.isdigit() or not MOBILE_PREFIX.match(national):
        raise InvalidInput(*INVALID_PHONE)
    return "+84" + national


def masked(phone: str) -> str:
    """What a screen or a log may show of a number: +84*****1234."""
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# The default wording; a centre may replace any of them (notification_templates). Fields:
# {number} {counter} {ahead} {minutes} {site} {link}.
DEFAULT_TEMPLATES: dict[tuple[MessageKind, str], str] = {
    (MessageKind.ISSUED, "vi"): "{site}: Quý khách đã lấy số {number}. Theo dõi: {link}",
    (MessageKind.ISSUED, "en"): "{site}: you have ticket {number}. Follow it: {link}",
    (MessageKind.NEAR, "vi"): "{site}: Sắp đến lượt số {number}, còn {ahead} người trước. "
    "Xin quay lại sảnh.",
    (MessageKind.NEAR, "en"): "{site}: ticket {number} is nearly up, {ahead} ahead. "
    "Please come back to the hall.",
    (MessageKind.CALLED, "vi"): "{site}: Mời công dân số {number} đến quầy số {counter}.",
    (MessageKind.CALLED, "en"): "{site}: ticket {number}, please go to counter {counter}.",
    (MessageKind.MISSED, "vi"): "{site}: Số {number} đã bị lỡ lượt. Vào lại hàng trong "
    "{minutes} phút: {link}",
    (MessageKind.MISSED, "en"): "{site}: ticket {number} missed its turn. Rejoin within "
    "{minutes} min: {link}",
}


def render(template: str, fields: dict[str, str]) -> str:
    """Fill a template; an unknown field is left as it was written, never an error (an
    admin's typo must not stop a call)."""

    def field(match: re.Match[str]) -> str:
        return fields.get(match.group(1), match.group(0))

    return re.sub(r"\{(\w+)\}", field, template)


@dataclass(frozen=True)
class Retry:
    """Exponential backoff: base, 2x base, 4x base ... capped; `attempts` tries in all."""

    attempts: int = 5
    base: timedelta = timedelta(seconds=10)
    longest: timedelta = timedelta(minutes=5)

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after the `attempt`-th failed try (1-based)."""
        return min(self.longest, self.base * (1 << max(0, attempt - 1)))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.attempts


# A message older than this is not worth sending (the turn it speaks of is gone).
STALE_AFTER: dict[MessageKind, timedelta] = {
    MessageKind.ISSUED: timedelta(minutes=30),
    MessageKind.NEAR: timedelta(minutes=20),
    MessageKind.CALLED: timedelta(minutes=10),
    MessageKind.MISSED: timedelta(minutes=30),
}
