"""Fixtures for the province's set-up: several `xephang serve` workers on one PostgreSQL
database, with Redis as Flask-SocketIO's message queue (loaded by tests/conftest.py).

They always use PostgreSQL and Redis (on 127.0.0.1 unless XEPHANG_TEST_POSTGRES_URL and
XEPHANG_TEST_REDIS_URL say otherwise), and skip when either is missing, unless
XEPHANG_REQUIRE_SERVICES is set (CI sets it). The tests that use them run once, in the
first (SQLite) pass of `make test`: the PostgreSQL pass would only repeat them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.adapters.db.models import Counter, CounterService, Service, Ticket, User
from server.cli.demo import DemoCredentials, create_demo_centre
from server.domain.roles import Role
from server.services.credentials import hash_password
from tests.databases import TEST_DATABASE_URL, PostgresDatabases
from tests.live import TIMEOUT, LiveServer

POSTGRES_URL = os.environ.get(
    "XEPHANG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("XEPHANG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
EXTRA_CLERK_PASSWORD = "mat-khau-kiem-thu"  # test-only accounts in a throwaway database


def missing_services() -> str | None:
    try:
        dsn = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {POSTGRES_URL}: {error}"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis unreachable at {REDIS_URL}: {error}"
    return None


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresDatabases]:
    if TEST_DATABASE_URL:
        pytest.skip("run once, in the first pass: these tests always use PostgreSQL")
    reason = missing_services()
    if reason:
        if os.environ.get("XEPHANG_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (XEPHANG_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="module")
def province_template(postgres: PostgresDatabases) -> tuple[str, DemoCredentials]:
    """The demo centre plus counters 7-10 with clerks canbo7-canbo10: ten clerks in all."""
    url = postgres.new("template")
    upgrade(url)
    db = Database(url)
    with db.write_session() as session, session.begin():
        creds = create_demo_centre(session)
        services = {
            s.code: s.id
            for s in session.scalars(select(Service).where(Service.site_id == creds.site_id))
        }
        password_hash = hash_password(EXTRA_CLERK_PASSWORD)
        for number, code in zip((7, 8, 9, 10), ("HT", "CT", "DD", "LD"), strict=True):
            counter = Counter(site_id=creds.site_id, number=number, label=f"Quầy {number}")
            counter.service_links.append(CounterService(service_id=services[code], rank=0))
            session.add(counter)
            session.add(
                User(
                    username=f"canbo{number}",
                    full_name=f"Cán bộ {number}",
                    role=Role.CLERK,
                    password_hash=password_hash,
                    counters=[counter],
                )
            )
    db.dispose()
    return url, creds


class Province:
    """Two workers on one database and one message queue."""

    def __init__(self, database_url: str, creds: DemoCredentials, folder: Path) -> None:
        channel = f"xephang-test-{uuid.uuid4().hex[:8]}"
        env = {"XEPHANG_MESSAGE_QUEUE": REDIS_URL, "XEPHANG_MESSAGE_QUEUE_CHANNEL": channel}
        self.database_url = database_url
        self.creds = creds
        self.db = Database(database_url)
        self.workers = [LiveServer(folder, database_url, env) for _ in range(2)]
        with self.db.reading() as session:
            self.service = {
                s.code: s.id
                for s in session.scalars(select(Service).where(Service.site_id == creds.site_id))
            }
            self.counter = {c.number: c.id for c in session.scalars(select(Counter))}

    def password(self, username: str) -> str:
        return self.creds.passwords.get(username, EXTRA_CLERK_PASSWORD)

    def tickets(self) -> list[Ticket]:
        with self.db.reading() as session:
            return list(session.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.fixture
def province(
    postgres: PostgresDatabases, province_template: tuple[str, DemoCredentials], tmp_path: Path
) -> Iterator[Province]:
    url = postgres.copy(province_template[0], tmp_path)
    province = Province(url, province_template[1], tmp_path)
    for worker in province.workers:
        worker.start()
    yield province
    for worker in province.workers:
        worker.stop()
    province.db.dispose()
    postgres.drop(url)


def issue_over_http(
    http: requests.Session, worker: LiveServer, creds: DemoCredentials, service_id: int
) -> requests.Response:
    return http.post(
        f"{worker.url}/api/kiosk/tickets",
        json={"service_id": service_id},
        headers={"X-Device-Token": creds.device_tokens["kiosk"]},
        timeout=TIMEOUT,
    )
