import pytest

from server.domain.errors import WrongTicketState
from server.domain.tickets import ALLOWED_FROM, Action, TicketStatus, check_transition


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.CALL, TicketStatus.WAITING),
        (Action.RECALL, TicketStatus.CALLED),
        (Action.START, TicketStatus.CALLED),
        (Action.FINISH, TicketStatus.SERVING),
        (Action.NO_SHOW, TicketStatus.CALLED),
        (Action.TRANSFER, TicketStatus.SERVING),
        (Action.CANCEL, TicketStatus.WAITING),
        (Action.EXPIRE, TicketStatus.WAITING),
    ],
)
def test_allowed_steps(action: Action, status: TicketStatus) -> None:
    check_transition(action, "A001", status)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        (Action.CALL, TicketStatus.CALLED),
        (Action.FINISH, TicketStatus.CALLED),
        (Action.START, TicketStatus.WAITING),
        (Action.NO_SHOW, TicketStatus.SERVING),
        (Action.RECALL, TicketStatus.DONE),
        (Action.CANCEL, TicketStatus.SERVING),
    ],
)
def test_refused_steps_say_why_in_both_languages(action: Action, status: TicketStatus) -> None:
    with pytest.raises(WrongTicketState) as error:
        check_transition(action, "A001", status)
    assert "A001" in error.value.message_vi and "A001" in error.value.message_en


def test_a_closed_ticket_cannot_move_again() -> None:
    closed = {
        TicketStatus.DONE,
        TicketStatus.NO_SHOW,
        TicketStatus.TRANSFERRED,
        TicketStatus.CANCELLED,
        TicketStatus.EXPIRED,
    }
    for action, allowed in ALLOWED_FROM.items():
        assert not (allowed & closed), action
