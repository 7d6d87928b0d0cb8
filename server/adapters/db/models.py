"""The database: SQLAlchemy 2 typed models for every table.

Times are stored in UTC and come back timezone-aware; the centre's local time only matters
for the day a number belongs to (`Ticket.day`) and for display.

Over 400 lines on purpose: it is the one schema, read side by side with the migrations;
its relationships cross every aggregate (sites, counters, users, tickets), and a split
would only trade them for cross-module string references. Add new tables at the end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.domain.numbering import NumberFormat
from server.domain.printing import (
    WIDTH_80MM,
    PrinterStatus,
    PrintJobKind,
    PrintJobStatus,
    PrintMode,
)
from server.domain.roles import CounterState, DeviceKind, Role
from server.domain.statistics import BIN_COUNT, Rating
from server.domain.tickets import Channel, Priority, TicketStatus


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no time zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


clerk_counters = Table(
    "clerk_counters",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("counter_id", ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
)

# The sites a manager looks after (an admin sees every site).
manager_sites = Table(
    "manager_sites",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Site(Base):
    """A centre's hall or one of its extra reception points."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    opens_at: Mapped[time] = mapped_column(Time, default=time(7, 30), server_default="07:30:00")
    closes_at: Mapped[time] = mapped_column(Time, default=time(17, 30))
    # The lunch break, when counters do not call (both set, or neither): the wait
    # predictor plays it forward, and the kiosk warns a citizen who may not be called
    # before it.
    lunch_starts_at: Mapped[time | None] = mapped_column(Time)
    lunch_ends_at: Mapped[time | None] = mapped_column(Time)
    max_priority_streak: Mapped[int] = mapped_column(Integer, default=3)
    # The line that scrolls along the bottom of the board, set by a manager.
    notice: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Bumped once by every committed change; each realtime event carries it, so a client
    # that sees a gap knows it missed something and fetches a fresh snapshot.
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    services: Mapped[list[Service]] = relationship(
        back_populates="site", order_by="Service.position"
    )
    counters: Mapped[list[Counter]] = relationship(back_populates="site", order_by="Counter.number")


class Service(Base):
    """A service area (lĩnh vực) of a site, with its own queue and numbering."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    code: Mapped[str] = mapped_column(String(32))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    pictogram: Mapped[str] = mapped_column(String(64), default="")
    prefix: Mapped[str] = mapped_column(String(2), default="")
    number_width: Mapped[int] = mapped_column(Integer, default=3)
    range_start: Mapped[int | None] = mapped_column(Integer)
    range_end: Mapped[int | None] = mapped_column(Integer)
    expected_minutes: Mapped[float] = mapped_column(default=10.0)
    target_minutes: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # At most this many tickets a day (None: no cap), and only between these local times
    # (None: from the site's opening, or until its closing).
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    issue_from: Mapped[time | None] = mapped_column(Time)
    issue_until: Mapped[time | None] = mapped_column(Time)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The share of citizens to call within target_minutes: the staffing plan's goal
    # (server/services/staffing.py).
    target_share: Mapped[float] = mapped_column(default=0.8, server_default=text("0.8"))

    site: Mapped[Site] = relationship(back_populates="services")

    @property
    def number_format(self) -> NumberFormat:
        return NumberFormat(
            prefix=self.prefix,
            width=self.number_width,
            range_start=self.range_start,
            range_end=self.range_end,
        )


class CounterService(Base):
    """A service a counter serves; rank 0 is a main service, higher ranks are secondary."""

    __tablename__ = "counter_services"

    counter_id: Mapped[int] = mapped_column(
        ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    counter: Mapped[Counter] = relationship(back_populates="service_links")
    service: Mapped[Service] = relationship()


class Counter(Base):
    """A numbered desk (quầy) at a site."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("site_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[CounterState] = mapped_column(String(16), default=CounterState.CLOSED)
    pause_reason: Mapped[str] = mapped_column(String(200), default="")
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Since when the open counter's clerk has had no screen connected; the sweeper pauses
    # the counter after Config.clerk_away_minutes (server.services.counters).
    clerk_away_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Priority tickets this counter has called in a row; bounds priority so that normal
    # tickets never starve (see server.domain.selection).
    priority_streak: Mapped[int] = mapped_column(Integer, default=0)

    site: Mapped[Site] = relationship(back_populates="counters")
    clerk: Mapped[User | None] = relationship(foreign_keys=[clerk_id])
    service_links: Mapped[list[CounterService]] = relationship(
        back_populates="counter",
        order_by="(CounterService.rank, CounterService.position)",
        cascade="all, delete-orphan",
    )
    assigned_clerks: Mapped[list[User]] = relationship(
        secondary=clerk_counters, back_populates="counters"
    )

    @property
    def service_rank(self) -> dict[int, int]:
        return {link.service_id: link.rank for link in self.service_links}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(String(16), default=Role.CLERK)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Raised to end every signed-in session of the account (server/services/sessions.py).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    counters: Mapped[list[Counter]] = relationship(
        secondary=clerk_counters, back_populates="assigned_clerks", order_by="Counter.number"
    )
    sites: Mapped[list[Site]] = relationship(secondary=manager_sites, order_by="Site.id")


