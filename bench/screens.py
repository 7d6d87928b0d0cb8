"""Simulated screens for the live benchmarks (bench/ward.py, bench/province.py,
bench/soak.py): boards, kiosk screens, clerks' screens and phones that do what the pages
do (static/js/live.js and each page's script), on a minimal Engine.IO 4 / Socket.IO 5
client over aiohttp's websocket. Not a benchmark itself.

What each screen does, as its page does (README, "Live events"):
- connects with its `auth`, then fetches its snapshot over HTTP (on every connect and
  reconnect, 0.5-2 s after a lost connection);
- applies every `state` (and, for a phone, `queue` of its service and `ticket` of its
  token) whose `seq` is at least the one it holds, and then holds that `seq`; older ones
  are dropped;
- keeps the safety net: a `change` that concerns it with a `seq` past the one it holds and
  that no state covers within 1.5-3 s makes it fetch its snapshot;
- a phone finds its own number in its service's `queue`; when the number is absent while
  its view says waiting, it waits 1.5 s for its `ticket` view and fetches its snapshot
  only if none came.

What they record, stamped with time.monotonic() on arrival (one clock for the machine):
- ("board", ticket id): a board first held a state showing that call (the ticket in its
  recent calls); ("counter", ticket id): a clerk's screen first held that ticket as its
  current one;
- ("left", service id, number): a phone first held a queue of its service without that
  number, which its previous queue had (the number was called, or left otherwise);
- ("ticket", token, status): a phone first held its ticket's view in that status;
- counts: snapshot fetches by screen kind and reason (connect, safety net, a phone's number
  gone without its view), HTTP errors by status (a 429 is a refused phone), connections
  lost, refused or failed.

ScreenFleet spreads the screens over several client processes (the clients take CPU from
the server they measure: report it), each driven over a pipe.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from common import raise_fd_limit

GAP_SECONDS = 1.5  # live.js GAP_MS: how long a change waits for the state that covers it
VIEW_WAIT_SECONDS = 1.5  # phone.js VIEW_WAIT_MS: a queue without the number, then the view
RECONNECT = (0.5, 2.0)  # live.js: reconnectionDelay 500, reconnectionDelayMax 2000
CONNECT_TIMEOUT = 60.0  # seconds for a screen to be connected and hold its snapshot


@dataclass
class ScreenSpec:
    """One screen to simulate. `server` indexes the fleet's URLs (several workers)."""

    kind: str  # "board", "kiosk", "counter" or "phone"
    auth: dict[str, Any]
    snapshot: str  # the path of its snapshot, fetched on connect
    headers: dict[str, str] = field(default_factory=dict)  # device token, session cookie
    server: int = 0
    service_id: int | None = None  # phone: its ticket's service
    number: str | None = None  # phone: its ticket's number
    token: str | None = None  # phone: its ticket's token
    counter_id: int | None = None  # clerk's screen: its counter
    services: tuple[int, ...] = ()  # clerk's screen: the services its counter calls


