"""Benchmark 7: a ward at peak on one worker. Clerks call; every phone and board of the
ward holds the new state within how long?

    .venv/bin/python bench/ward.py            # 1,000 phones, 10 boards, 20 clerks' screens,
                                              # 2 kiosks; 100 calls 1.5 s apart; ~5 min
    .venv/bin/python bench/ward.py --quick    # 200 phones, 30 calls; ~1.5 min
    .venv/bin/python bench/ward.py --profile  # + py-spy on the worker during the calls

What runs, all on 127.0.0.1, started and stopped here:
- one `xephang serve` (eventlet; through bench/serve_traced.py, which logs its GC pauses)
  on a SQLite file holding the demo centre grown to `--counters` counters (the demo's six,
  then the same pattern again), a clerk signed in at each, a second kiosk, and `--phones`
  tickets already waiting across the six services (HT 30 %, CT 30 %, TKQ 15 %, DD 9 %, LD
  9 %, KD 7 %; 8 % priority), issued in-process before the server starts. The public and
  kiosk rate limits are the shipped defaults (not raised), so a refused phone shows.
- the screens (bench/screens.py, in `--processes` client processes), doing what the pages
  do: a phone per waiting ticket, `--boards` boards, both kiosks' screens, a clerk's screen
  per counter (signed in: its session cookie). Each fetches its snapshot once on connect,
  then applies the pushed `state` / `queue` / `ticket` payloads; the safety net and the
  phone's "number gone, no view" fetch count as refetches.
- the clerks (in this process, aiohttp, each with its own session): every `--interval`
  seconds the next counter in turn calls the next citizen (`POST call-next`; t0 =
  time.monotonic() just before it), then, as the clerk's page does after each action,
  fetches its snapshot; 0.5 s later it starts serving, 0.5 s later it finishes (each with
  the page's refetch). Calls overlap with other counters' actions, as in a hall.
- both kiosks issue a ticket every `--kiosk-interval` seconds each (28 a minute: just
  under the shipped per-kiosk limit of 30), across the services.

Measured, for each call after the warm-up calls: the moment each board first holds a
state showing it, each phone of the called service first holds a queue without the called
number, and the called ticket's phone first holds its view "called" (all stamped with
time.monotonic() on arrival in the client processes; one clock for the machine). Latency =
that moment - t0, over every (screen, call) pair: p50, p99, max; and per call, the last
screen. Also: the call-next response time, the CPU of the worker and of the clients per
call, snapshot fetches after connect (should be none but the phone's rare "number gone,
no view"), HTTP errors (a 429 is a refused phone), connections lost, GC pauses.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import secrets
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Profile,
    Server,
    Servers,
    _build_centre,
    gc_pauses,
    log,
    md_table,
    percentile,
    print_header,
    raise_fd_limit,
    settle,
    start_xephang,
    summarise,
    workdir,
)
from screens import ScreenFleet, ScreenSpec

# The service mix of bench/history.py (a year of eight sites); 8 % priority.
MIX = {"HT": 30, "CT": 30, "TKQ": 15, "DD": 9, "LD": 9, "KD": 7}
PRIORITY_SHARE = 0.08
# The shipped limits (server/config.py), not the test servers' raised ones.
SHIPPED_LIMITS = {
    "XEPHANG_RATELIMIT_ISSUE": "30 per minute;600 per hour",
    "XEPHANG_RATELIMIT_PUBLIC": "300 per minute",
}


# -- the ward ----------------------------------------------------------------------------------


@dataclass
class Clerk:
    username: str
    password: str
    counter_id: int
    services: tuple[int, ...]
    site_id: int = 0


@dataclass
class Phone:
    ticket_id: int
    token: str
    number: str
    service_id: int
    site_id: int = 0


@dataclass
class Ward:
    url: str
    site_id: int
    board_token: str
    kiosk_tokens: list[str]
    services: dict[str, int]
    clerks: list[Clerk]
    phones: list[Phone] = field(default_factory=list)


def build_ward(url: str, counters: int, phones: int, seed: int = 1) -> Ward:
    """The demo centre with `counters` counters, a clerk of our own at each, a second
    kiosk, and `phones` waiting tickets (whose tokens the phones follow)."""
    from sqlalchemy import select

    from server.adapters.db.engine import Database
    from server.adapters.db.models import Device, Service, Site, User
    from server.cli.demo import COUNTERS, new_counter
    from server.domain.roles import DeviceKind, Role
    from server.services.credentials import hash_password, new_device_token, token_hash

    centre = _build_centre(url)
    db = Database(url)
    password = secrets.token_urlsafe(12)
    kiosk_token = new_device_token()
    clerks: list[Clerk] = []
    with db.write_session() as session, session.begin():
        site = session.get(Site, centre.site_id)
        assert site is not None
        services = {
            s.code: s for s in session.scalars(select(Service).where(Service.site_id == site.id))
        }
        existing = {c.number: c for c in site.counters}
        for number in range(1, counters + 1):
            if number not in existing:
                label, main, secondary = COUNTERS[(number - 1) % len(COUNTERS) + 1]
                counter = new_counter(site, number, f"{label} {number}", main, secondary, services)
                session.add(counter)
                existing[number] = counter
        session.flush()
        password_hash = hash_password(password)
        for number in range(1, counters + 1):
            counter = existing[number]
            username = f"bench-clerk-{number:02d}"
            session.add(
                User(
                    username=username,
                    full_name=f"Cán bộ thử {number}",
                    role=Role.CLERK,
                    password_hash=password_hash,
                    counters=[counter],
                )
            )
            clerks.append(
                Clerk(
                    username,
                    password,
                    counter.id,
                    tuple(link.service_id for link in counter.service_links),
                    site.id,
                )
            )
        session.add(
            Device(
                site_id=site.id,
                kind=DeviceKind.KIOSK,
                name="Kiosk 2",
                token_hash=token_hash(kiosk_token),
            )
        )
    ward = Ward(
        url,
        centre.site_id,
        centre.board_token,
        [centre.kiosk_token, kiosk_token],
        dict(centre.services),
        clerks,
    )
    ward.phones = issue_waiting(db, ward.site_id, ward.services, phones, random.Random(seed))
    db.dispose()
    return ward


def issue_waiting(
    db: Any, site_id: int, services: dict[str, int], count: int, rng: random.Random
) -> list[Phone]:
    """`count` tickets issued now at the site's kiosk, in-process (no server yet)."""
    from server.domain.tickets import Priority
    from server.services.tickets import issue_ticket
    from server.services.unit_of_work import UnitOfWork

    uow = UnitOfWork(db)
    codes = list(MIX)
    weights = [MIX[c] for c in codes]
    priorities = list(Priority)
    phones = []
    for _ in range(count):
        service_id = services[rng.choices(codes, weights)[0]]
        priority = rng.choice(priorities) if rng.random() < PRIORITY_SHARE else None
        issued = issue_ticket(uow, site_id, service_id, priority)
        phones.append(Phone(issued.ticket_id, issued.token, issued.number, service_id, site_id))
    return phones


