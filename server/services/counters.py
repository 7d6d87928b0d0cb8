"""Use cases of a counter: open, pause with a reason, close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Counter, CounterPause, User
from server.domain.errors import CounterBusy, InvalidInput
from server.domain.roles import CounterState
from server.services.access import active_ticket, counter_for_user
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

MAX_PAUSE_REASON = 200


@dataclass(frozen=True)
class CounterStatus:
    counter_id: int
    number: int
    state: CounterState
    pause_reason: str


def public_counter(counter: Counter) -> dict[str, object]:
    return {
        "id": counter.id,
        "number": counter.number,
        "state": str(counter.state),
        "pause_reason": counter.pause_reason,
    }


def _set_state(
    uow: UnitOfWork, counter: Counter, state: CounterState, reason: str, clerk_id: int | None
) -> CounterStatus:
    _record_pause(uow, counter, state, reason)
    counter.state = state
    counter.pause_reason = reason
    counter.clerk_id = clerk_id
    counter.state_changed_at = uow.clock()
    counter.clerk_away_since = None
    uow.record(
        Change(
            site_id=counter.site_id,
            kind="counter_changed",
            service_ids=tuple(counter.service_rank),
            counter_id=counter.id,
            public={"counter": public_counter(counter)},
        )
    )
    return CounterStatus(counter.id, counter.number, state, reason)


def _record_pause(uow: UnitOfWork, counter: Counter, state: CounterState, reason: str) -> None:
    """Keep the counter's pauses (counter_pauses), in the same unit of work as its state:
    a pause begins when an open counter pauses, and ends when it opens or closes again (a
    new reason while paused is the same pause). The wait predictor learns from them how
    long pauses last, and reads the current one's start."""
    was_paused = counter.state == CounterState.PAUSED
    if state == CounterState.PAUSED and not was_paused:
        if counter.state == CounterState.OPEN:
            uow.session.add(
                CounterPause(
                    counter_id=counter.id,
                    site_id=counter.site_id,
                    started_at=uow.clock(),
                    reason=reason[:200],
                )
            )
    elif was_paused and state != CounterState.PAUSED:
        for pause in uow.session.scalars(
            select(CounterPause).where(
                CounterPause.counter_id == counter.id, CounterPause.ended_at.is_(None)
            )
        ):
            pause.ended_at = uow.clock()


def open_counter(uow: UnitOfWork, counter_id: int, user_id: int) -> CounterStatus:
    """The clerk sits down at the counter (or comes back from a pause): it may call again."""
    with uow:
        _lock_clerk(uow.session, user_id)
        counter = counter_for_user(uow.session, counter_id, user_id, lock=True)
        # One open counter per clerk: opening another ("đổi quầy") pauses the one they left
        # rather than refusing, since that one's screen may already be closed or out of
        # reach; its called citizen stays on it and the board shows it paused.
        for other in _open_counters_of(uow.session, user_id):
            if other.id != counter.id:
                moved = f"Cán bộ đã chuyển sang quầy số {counter.number}"
                _set_state(uow, other, CounterState.PAUSED, moved, user_id)
        result = _set_state(uow, counter, CounterState.OPEN, "", user_id)
        uow.commit()
    return result


def pause_counter(uow: UnitOfWork, counter_id: int, user_id: int, reason: str) -> CounterStatus:
    """Stop calling for a while (a break, a long dossier, a meeting). The current ticket, if
    any, can still be finished; the board shows the counter as paused."""
    reason = reason.strip()
    if len(reason) > MAX_PAUSE_REASON:
        raise InvalidInput(
            f"Lý do tạm dừng dài quá {MAX_PAUSE_REASON} ký tự.",
            f"The pause reason is longer than {MAX_PAUSE_REASON} characters.",
        )
    with uow:
        counter = counter_for_user(uow.session, counter_id, user_id, lock=True)
        if counter.state == CounterState.CLOSED:
            raise CounterBusy(
                f"Quầy số {counter.number} đang đóng: không thể tạm dừng.",
                f"Counter {counter.number} is closed: it cannot be paused.",
            )
        result = _set_state(uow, counter, CounterState.PAUSED, reason, user_id)
        uow.commit()
    return result


