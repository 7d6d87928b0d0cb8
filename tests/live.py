"""A real `xephang serve` process (eventlet) on 127.0.0.1, for tests that need the real
server: concurrency over HTTP and Socket.IO clients."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, instance: Path, database_url: str) -> None:
        self.instance = instance
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = instance / f"serve-{self.port}.log"

    def start(self, timeout: float = 20.0) -> None:
        env = {
            **os.environ,
            "XEPHANG_INSTANCE": str(self.instance),
            "XEPHANG_DATABASE_URL": self.database_url,
            "XEPHANG_ASYNC_MODE": "eventlet",
            "XEPHANG_SECRET_KEY": "live-test-secret",
            # Tests must not depend on the time of day: no closing-time sweep behind them.
            "XEPHANG_SWEEP_SECONDS": "0",
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
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

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
def running(instance: Path, database_url: str) -> Iterator[LiveServer]:
    server = LiveServer(instance, database_url)
    server.start()
    try:
        yield server
    finally:
        server.stop()
