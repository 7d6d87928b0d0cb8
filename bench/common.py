"""Shared helpers for XepHang's benchmarks (bench/*.py); not a benchmark itself.

What lives here:
- the machine's description (for docs/BENCHMARKS.md) and the Markdown table printer;
- the databases a benchmark runs on: a SQLite file with the demo centre (a template, copied
  for each server), or throwaway PostgreSQL databases (``xephang_bench_<random>_*``, all
  dropped at the end, even after an error);
- servers: ``xephang serve`` through tests/live.py's LiveServer, and bench/bare_app.py;
- the kiosk load generator: asyncio + aiohttp in this process, one keep-alive connection
  (its own ``aiohttp.ClientSession``, connector limit 1) per simulated kiosk, each kiosk
  posting back to back (closed loop), warm-up excluded;
- the board fleet: several processes holding Socket.IO board connections (websocket
  transport, ``auth={"device": token}``), either python-socketio's AsyncClient or a minimal
  Engine.IO v4 / Socket.IO v5 client written on aiohttp's websocket (``--client raw``),
  each stamping every ``change`` event with ``time.monotonic()`` on arrival;
- py-spy helpers: record a server for a while and summarise the collapsed stacks.

Everything talks to 127.0.0.1 only: the PostgreSQL and Redis addresses may be changed with
XEPHANG_BENCH_POSTGRES_URL and XEPHANG_BENCH_REDIS_URL, but must stay on the loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first, not the project
    sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
POSTGRES_URL = os.environ.get(
    "XEPHANG_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("XEPHANG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
KIOSK_SERVICES = ("HT", "CT", "DD", "LD", "KD")  # kiosk i issues tickets of KIOSK_SERVICES[i % 5]


def require_loopback(url: str) -> None:
    host = urlsplit(url.replace("postgresql+psycopg", "postgresql")).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"benchmarks talk to 127.0.0.1 only, not {host!r} ({url})")


for _url in (POSTGRES_URL, REDIS_URL):
    require_loopback(_url)


# -- the machine and the report ------------------------------------------------------------


def raise_fd_limit() -> int:
    """Soft open-files limit up to the hard one; children (servers, client processes)
    inherit it, so `xephang serve` can hold thousands of sockets too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def _os_name() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.platform()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


PACKAGES = (
    "Flask",
    "Flask-SocketIO",
    "python-socketio",
    "python-engineio",
    "eventlet",
    "greenlet",
    "SQLAlchemy",
    "psycopg",
    "redis",
    "aiohttp",
    "psutil",
    "py-spy",
)


def _tree() -> str:
    """The commit measured, and how many files differ from it (read-only git commands)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.splitlines()
    except OSError:
        return "?"
    return f"commit {head or '?'}" + (f" + {len(changed)} changed/new paths" if changed else "")


def machine() -> dict[str, str]:
    mem_kb = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{_os_name()}, kernel {platform.release()}",
        "python": platform.python_version(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "code": _tree(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
    }


class _Usage:
    """CPU used over the whole benchmark: by the machine, and by this process and its
    children (servers, client processes), sampled every half second so that children that
    have exited still count. The rest is everybody else: PostgreSQL and Redis (shared),
    and whatever else runs on the machine."""

    def __init__(self) -> None:
        import psutil

        self.psutil = psutil
        self.started = time.monotonic()
        self.machine_before = self._machine()
        self.ours: dict[int, float] = {}
        self._stop = False
        import threading

        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _machine(self) -> float:
        times = self.psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def _sample(self) -> None:
        try:
            me = self.psutil.Process()
            for process in [me, *me.children(recursive=True)]:
                try:
                    times = process.cpu_times()
                    used = times.user + times.system
                    self.ours[process.pid] = max(self.ours.get(process.pid, 0.0), used)
                except self.psutil.Error:
                    continue
        except self.psutil.Error:
            pass

    def _loop(self) -> None:
        while not self._stop:
            self._sample()
            time.sleep(0.5)

    def report(self) -> str:
        self._sample()
        seconds = time.monotonic() - self.started
        machine = (self._machine() - self.machine_before) / seconds
        ours = sum(self.ours.values()) / seconds
        cores = os.cpu_count() or 1
        return (
            f"- CPU over the run ({seconds:,.0f} s; 100 % = one core, {cores} cores): whole "
            f"machine {100 * machine:.0f} %, this benchmark's processes {100 * ours:.0f} %, "
            "everything else (PostgreSQL, Redis, other users) "
            f"{100 * max(0.0, machine - ours):.0f} %\n"
            f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        )


_USAGE: list[_Usage] = []


def print_footer() -> None:
    """The machine's load over the run: how noisy the numbers above may be."""
    if _USAGE:
        print("Machine load during this run:\n")
        print(_USAGE[0].report() + "\n", flush=True)