class _Screen:
    """A screen's state as its page holds it."""

    def __init__(
        self, spec: ScreenSpec, url: str, process: _Process, waiting: frozenset[str] | None
    ) -> None:
        self.spec = spec
        self.url = url
        self.process = process
        self.seq = -1
        self.loading = False
        self.again = False
        self.uncovered: list[tuple[int, float]] = []  # (change seq, due)
        self.seen_calls: set[int] = set()  # board: calls already shown
        self.current: int | None = None  # clerk's screen: its current ticket
        # Phone: the numbers of the queue it holds; before its first queue, those the
        # benchmark knew were waiting when it connected.
        self.numbers: set[str] | frozenset[str] | None = waiting
        self.status: str | None = None  # phone: its ticket's status
        self.shown_seq = -1  # phone: the seq of the view it shows
        self.view_needed = -1
        self.view_timer: asyncio.TimerHandle | None = None
        self.connected = False

    # -- what the page does --------------------------------------------------------------

    def take(self, payload: dict[str, Any]) -> bool:
        seq = payload.get("seq")
        if not isinstance(seq, int) or seq < self.seq:
            self.process.counts[("stale", self.spec.kind)] += 1
            return False
        self.seq = seq
        return True

    def on_event(self, name: str, payload: Any, at: float) -> None:
        if not isinstance(payload, dict):
            return
        if name == "state":
            if self.take(payload):
                self.apply(payload, at)
        elif name == "queue" and self.spec.kind == "phone":
            self.on_queue(payload, at)
        elif name == "ticket" and self.spec.kind == "phone":
            if "ticket" not in payload:
                self.refresh("view without ticket")
            elif self.take(payload):
                self.apply(payload, at)
        elif name == "change":
            self.on_change(payload)

    def apply(self, snapshot: dict[str, Any], at: float) -> None:
        """A snapshot or a state: what the screen shows from now on."""
        kind = self.spec.kind
        record = self.process.record
        if kind == "board":
            for call in snapshot.get("recent_calls", ()):
                ticket_id = call.get("ticket_id")
                if ticket_id not in self.seen_calls:
                    self.seen_calls.add(ticket_id)
                    record(("board", ticket_id), at)
        elif kind == "counter":
            current = snapshot.get("current")
            ticket_id = current.get("id") if current else None
            if ticket_id is not None and ticket_id != self.current:
                record(("counter", ticket_id), at)
            self.current = ticket_id
        elif kind == "phone":
            ticket = snapshot.get("ticket") or {}
            status = ticket.get("status")
            self.shown_seq = snapshot.get("seq", self.shown_seq)
            if status != self.status:
                record(("ticket", self.spec.token, status), at)
                self.status = status
            service_id = ticket.get("service_id")
            if service_id is not None and service_id != self.spec.service_id:
                # Transferred: the page reconnects to join its new service's room.
                self.spec.service_id = service_id
                self.spec.number = ticket.get("number", self.spec.number)
                self.numbers = None
                self.process.reconnect(self)

    def on_queue(self, queue: dict[str, Any], at: float) -> None:
        # phone.js: nothing is taken before the page shows its ticket's first view.
        if self.status is None or queue.get("service_id") != self.spec.service_id:
            return
        if not self.take(queue):
            return
        tickets = queue.get("tickets") or {}
        numbers = set(tickets)
        if self.numbers is not None:
            for number in self.numbers - numbers:
                self.process.record(("left", self.spec.service_id, number), at)
        self.numbers = numbers
        here = self.spec.number in tickets
        waiting = self.status == "waiting"
        if here and waiting:
            self.shown_seq = queue["seq"]
        elif here != waiting and self.shown_seq < queue["seq"]:
            self.view_needed = max(self.view_needed, queue["seq"])
            if self.view_timer is None:
                loop = asyncio.get_running_loop()
                self.view_timer = loop.call_later(VIEW_WAIT_SECONDS, self.view_or_snapshot)

    def view_or_snapshot(self) -> None:
        self.view_timer = None
        if self.shown_seq < self.view_needed:
            self.refresh("phone: number gone, no view")

    def concerns(self, change: dict[str, Any]) -> bool:
        kind = self.spec.kind
        services = change.get("service_ids") or []
        if kind == "phone":
            return self.spec.service_id in services
        if kind == "counter":
            return (
                change.get("counter_id") == self.spec.counter_id
                or any(s in self.spec.services for s in services)
                or (change.get("counter_id") is None and not services)
            )
        return True

    def on_change(self, change: dict[str, Any]) -> None:
        seq = change.get("seq")
        if not isinstance(seq, int) or seq <= self.seq or not self.concerns(change):
            return
        due = time.monotonic() + GAP_SECONDS * (1 + random.random())
        self.uncovered.append((seq, due))
        self.process.watched.add(self)

    def watch_gaps(self, now: float) -> bool:
        """live.js watchGaps, from the process's ticker; False once nothing is pending."""
        self.uncovered = [(s, due) for s, due in self.uncovered if s > self.seq]
        if not self.uncovered:
            return False
        if min(due for _, due in self.uncovered) <= now and not self.loading:
            self.refresh("safety net")
            return False
        return True

    def refresh(self, reason: str) -> None:
        if self.loading:
            self.again = True
            return
        self.process.spawn(self.load(reason))

    async def load(self, reason: str) -> None:
        self.loading = True
        self.uncovered = []
        process = self.process
        process.counts[("fetch", self.spec.kind, reason)] += 1
        try:
            async with process.http.get(
                self.url + self.spec.snapshot, headers=self.spec.headers
            ) as response:
                body = await response.read()
                at = time.monotonic()
                if response.status != 200:
                    process.counts[("http", self.spec.kind, response.status)] += 1
                    return
            snapshot = json.loads(body)
            if self.take(snapshot):
                self.apply(snapshot, at)
        except Exception as error:
            process.counts[("http", self.spec.kind, type(error).__name__)] += 1
        finally:
            self.loading = False
        if self.again:
            self.again = False
            self.refresh("again")


