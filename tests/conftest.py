"""Fixtures: a real SQLite file migrated with Alembic, the demo centre (a realistic ward
centre with six counters and overlapping services), a clock the tests move, and the Flask
app with its test client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from server.adapters import realtime
from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import Counter, Service, Site, Ticket, User
from server.app import create_app
from server.cli.demo import DemoCredentials, create_demo_centre
from server.config import Config
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork
from tests.databases import TEST_DATABASE_URL, Databases, PostgresDatabases, databases

# The fake printers listen on tcp://127.0.0.1:PORT; set before any app is built.
os.environ.setdefault("XEPHANG_PRINTER_LOOPBACK", "1")

# The province's fixtures (PostgreSQL + Redis + several workers).
pytest_plugins = ["tests.province"]

# 09:00 in Hanoi on an ordinary Thursday.
MORNING = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = MORNING

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Published:
    changes: list[Change] = field(default_factory=list)

    def __call__(self, changes: Sequence[Change]) -> None:
        self.changes.extend(changes)

    def kinds(self) -> list[str]:
        return [c.kind for c in self.changes]


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """SQLite files, or PostgreSQL databases when XEPHANG_TEST_DATABASE_URL is set (the
    PostgreSQL pass skips, or fails under XEPHANG_REQUIRE_SERVICES, without a server)."""
    try:
        chosen = databases(tmp_path_factory.mktemp("databases"))
    except OperationalError as error:
        if os.environ.get("XEPHANG_REQUIRE_SERVICES"):
            pytest.fail(f"PostgreSQL unreachable (XEPHANG_REQUIRE_SERVICES is set): {error}")
        pytest.skip(f"PostgreSQL unreachable at {TEST_DATABASE_URL}")
    yield chosen
    if isinstance(chosen, PostgresDatabases):
        chosen.drop_all()


@pytest.fixture(scope="session")
def demo_template(backend: Databases) -> tuple[str, DemoCredentials]:
    """The demo centre migrated into a database once per run; each test gets a copy
    (hashing the demo's passwords for every test would cost a second each)."""
    url = backend.new("template")
    upgrade(url)
    db = Database(url)
    with db.write_session() as session, session.begin():
        creds = create_demo_centre(session)
    db.dispose()
    backend.seal(url)
    return url, creds


@pytest.fixture
def database_url(
    instance: Path, backend: Databases, demo_template: tuple[str, DemoCredentials]
) -> Iterator[str]:
    url = backend.copy(demo_template[0], instance)
    yield url
    backend.drop(url)


@pytest.fixture
def fresh_database_url(backend: Databases) -> Iterator[str]:
    """An empty database of the backend under test."""
    url = backend.new(uuid.uuid4().hex[:10])
    yield url
    backend.drop(url)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def creds(database: Database, demo_template: tuple[str, DemoCredentials]) -> DemoCredentials:
    return demo_template[1]


UNIT_TESTS = Path(__file__).parent / "unit"
# Fixtures that start real processes: a test using one is a `server` test even unmarked.
SERVER_FIXTURES = {"live_server", "province", "browser", "screens"}
# Fixtures that stand in for a printer on a socket: the test waits on its timeouts.
PRINTER_FIXTURES = {"fake_printer", "faulty"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tiers (Makefile): the pure rules, printers, real servers and browsers do not
    depend on the database under test, so they are `anydb` and run once, in the SQLite
    pass; the PostgreSQL pass selects `-m "not anydb"`, `make check` leaves out `server`,
    `printer` and `slow`."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if SERVER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.server)
        if PRINTER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.printer)
        if item.get_closest_marker("postgres"):
            continue  # runs in the PostgreSQL pass, whatever else it uses
        if (
            item.get_closest_marker("server")
            or item.get_closest_marker("browser")
            or item.get_closest_marker("printer")
            or item.path.is_relative_to(UNIT_TESTS)
        ):
            item.add_marker(pytest.mark.anydb)
    if not TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="SQLite-specific: this run is on PostgreSQL")
    for item in items:
        if item.get_closest_marker("sqlite"):
            item.add_marker(skip)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def uow(database: Database, published: Published, clock: FakeClock) -> UnitOfWork:
    return UnitOfWork(database, published, clock)