def print_header(title: str, argv: Sequence[str] | None = None) -> None:
    import atexit

    _USAGE.append(_Usage())
    atexit.register(print_footer)
    argv = list(sys.argv if argv is None else argv)
    command = " ".join([".venv/bin/python", *[_rel(a) for a in argv]])
    print(f"## {title}\n")
    print(f"Command: `{command}`\n")
    for key, value in machine().items():
        print(f"- {key}: {value}")
    print(flush=True)


def _rel(arg: str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(arg).resolve().relative_to(ROOT))
    return arg


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def log(message: str) -> None:
    """Progress goes to stderr; stdout keeps only the Markdown report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def workdir(keep: bool = False) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="xephang-bench-"))
    try:
        yield folder
    finally:
        if keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# -- databases -------------------------------------------------------------------------------


@dataclass
class Centre:
    """A database holding the demo centre, and what a benchmark needs to drive it."""

    url: str
    kiosk_token: str
    board_token: str
    passwords: dict[str, str]
    site_id: int
    services: dict[str, int]  # code -> id
    counters: dict[int, int]  # number -> id


def _build_centre(url: str) -> Centre:
    from sqlalchemy import select

    from server.adapters.db.engine import Database
    from server.adapters.db.migrate import upgrade
    from server.adapters.db.models import Service
    from server.cli.demo import create_demo_centre
    from tests.live import open_around_the_clock

    upgrade(url)
    db = Database(url)
    with db.write_session() as session, session.begin():
        creds = create_demo_centre(session)
        services = {
            s.code: s.id
            for s in session.scalars(select(Service).where(Service.site_id == creds.site_id))
        }
    db.dispose()
    # No number is issued outside a site's opening hours, and a benchmark may run at any
    # hour: every site opens 00:00-23:59:59 (as tests/live.py's servers do).
    open_around_the_clock(url)
    return Centre(
        url=url,
        kiosk_token=creds.device_tokens["kiosk"],
        board_token=creds.device_tokens["board"],
        passwords=dict(creds.passwords),
        site_id=creds.site_id,
        services=services,
        counters=dict(creds.counter_ids),
    )


class SQLiteCentres:
    """The demo centre built once into a template file; each server gets a copy."""

    def __init__(self, folder: Path) -> None:
        from sqlalchemy import create_engine

        self.folder = folder
        self.template = _build_centre(f"sqlite:///{folder / 'template.db'}")
        engine = create_engine(self.template.url)
        with engine.connect() as connection:  # fold the WAL in: a plain copy is all of it
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        self.copies = 0

    def copy(self) -> Centre:
        self.copies += 1
        path = self.folder / f"xephang-{self.copies}.db"
        shutil.copyfile(self.folder / "template.db", path)
        return Centre(**{**self.template.__dict__, "url": f"sqlite:///{path}"})


class PostgresCentres:
    """Throwaway PostgreSQL databases named xephang_bench_<random>_*: a template with the
    demo centre, then a copy per server set (CREATE DATABASE ... TEMPLATE). close() drops
    every one of them; use as a context manager."""

    def __init__(self) -> None:
        from tests.databases import PostgresDatabases

        self.databases = PostgresDatabases(POSTGRES_URL)
        self.databases.prefix = f"xephang_bench_{uuid.uuid4().hex[:8]}"
        self.template: Centre | None = None

    def __enter__(self) -> PostgresCentres:
        try:
            self.template = _build_centre(self.databases.new("template"))
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def copy(self) -> Centre:
        assert self.template is not None
        url = self.databases.copy(self.template.url, Path("."))
        return Centre(**{**self.template.__dict__, "url": url})

    def drop(self, centre: Centre) -> None:
        self.databases.drop(centre.url)

    def close(self) -> None:
        self.databases.drop_all()
        log(f"dropped PostgreSQL databases {self.databases.prefix}_*")


def redis_channel() -> str:
    return f"xephang-bench-{uuid.uuid4().hex[:10]}"


# -- servers ----------------------------------------------------------------------------------


class Server:
    """A server process on 127.0.0.1: XepHang (tests/live.py's LiveServer, i.e. the real
    `xephang serve` on eventlet) or the bare app (bench/bare_app.py, the same stack)."""

    def __init__(self, name: str, url: str, pid_of: Callable[[], int], stop: Callable[[], None]):
        self.name = name
        self.url = url
        self.log_path: Path | None = None
        self._pid_of = pid_of
        self._stop = stop

    @property
    def pid(self) -> int:
        return self._pid_of()

    def stop(self) -> None:
        self._stop()


def start_xephang(
    name: str,
    folder: Path,
    centre: Centre,
    env: dict[str, str] | None = None,
    gc_log: bool = False,
) -> Server:
    """`xephang serve` through tests/live.py's LiveServer (environment, start-up check,
    stop); with gc_log, bench/serve_traced.py instead of .venv/bin/xephang: the same server,
    logging its garbage-collector pauses."""
    from tests.live import LiveServer

    instance = folder / name
    instance.mkdir(parents=True, exist_ok=True)
    live = LiveServer(instance, centre.url, env)
    if gc_log:
        _start_traced(live)
    else:
        live.start(timeout=90)
    assert live.process is not None
    process = live.process
    log(f"started {name} (xephang serve, pid {process.pid}) on {live.url}")
    server = Server(name, live.url, lambda: process.pid, live.stop)
    server.log_path = live.log_path
    return server


def _start_traced(live: Any) -> None:
    """LiveServer.start() with bench/serve_traced.py as the command: everything else (the
    environment, the log file, the health check) as tests/live.py does it."""
    real_popen = subprocess.Popen

    def popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        argv = [sys.executable, str(ROOT / "bench" / "serve_traced.py"), *argv[1:]]
        return real_popen(argv, **kwargs)

    # tests/live.py calls subprocess.Popen through the module: swap it for the one call.
    setattr(subprocess, "Popen", popen)  # noqa: B010
    try:
        live.start(timeout=90)
    finally:
        setattr(subprocess, "Popen", real_popen)  # noqa: B010


def gc_pauses(
    server: Server, since: float = 0.0, until: float = float("inf")
) -> list[tuple[int, float, float]]:
    """(generation, ms, at) of the GC pauses a gc_log server logged between two moments."""
    path = getattr(server, "log_path", None)
    pauses: list[tuple[int, float, float]] = []
    if path is None or not Path(path).exists():
        return pauses
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith("GC-PAUSE "):
            fields = dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)
            at = float(fields["at"])
            if since <= at <= until:
                pauses.append((int(fields["gen"]), float(fields["ms"]), at))
    return pauses


def start_bare(name: str, folder: Path) -> Server:
    from tests.live import free_port

    port = free_port()
    db = folder / f"{name}.db"
    log_file = (folder / f"{name}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bare_app.py"), "--port", str(port), "--db", str(db)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process, folder / f"{name}.log")
    log(f"started {name} (bench/bare_app.py, pid {process.pid}) on {url}")

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log_file.close()

    return Server(name, url, lambda: process.pid, stop)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log_path.read_text(errors='replace')}")
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start:\n{log_path.read_text(errors='replace')}")


class Servers:
    """Stops every server it started, whatever happens."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    def add(self, server: Server) -> Server:
        self.started.append(server)
        return server

    def stop_all(self) -> None:
        while self.started:
            with contextlib.suppress(Exception):
                self.started.pop().stop()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_all()