def phone_screen(phone: Phone, server: int = 0) -> ScreenSpec:
    return ScreenSpec(
        "phone",
        {"ticket": phone.token},
        f"/api/tickets/{phone.token}",
        server=server,
        service_id=phone.service_id,
        number=phone.number,
        token=phone.token,
    )


def board_screen(token: str, server: int = 0) -> ScreenSpec:
    headers = {"X-Device-Token": token}
    return ScreenSpec("board", {"device": token}, "/api/board/snapshot", headers, server)


def kiosk_screen(token: str, server: int = 0) -> ScreenSpec:
    headers = {"X-Device-Token": token}
    return ScreenSpec("kiosk", {"device": token}, "/api/kiosk/snapshot", headers, server)


def counter_screen(clerk: Clerk, cookie: str, server: int = 0) -> ScreenSpec:
    return ScreenSpec(
        "counter",
        {"counter": clerk.counter_id},
        f"/api/counters/{clerk.counter_id}",
        {"Cookie": cookie},
        server,
        counter_id=clerk.counter_id,
        services=clerk.services,
    )


# -- the clerks and the kiosks, in this process ------------------------------------------------


class ClerkAtCounter:
    """A clerk signed in (aiohttp, their own cookie jar), acting as the counter page does:
    each action, then the page's refetch of the counter's snapshot."""

    def __init__(self, clerk: Clerk, url: str) -> None:
        self.clerk = clerk
        self.url = url
        self.http: Any = None
        self.csrf = ""
        self.busy = False
        self.owns_session = True

    def same_browser(self, other: ClerkAtCounter) -> None:
        """Act through `other`'s signed-in session (one clerk working several counters)."""
        self.http, self.csrf, self.owns_session = other.http, other.csrf, False

    async def sign_in(self) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies of 127.0.0.1
            timeout=aiohttp.ClientTimeout(total=60),
        )
        async with self.http.get(f"{self.url}/login") as response:
            page = await response.text()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token, page[:500]
        form = {
            "username": self.clerk.username,
            "password": self.clerk.password,
            "csrf_token": token.group(1),
        }
        async with self.http.post(f"{self.url}/login", data=form, allow_redirects=False) as r:
            assert r.status == 302, await r.text()
        async with self.http.get(f"{self.url}/") as response:
            home = await response.text()
        meta = re.search(r'name="csrf-token" content="([^"]+)"', home)
        assert meta, home[:500]
        self.csrf = meta.group(1)

    def cookie(self) -> str:
        from yarl import URL

        cookies = self.http.cookie_jar.filter_cookies(URL(self.url))
        return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())

    async def act(self, action: str, body: dict[str, Any]) -> tuple[int, Any]:
        path = f"{self.url}/api/counters/{self.clerk.counter_id}/{action}"
        async with self.http.post(path, json=body, headers={"X-CSRFToken": self.csrf}) as r:
            answer = await r.json(content_type=None)
            status = r.status
        # The page fetches its snapshot after every action.
        async with self.http.get(f"{self.url}/api/counters/{self.clerk.counter_id}") as r:
            await r.read()
        return status, answer

    async def close(self) -> None:
        if self.http is not None and self.owns_session:
            await self.http.close()