class _Process:
    """One client process: its screens, what they recorded, its HTTP sessions."""

    def __init__(self, urls: list[str]) -> None:
        import aiohttp

        self.urls = urls
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100),
            timeout=aiohttp.ClientTimeout(total=60),
        )
        self.ws_http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=60),
        )
        self.arrivals: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        self.counts: Counter[tuple[Any, ...]] = Counter()
        self.screens: list[_Screen] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.watched: set[_Screen] = set()
        self.sockets: dict[_Screen, asyncio.Task[None]] = {}
        self.closing = False

    def record(self, key: tuple[Any, ...], at: float) -> None:
        self.arrivals[key].append(at)

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def ticker(self) -> None:
        while True:
            await asyncio.sleep(0.2)
            now = time.monotonic()
            for screen in list(self.watched):
                if not screen.watch_gaps(now):
                    self.watched.discard(screen)

    def reconnect(self, screen: _Screen) -> None:
        task = self.sockets.get(screen)
        if task is not None:
            task.cancel()
        self.sockets[screen] = asyncio.get_running_loop().create_task(self.keep(screen, None))

    async def keep(self, screen: _Screen, first: asyncio.Future[None] | None) -> None:
        """The screen's connection for the whole run, reconnecting as the page does."""
        attempt = 0
        while not self.closing:
            try:
                await self.connection(screen, first)
                if not self.closing:
                    self.counts[("lost", screen.spec.kind, "closed by the server")] += 1
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if first is not None and not first.done():
                    first.set_exception(error)
                    return
                self.counts[("lost", screen.spec.kind, type(error).__name__)] += 1
            screen.connected = False
            first = None
            attempt += 1
            await asyncio.sleep(min(RECONNECT[1], RECONNECT[0] * attempt))

    async def connection(self, screen: _Screen, first: asyncio.Future[None] | None) -> None:
        url = screen.url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with self.ws_http.ws_connect(
            url, headers=screen.spec.headers, autoping=True, max_msg_size=0
        ) as ws:
            opening = await ws.receive_str()
            if not opening.startswith("0"):
                raise ConnectionError(f"unexpected Engine.IO open packet {opening[:80]!r}")
            await ws.send_str("40" + json.dumps(screen.spec.auth))
            answer = await ws.receive_str()
            if not answer.startswith("40"):
                self.counts[("refused", screen.spec.kind, answer[:120])] += 1
                raise ConnectionRefusedError(answer[:200])
            screen.connected = True
            screen.seq = -1  # live.js: whatever the server holds now is the truth
            await screen.load("connect")
            if first is not None and not first.done():
                first.set_result(None)
            async for message in ws:
                at = time.monotonic()
                data = message.data
                if not isinstance(data, str):
                    continue
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("42"):
                    try:
                        name, payload = json.loads(data[2:])
                    except ValueError:
                        continue
                    screen.on_event(name, payload, at)
                elif data.startswith("41"):
                    return  # the server ended the session (a revoked device, say)

    async def connect(
        self, specs: list[ScreenSpec], parallel: int, waiting: dict[int, set[str]]
    ) -> tuple[int, int, float]:
        started = time.monotonic()
        known = {service_id: frozenset(numbers) for service_id, numbers in waiting.items()}
        gate = asyncio.Semaphore(parallel)
        loop = asyncio.get_running_loop()
        ok = failed = 0

        async def one(spec: ScreenSpec) -> None:
            nonlocal ok, failed
            async with gate:
                url = self.urls[spec.server % len(self.urls)]
                screen = _Screen(spec, url, self, known.get(spec.service_id or 0))
                self.screens.append(screen)
                first: asyncio.Future[None] = loop.create_future()
                self.sockets[screen] = loop.create_task(self.keep(screen, first))
                try:
                    await asyncio.wait_for(asyncio.shield(first), CONNECT_TIMEOUT)
                    ok += 1
                except Exception as error:
                    failed += 1
                    self.counts[("connect failed", spec.kind, type(error).__name__)] += 1
                    self.sockets[screen].cancel()

        await asyncio.gather(*(one(spec) for spec in specs))
        return ok, failed, time.monotonic() - started

    def drop(self, tokens: set[str]) -> None:
        """Close the phones of these tickets (their citizens left)."""
        for screen in [s for s in self.screens if s.spec.token in tokens]:
            self.screens.remove(screen)
            self.watched.discard(screen)
            task = self.sockets.pop(screen, None)
            if task is not None:
                task.cancel()

    def status(self) -> dict[str, int]:
        live: Counter[str] = Counter()
        for screen in self.screens:
            if screen.connected:
                live[screen.spec.kind] += 1
        return dict(live)

    async def close(self) -> None:
        self.closing = True
        for task in [*self.sockets.values(), *self.tasks]:
            task.cancel()
        await asyncio.gather(*self.sockets.values(), *self.tasks, return_exceptions=True)
        await self.http.close()
        await self.ws_http.close()


def _main(pipe: Any, urls: list[str]) -> None:
    raise_fd_limit()
    asyncio.run(_serve(pipe, urls))


