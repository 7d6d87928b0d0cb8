"""A real `xephang serve` process (eventlet) on 127.0.0.1, for tests that need the real
server: concurrency over HTTP and Socket.IO clients."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import time as dt_time
from pathlib import Path
from typing import Any, TypeVar

import requests
import socketio
from sqlalchemy import update

from server.adapters.db.engine import Database
from server.adapters.db.models import Site
from server.cli.demo import DemoCredentials

ROOT = Path(__file__).resolve().parent.parent


# A test server carries load tests: one kiosk token issuing a thousand tickets in seconds,
# and every phone on 127.0.0.1. Their rate limits are raised unless a test passes its own.
BULK_LIMITS = {
    "XEPHANG_RATELIMIT_ISSUE": "1000000 per minute",
    "XEPHANG_RATELIMIT_PUBLIC": "1000000 per minute",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_around_the_clock(database_url: str) -> None:
    """Tests must not depend on the time of day: a real server uses the real clock, and no
    number is issued outside a site's opening hours, so every site opens 00:00-23:59:59.
    A test about opening hours sets its own once the server runs."""
    db = Database(database_url)
    with db.write_session() as session, session.begin():
        session.execute(update(Site).values(opens_at=dt_time(0, 0), closes_at=dt_time.max))
    db.dispose()


class LiveServer:
    def __init__(
        self, instance: Path, database_url: str, env: dict[str, str] | None = None
    ) -> None:
        self.instance = instance
        self.database_url = database_url
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = instance / f"serve-{self.port}.log"

    def start(self, timeout: float = 20.0) -> None:
        open_around_the_clock(self.database_url)
        env = {
            **os.environ,
            "XEPHANG_INSTANCE": str(self.instance),
            "XEPHANG_DATABASE_URL": self.database_url,
            "XEPHANG_ASYNC_MODE": "eventlet",
            "XEPHANG_SECRET_KEY": "live-test-secret",
            # Tests must not depend on the time of day: no closing-time sweep behind them.
            "XEPHANG_SWEEP_SECONDS": "0",
            **BULK_LIMITS,
            **self.extra_env,
        }
        xephang = Path(sys.executable).with_name("xephang")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(xephang), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or a busy machine
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """kill -9: no shutdown, no flush, as a power cut or a crash would do."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def session_for(self, username: str, password: str) -> requests.Session:
        """A requests session signed in like a browser, with its CSRF token ready."""
        http = requests.Session()
        page = http.get(f"{self.url}/login", timeout=5).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, page
        response = http.post(
            f"{self.url}/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=5,
        )
        assert response.status_code == 302, response.text
        home = http.get(f"{self.url}/", timeout=5).text
        meta = re.search(r'name="csrf-token" content="([^"]+)"', home)
        assert meta
        http.headers["X-CSRFToken"] = meta.group(1)
        return http


@contextmanager
def running(
    instance: Path, database_url: str, env: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    server = LiveServer(instance, database_url, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- clients ------------------------------------------------------------------------------

TIMEOUT = 10.0  # seconds, for every HTTP request
EVENT_TIMEOUT = 5.0  # seconds to wait for a Socket.IO event that must come
T = TypeVar("T")


def http_session() -> requests.Session:
    """A plain session that ignores proxy settings: traffic stays on 127.0.0.1."""
    http = requests.Session()
    http.trust_env = False
    return http


@dataclass
class Received:
    """One `change` event as the board received it, with the moment it arrived."""

    at: float
    message: dict[str, Any]


@dataclass
class Board:
    """A display board's Socket.IO client: every `change` goes into a queue, stamped with
    its arrival time (time.monotonic) by the client's own thread."""

    server: LiveServer
    creds: DemoCredentials
    changes: queue.Queue[Received] = field(default_factory=queue.Queue)
    disconnected: threading.Event = field(default_factory=threading.Event)
    client: socketio.Client = field(init=False)

    def __post_init__(self) -> None:
        # No automatic reconnection: the test decides when the board comes back, so that
        # what happens while it is away is really missed.
        self.client = socketio.Client(reconnection=False)
        self.client.on("change", self._on_change)
        self.client.on("disconnect", self._on_disconnect)

    def _on_change(self, message: dict[str, Any]) -> None:
        self.changes.put(Received(time.monotonic(), message))

    def _on_disconnect(self, *_reason: Any) -> None:
        self.disconnected.set()

    def connect(self) -> None:
        self.disconnected.clear()
        self.client.connect(
            self.server.url,
            auth={"device": self.creds.device_tokens["board"]},
            transports=["websocket"],
            wait_timeout=5,
        )
        assert self.client.connected

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()

    def next_change(self, timeout: float = EVENT_TIMEOUT) -> Received:
        try:
            return self.changes.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no change event within {timeout}s") from None

    def wait_for(self, kind: str, timeout: float = EVENT_TIMEOUT) -> tuple[Received, list[int]]:
        """The next change of `kind`, and the seqs of every change received up to it."""
        deadline = time.monotonic() + timeout
        seqs: list[int] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} change within {timeout}s (saw seqs {seqs})")
            received = self.next_change(left)
            seqs.append(received.message["seq"])
            if received.message["kind"] == kind:
                return received, seqs

    def drain(self) -> list[Received]:
        drained: list[Received] = []
        while True:
            try:
                drained.append(self.changes.get_nowait())
            except queue.Empty:
                return drained


def wait_until(check: Callable[[], Any], timeout: float = EVENT_TIMEOUT, what: str = "") -> Any:
    """Poll `check` until it returns something true, and return that; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not true within {timeout}s: {what or check}")


def run_all(tasks: Sequence[Callable[[], T]], timeout: float) -> list[T]:
    """Run the tasks in as many threads, returning their results in order; any exception
    in a task is raised here."""
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result(timeout=timeout) for future in futures]
