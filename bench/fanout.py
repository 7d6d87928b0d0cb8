"""Benchmark 2: a clerk calls a ticket -> every connected board is updated.

    .venv/bin/python bench/fanout.py            # 200 and 1,000 boards, 50 calls each; then
                                                # 1,000 with the other board client, with
                                                # the GC what-if, and via Redis with 1 and 2
                                                # workers; ~3-4 min
    .venv/bin/python bench/fanout.py --quick    # 200 and 1,000 boards, 20 calls, 1 worker;
                                                # ~25 s
    .venv/bin/python bench/fanout.py --client socketio   # python-socketio's AsyncClient boards
    .venv/bin/python bench/fanout.py --profile  # py-spy the worker during the 1,000-board calls

What runs, all on 127.0.0.1, started and stopped here:
- one `xephang serve` (eventlet) on a SQLite copy of the demo centre; for the Redis
  variants, `xephang serve` workers on a throwaway PostgreSQL database (dropped at the end)
  with XEPHANG_MESSAGE_QUEUE on the local Redis and a unique channel (xephang-bench-<random>);
- N board clients (websocket transport, `auth={"device": board token}`) spread over
  `--processes` client processes (bench/common.py BoardFleet), 25 connecting at a time. By
  default each board is a minimal Engine.IO 4 / Socket.IO 5 client on aiohttp (`raw`:
  open, `40{auth}`, answer pings, stamp each `42[...]` frame before parsing it); `--client
  socketio` uses python-socketio's AsyncClient instead (heavier on the client side, so its
  numbers include more client CPU);
- the clerk canbo1 signed in (tests/live.py's login, X-CSRFToken) at counter 1, with
  tickets waiting: for every call, t0 = time.monotonic() just before `POST
  /api/counters/<id>/call-next`; every board stamps, with time.monotonic() on arrival, the
  first `state` it applies (seq at least the one it holds, as the board page does) that
  shows that call (one clock: CLOCK_MONOTONIC is system-wide); with `--listen change`,
  the `change` of kind `ticket_called` instead (what boards reacted to before states were
  pushed). Once every board has it, the clerk marks the ticket no-show (not timed), waits
  until every board has that too, then `--spacing` seconds before the next call, so two
  fan-outs never overlap. The first calls are a warm-up.

Latency = arrival - t0 for every (board, call) pair: p50, p99 and max over all pairs,
plus the call-next HTTP response time, the per-call time until the last board had it, and
the CPU the server and the client processes used per call (psutil). Clients and server
share the same 2 cores, so the clients' own CPU is in the numbers.

The servers run through bench/serve_traced.py (`--no-gc-log` for the plain
`.venv/bin/xephang`), which logs every GC pause of 2 ms or more: the report lists the
generation-2 collections during the calls and which calls they hit. The GC what-if row
(`--gc-what-if`, default in full mode) runs the same server with gc.freeze() and
gc.set_threshold(50_000, 20, 100) applied at start-up by bench/serve_traced.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    REDIS_URL,
    BoardFleet,
    Centre,
    PostgresCentres,
    Profile,
    Server,
    Servers,
    SQLiteCentres,
    clerk_session,
    gc_pauses,
    issue_tickets,
    log,
    md_table,
    percentile,
    print_header,
    raise_fd_limit,
    redis_channel,
    settle,
    start_xephang,
    summarise,
    workdir,
)

COUNTER = 1  # canbo1's counter; its main service is HT
CLIENTS = {"raw": "minimal Engine.IO client", "socketio": "python-socketio AsyncClient"}
WHAT_IF = "1 worker, SQLite, what-if: gc.freeze() + gc.set_threshold(50000, 20, 100)"
CLERK = "canbo1"
NO_CHANGE = "1 worker, SQLite, what-if: states only, no `change` event before them"


def run_calls(
    http: Any,
    clerk_server: Server,
    counter_id: int,
    fleet: BoardFleet,
    calls: int,
    warmup: int,
    spacing: float,
    per_call: bool = False,
) -> dict[str, Any]:
    """Warm-up plus measured calls; returns the pooled statistics of the measured ones."""
    import psutil

    url = f"{clerk_server.url}/api/counters/{counter_id}"
    server_process = psutil.Process(clerk_server.pid)
    client_processes = [psutil.Process(p.pid) for p in fleet.processes]
    cpu_before: tuple[float, float] | None = None
    sent: dict[int, float] = {}
    http_ms: list[float] = []
    incomplete = 0
    for index in range(warmup + calls):
        if index == warmup:
            cpu_before = (_cpu(server_process), sum(_cpu(p) for p in client_processes))
        t0 = time.monotonic()
        response = http.post(f"{url}/call-next", json={}, timeout=30)
        took = time.monotonic() - t0
        if response.status_code != 200:
            raise RuntimeError(f"call-next: {response.status_code} {response.text}")
        ticket_id = response.json()["result"]["ticket_id"]
        if not fleet.wait_all(("ticket_called", ticket_id), timeout=15):
            incomplete += 1
        if index >= warmup:
            sent[ticket_id] = t0
            http_ms.append(took * 1000)
        done = http.post(f"{url}/no-show", json={"ticket_id": ticket_id}, timeout=30)
        if done.status_code != 200:
            raise RuntimeError(f"no-show: {done.status_code} {done.text}")
        fleet.wait_all(("ticket_no_show", ticket_id), timeout=15)  # no overlap with the next
        time.sleep(spacing)
    assert cpu_before is not None
    server_cpu = (_cpu(server_process) - cpu_before[0]) * 1000 / calls
    client_cpu = (sum(_cpu(p) for p in client_processes) - cpu_before[1]) * 1000 / calls
    received, live, lost = fleet.results()
    latencies: list[float] = []
    last: list[float] = []
    missing = 0
    for index, (ticket_id, t0) in enumerate(sent.items()):
        times = received.get(("ticket_called", ticket_id), [])
        missing += max(0, live - len(times))
        mine = [(t - t0) * 1000 for t in times]
        latencies.extend(mine)
        if times:
            last.append(max(mine))
            if per_call:
                log(
                    f"  call {index + 1}: HTTP {http_ms[index]:.1f} ms, first {min(mine):.1f}, "
                    f"p50 {percentile(mine, 50):.1f}, last {max(mine):.1f} ms"
                )
    return {
        "window": (min(sent.values(), default=0.0), time.monotonic()),
        "sent": sent,
        "received": received,
        "latencies": latencies,
        "http_ms": http_ms,
        "last_ms": last,
        "missing": missing,
        "incomplete": incomplete,
        "live": live,
        "lost": lost,
        "calls": len(sent),
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
    }


def _cpu(process: Any) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def row(label: str, clients: int, stats: dict[str, Any]) -> tuple[Any, ...]:
    lat = stats["latencies"]
    return (
        label,
        clients,
        stats["calls"],
        len(lat),
        f"{percentile(lat, 50):.1f}",
        f"{percentile(lat, 99):.1f}",
        f"{max(lat, default=float('nan')):.1f}",
        f"{statistics.median(stats['http_ms']):.1f}",
        f"{statistics.median(stats['last_ms']):.1f}" if stats["last_ms"] else "-",
        f"{stats['server_cpu']:.0f}",
        f"{stats['client_cpu']:.0f}",
        stats["missing"],
    )


HEADERS = [
    "set-up",
    "boards",
    "calls",
    "(board, call) pairs",
    "p50 ms",
    "p99 ms",
    "max ms",
    "call-next HTTP p50 ms",
    "last board p50 ms",
    "server CPU ms / call",
    "clients' CPU ms / call",
    "missed",
]


def scenario(
    args: argparse.Namespace,
    label: str,
    servers: list[Server],
    centre: Centre,
    levels: list[int],
    rows: list[tuple[Any, ...]],
    client: str | None = None,
    listen: str | None = None,
) -> None:
    clerk_server = servers[0]
    per_level = args.warmup_calls + args.calls
    issue_tickets(clerk_server, centre, "HT", per_level * len(levels) + 2)
    http = clerk_session(clerk_server, CLERK, centre.passwords[CLERK])
    counter_id = centre.counters[COUNTER]
    response = http.post(f"{clerk_server.url}/api/counters/{counter_id}/open", json={}, timeout=30)
    assert response.status_code == 200, response.text
    urls = [s.url for s in servers]
    with BoardFleet(
        urls,
        centre.board_token,
        processes=args.processes,
        impl=client or args.client,
        listen=listen or args.listen,
    ) as fleet:
        for clients in levels:
            _, failed, seconds = fleet.connect(clients - fleet.connected)
            log(f"{label}: {fleet.connected} boards connected ({failed} failed) in {seconds:.1f} s")
            if failed:
                raise RuntimeError(f"{failed} boards could not connect")
            for server in servers:
                settle(server.pid)
            profile = None
            if args.profile and clients == max(levels):
                slug = "".join(c if c.isalnum() else "-" for c in label.lower())
                slug = "-".join(part for part in slug.split("-") if part)[:60]
                out = Path(args.profile_dir or args.folder) / f"fanout-{slug}-{clients}.txt"
                profile = Profile(clerk_server.pid, out, rate=500)
                profile.__enter__()
            try:
                stats = run_calls(
                    http,
                    clerk_server,
                    counter_id,
                    fleet,
                    args.calls,
                    args.warmup_calls,
                    args.spacing,
                    args.per_call,
                )
            finally:
                if profile is not None:
                    profile.__exit__(None, None, None)
                    PROFILES.append((label, clients, profile.out, summarise(profile.out, top=20)))
            rows.append(row(label, clients, stats))
            if args.gc_log:
                for server in servers:
                    pauses = gc_pauses(server, *stats["window"])
                    worst = max((p[1] for p in pauses), default=0.0)
                    slow_calls = _calls_hit_by(stats, [p for p in pauses if p[1] >= 20])
                    gen2 = [p[1] for p in pauses if p[0] == 2]
                    NOTES.append(
                        f"- {label}, {clients} boards, {server.name}: {len(pauses)} GC pauses "
                        f">= 2 ms while calling ({len(gen2)} of generation 2"
                        + (f": {', '.join(f'{g:.0f}' for g in gen2)} ms" if gen2 else "")
                        + f"), longest {worst:.0f} ms; calls whose fan-out overlapped a pause "
                        f">= 20 ms: {slow_calls}"
                    )
            log(
                f"{label}, {clients} boards: p50 {rows[-1][4]} ms, p99 {rows[-1][5]} ms, "
                f"max {rows[-1][6]} ms, missed {stats['missing']}, lost {stats['lost']}"
            )


PROFILES: list[tuple[str, int, Path, tuple[str, str]]] = []
NOTES: list[str] = []


def _calls_hit_by(stats: dict[str, Any], pauses: list[tuple[int, float, float]]) -> str:
    """Which measured calls had a GC pause between t0 and their last board, with that
    call's last-board latency: the evidence for or against GC behind the tail."""
    hit = []
    for index, (ticket_id, t0) in enumerate(stats["sent"].items()):
        times = stats["received"].get(("ticket_called", ticket_id), [])
        if not times:
            continue
        end = max(times)
        overlapping = [p for p in pauses if t0 <= p[2] <= end + p[1] / 1000]
        if overlapping:
            hit.append(
                f"#{index + 1} (last board {1000 * (end - t0):.0f} ms, GC "
                + "+".join(f"{p[1]:.0f}" for p in overlapping)
                + " ms)"
            )
    return ", ".join(hit) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--calls", type=int, help="measured calls per level (50; quick 20)")
    parser.add_argument("--warmup-calls", type=int, default=3)
    parser.add_argument("--spacing", type=float, default=0.2, help="seconds between calls")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--client", choices=["raw", "socketio"], default="raw")
    parser.add_argument(
        "--listen",
        choices=["state", "change"],
        default="state",
        help="what a board holds the call by: the pushed `state` (the board page) or the "
        "`change` announcing it",
    )
    parser.add_argument(
        "--redis",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also 1,000 boards via Redis with 1 and 2 workers on PostgreSQL "
        "(default: not in --quick)",
    )
    parser.add_argument(
        "--gc-what-if",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also the largest level with gc.freeze() + gc.set_threshold(50_000, 20, 100) "
        "applied by bench/serve_traced.py (default: not in --quick)",
    )
    parser.add_argument(
        "--compare-clients",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also the largest level with the other board client (default: not in --quick)",
    )
    parser.add_argument(
        "--compare-listen",
        action="store_true",
        help="also the largest level with boards holding the call by the other event "
        "(`change`, what boards reacted to before states were pushed, or `state`)",
    )
    parser.add_argument(
        "--no-change-what-if",
        action="store_true",
        help="also the largest level with the worker sending the states without the `change` "
        "events before them (bench/serve_traced.py XEPHANG_BENCH_CHANGES=off)",
    )
    parser.add_argument("--per-call", action="store_true", help="log each call's spread")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-dir")
    parser.add_argument(
        "--gc-log",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the server through bench/serve_traced.py and report its GC pauses",
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.calls = args.calls or (20 if args.quick else 50)
    if args.redis is None:
        args.redis = not args.quick
    if args.gc_what_if is None:
        args.gc_what_if = not args.quick
    if args.compare_clients is None:
        args.compare_clients = not args.quick
    raise_fd_limit()

    print_header("Benchmark 2: call -> every connected board updated")
    rows: list[tuple[Any, ...]] = []
    top = max(args.clients)
    with workdir(args.keep) as folder:
        args.folder = folder
        sqlite = SQLiteCentres(folder)
        with Servers() as servers:
            centre = sqlite.copy()
            server = servers.add(start_xephang("fanout-sqlite", folder, centre, gc_log=args.gc_log))
            scenario(args, "1 worker, SQLite", [server], centre, sorted(args.clients), rows)
        if args.compare_clients:
            other = "socketio" if args.client == "raw" else "raw"
            with Servers() as servers:
                centre = sqlite.copy()
                server = servers.add(
                    start_xephang("fanout-other-client", folder, centre, gc_log=args.gc_log)
                )
                label = f"1 worker, SQLite, {CLIENTS[other]} boards"
                scenario(args, label, [server], centre, [top], rows, other)
        if args.compare_listen:
            other = "change" if args.listen == "state" else "state"
            with Servers() as servers:
                centre = sqlite.copy()
                server = servers.add(
                    start_xephang("fanout-other-event", folder, centre, gc_log=args.gc_log)
                )
                label = f"1 worker, SQLite, boards holding the call by its `{other}` event"
                scenario(args, label, [server], centre, [top], rows, listen=other)
        if args.no_change_what_if:
            with Servers() as servers:
                centre = sqlite.copy()
                env = {"XEPHANG_BENCH_CHANGES": "off"}
                server = servers.add(start_xephang("fanout-no-change", folder, centre, env, True))
                scenario(args, NO_CHANGE, [server], centre, [top], rows, listen="state")
        if args.gc_what_if:
            with Servers() as servers:
                centre = sqlite.copy()
                env = {"XEPHANG_BENCH_GC": "freeze,threshold"}
                server = servers.add(start_xephang("fanout-gc", folder, centre, env, gc_log=True))
                scenario(args, WHAT_IF, [server], centre, [top], rows)
        if args.redis:
            with PostgresCentres() as postgres:
                for workers in (1, 2):
                    channel = redis_channel()
                    env = {
                        "XEPHANG_MESSAGE_QUEUE": REDIS_URL,
                        "XEPHANG_MESSAGE_QUEUE_CHANNEL": channel,
                    }
                    centre = postgres.copy()
                    with Servers() as servers:
                        started = [
                            servers.add(
                                start_xephang(
                                    f"fanout-pg-{workers}-{i}", folder, centre, env, args.gc_log
                                )
                            )
                            for i in range(workers)
                        ]
                        label = (
                            "1 worker, PostgreSQL + Redis"
                            if workers == 1
                            else "2 workers, PostgreSQL + Redis (clerk on worker 1, boards split)"
                        )
                        scenario(args, label, started, centre, [top], rows)
                    postgres.drop(centre)

    print(
        f"### Call -> board latency ({args.calls} measured calls per row after "
        f"{args.warmup_calls} warm-up calls, {args.spacing:g} s apart; boards: "
        f"{CLIENTS[args.client]} unless the set-up says otherwise, in {args.processes} "
        f"client processes; a board holds a call when its `{args.listen}` event shows it)\n"
    )
    print(md_table(HEADERS, rows))
    goal = [r for r in rows if r[0] == "1 worker, SQLite" and r[1] == 1000]
    if goal:
        p99 = float(goal[0][5])
        verdict = "met" if p99 < 100 else f"missed by {p99 - 100:.0f} ms ({p99 / 100:.1f} x)"
        print(
            f"\nGoal: p99 under 100 ms at 1,000 boards (1 worker): p99 = {p99:.1f} ms, {verdict}.\n"
        )
    if NOTES:
        print("Garbage-collector pauses in the server (bench/serve_traced.py):\n")
        print("\n".join(NOTES) + "\n")
    for label, clients, path, (inclusive, own) in PROFILES:
        print(f"### py-spy: {label}, {clients} boards, during the calls ({path.name})\n")
        print(inclusive + "\n\n" + own + "\n", flush=True)


if __name__ == "__main__":
    main()