async def _serve(pipe: Any, urls: list[str]) -> None:
    process = _Process(urls)
    ticker = asyncio.get_running_loop().create_task(process.ticker())
    while True:
        while not pipe.poll():
            await asyncio.sleep(0.02)
        command, *args = pipe.recv()
        if command == "connect":
            ok, failed, seconds = await process.connect(*args)
            pipe.send(("connected", ok, failed, seconds))
        elif command == "drop":
            process.drop(set(args[0]))
            pipe.send(("dropped",))
        elif command == "status":
            pipe.send(("status", process.status(), dict(process.counts)))
        elif command == "results":
            pipe.send(("results", dict(process.arrivals), dict(process.counts), process.status()))
            if args and args[0]:
                process.arrivals.clear()
                process.counts.clear()
        elif command == "close":
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await process.close()
            pipe.send(("closed",))
            return


class ScreenFleet:
    """`processes` client processes holding the screens, spread round-robin; use as a
    context manager. connect() adds screens; results() gathers what they recorded."""

    def __init__(self, urls: Sequence[str], processes: int = 2) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        self.turn = 0  # the process the next screen goes to
        for _ in range(processes):
            mine, theirs = context.Pipe()
            process = context.Process(target=_main, args=(theirs, list(urls)), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def __enter__(self) -> ScreenFleet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _answer(self, index: int, kind: str, timeout: float = 900) -> tuple[Any, ...]:
        pipe, process = self.pipes[index], self.processes[index]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pipe.poll(0.5):
                message = pipe.recv()
                if message[0] == kind:
                    return tuple(message)
            elif not process.is_alive():
                raise RuntimeError(f"client process {process.pid} died ({process.exitcode})")
        raise TimeoutError(f"client process did not answer {kind!r} in {timeout}s")

    def connect(
        self,
        specs: Sequence[ScreenSpec],
        parallel: int = 20,
        waiting: dict[int, set[str]] | None = None,
    ) -> tuple[int, int, float]:
        """Connect the screens (each fetches its snapshot), `parallel` at a time per
        process; (connected, failed, seconds). `waiting`: the numbers waiting in each
        service now, if the benchmark knows better than the phones among `specs` (a phone's
        first queue then says what left it since it connected)."""
        started = time.monotonic()
        shares: list[list[ScreenSpec]] = [[] for _ in self.pipes]
        known = waiting is not None
        waiting = dict(waiting or {})
        for index, spec in enumerate(specs, start=self.turn):
            shares[index % len(shares)].append(spec)
            if spec.kind == "phone" and spec.service_id is not None and spec.number and not known:
                waiting.setdefault(spec.service_id, set()).add(spec.number)
        self.turn += len(specs)
        for pipe, share in zip(self.pipes, shares, strict=True):
            pipe.send(("connect", share, parallel, waiting))
        ok = failed = 0
        for index in range(len(self.pipes)):
            _, o, f, _ = self._answer(index, "connected")
            ok, failed = ok + o, failed + f
        return ok, failed, time.monotonic() - started

    def drop(self, tokens: Sequence[str]) -> None:
        """Disconnect the phones of these ticket tokens, wherever they are."""
        for pipe in self.pipes:
            pipe.send(("drop", list(tokens)))
        for index in range(len(self.pipes)):
            self._answer(index, "dropped")

    def status(self) -> tuple[dict[str, int], dict[tuple[Any, ...], int]]:
        live: Counter[str] = Counter()
        counts: Counter[tuple[Any, ...]] = Counter()
        for index, pipe in enumerate(self.pipes):
            pipe.send(("status",))
            _, mine, theirs = self._answer(index, "status")
            live.update(mine)
            counts.update(theirs)
        return dict(live), dict(counts)

    def results(
        self, clear: bool = False
    ) -> tuple[dict[tuple[Any, ...], list[float]], dict[tuple[Any, ...], int], dict[str, int]]:
        """What every screen recorded (arrivals by key, counts), and how many are live."""
        arrivals: dict[tuple[Any, ...], list[float]] = defaultdict(list)
        counts: Counter[tuple[Any, ...]] = Counter()
        live: Counter[str] = Counter()
        for index, pipe in enumerate(self.pipes):
            pipe.send(("results", clear))
            _, mine, theirs, up = self._answer(index, "results")
            for key, times in mine.items():
                arrivals[key].extend(times)
            counts.update(theirs)
            live.update(up)
        return dict(arrivals), dict(counts), dict(live)

    def cpu_seconds(self) -> float:
        import psutil

        total = 0.0
        for process in self.processes:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(process.pid).cpu_times()
                total += times.user + times.system
        return total

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("close",))
        for index, process in enumerate(self.processes):
            with contextlib.suppress(Exception):
                self._answer(index, "closed", timeout=60)
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        self.pipes, self.processes = [], []