def clerk_session(server: Server, username: str, password: str) -> Any:
    """A requests session signed in as a clerk (tests/live.py's login, CSRF header set)."""
    from tests.live import LiveServer

    shim = LiveServer.__new__(LiveServer)
    shim.url = server.url
    http = shim.session_for(username, password)
    http.trust_env = False
    return http


def issue_tickets(server: Server, centre: Centre, service: str, count: int) -> None:
    from tests.live import http_session

    with http_session() as http:
        for _ in range(count):
            response = http.post(
                f"{server.url}/api/kiosk/tickets",
                json={"service_id": centre.services[service]},
                headers={"X-Device-Token": centre.kiosk_token},
                timeout=30,
            )
            assert response.status_code == 201, response.text


# -- the kiosk load generator ------------------------------------------------------------------


@dataclass
class KioskTarget:
    url: str  # the server's base URL
    headers: dict[str, str]
    bodies: list[dict[str, Any]]  # kiosk i posts bodies[i % len(bodies)]


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: Counter[str] = field(default_factory=Counter)
    issued: int = 0  # every 201 of the run, warm-up included
    server_cpu: float = 0.0  # CPU seconds of the server process(es) over the run, if measured

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu / self.issued if self.issued else float("nan")

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def merged(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            self.requests + other.requests,
            self.seconds + other.seconds,
            self.latencies_ms + other.latencies_ms,
            self.errors + other.errors,
            self.issued + other.issued,
            self.server_cpu + other.server_cpu,
        )


