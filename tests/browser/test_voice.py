"""The board's voice in a real Chromium (sound allowed without a tap, as on the boards)
against a real `xephang serve`: calls spoken one after another, in order, each after the
chime, never over each other; a recall spoken again; no clips, no voice, the board goes on.

The clips here are short tones, not espeak-ng's words (tests/integration/test_voice.py
builds those): the announcer is what is under test, and short clips keep it quick."""

from __future__ import annotations

import array
import itertools
import math
import time
import wave
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from server.cli.demo import DemoCredentials
from server.domain.announce import CHIME, CLIP_NAMES, announcement_sequence
from tests.browser.conftest import Screens, shoot
from tests.conftest import Centre
from tests.live import LiveServer, run_all, wait_until

pytestmark = [pytest.mark.server, pytest.mark.browser]

REPEAT = 2
RATE = 16_000


def write_clip(path: Path, seconds: float, frequency: float) -> float:
    """A tone as a stand-in clip; returns its length in seconds."""
    count = int(seconds * RATE)
    samples = array.array(
        "h", (int(8000 * math.sin(2 * math.pi * frequency * i / RATE)) for i in range(count))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return count / RATE


@pytest.fixture
def clip_seconds(instance: Path) -> dict[str, float]:
    """Every clip in the instance's voice folder, as a centre's own recordings (custom/)."""
    folder = instance / "voice" / "custom"
    folder.mkdir(parents=True)
    return {
        name: write_clip(folder / f"{name}.wav", 0.4 if name == CHIME else 0.12, 300 + 20 * i)
        for i, name in enumerate(sorted(CLIP_NAMES))
    }


def start_server(instance: Path, database_url: str) -> LiveServer:
    server = LiveServer(instance, database_url, {"XEPHANG_ANNOUNCE_REPEAT": str(REPEAT)})
    server.start()
    return server


@pytest.fixture
def voiced_server(
    instance: Path, database_url: str, clip_seconds: dict[str, float]
) -> Iterator[LiveServer]:
    server = start_server(instance, database_url)
    yield server
    server.stop()


@pytest.fixture
def silent_server(instance: Path, database_url: str) -> Iterator[LiveServer]:
    """No clips at all: `xephang voice build` was never run."""
    server = start_server(instance, database_url)
    yield server
    server.stop()


def open_board(screens: Screens, server: LiveServer, creds: DemoCredentials) -> Any:
    board = screens.open(f"{server.url}/board?device={creds.device_tokens['board']}", 1920, 1080)
    expect(board.locator("#counters tr")).to_have_count(6)  # its first snapshot is in
    return board


def two_clerks_ready(
    server: LiveServer, creds: DemoCredentials, centre: Centre
) -> tuple[requests.Session, requests.Session]:
    """A civil-status ticket (A001) and a certification ticket (B001) waiting; canbo1 at
    counter 1 and canbo2 at counter 3, both open."""
    kiosk = requests.Session()
    for service in ("HT", "CT"):
        issued = kiosk.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": centre.service[service]},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        )
        assert issued.status_code == 201, issued.text
    clerks = (
        server.session_for("canbo1", creds.passwords["canbo1"]),
        server.session_for("canbo2", creds.passwords["canbo2"]),
    )
    for clerk, counter in zip(clerks, (1, 3), strict=True):
        opened = clerk.post(f"{server.url}/api/counters/{centre.counter[counter]}/open", timeout=5)
        assert opened.ok, opened.text
    return clerks


def call_at_once(
    server: LiveServer, centre: Centre, clerks: tuple[requests.Session, requests.Session]
) -> None:
    def call(clerk: requests.Session, counter: int) -> None:
        response = clerk.post(
            f"{server.url}/api/counters/{centre.counter[counter]}/call-next", timeout=5
        )
        assert response.ok, response.text

    run_all([lambda: call(clerks[0], 1), lambda: call(clerks[1], 3)], timeout=10)


def test_two_calls_in_the_same_second_are_spoken_in_turn_and_a_recall_again(
    screens: Screens,
    voiced_server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
    clip_seconds: dict[str, float],
) -> None:
    server = voiced_server
    board = open_board(screens, server, creds)
    clerks = two_clerks_ready(server, creds, centre)

    call_at_once(server, centre, clerks)
    recalled = clerks[0].post(f"{server.url}/api/counters/{centre.counter[1]}/recall", timeout=5)
    assert recalled.ok, recalled.text

    spoken = wait_until(
        lambda: (s := board.evaluate("window.xephangBoard.spoken")) and len(s) >= 3 and s,
        timeout=30,
        what="three announcements spoken",
    )
    time.sleep(1.5)  # nothing more comes
    heard = board.evaluate("window.xephangBoard.announcements")
    spoken = board.evaluate("window.xephangBoard.spoken")
    shoot(board, "board-voice")

    # The order the server recorded the calls in (its recent calls are newest first).
    recent = requests.get(
        f"{server.url}/api/board/snapshot",
        headers={"X-Device-Token": creds.device_tokens["board"]},
        timeout=5,
    ).json()["recent_calls"][::-1]
    called = [(c["number"], c["counter_number"], c["recall"]) for c in recent]
    assert sorted(called[:2]) == [("A001", 1, False), ("B001", 3, False)]
    assert called[2] == ("A001", 1, True)
    first, second = (datetime.fromisoformat(c["at"]) for c in recent[:2])
    assert abs((second - first).total_seconds()) < 1  # two clerks in the same second

    # Each call heard once, spoken once, in the server's order; the recall spoken again.
    assert [(a["number"], a["counter"], a["recall"]) for a in heard] == called
    assert [(s["number"], s["counter"], s["recall"]) for s in spoken] == called
    assert (
        heard[1]["text"] == f"Mời công dân có số thứ tự {called[1][0]} đến quầy số {called[1][1]}"
    )
    for announcement in spoken:
        assert announcement["clips"] == announcement_sequence(
            announcement["number"], announcement["counter"], REPEAT, announcement["recall"]
        )
        # The chime before a call, not before its recall.
        assert (announcement["clips"][0] == CHIME) is not announcement["recall"]
        # The board waited for the sound itself: the whole time of its clips went by.
        sound = sum(clip_seconds[name] for name in announcement["clips"])
        assert announcement["seconds"] >= sound
        assert (announcement["end"] - announcement["start"]) / 1000 >= sound - 0.05
    # Never two at once: each starts after the one before has ended.
    for before, after in itertools.pairwise(spoken):
        assert after["start"] >= before["end"], (before, after)
    # The recall came in while the second call was being spoken, and waited for its end.
    assert heard[2]["at"] < spoken[1]["end"]

    expect(board.locator("#latest-number")).to_have_text("A001")
    expect(board.locator("#latest-counter")).to_have_text("1")


def test_without_clips_the_board_shows_every_call_silently_and_says_so_once(
    screens: Screens, silent_server: LiveServer, creds: DemoCredentials, centre: Centre
) -> None:
    server = silent_server
    board = open_board(screens, server, creds)
    warnings: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "warning":
            warnings.append(message.text)

    board.on("console", on_console)
    clerks = two_clerks_ready(server, creds, centre)

    call_at_once(server, centre, clerks)
    heard = wait_until(
        lambda: (a := board.evaluate("window.xephangBoard.announcements")) and len(a) >= 2 and a,
        what="both calls heard",
    )
    expect(board.locator("#latest-number")).to_have_text(heard[1]["number"])
    assert {(a["number"], a["counter"]) for a in heard} == {("A001", 1), ("B001", 3)}
    assert board.evaluate("window.xephangBoard.spoken") == []
    expect(board.locator("#counters tr[data-counter='3'] .current")).to_have_text("B001")
    voice_warnings = [w for w in warnings if "xephang voice build" in w]
    assert len(voice_warnings) == 1, warnings


def test_every_pending_call_is_on_the_board_at_once_and_leaves_with_its_ticket(
    screens: Screens,
    voiced_server: LiveServer,
    creds: DemoCredentials,
    centre: Centre,
) -> None:
    """Four counters calling in the same second: the four numbers are on the board within
    two seconds, not one per announcement; a ticket marked absent or served and finished
    leaves the big box, and a call whose ticket moved on before its turn is not spoken."""
    server = voiced_server
    board = open_board(screens, server, creds)
    kiosk = requests.Session()
    for service in ("HT", "CT", "DD", "LD"):
        issued = kiosk.post(
            f"{server.url}/api/kiosk/tickets",
            json={"service_id": centre.service[service]},
            headers={"X-Device-Token": creds.device_tokens["kiosk"]},
            timeout=5,
        )
        assert issued.status_code == 201, issued.text
    desks = {1: "canbo1", 3: "canbo2", 4: "canbo4", 5: "canbo5"}
    clerks = {n: server.session_for(user, creds.passwords[user]) for n, user in desks.items()}

    def act(number: int, action: str) -> None:
        response = clerks[number].post(
            f"{server.url}/api/counters/{centre.counter[number]}/{action}", timeout=5
        )
        assert response.ok, response.text

    for number in desks:
        act(number, "open")
    started = time.monotonic()
    run_all([partial(act, n, "call-next") for n in desks], timeout=10)
    expect(board.locator("#calls .call")).to_have_count(4, timeout=3000)
    seconds = time.monotonic() - started
    # Spoken one after another, the four would take about 10 s (some 2.5 s each).
    assert seconds < 5, seconds
    shown = dict(
        zip(
            board.locator("#calls .call").evaluate_all(
                "cards => cards.map(c => c.dataset.counter)"
            ),
            board.locator("#calls .call-number").all_inner_texts(),
            strict=True,
        )
    )
    assert shown == {"1": "A001", "3": "B001", "4": "C001", "5": "D001"}
    # The voice is far behind: at most the first call has been spoken yet.
    assert len(board.evaluate("window.xephangBoard.spoken")) <= 1

    act(5, "no-show")  # D001 never came
    act(4, "start")
    act(4, "finish")  # C001 served and done
    expect(board.locator("#calls .call")).to_have_count(2)
    assert "C001" not in board.locator("#calls").inner_text()
    assert "D001" not in board.locator("#calls").inner_text()
    assert "D001" not in board.locator("#recent").inner_text()

    # Everything heard is spoken or dropped, never a number that had already moved on.
    def settled() -> Any:
        state = board.evaluate("window.xephangBoard")
        done = len(state["spoken"]) + len(state["dropped"])
        return done >= 4 and state

    state = wait_until(settled, timeout=30, what="the four calls spoken or dropped")
    spoken_numbers = [s["number"] for s in state["spoken"]]
    assert {"A001", "B001"} <= set(spoken_numbers)
    for gone in state["dropped"]:
        assert gone["number"] in {"C001", "D001"}
    # A citizen at the counter is still "at counter N" in the list of recent calls.
    act(1, "start")
    expect(board.locator("#recent")).to_contain_text("A001")
    shoot(board, "board-pending-calls")