@dataclass
class Call:
    t0: float
    http_ms: float
    ticket_id: int
    number: str
    service_id: int
    counter_id: int
    site_id: int = 0


@dataclass
class Activity:
    """What the clerks and kiosks did."""

    calls: list[Call] = field(default_factory=list)
    empty: int = 0  # call-next with nobody waiting for that counter
    errors: Counter[str] = field(default_factory=Counter)
    issued: int = 0
    issue_ms: list[float] = field(default_factory=list)


async def serve_one(clerk: ClerkAtCounter, activity: Activity, pause: float) -> None:
    """Call the next citizen, then start and finish serving them, `pause` s apart."""
    clerk.busy = True
    try:
        t0 = time.monotonic()
        status, answer = await clerk.act("call-next", {})
        took = (time.monotonic() - t0) * 1000
        if status == 409:
            activity.empty += 1
            return
        if status != 200:
            activity.errors[f"call-next {status}"] += 1
            return
        result = answer["result"]
        activity.calls.append(
            Call(
                t0,
                took,
                result["ticket_id"],
                result["number"],
                result["service_id"],
                clerk.clerk.counter_id,
                clerk.clerk.site_id,
            )
        )
        for action in ("start", "finish"):
            await asyncio.sleep(pause)
            status, _ = await clerk.act(action, {"ticket_id": result["ticket_id"]})
            if status != 200:
                activity.errors[f"{action} {status}"] += 1
    except Exception as error:
        activity.errors[type(error).__name__] += 1
    finally:
        clerk.busy = False


async def kiosk_loop(
    url: str,
    token: str,
    services: list[int],
    interval: float,
    until: float,
    activity: Activity,
    rng: random.Random,
) -> None:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        while time.monotonic() < until:
            started = time.monotonic()
            body = {"service_id": rng.choice(services)}
            try:
                async with http.post(
                    f"{url}/api/kiosk/tickets", json=body, headers={"X-Device-Token": token}
                ) as response:
                    await response.read()
                    if response.status == 201:
                        activity.issued += 1
                        activity.issue_ms.append((time.monotonic() - started) * 1000)
                    else:
                        activity.errors[f"kiosk {response.status}"] += 1
            except Exception as error:
                activity.errors[f"kiosk {type(error).__name__}"] += 1
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


async def open_counters(clerks: list[ClerkAtCounter]) -> None:
    for clerk in clerks:
        status, answer = await clerk.act("open", {})
        assert status == 200, answer