async def _kiosk_load(
    targets: Sequence[KioskTarget], kiosks: int, warmup: float, duration: float
) -> LoadResult:
    import aiohttp

    loop_start = time.perf_counter()
    measure_from = loop_start + warmup
    measure_to = measure_from + duration
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    done = issued = 0

    async def kiosk(index: int) -> None:
        nonlocal done, issued
        target = targets[index % len(targets)]
        body = json.dumps(target.bodies[(index // len(targets)) % len(target.bodies)])
        headers = {**target.headers, "Content-Type": "application/json"}
        url = f"{target.url}/api/kiosk/tickets"
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            while True:
                started = time.perf_counter()
                if started >= measure_to:
                    return
                status: int | str
                try:
                    async with http.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as error:
                    status = type(error).__name__
                ended = time.perf_counter()
                if status == 201:
                    issued += 1
                if measure_from <= started and ended <= measure_to:
                    if status == 201:
                        done += 1
                        latencies.append((ended - started) * 1000)
                    else:
                        errors[str(status)] += 1
                elif status != 201 and started >= loop_start:
                    errors[f"{status} (warm-up)"] += 1

    await asyncio.gather(*(kiosk(i) for i in range(kiosks)))
    return LoadResult(done, duration, latencies, errors, issued)


def kiosk_load(
    targets: Sequence[KioskTarget],
    kiosks: int,
    warmup: float,
    duration: float,
    server_pids: Sequence[int] = (),
) -> LoadResult:
    """`kiosks` concurrent kiosks (kiosk i on targets[i % len(targets)]) posting tickets back
    to back for warmup + duration seconds; only requests that both start and end inside the
    measured window count (throughput = those / duration). With server_pids, the CPU time
    those processes used over the whole run is recorded too (per issued ticket: a measure
    of cost that a busy machine disturbs less than throughput)."""
    before = sum(_cpu_seconds(pid) for pid in server_pids)
    result = asyncio.run(_kiosk_load(targets, kiosks, warmup, duration))
    result.server_cpu = sum(_cpu_seconds(pid) for pid in server_pids) - before
    return result


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def xephang_kiosk_target(server: Server, centre: Centre) -> KioskTarget:
    return KioskTarget(
        url=server.url,
        headers={"X-Device-Token": centre.kiosk_token},
        bodies=[{"service_id": centre.services[code]} for code in KIOSK_SERVICES],
    )


def bare_kiosk_target(server: Server) -> KioskTarget:
    return KioskTarget(url=server.url, headers={}, bodies=[{"service_id": i + 1} for i in range(5)])


# -- the board fleet ----------------------------------------------------------------------------


def _ws_url(url: str) -> str:
    return url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"


async def _raw_board(
    http: Any, url: str, token: str, on_event: Callable[[float, str], None], connected: Any
) -> None:
    """A minimal Socket.IO v5 client over Engine.IO v4, websocket transport: open, connect
    to the default namespace with the device's auth, answer pings, stamp every event."""
    async with http.ws_connect(_ws_url(url), autoping=True, max_msg_size=0) as ws:
        opening = await ws.receive_str()
        if not opening.startswith("0"):
            raise ConnectionError(f"unexpected Engine.IO open packet {opening[:80]!r}")
        await ws.send_str("40" + json.dumps({"device": token}))
        answer = await ws.receive_str()
        if not answer.startswith("40"):
            raise ConnectionError(f"refused: {answer[:200]!r}")
        connected.set_result(None)
        async for message in ws:
            at = time.monotonic()
            data = message.data
            if not isinstance(data, str):
                continue
            if data == "2":  # Engine.IO ping from the server
                await ws.send_str("3")
            elif data.startswith("42"):
                on_event(at, data[2:])


async def _socketio_board(
    http: Any, url: str, token: str, on_event: Callable[[float, Any], None], connected: Any
) -> None:
    import socketio

    client = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False)

    async def change(message: dict[str, Any]) -> None:
        on_event(time.monotonic(), ["change", message])

    async def state(message: dict[str, Any]) -> None:
        on_event(time.monotonic(), ["state", message])

    client.on("change", change)
    client.on("state", state)

    await client.connect(url, auth={"device": token}, transports=["websocket"], wait_timeout=60)
    connected.set_result(None)
    try:
        await client.wait()
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()


CONNECT_TIMEOUT = 20.0  # seconds for one board to be connected (open + Socket.IO connect)
# A board's `state` shows each recent call with its ticket's status now: "called" is the
# call on the board, "no_show" the clerk's next step (how bench/fanout.py spaces its calls).
STATE_KINDS = {"called": "ticket_called", "no_show": "ticket_no_show"}


def _fleet_process(
    pipe: Any, urls: list[str], token: str, impl: str, watch: tuple[str, ...], listen: str
) -> None:
    """One client process of a BoardFleet: obeys commands from the pipe."""
    raise_fd_limit()
    asyncio.run(_fleet_main(pipe, urls, token, impl, watch, listen))


async def _fleet_main(
    pipe: Any, urls: list[str], token: str, impl: str, watch: tuple[str, ...], listen: str
) -> None:
    import aiohttp

    loop = asyncio.get_running_loop()
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, force_close=False),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=60),
    )
    board = _raw_board if impl == "raw" else _socketio_board
    received: dict[Any, list[float]] = defaultdict(list)  # (kind, ticket id) -> arrivals
    tasks: list[asyncio.Task[None]] = []
    live: set[int] = set()
    lost: Counter[str] = Counter()

    def arrived(key: Any, at: float) -> None:
        times = received[key]
        times.append(at)
        if len(times) == len(live):
            pipe.send(("all", key, at))

    def on_event(at: float, message: Any, held: dict[str, Any]) -> None:
        if isinstance(message, str):  # raw: '["change",{...}]', parsed after the stamp
            if listen == "change" and not any(kind in message for kind in watch):
                return
            if not message.startswith(f'["{listen}"'):
                return
            message = json.loads(message)
        name, payload = message
        if name != listen or not isinstance(payload, dict):
            return
        if listen == "state":
            # As the board page: a state at least as new as the one held replaces it.
            if payload.get("seq", -1) < held["seq"]:
                return
            held["seq"] = payload["seq"]
            for call in payload.get("recent_calls", ()):
                kind = STATE_KINDS.get(call.get("status"))
                key = (kind, call.get("ticket_id"))
                if kind in watch and key not in held["seen"]:
                    held["seen"].add(key)
                    arrived(key, at)
            return
        kind = payload.get("kind")
        if kind in watch:
            arrived((kind, (payload.get("ticket") or {}).get("id", payload.get("seq"))), at)

    async def keep(index: int, connected: asyncio.Future[None]) -> None:
        try:
            live.add(index)
            held: dict[str, Any] = {"seq": -1, "seen": set()}
            await board(
                http,
                urls[index % len(urls)],
                token,
                lambda at, message: on_event(at, message, held),
                connected,
            )
            lost["closed by server"] += 1
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if connected.done():  # it was connected: a board lost
                lost[f"{type(error).__name__}: {str(error)[:120]}"] += 1
            else:  # it never connected: the connect step counts it as failed
                connected.set_exception(error)
        finally:
            live.discard(index)

    async def connect(count: int, parallel: int) -> tuple[int, int, float]:
        """Open `count` boards, `parallel` at a time. Once one of them times out (the
        server stopped accepting), the rest are not tried: counted as failed at once."""
        started = time.monotonic()
        gate = asyncio.Semaphore(parallel)
        ok = failed = 0
        giving_up = False

        async def one() -> None:
            nonlocal ok, failed, giving_up
            async with gate:
                if giving_up:
                    failed += 1
                    return
                connected: asyncio.Future[None] = loop.create_future()
                task = asyncio.create_task(keep(len(tasks), connected))
                tasks.append(task)
                try:
                    await asyncio.wait_for(asyncio.shield(connected), CONNECT_TIMEOUT)
                    ok += 1
                except Exception:
                    failed += 1
                    if not connected.done():
                        giving_up = True
                        task.cancel()

        await asyncio.gather(*(one() for _ in range(count)))
        return ok, failed, time.monotonic() - started

    while True:
        while not pipe.poll():
            await asyncio.sleep(0.02)
        command, *args = pipe.recv()
        if command == "connect":
            ok, failed, seconds = await connect(*args)
            pipe.send(("connected", ok, failed, seconds, len(live)))
        elif command == "status":
            pipe.send(("status", len(live), dict(lost)))
        elif command == "results":
            pipe.send(("results", dict(received), len(live), dict(lost)))
            received.clear()
        elif command == "close":
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await http.close()
            pipe.send(("closed",))
            return


