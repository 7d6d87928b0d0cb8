"""The sender: claims one due message at a time, within its site's caps, hands it to the
channel, and records the outcome. A message is sent at most once, and none is lost (see
the package's docstring)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.adapters.db.engine import Database
from server.adapters.db.models import NotificationMessage
from server.adapters.notify.base import Channel, Outgoing, PermanentFailure, TemporaryFailure
from server.domain.notifications import STALE_AFTER, MessageKind, MessageStatus, Retry, render
from server.services.notifications.settings import settings_for
from server.services.unit_of_work import Clock, UnitOfWork, system_clock

log = logging.getLogger(__name__)

# Statuses whose cost counts against the day's cap (sent, or perhaps sent).
SPENT = (MessageStatus.SENT, MessageStatus.SENDING, MessageStatus.UNKNOWN)


@dataclass(frozen=True)
class Claimed:
    id: int
    attempt_id: str
    outgoing: Outgoing
    attempts: int
    site_id: int
    cost: int


@dataclass
class Sender:
    """Sends due messages through one channel. `public_url` makes the links absolute."""

    db: Database
    channel: Channel
    public_url: str = ""
    clock: Clock = system_clock
    retry: Retry = field(default_factory=Retry)
    lease: timedelta = timedelta(minutes=2)

    def settle_abandoned(self) -> int:
        """Messages claimed by a sender that died (or hung) longer than the lease ago:
        perhaps sent, so never again. Returns how many."""
        uow = UnitOfWork(self.db, clock=self.clock)
        with uow:
            done = uow.session.execute(
                update(NotificationMessage)
                .where(
                    NotificationMessage.status == MessageStatus.SENDING,
                    NotificationMessage.claimed_at < uow.clock() - self.lease,
                )
                .values(
                    status=MessageStatus.UNKNOWN,
                    last_error="the sender stopped while sending: not sent again",
                )
            )
            uow.commit()
        return int(getattr(done, "rowcount", 0) or 0)

    def claim(self) -> Claimed | None:
        """Take the next due message, within its site's caps; None when none is due."""
        uow = UnitOfWork(self.db, clock=self.clock)
        with uow:
            session = uow.session
            now = uow.clock()
            busy: set[int] = set()
            due = session.scalars(
                select(NotificationMessage)
                .where(
                    NotificationMessage.status == MessageStatus.PENDING,
                    NotificationMessage.next_attempt_at <= now,
                )
                .order_by(NotificationMessage.next_attempt_at, NotificationMessage.id)
                .limit(50)
            ).all()
            for message in due:
                if message.site_id in busy:
                    continue
                if message.recipient is None or now - message.created_at > STALE_AFTER.get(
                    MessageKind(message.kind), timedelta(minutes=30)
                ):
                    message.status = MessageStatus.STALE
                    continue
                settings = settings_for(session, message.site_id)
                if self._sent_last_minute(session, message.site_id, now) >= settings.per_minute:
                    busy.add(message.site_id)  # its turn comes in a later round
                    continue
                spent = self._spent_today(session, message.site_id, message.day)
                if spent + settings.message_cost > settings.daily_cost_cap:
                    message.status = MessageStatus.CAPPED
                    message.last_error = f"daily cost cap {settings.daily_cost_cap} đ reached"
                    continue
                attempt = str(uuid.uuid4())
                taken = session.execute(
                    update(NotificationMessage)
                    .where(
                        NotificationMessage.id == message.id,
                        NotificationMessage.status == MessageStatus.PENDING,
                    )
                    .values(
                        status=MessageStatus.SENDING,
                        attempt_id=attempt,
                        claimed_at=now,
                        attempts=NotificationMessage.attempts + 1,
                        cost=settings.message_cost,
                    )
                    .execution_options(synchronize_session=False)
                )
                if not getattr(taken, "rowcount", 0):
                    continue  # another sender took it
                claimed = Claimed(
                    id=message.id,
                    attempt_id=attempt,
                    attempts=message.attempts + 1,
                    site_id=message.site_id,
                    cost=settings.message_cost,
                    outgoing=Outgoing(
                        key=f"xephang-{message.id}",
                        recipient=message.recipient,
                        kind=message.kind,
                        language=message.language,
                        body=render(message.body, {"link": self._link(message)}),
                        params={**message.params, "link": self._link(message)},
                    ),
                )
                uow.commit()
                return claimed
            uow.commit()  # the stale and capped ones
        return None

    def _link(self, message: NotificationMessage) -> str:
        return self.public_url.rstrip("/") + "/t/" + str(message.params.get("token", ""))

    @staticmethod
    def _sent_last_minute(session: Session, site_id: int, now: datetime) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(NotificationMessage)
                .where(
                    NotificationMessage.site_id == site_id,
                    NotificationMessage.claimed_at > now - timedelta(minutes=1),
                    NotificationMessage.status.in_(SPENT),
                )
            )
            or 0
        )

    @staticmethod
    def _spent_today(session: Session, site_id: int, day: date) -> int:
        return (
            session.scalar(
                select(func.coalesce(func.sum(NotificationMessage.cost), 0)).where(
                    NotificationMessage.site_id == site_id,
                    NotificationMessage.day == day,
                    NotificationMessage.status.in_(SPENT),
                )
            )
            or 0
        )

    def send_one(self) -> bool:
        """Claim and send one message; False when none is due."""
        claimed = self.claim()
        if claimed is None:
            return False
        status, values = MessageStatus.SENT, {}
        try:
            delivery = self.channel.send(claimed.outgoing)
            values = {
                "sent_at": self.clock(),
                "provider_ref": delivery.ref,
                "cost": delivery.cost if delivery.cost is not None else claimed.cost,
                "last_error": None,
            }
        except PermanentFailure as error:
            status, values = MessageStatus.FAILED, {"last_error": str(error)[:300], "cost": 0}
        except (TemporaryFailure, OSError) as error:
            values = {"last_error": str(error)[:300], "cost": 0}
            if self.retry.gives_up_after(claimed.attempts):
                status = MessageStatus.FAILED
            else:
                status = MessageStatus.PENDING
                values["next_attempt_at"] = self.clock() + self.retry.delay(claimed.attempts)
        self._record(claimed, status, {"channel": self.channel.name, **values})
        return True

    def _record(self, claimed: Claimed, status: MessageStatus, values: dict[str, object]) -> None:
        uow = UnitOfWork(self.db, clock=self.clock)
        with uow:
            uow.session.execute(
                update(NotificationMessage)
                .where(
                    NotificationMessage.id == claimed.id,
                    NotificationMessage.attempt_id == claimed.attempt_id,
                    NotificationMessage.status == MessageStatus.SENDING,
                )
                .values(status=status, **values)
            )
            uow.commit()

    def send_due(self, limit: int = 100) -> int:
        """Send what is due now, up to `limit` messages; returns how many were tried."""
        tried = 0
        while tried < limit and self.send_one():
            tried += 1
        return tried

    def run(
        self, interval: float, sleep: Callable[[float], None], rounds: int | None = None
    ) -> None:
        """Send forever (or `rounds` times): settle abandoned claims, send what is due,
        sleep when nothing is."""
        done = 0
        while rounds is None or done < rounds:
            try:
                self.settle_abandoned()
                if self.send_due() == 0:
                    sleep(interval)
            except Exception:  # the database may be busy: the next round tries again
                log.exception("notification round failed")
                sleep(interval)
            done += 1
