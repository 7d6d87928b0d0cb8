"""The Gammu channel against the real SMS daemon (gammu-smsd) on Gammu's file-based dummy
device: what we inject is taken by the daemon, "sent" through the modem, and filed as
sent. Needs Debian's gammu-smsd (`make browser` installs it)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.adapters.notify.base import Outgoing, PermanentFailure
from server.adapters.notify.gammu import GammuChannel, GammuModem

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(
        shutil.which("gammu-smsd") is None or shutil.which("gammu-smsd-inject") is None,
        reason="gammu-smsd is not installed (apt install gammu-smsd; `make browser` does)",
    ),
]


def smsdrc(folder: Path) -> Path:
    for name in ("device", "inbox", "outbox", "sent", "error"):
        (folder / name).mkdir()
    config = folder / "smsdrc"
    config.write_text(
        f"""[gammu]
model = dummy
connection = none
device = {folder / "device"}

[smsd]
service = files
inboxpath = {folder / "inbox"}/
outboxpath = {folder / "outbox"}/
sentsmspath = {folder / "sent"}/
errorsmspath = {folder / "error"}/
logfile = {folder / "smsd.log"}
debuglevel = 1
loopsleep = 1
commtimeout = 1
checksecurity = 0
checkbattery = 0
checksignal = 0
phoneid = xephang
"""
    )
    return config


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Path]:
    config = smsdrc(tmp_path)
    process = subprocess.Popen(
        ["gammu-smsd", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    yield tmp_path
    process.terminate()
    process.wait(timeout=10)


def test_an_sms_goes_through_the_daemon_and_the_modem(daemon: Path) -> None:
    channel = GammuChannel(GammuModem(config=daemon / "smsdrc"))
    text = "Mời công dân số A012 đến quầy số 3"
    delivery = channel.send(
        Outgoing(key="xephang-1", recipient="+84912345678", kind="called", language="vi", body=text)
    )
    assert delivery.ref and "+84912345678" in delivery.ref
    sent = daemon / "sent" / delivery.ref
    deadline = time.monotonic() + 20
    while not sent.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sent.exists(), (daemon / "smsd.log").read_text()
    log = (daemon / "smsd.log").read_text()
    assert f'with text "{text}"' in log  # Vietnamese intact, as the modem was given it
    assert "Transmitted" in log and "+84912345678" in log
    assert list((daemon / "error").iterdir()) == []


def test_a_missing_configuration_is_permanent(tmp_path: Path) -> None:
    channel = GammuChannel(GammuModem(config=tmp_path / "nowhere"))
    with pytest.raises(PermanentFailure):
        channel.send(
            Outgoing(key="k", recipient="+84912345678", kind="called", language="vi", body="A")
        )