def close_counter(uow: UnitOfWork, counter_id: int, user_id: int) -> CounterStatus:
    """The clerk leaves the counter. Refused while a citizen is still called or served."""
    with uow:
        session = uow.session
        counter = counter_for_user(session, counter_id, user_id, lock=True)
        current = active_ticket(session, counter)
        if current is not None:
            raise CounterBusy(
                f"Quầy số {counter.number} còn số {current.number}: hãy xử lý xong trước khi đóng.",
                f"Counter {counter.number} still has ticket {current.number}: "
                "deal with it before closing.",
            )
        result = _set_state(uow, counter, CounterState.CLOSED, "", None)
        uow.commit()
    return result


def _lock_clerk(session: Session, user_id: int) -> None:
    """Lock the clerk's own row first (PostgreSQL; SQLite already runs one writer at a
    time). Locking their open counters is not enough for "one open counter per clerk": two
    tabs opening two counters at once each lock only their own, find no other open yet,
    and both commit. Always the clerk's row before any counter's, so no deadlock."""
    session.get(User, user_id, with_for_update=True)


def _open_counters_of(session: Session, user_id: int) -> list[Counter]:
    return list(
        session.scalars(
            select(Counter)
            .where(Counter.clerk_id == user_id, Counter.state == CounterState.OPEN)
            .order_by(Counter.id)
            .with_for_update()
        )
    )


def leave_counters(uow: UnitOfWork, user_id: int) -> int:
    """The clerk signs out: each counter they hold open pauses (a called citizen stays on it
    and can still be finished when someone comes back), so nobody new is called to an empty
    desk. Returns how many counters paused."""
    with uow:
        _lock_clerk(uow.session, user_id)
        held = _open_counters_of(uow.session, user_id)
        for counter in held:
            _set_state(uow, counter, CounterState.PAUSED, "Cán bộ đã đăng xuất", user_id)
        uow.commit()
    return len(held)


def clerk_left_screen(uow: UnitOfWork, counter_id: int, user_id: int) -> None:
    """The clerk's last screen of this counter on this worker disconnected (the web layer
    keeps the count): start the absence clock (only for an open counter held by this clerk;
    a blip that reconnects stops it, see clerk_back)."""
    with uow:
        counter = uow.session.get(Counter, counter_id, with_for_update=True)
        if (
            counter is not None
            and counter.clerk_id == user_id
            and counter.state == CounterState.OPEN
            and counter.clerk_away_since is None
        ):
            counter.clerk_away_since = uow.clock()
        uow.commit()


def clerk_back(uow: UnitOfWork, counter_id: int, user_id: int) -> None:
    """The clerk's screen of this counter connected (again): they are there."""
    with uow:
        counter = uow.session.get(Counter, counter_id, with_for_update=True)
        if counter is not None and counter.clerk_id == user_id:
            counter.clerk_away_since = None
        uow.commit()


def pause_absent(uow: UnitOfWork, minutes: float) -> int:
    """Pause each open counter whose clerk's screen has been gone for `minutes` or more (the
    sweeper's chore). Returns how many counters paused."""
    with uow:
        limit = uow.clock() - timedelta(minutes=minutes)
        gone = uow.session.scalars(
            select(Counter)
            .where(Counter.state == CounterState.OPEN, Counter.clerk_away_since <= limit)
            .order_by(Counter.id)
            .with_for_update()
        ).all()
        reason = f"Cán bộ vắng mặt quá {minutes:g} phút"
        for counter in gone:
            _set_state(uow, counter, CounterState.PAUSED, reason, counter.clerk_id)
        uow.commit()
    return len(gone)
