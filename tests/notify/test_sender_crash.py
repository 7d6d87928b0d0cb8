"""kill -9 of the sender (`xephang notify run`, its own process) in the middle of a batch,
against the test SMSC: nothing is sent twice and nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.adapters.db.engine import Database
from server.adapters.db.models import NotificationMessage, Site
from server.domain.notifications import FINAL_STATUSES, MessageStatus
from server.services.counters import open_counter
from server.services.notifications import Settings, save_settings, subscribe
from server.services.tickets import call_next, finish, issue_ticket, start_serving
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, open_around_the_clock
from tests.notify.fake_smsc import FakeSmsc

pytestmark = pytest.mark.server

MESSAGES = 12
XEPHANG = str(Path(sys.executable).parent / "xephang")


@pytest.fixture
def smsc() -> Iterator[FakeSmsc]:
    server = FakeSmsc(delay=0.3)  # each answer comes late: the kill lands mid-send
    yield server
    server.close()


def start_sender(database_url: str, instance: Path, smsc: FakeSmsc) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "XEPHANG_DATABASE_URL": database_url,
        "XEPHANG_INSTANCE": str(instance),
        "XEPHANG_NOTIFY_CHANNEL": "smpp",
        "XEPHANG_SMPP_HOST": "127.0.0.1",
        "XEPHANG_SMPP_PORT": str(smsc.port),
        "XEPHANG_SMPP_SYSTEM_ID": smsc.system_id,
        "XEPHANG_SMPP_PASSWORD": smsc.password,
        "XEPHANG_SMPP_SOURCE": "UBND-TANDINH",
    }
    return subprocess.Popen(
        [XEPHANG, "notify", "run", "--interval", "0.2", "--lease", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def outbox(db: Database) -> list[NotificationMessage]:
    with db.reading() as session:
        return list(session.scalars(select(NotificationMessage).order_by(NotificationMessage.id)))


def test_kill_9_mid_batch_sends_nothing_twice_and_loses_nothing(
    database: Database, database_url: str, instance: Path, centre: Centre, smsc: FakeSmsc
) -> None:
    open_around_the_clock(database)
    with database.write_session() as session, session.begin():
        session.execute(update(Site).values(name="TTHCC"))  # one SMS part per message
    uow = UnitOfWork(database)  # the real clock: the sender process reads it too
    save_settings(uow, centre.site_id, Settings(per_minute=1000))
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    for n in range(MESSAGES):
        ticket = issue_ticket(uow, centre.site_id, centre.service["HT"])
        subscribe(uow, ticket.token, f"09123456{n:02d}", consent=True, language="vi")
        call_next(uow, counter, clerk)
        start_serving(uow, counter, clerk)
        finish(uow, counter, clerk)
    assert len(outbox(database)) == MESSAGES

    first = start_sender(database_url, instance, smsc)
    deadline = time.monotonic() + 30
    while len(smsc.submitted) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    at_kill = len(smsc.submitted)
    assert 4 <= at_kill < MESSAGES, "the kill must land mid-batch"

    second = start_sender(database_url, instance, smsc)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all(m.status in FINAL_STATUSES for m in outbox(database)):
                break
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(timeout=10)

    rows = outbox(database)
    received = Counter((s.destination, s.text) for s in smsc.submitted)
    assert all(times == 1 for times in received.values()), "an SMS was sent twice"
    statuses = Counter(m.status for m in rows)
    assert set(statuses) <= {MessageStatus.SENT, MessageStatus.UNKNOWN}, statuses
    # Only the message in flight at the kill can be in doubt; it is never sent again.
    assert statuses[MessageStatus.UNKNOWN] <= 1
    for message in rows:
        assert message.recipient is not None
        key = (message.recipient.lstrip("+"), message.body)
        if message.status == MessageStatus.SENT:
            assert received[key] == 1
    # Nothing lost: every message reached the SMSC (the one in doubt did, before the kill).
    assert len(received) == MESSAGES