class Centre:
    """Names for the demo centre's rows, as a clerk would say them."""

    def __init__(self, db: Database, creds: DemoCredentials) -> None:
        self.db = db
        self.creds = creds
        self.site_id = creds.site_id
        with db.reading() as session:
            self.service = {
                s.code: s.id
                for s in session.scalars(select(Service).where(Service.site_id == self.site_id))
            }
            self.counter = {
                c.number: c.id
                for c in session.scalars(select(Counter).where(Counter.site_id == self.site_id))
            }
            self.user = {u.username: u.id for u in session.scalars(select(User))}

    def ticket(self, ticket_id: int) -> Ticket:
        with self.db.reading() as session:
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            return ticket

    def tickets(self) -> list[Ticket]:
        with self.db.reading() as session:
            return list(session.scalars(select(Ticket).order_by(Ticket.id)))

    def open_around_the_clock(self) -> None:
        """Opening hours 00:00-24:00, for tests about something else that issue numbers at
        night (issuing is refused outside opening hours)."""
        open_around_the_clock(self.db)


def open_around_the_clock(db: Database) -> None:
    with db.write_session() as session, session.begin():
        session.execute(update(Site).values(opens_at=time(0, 0), closes_at=time.max))


@pytest.fixture
def centre(database: Database, creds: DemoCredentials) -> Centre:
    return Centre(database, creds)


AppFactory = Callable[..., Flask]

# Rate limits for tests that fire hundreds of requests from one kiosk or one address in
# seconds: `make_app(published, **BULK_LIMITS)`. Every other test runs with the real ones.
BULK_LIMITS = {"ratelimit_issue": "1000000 per minute", "ratelimit_public": "1000000 per minute"}


@pytest.fixture
def make_app(
    instance: Path, database_url: str, creds: DemoCredentials, clock: FakeClock
) -> Iterator[AppFactory]:
    """The app on the test's database and clock, in threading mode; `publisher=None`
    keeps the real Socket.IO publisher; keyword arguments override Config's settings."""

    def make(publisher: Published | None = None, **settings: Any) -> Flask:
        config = Config(
            instance_path=instance,
            database_url=database_url,
            secret_key="test-secret-key-not-for-production",
            async_mode="threading",
            testing=True,
            **settings,
        )
        return create_app(config, publisher=publisher, clock=clock)

    yield make
    # The real publisher works in the background: done before the database goes away.
    realtime.flush()


@pytest.fixture(autouse=True, scope="session")
def socket_clients_read_what_was_published() -> Iterator[None]:
    """An in-process socket client reads what the app has published by then: the real
    publisher works after the request, in the background (server/adapters/realtime.py), so
    `get_received` first waits for it to drain, as a browser would wait for the event."""
    original = SocketIOTestClient.get_received

    def get_received(self: SocketIOTestClient, namespace: str | None = None) -> Any:
        assert realtime.flush(), "the publisher did not drain"
        return original(self, namespace)

    SocketIOTestClient.get_received = get_received
    yield
    SocketIOTestClient.get_received = original


@pytest.fixture
def app(make_app: AppFactory, published: Published) -> Flask:
    return make_app(published)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    page = client.get("/").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


class Staff:
    """A signed-in browser session of one staff member."""

    def __init__(self, client: FlaskClient, username: str, password: str) -> None:
        self.client = client
        token = csrf_token(client)
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.csrf = csrf_token(client)

    def post(self, url: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRFToken": self.csrf, **kwargs.pop("headers", {})}
        return self.client.post(url, json=json, headers=headers, **kwargs)

    def act(self, counter_id: int, action: str, **body: Any) -> Any:
        return self.post(f"/api/counters/{counter_id}/{action}", json=body)

    def get(self, url: str) -> Any:
        return self.client.get(url)


@pytest.fixture
def login(app: Flask, creds: DemoCredentials) -> Any:
    def sign_in(username: str) -> Staff:
        return Staff(app.test_client(), username, creds.passwords[username])

    return sign_in


def kiosk_headers(creds: DemoCredentials) -> dict[str, str]:
    return {"X-Device-Token": creds.device_tokens["kiosk"]}


@pytest.fixture
def live_server(instance: Path, database_url: str, creds: DemoCredentials) -> Iterator[Any]:
    """A real `xephang serve` on 127.0.0.1 over the demo centre's SQLite file."""
    from tests.live import running

    with running(instance, database_url) as server:
        yield server