async def drive(
    clerks: list[ClerkAtCounter],
    kiosk_urls: list[tuple[str, str]],
    services: list[int],
    calls: int,
    interval: float,
    kiosk_interval: float,
    pause: float,
    seed: int,
) -> Activity:
    """`calls` calls, one every `interval` s by the next free counter in turn, while the
    kiosks issue; returns what happened."""
    activity = Activity()
    rng = random.Random(seed)
    until = time.monotonic() + calls * interval + 2 * pause + 1
    kiosks = [
        asyncio.create_task(
            kiosk_loop(url, token, services, kiosk_interval, until, activity, random.Random(i))
        )
        for i, (url, token) in enumerate(kiosk_urls)
    ]
    tasks = []
    turn = rng.randrange(len(clerks))
    next_at = time.monotonic()
    for _ in range(calls):
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        next_at += interval
        for _ in range(len(clerks)):
            turn = (turn + 1) % len(clerks)
            if not clerks[turn].busy:
                break
        tasks.append(asyncio.create_task(serve_one(clerks[turn], activity, pause)))
    await asyncio.gather(*tasks)
    await asyncio.gather(*kiosks)
    return activity


# -- what the screens saw ----------------------------------------------------------------------


LEFT_QUEUE = ("called", "serving", "done", "no_show")


@dataclass
class Latencies:
    """Latency of every (screen, call) pair, by kind of screen, and the last screen of
    each call; `missed` pairs never held the new state."""

    pairs: dict[str, list[float]] = field(default_factory=dict)
    last: list[float] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)


def latencies(
    calls: list[Call],
    arrivals: dict[tuple[Any, ...], list[float]],
    boards_by_site: dict[int, int],
    phones: list[Phone],
    phones_at: Any = None,
) -> Latencies:
    """`phones_at(service id, t0)`: how many phones of the service were connected at the
    call (by default, every phone given)."""
    tokens = {p.ticket_id: p.token for p in phones}
    phones_in: Counter[int] = Counter(p.service_id for p in phones)
    if phones_at is None:
        phones_at = lambda service_id, _t0: phones_in[service_id]  # noqa: E731
    result = Latencies(pairs={"board": [], "phone (queue)": [], "called phone (ticket)": []})
    for call in calls:
        groups = {
            "board": (arrivals.get(("board", call.ticket_id), []), boards_by_site[call.site_id]),
            "phone (queue)": (
                arrivals.get(("left", call.service_id, call.number), []),
                phones_at(call.service_id, call.t0),
            ),
        }
        token = tokens.get(call.ticket_id)
        if token is not None:
            # Its first view since the call: "called", or already "serving" or "done" when
            # the publisher coalesced the call with the clerk's next steps.
            views = [
                t for status in LEFT_QUEUE for t in arrivals.get(("ticket", token, status), [])
            ]
            groups["called phone (ticket)"] = (sorted(views)[:1], 1)
        every = []
        for kind, (times, expected) in groups.items():
            mine = sorted((t - call.t0) * 1000 for t in times if t >= call.t0)[:expected]
            result.pairs[kind].extend(mine)
            result.expected[kind] += expected
            result.missed[kind] += max(0, expected - len(mine))
            every.extend(mine)
        if every:
            result.last.append(max(every))
    return result


def latency_rows(label: str, found: Latencies) -> list[tuple[Any, ...]]:
    rows = []
    everything = [x for xs in found.pairs.values() for x in xs]
    for kind, values in [("all", everything), *found.pairs.items()]:
        expected = sum(found.expected.values()) if kind == "all" else found.expected[kind]
        missed = sum(found.missed.values()) if kind == "all" else found.missed[kind]
        rows.append(
            (
                label,
                kind,
                f"{len(values):,} / {expected:,}",
                f"{percentile(values, 50):.1f}",
                f"{percentile(values, 99):.1f}",
                f"{max(values, default=float('nan')):.1f}",
                missed,
            )
        )
    return rows


LATENCY_HEADERS = [
    "run",
    "screens",
    "pairs held / expected",
    "p50 ms",
    "p99 ms",
    "max ms",
    "missed",
]


def count_rows(counts: dict[tuple[Any, ...], int]) -> list[tuple[Any, ...]]:
    """Fetches after connect, HTTP errors, connections lost or refused, stale payloads."""
    rows = []
    for key, value in sorted(counts.items(), key=lambda kv: [str(k) for k in kv[0]]):
        what, kind, *rest = key
        if what == "fetch" and rest == ["connect"]:
            continue
        rows.append((what, kind, " ".join(str(r) for r in rest), value))
    return rows