class BoardFleet:
    """`processes` client processes holding board connections, spread round-robin over
    `urls`. Each process stamps, on arrival, the `change` events of the `watch` kinds
    (`listen="change"`), or, with `listen="state"`, the first `state` each board applies
    that shows a call of those kinds (the ticket called, then marked no-show: what the
    board page shows), keyed by (kind, ticket id); it tells the orchestrator when all of
    its live clients have one (so calls can be spaced without guessing). Use as a context
    manager."""

    def __init__(
        self,
        urls: Sequence[str],
        token: str,
        processes: int = 2,
        impl: str = "raw",
        watch: tuple[str, ...] = ("ticket_called", "ticket_no_show"),
        listen: str = "change",
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        for _ in range(processes):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_fleet_process,
                args=(theirs, list(urls), token, impl, tuple(watch), listen),
                daemon=True,
            )
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)
        self.live = [0] * processes

    def __enter__(self) -> BoardFleet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _answer(self, pipe: Any, kind: str, timeout: float = 600) -> tuple[Any, ...]:
        deadline = time.monotonic() + timeout
        process = self.processes[self.pipes.index(pipe)]
        while time.monotonic() < deadline:
            if pipe.poll(0.5):
                message = pipe.recv()
                if message[0] == kind:
                    return tuple(message)
                # late "all" notices of an earlier call: ignore
            elif not process.is_alive():
                raise RuntimeError(f"client process {process.pid} died ({process.exitcode})")
        raise TimeoutError(f"client process did not answer {kind!r} in {timeout}s")

    def connect(self, count: int, parallel: int = 25) -> tuple[int, int, float]:
        """Open `count` more connections, split over the processes; returns (ok, failed,
        seconds)."""
        started = time.monotonic()
        share = [
            count // len(self.pipes) + (i < count % len(self.pipes)) for i in range(len(self.pipes))
        ]
        for pipe, n in zip(self.pipes, share, strict=True):
            pipe.send(("connect", n, parallel))
        ok = failed = 0
        for index, pipe in enumerate(self.pipes):
            _, o, f, _, live = self._answer(pipe, "connected")
            ok, failed = ok + o, failed + f
            self.live[index] = live
        return ok, failed, time.monotonic() - started

    @property
    def connected(self) -> int:
        return sum(self.live)

    def status(self) -> tuple[int, dict[str, int]]:
        lost: Counter[str] = Counter()
        for index, pipe in enumerate(self.pipes):
            pipe.send(("status",))
            _, live, why = self._answer(pipe, "status")
            self.live[index] = live
            lost.update(why)
        return self.connected, dict(lost)

    def wait_all(self, key: Any, timeout: float) -> bool:
        """True once every process reported that all its live clients received `key`."""
        deadline = time.monotonic() + timeout
        pending = {i for i, n in enumerate(self.live) if n}
        while pending and time.monotonic() < deadline:
            for index in list(pending):
                pipe = self.pipes[index]
                while pipe.poll():
                    message = pipe.recv()
                    if message[0] == "all" and message[1] == key:
                        pending.discard(index)
            if pending:
                time.sleep(0.002)
        return not pending

    def results(self) -> tuple[dict[Any, list[float]], int, dict[str, int]]:
        merged: dict[Any, list[float]] = defaultdict(list)
        lost: Counter[str] = Counter()
        live_total = 0
        for index, pipe in enumerate(self.pipes):
            pipe.send(("results",))
            _, received, live, why = self._answer(pipe, "results")
            for key, times in received.items():
                merged[key].extend(times)
            self.live[index] = live
            live_total += live
            lost.update(why)
        return dict(merged), live_total, dict(lost)

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("close",))
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            with contextlib.suppress(Exception):
                self._answer(pipe, "closed", timeout=60)
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        self.pipes, self.processes = [], []


