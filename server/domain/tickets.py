"""A ticket's life: its states, which action may move it from which state, and the
priority categories a citizen may declare at the kiosk."""

from __future__ import annotations

from enum import StrEnum

from server.domain.errors import WrongTicketState


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING})


class Priority(StrEnum):
    """Categories served first under Vietnamese law (the elderly, people with
    disabilities, pregnant women, people with small children, people with meritorious
    service to the revolution)."""

    ELDERLY = "elderly"
    DISABILITY = "disability"
    PREGNANT = "pregnant"
    SMALL_CHILD = "small_child"
    MERIT = "merit"


PRIORITY_LABELS: dict[Priority, tuple[str, str]] = {
    Priority.ELDERLY: ("Người cao tuổi", "Elderly person"),
    Priority.DISABILITY: ("Người khuyết tật", "Person with a disability"),
    Priority.PREGNANT: ("Phụ nữ mang thai", "Pregnant woman"),
    Priority.SMALL_CHILD: ("Người đi cùng trẻ nhỏ", "With a small child"),
    Priority.MERIT: ("Người có công với cách mạng", "Person with meritorious service"),
}


class Channel(StrEnum):
    KIOSK = "kiosk"
    PHONE = "phone"
    STAFF = "staff"


class Action(StrEnum):
    CALL = "call"
    RECALL = "recall"
    START = "start"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXPIRE = "expire"


ALLOWED_FROM: dict[Action, frozenset[TicketStatus]] = {
    Action.CALL: frozenset({TicketStatus.WAITING}),
    Action.RECALL: frozenset({TicketStatus.CALLED}),
    Action.START: frozenset({TicketStatus.CALLED}),
    Action.FINISH: frozenset({TicketStatus.SERVING}),
    Action.NO_SHOW: frozenset({TicketStatus.CALLED}),
    Action.TRANSFER: OPEN_STATUSES,
    Action.CANCEL: frozenset({TicketStatus.WAITING, TicketStatus.CALLED}),
    # Today's leftovers expire from WAITING at closing; a ticket left called or in service
    # from an earlier day (the clerk went home) expires too, so no counter stays stuck.
    Action.EXPIRE: OPEN_STATUSES,
}

STATUS_LABELS: dict[TicketStatus, tuple[str, str]] = {
    TicketStatus.WAITING: ("đang chờ", "waiting"),
    TicketStatus.CALLED: ("đã được gọi", "called"),
    TicketStatus.SERVING: ("đang được phục vụ", "being served"),
    TicketStatus.DONE: ("đã xong", "done"),
    TicketStatus.NO_SHOW: ("vắng mặt", "no-show"),
    TicketStatus.TRANSFERRED: ("đã chuyển", "transferred"),
    TicketStatus.CANCELLED: ("đã huỷ", "cancelled"),
    TicketStatus.EXPIRED: ("hết hạn", "expired"),
}

ACTION_LABELS: dict[Action, tuple[str, str]] = {
    Action.CALL: ("gọi", "call"),
    Action.RECALL: ("gọi lại", "recall"),
    Action.START: ("bắt đầu phục vụ", "start serving"),
    Action.FINISH: ("hoàn thành", "finish"),
    Action.NO_SHOW: ("đánh dấu vắng mặt", "mark as no-show"),
    Action.TRANSFER: ("chuyển", "transfer"),
    Action.CANCEL: ("huỷ", "cancel"),
    Action.EXPIRE: ("cho hết hạn", "expire"),
}


def check_transition(action: Action, number: str, status: TicketStatus) -> None:
    """Raise WrongTicketState unless `action` may be applied to a ticket in `status`."""
    if status not in ALLOWED_FROM[action]:
        action_vi, action_en = ACTION_LABELS[action]
        status_vi, status_en = STATUS_LABELS[status]
        raise WrongTicketState(
            f"Không thể {action_vi} số {number}: số này {status_vi}.",
            f"Cannot {action_en} ticket {number}: it is {status_en}.",
        )