# -- the run -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, folder: Path) -> None:
    log(f"building the ward: {args.counters} counters, {args.phones} waiting tickets")
    ward = build_ward(f"sqlite:///{folder / 'ward.db'}", args.counters, args.phones, args.seed)
    with Servers() as servers:
        centre = ward_centre(ward)
        env = dict(SHIPPED_LIMITS)
        if args.no_counter_states:
            env["XEPHANG_BENCH_STATES"] = "no-counters"
        server = servers.add(start_xephang("ward", folder, centre, env, gc_log=True))
        with ScreenFleet([server.url], args.processes) as fleet:
            outcome = asyncio.run(_run(args, folder, server, ward, fleet))
        outcome.pauses = gc_pauses(server, outcome.started, outcome.started + outcome.seconds)
    measured = outcome.activity.calls[args.warmup_calls :]
    found = latencies(measured, outcome.arrivals, {ward.site_id: args.boards}, ward.phones)
    report(args, ward, outcome, measured, found)
    if outcome.profile is not None:
        inclusive, own = summarise(outcome.profile, top=30)
        print(f"### py-spy on the worker during the calls ({outcome.profile.name})\n")
        print(inclusive + "\n\n" + own + "\n", flush=True)


@dataclass
class Outcome:
    activity: Activity
    arrivals: dict[tuple[Any, ...], list[float]]
    counts: dict[tuple[Any, ...], int]
    connect_counts: dict[tuple[Any, ...], int]
    live: dict[str, int]
    started: float
    seconds: float
    cpu_server: float
    cpu_clients: float
    profile: Path | None = None
    pauses: list[tuple[int, float, float]] = field(default_factory=list)


async def _run(
    args: argparse.Namespace, folder: Path, server: Server, ward: Ward, fleet: ScreenFleet
) -> Outcome:
    """Sign the clerks in and open their counters, connect the screens, then drive the
    calls and the kiosks; everything that uses aiohttp here runs in this one loop."""
    loop = asyncio.get_running_loop()
    clerks = [ClerkAtCounter(clerk, server.url) for clerk in ward.clerks]
    try:
        for clerk in clerks:
            await clerk.sign_in()
        await open_counters(clerks)
        log(f"{len(clerks)} clerks signed in, their counters open")
        specs = []
        if not args.no_counter_states:
            specs += [counter_screen(c.clerk, c.cookie()) for c in clerks]
        specs += [kiosk_screen(token) for token in ward.kiosk_tokens]
        specs += [board_screen(ward.board_token) for _ in range(args.boards)]
        specs += [phone_screen(phone) for phone in ward.phones]
        ok, failed, seconds = await loop.run_in_executor(None, fleet.connect, specs, args.parallel)
        log(f"{ok} screens connected ({failed} failed) in {seconds:.1f} s")
        _, connect_counts = await loop.run_in_executor(None, fleet.status)
        await loop.run_in_executor(None, settle, server.pid, 0.05, 30)
        profile = None
        if args.profile:
            profile = Profile(server.pid, Path(args.profile_dir or folder) / "ward-calls.txt")
            profile.__enter__()
        cpu_server, cpu_clients = _cpu(server.pid), fleet.cpu_seconds()
        started = time.monotonic()
        try:
            activity = await drive(
                clerks,
                [(server.url, t) for t in ward.kiosk_tokens],
                list(ward.services.values()),
                args.warmup_calls + args.calls,
                args.interval,
                args.kiosk_interval,
                args.pause,
                args.seed,
            )
            await asyncio.sleep(args.drain)
        finally:
            if profile is not None:
                profile.__exit__(None, None, None)
        seconds = time.monotonic() - started
        cpu_server = _cpu(server.pid) - cpu_server
        cpu_clients = fleet.cpu_seconds() - cpu_clients
        arrivals, counts, live = await loop.run_in_executor(None, fleet.results)
        log(f"{len(activity.calls)} calls, {activity.issued} kiosk tickets in {seconds:.0f} s")
        return Outcome(
            activity,
            arrivals,
            counts,
            connect_counts,
            live,
            started,
            seconds,
            cpu_server,
            cpu_clients,
            profile.out if profile is not None else None,
        )
    finally:
        for clerk in clerks:
            await clerk.close()


def ward_centre(ward: Ward) -> Any:
    """What tests/live.py's LiveServer needs of a centre: its database."""
    from common import Centre

    return Centre(ward.url, ward.kiosk_tokens[0], ward.board_token, {}, ward.site_id, {}, {})