# -- memory --------------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    """Resident set size (VmRSS) of a process, in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def settle(pid: int, quiet_cpu: float = 0.05, timeout: float = 60) -> None:
    """Wait until the process uses less than `quiet_cpu` of a CPU over half a second."""
    import psutil

    process = psutil.Process(pid)
    deadline = time.monotonic() + timeout
    process.cpu_percent(None)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if process.cpu_percent(None) < quiet_cpu * 100:
            return


# -- profiling -------------------------------------------------------------------------------------


class Profile:
    """py-spy recording a process (nonblocking sampling, collapsed stacks) while a block runs."""

    def __init__(self, pid: int, out: Path, rate: int = 250, idle: bool = False) -> None:
        self.out = out
        self.command = [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--rate",
            str(rate),
            "--nonblocking",
            *(["--idle"] if idle else []),
            "--output",
            str(out),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profile:
        if not (VENV_BIN / "py-spy").exists():
            raise SystemExit("py-spy is missing: .venv/bin/pip install py-spy")
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(1.0)  # let it attach
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def load_stacks(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def frame_name(frame: str) -> str:
    """'issue (server/web/kiosk.py:40)' -> 'issue (server/web/kiosk.py)': functions, not lines."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


def summarise(path: Path, top: int = 25) -> tuple[str, str]:
    """Markdown tables: the functions with the most inclusive time, and the most self time,
    as shares of all samples."""
    stacks = load_stacks(path)
    total = sum(count for _, count in stacks) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        names = [frame_name(f) for f in frames]
        for name in set(names):
            inclusive[name] += count
        own[names[-1]] += count
    incl = md_table(
        ["function (inclusive)", "share"],
        [(n, f"{100 * c / total:.1f} %") for n, c in inclusive.most_common(top)],
    )
    self_ = md_table(
        ["function (self)", "share"],
        [(n, f"{100 * c / total:.1f} %") for n, c in own.most_common(top)],
    )
    return incl, self_


def share(path: Path, predicate: Callable[[list[str]], bool]) -> float:
    """Share of samples whose stack satisfies `predicate` (given the frame names)."""
    stacks = load_stacks(path)
    total = sum(count for _, count in stacks) or 1
    hit = sum(count for frames, count in stacks if predicate([frame_name(f) for f in frames]))
    return hit / total


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