class Device(Base):
    """A registered kiosk, display board or rating tablet. Only a hash of its token is kept."""

    __tablename__ = "devices"
    __table_args__ = (Index("uq_devices_pairing_code_hash", "pairing_code_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[DeviceKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    printer_url: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The kiosk's ticket printer (see kiosk/printer_url.py and docs/PRINTING.md).
    printer_mode: Mapped[PrintMode] = mapped_column(
        String(8), default=PrintMode.IMAGE, server_default=PrintMode.IMAGE.value
    )
    printer_width: Mapped[int] = mapped_column(
        Integer, default=WIDTH_80MM, server_default=str(WIDTH_80MM)
    )
    printer_status: Mapped[PrinterStatus] = mapped_column(
        String(16), default=PrinterStatus.UNKNOWN, server_default=PrinterStatus.UNKNOWN.value
    )
    printer_detail: Mapped[str] = mapped_column(String(300), default="", server_default="")
    printer_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Socket.IO session of the print agent driving this kiosk's USB or serial printer,
    # while it is connected; any worker can tell from it whether a job can be sent.
    agent_sid: Mapped[str | None] = mapped_column(String(64))
    # A rating tablet belongs to one counter: it asks the citizens that counter served.
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    # Registering a screen: an admin shows a one-time code (or its QR), the device sends it
    # back once and receives its token. Only a hash of the code is kept, until it is used
    # or expires.
    pairing_code_hash: Mapped[str | None] = mapped_column(String(64))
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()


class TicketSequence(Base):
    """The last number handed out per (site, service, local day): the numbering counter row."""

    __tablename__ = "ticket_sequences"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """One citizen's place in one service's queue.

    A transfer closes the ticket and opens a new one in the other service that keeps the
    display number, the phone token and `queued_at` (the first issue time), so the citizen
    keeps their place and their phone page follows them.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "site_id", "status", "service_id", "queued_at"),
        Index("ix_tickets_counter_status", "counter_id", "status"),
        Index("ix_tickets_site_day", "site_id", "day"),
        # The kiosk's per-service questions: how many wait, how long did the last ones take.
        Index("ix_tickets_service_status", "service_id", "status", "ended_at"),
        Index(
            "uq_tickets_number",
            "site_id",
            "service_id",
            "day",
            "sequence",
            unique=True,
            sqlite_where=text("transferred_from_id IS NULL"),
            postgresql_where=text("transferred_from_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    day: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    priority: Mapped[Priority | None] = mapped_column(String(16))
    channel: Mapped[Channel] = mapped_column(String(16), default=Channel.KIOSK)
    status: Mapped[TicketStatus] = mapped_column(String(16), default=TicketStatus.WAITING)
    token: Mapped[str] = mapped_column(String(64), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    transferred_from_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))

    service: Mapped[Service] = relationship()
    counter: Mapped[Counter | None] = relationship()


class TicketEvent(Base):
    """Every step of every ticket, with its time and who did it: the audit trail and the
    raw material of the statistics."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_site_at", "site_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PrintJob(Base):
    """One ticket sent to one kiosk's printer: printed at issue, reprinted by staff, or a
    test print. A failed job never takes its ticket with it: the ticket was committed
    before the job was created."""

    __tablename__ = "print_jobs"
    __table_args__ = (Index("ix_print_jobs_device_id", "device_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[PrintJobKind] = mapped_column(String(16))
    status: Mapped[PrintJobStatus] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)  # bytes sent to the printer
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketRating(Base):
    """A citizen's answer on the counter's rating tablet: one per served ticket, tied to the
    counter and clerk that served it, and nothing about the citizen."""

    __tablename__ = "ticket_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    rating: Mapped[Rating] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# Zero by the database's default only: a Python-side default would make every upsert bind
# all of the row's ~185 columns instead of the few a ticket changes.
def _histogram(prefix: str) -> list[Column[int]]:
    return [
        Column(f"{prefix}{i:02d}", Integer, nullable=False, server_default="0")
        for i in range(BIN_COUNT)
    ]


def _counts(*names: str) -> list[Column[int]]:
    return [Column(name, Integer, nullable=False, server_default="0") for name in names]


# Statistics roll-ups (see server.domain.statistics): additive figures per site, per day
# and per month (period "d" or "m", starting on `start`), per dimension and key (a service,
# counter, clerk or hour id; 0 for the whole site). Kept by server.services.statistics in
# the transaction that changes the ticket; `xephang stats rebuild` recomputes them.
STAT_COUNTS = (
    "issued",
    "served",
    "no_show",
    "cancelled",
    "transferred",
    "expired",
    "wait_count",
    "wait_seconds",
    "wait_within_target",
    "service_count",
    "service_seconds",
    *(f"rating_{r.value}" for r in Rating),
)
STAT_MAXIMA = ("wait_max", "service_max")
WAIT_BINS = tuple(f"w{i:02d}" for i in range(BIN_COUNT))
SERVICE_BINS = tuple(f"s{i:02d}" for i in range(BIN_COUNT))

ticket_stats = Table(
    "ticket_stats",
    Base.metadata,
    Column("site_id", ForeignKey("sites.id"), primary_key=True),
    Column("period", String(1), primary_key=True),
    Column("start", Date, primary_key=True),
    Column("dimension", String(8), primary_key=True),
    Column("key", Integer, primary_key=True),
    *_counts(*STAT_COUNTS, *STAT_MAXIMA),
    *_histogram("w"),
    *_histogram("s"),
    # A report's rows: whole months and the days at its ends (see statistics.signed_periods).
    Index("ix_ticket_stats_period", "period", "start", "site_id"),
)


class ApiToken(Base):
    """A token of one integration (the provincial one-stop system, a button panel), with
    its scopes and optionally one site. Only a hash is kept; revoked tokens stay listed."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(300))  # space-separated
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what in administration (sites, services, counters, users, devices, API
    tokens). What was done to each ticket is in ticket_events."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    action: Mapped[str] = mapped_column(String(64))  # e.g. "service.update"
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class WaitQuote(Base):
    """A wait told to a citizen: at issue (`kind` "issued": the kiosk's screen and paper)
    and when the figure their phone shows moved (`kind` "update"). Minutes from `at` until
    the ticket is called: P10 (`low`), median and P90 (`high`; None: perhaps not before
    closing). The managers' scorecard grades them against the real first call."""

    __tablename__ = "wait_quotes"
    __table_args__ = (Index("ix_wait_quotes_site_at", "site_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    people_ahead: Mapped[int] = mapped_column(Integer)
    low_minutes: Mapped[int] = mapped_column(Integer)
    median_minutes: Mapped[int] = mapped_column(Integer)
    high_minutes: Mapped[int | None] = mapped_column(Integer)


class CounterPause(Base):
    """A time a counter stopped calling while open for the day (a clerk's pause, or the
    sweeper's when the clerk's screens dropped): the predictor learns from them how long
    pauses last. `ended_at` is None while the pause goes on."""

    __tablename__ = "counter_pauses"
    __table_args__ = (Index("ix_counter_pauses_site_started", "site_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")


# -- notifications and second chance (issue 15) --------------------------------------------


class NotificationSettings(Base):
    """A site's rules for messages and missed turns; a site without a row has the
    defaults (server/services/notifications/). Costs in đồng."""

    __tablename__ = "notification_settings"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    recall_cap: Mapped[int] = mapped_column(Integer)
    no_show_after_seconds: Mapped[int] = mapped_column(Integer)
    rejoin_minutes: Mapped[int] = mapped_column(Integer)
    rejoin_after: Mapped[int] = mapped_column(Integer)
    more_time_places: Mapped[int] = mapped_column(Integer)
    near_ahead: Mapped[int] = mapped_column(Integer)
    per_minute: Mapped[int] = mapped_column(Integer)
    daily_cost_cap: Mapped[int] = mapped_column(Integer)
    message_cost: Mapped[int] = mapped_column(Integer)


class NotificationSubscription(Base):
    """A citizen's phone number for one ticket (its token, which a transfer or a rejoin
    keeps), given with explicit consent; deleted when the day's tickets are closed. Never
    read by statistics."""

    __tablename__ = "notification_subscriptions"
    __table_args__ = (Index("ix_notification_subscriptions_site_day", "site_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    day: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationMessage(Base):
    """The outbox: one message to one phone, written with the change that causes it, sent
    by the sender. `recipient` is cleared with the subscription at the day's end; the row
    stays for the delivery figures."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        Index("ix_notification_messages_due", "status", "next_attempt_at"),
        Index("ix_notification_messages_site_created", "site_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    recipient: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempt_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str | None] = mapped_column(String(16))
    cost: Mapped[int] = mapped_column(Integer, default=0)
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(300))


class NotificationTemplate(Base):
    """A centre's own wording of one message kind in one language (the defaults are in
    server/domain/notifications.py)."""

    __tablename__ = "notification_templates"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