def _cpu(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def report(
    args: argparse.Namespace,
    ward: Ward,
    outcome: Outcome,
    measured: list[Call],
    found: Latencies,
) -> None:
    activity = outcome.activity
    screens = 0 if args.no_counter_states else len(ward.clerks)
    print(
        f"### A ward at peak, one worker (SQLite): {len(ward.phones):,} phones, {args.boards} "
        f"boards, {screens} clerks' screens, {len(ward.kiosk_tokens)} kiosks"
        + (" (what-if: no clerk's screen's state computed)" if args.no_counter_states else "")
        + "\n"
    )
    print(
        f"{len(measured)} measured calls (after {args.warmup_calls} warm-up calls), one every "
        f"{args.interval:g} s by the next counter in turn, each followed by start and finish "
        f"{args.pause:g} s apart; kiosks: {activity.issued} tickets issued, one every "
        f"{args.kiosk_interval:.2f} s each (p50 {percentile(activity.issue_ms, 50):.0f} ms, "
        f"p99 {percentile(activity.issue_ms, 99):.0f} ms).\n"
    )
    print(md_table(LATENCY_HEADERS, latency_rows("ward", found)))
    print()
    print_details(args.goal, activity, measured, found, outcome)


def print_details(
    goal: float, activity: Activity, measured: list[Call], found: Latencies, outcome: Outcome
) -> None:
    http = [c.http_ms for c in measured]
    print(
        f"- last screen of each call: p50 {percentile(found.last, 50):.1f} ms, p99 "
        f"{percentile(found.last, 99):.1f} ms, max {max(found.last, default=float('nan')):.1f} ms"
    )
    print(
        f"- call-next response: p50 {percentile(http, 50):.1f} ms, p99 "
        f"{percentile(http, 99):.1f} ms; counters found empty: {activity.empty}; clerks' and "
        f"kiosks' errors: {dict(activity.errors) or 'none'}"
    )
    everything = [x for xs in found.pairs.values() for x in xs]
    p99 = percentile(everything, 99)
    verdict = "met" if p99 < goal else f"missed ({p99 / goal:.1f} x the goal)"
    missed = sum(found.missed.values())
    if missed:
        verdict += f"; {missed} pairs never held it"
    print(f"- goal: p99 under {goal:g} ms from a call to every phone and board: {verdict}")
    print(
        f"- worker(s)' CPU: {1000 * outcome.cpu_server / max(1, len(activity.calls)):.0f} ms per "
        f"call ({100 * outcome.cpu_server / outcome.seconds:.0f} % of a core over "
        f"{outcome.seconds:.0f} s: calls, starts, finishes, the clerks' refetches and "
        f"{activity.issued} kiosk tickets); client processes: "
        f"{100 * outcome.cpu_clients / outcome.seconds:.0f} % of a core"
    )
    print(f"- screens connected at the end: {outcome.live}")
    pauses = outcome.pauses
    print(
        f"- GC pauses >= 2 ms in the worker during the calls: {len(pauses)}, of generation 2: "
        f"{sum(1 for p in pauses if p[0] == 2)}, longest "
        f"{max((p[1] for p in pauses), default=0):.0f} ms"
    )
    connects = sum(v for k, v in outcome.connect_counts.items() if k[0] == "fetch")
    print(f"- snapshots fetched on connect: {connects:,}")
    rows = count_rows(outcome.counts)
    if rows:
        print("\nSince the screens connected (fetches other than on connect, errors, losses):\n")
        print(md_table(["what", "screen", "detail", "count"], rows))
    else:
        print("- no fetch after connect, no HTTP error, no connection lost")
    print(flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--phones", type=int, help="waiting tickets, one phone each (1,000)")
    parser.add_argument("--boards", type=int, default=10)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--calls", type=int, help="measured calls (100; quick 30)")
    parser.add_argument("--warmup-calls", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.5, help="seconds between calls")
    parser.add_argument("--pause", type=float, default=0.5, help="call, start, finish spacing")
    parser.add_argument("--kiosk-interval", type=float, default=60 / 28)
    parser.add_argument("--drain", type=float, default=4.0, help="seconds after the last call")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--parallel", type=int, default=20, help="connects at a time, each")
    parser.add_argument("--goal", type=float, default=250.0, help="p99 goal, ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-counter-states",
        action="store_true",
        help="what-if: the worker computes no clerk's screen's state, and no clerk's screen "
        "is connected (bench/serve_traced.py XEPHANG_BENCH_STATES=no-counters)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-dir")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.phones = args.phones or (200 if args.quick else 1000)
    args.calls = args.calls or (30 if args.quick else 100)
    raise_fd_limit()
    print_header("Benchmark 7: a ward at peak on one worker")
    with workdir(args.keep) as folder:
        run(args, folder)


if __name__ == "__main__":
    main()
