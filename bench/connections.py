"""Benchmark 3: connected boards per worker, and memory per connection, up to 5,000.

    .venv/bin/python bench/connections.py            # up to 5,000 boards, then 35 s idle
                                                     # (a ping round) and 10 calls fanned
                                                     # out to all 5,000; ~2-3 min
    .venv/bin/python bench/connections.py --quick    # the same steps, no idle wait or calls;
                                                     # ~1 min
    .venv/bin/python bench/connections.py --tracemalloc   # also where the memory goes

What runs, all on 127.0.0.1, started and stopped here, in two passes:
1. `xephang serve` as shipped (eventlet), boards opened in steps up to 2,000, stopping at
   the first step where connections fail: a worker holds at most 1,024 connections
   (eventlet.wsgi.server's default pool, `max_size`), and the /healthz column shows that
   HTTP stops being answered too;
2. the same server with `max_size` raised (`--max-size`, 10,000; bench/serve_traced.py's
   XEPHANG_BENCH_MAX_SIZE what-if, nothing else changed), boards opened in steps up to
   5,000 (`--steps`), for the memory per connection.
Both run through bench/serve_traced.py so their GC pauses are logged, on a SQLite copy of
the demo centre. The boards are idle clients (websocket transport, `auth={"device": board
token}`) in `--processes` client processes (bench/common.py BoardFleet, the minimal `raw`
Socket.IO client by default), 25 connecting at a time per process; a connection that is
not established within 20 s counts as failed, and the rest of that step is not tried.
Every board connect is a real one: the server checks the device token and records
`last_seen_at` (a write).

After each step the server is left to settle (under 5 % of a CPU), then its resident set
size is read from /proc/<pid>/status (VmRSS) with its open file descriptors; memory per
connection = (RSS(n) - RSS(0)) / n, where RSS(0) is taken after a warm-up (one snapshot
request and one board connected and gone, so lazy imports are paid for). Python's
allocator rarely gives memory back, so RSS is a fair "cost of holding n boards".

With --tracemalloc (a separate, slower pass: the server runs with tracemalloc on, via
bench/serve_traced.py), the Python allocations that the connections added, by source
line: the "why" behind the per-connection figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BoardFleet,
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
    rss_kb,
    settle,
    start_xephang,
    workdir,
)

GOAL_KB = 100


def warm_up(server: Server, token: str, fleet_token: str) -> None:
    import socketio

    from tests.live import http_session

    with http_session() as http:
        assert http.get(
            f"{server.url}/api/board/snapshot", headers={"X-Device-Token": token}, timeout=30
        ).ok
    client = socketio.Client(reconnection=False)
    client.connect(
        server.url, auth={"device": fleet_token}, transports=["websocket"], wait_timeout=30
    )
    client.disconnect()


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def calls_at_full_load(
    server: Server, centre: Any, fleet: BoardFleet, calls: int
) -> dict[str, float]:
    issue_tickets(server, centre, "HT", calls + 1)
    http = clerk_session(server, "canbo1", centre.passwords["canbo1"])
    counter = f"{server.url}/api/counters/{centre.counters[1]}"
    assert http.post(f"{counter}/open", json={}, timeout=60).status_code == 200
    sent: dict[int, float] = {}
    for _ in range(calls):
        t0 = time.monotonic()
        response = http.post(f"{counter}/call-next", json={}, timeout=60)
        assert response.status_code == 200, response.text
        ticket_id = response.json()["result"]["ticket_id"]
        sent[ticket_id] = t0
        fleet.wait_all(("ticket_called", ticket_id), timeout=30)
        http.post(f"{counter}/no-show", json={"ticket_id": ticket_id}, timeout=60)
        fleet.wait_all(("ticket_no_show", ticket_id), timeout=30)
        time.sleep(0.5)
    received, live, _ = fleet.results()
    called = {k: received.get(("ticket_called", k), []) for k in sent}
    latencies = [(t - sent[k]) * 1000 for k in sent for t in called[k]]
    missing = sum(max(0, live - len(times)) for times in called.values())
    return {
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "missing": missing,
        "pairs": len(latencies),
    }


HEADERS = [
    "boards asked",
    "boards connected",
    "connects / s",
    "server RSS MiB",
    "RSS - RSS(0) MiB",
    "KB per board",
    "server fds",
    "failed or lost",
    "HTTP /healthz",
]


def health(server: Server) -> str:
    import requests

    from tests.live import http_session

    started = time.monotonic()
    try:
        with http_session() as http:
            ok = http.get(f"{server.url}/healthz", timeout=5).ok
        return f"{'200' if ok else 'error'} in {1000 * (time.monotonic() - started):.0f} ms"
    except requests.RequestException as error:
        return f"no answer ({type(error).__name__}, 5 s)"


def ramp(
    args: argparse.Namespace,
    server: Server,
    centre: Any,
    steps: list[int],
    stop_at_failure: bool,
    idle: float,
    calls: int,
) -> dict[str, Any]:
    """Open boards in steps, measuring the server after each; returns the rows and facts."""
    warm_up(server, centre.board_token, centre.board_token)
    settle(server.pid)
    base = rss_kb(server.pid)
    rows: list[tuple[Any, ...]] = [
        (0, "-", "-", f"{base / 1024:.1f}", "-", "-", fds(server.pid), "-", health(server))
    ]
    log(f"{server.name}: RSS(0) = {base / 1024:.1f} MiB")
    facts: dict[str, Any] = {"rows": rows, "per_board": {}, "ceiling": None}
    with BoardFleet(
        [server.url], centre.board_token, processes=args.processes, impl=args.client
    ) as fleet:
        for step in steps:
            ok, failed, seconds = fleet.connect(step - fleet.connected)
            settle(server.pid)
            time.sleep(1.0)
            live, lost = fleet.status()
            rss = rss_kb(server.pid)
            kb = (rss - base) / max(live, 1)
            facts["per_board"][step] = (live, kb)
            rows.append(
                (
                    step,
                    live,
                    f"{ok / seconds:,.0f}" if seconds else "-",
                    f"{rss / 1024:.1f}",
                    f"{(rss - base) / 1024:.1f}",
                    f"{kb:.1f}",
                    fds(server.pid),
                    failed + sum(lost.values()),
                    health(server),
                )
            )
            log(
                f"{server.name}: {live} boards, RSS {rss / 1024:.1f} MiB, {kb:.1f} KB/board, "
                f"failed {failed}, lost {lost}"
            )
            if failed:
                facts["ceiling"] = live
                if stop_at_failure:
                    break
        if idle:
            log(
                f"holding {fleet.connected} boards idle for {idle:g} s "
                "(the server pings every 25 s)"
            )
            time.sleep(idle)
            live, lost = fleet.status()
            rss = rss_kb(server.pid)
            rows.append(
                (
                    f"{steps[-1]:,}, then {idle:g} s idle",
                    live,
                    "-",
                    f"{rss / 1024:.1f}",
                    f"{(rss - base) / 1024:.1f}",
                    f"{(rss - base) / max(live, 1):.1f}",
                    fds(server.pid),
                    sum(lost.values()),
                    health(server),
                )
            )
            facts["held"] = (live, idle, lost)
        if calls:
            facts["fanout"] = (fleet.connected, calls_at_full_load(server, centre, fleet, calls))
    gen2 = [p for p in gc_pauses(server) if p[0] == 2]
    facts["gen2"] = gen2
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--steps", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--client", choices=["raw", "socketio"], default="raw")
    parser.add_argument("--idle", type=float, help="seconds to hold the last step (35; quick 0)")
    parser.add_argument("--calls", type=int, help="calls fanned out at the last step (10; quick 0)")
    parser.add_argument("--max-size", type=int, default=10_000, help="what-if max_size")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="a third pass: allocations by line"
    )
    parser.add_argument("--tracemalloc-boards", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.idle = args.idle if args.idle is not None else (0.0 if args.quick else 35.0)
    args.calls = args.calls if args.calls is not None else (0 if args.quick else 10)
    steps = sorted(args.steps)
    limit = raise_fd_limit()
    if limit < max(steps) + 200:
        raise SystemExit(f"open-files limit {limit} is too low for {max(steps)} boards")

    print_header("Benchmark 3: connected boards per worker and memory per connection")
    with workdir(args.keep) as folder:
        sqlite = SQLiteCentres(folder)
        with Servers() as servers:
            centre = sqlite.copy()
            server = servers.add(start_xephang("stock", folder, centre, gc_log=True))
            stock = ramp(args, server, centre, [s for s in steps if s <= 2000], True, 0, 0)
        with Servers() as servers:
            centre = sqlite.copy()
            env = {"XEPHANG_BENCH_MAX_SIZE": str(args.max_size)}
            server = servers.add(start_xephang("max-size", folder, centre, env, gc_log=True))
            bigger = ramp(args, server, centre, steps, False, args.idle, args.calls)

    print("### Idle boards on one worker as shipped (`xephang serve`, SQLite)\n")
    print(md_table(HEADERS, stock["rows"]))
    if stock["ceiling"] is not None:
        print(
            f"\nThe worker stops accepting connections at {stock['ceiling']:,} boards: "
            "eventlet.wsgi.server runs every connection in a GreenPool of max_size=1,024 "
            "(its default; `socketio.run` passes none), a websocket holds its greenthread for "
            "life, and connection 1,025 waits in the listen backlog, HTTP requests included "
            "(see the /healthz column)."
        )
    print(
        "\n### Idle boards on one worker, what-if: "
        f"eventlet.wsgi.server(max_size={args.max_size:,}) "
        "(bench/serve_traced.py, XEPHANG_BENCH_MAX_SIZE; nothing else changed)\n"
    )
    print(md_table(HEADERS, bigger["rows"]))
    top = max(steps)
    live, kb = bigger["per_board"][top]
    verdict = (
        "met"
        if kb < GOAL_KB and live >= top
        else f"missed by {kb - GOAL_KB:.0f} KB ({kb / GOAL_KB:.1f} x)"
        if kb >= GOAL_KB
        else f"only {live:,} connected"
    )
    print(
        f"\nGoal: {top:,} connections per worker under {GOAL_KB} KB each: {live:,} boards at "
        f"{kb:.1f} KB each with max_size raised: {verdict}; as shipped: "
        + (f"at most {stock['ceiling']:,} connections." if stock["ceiling"] else "no ceiling met.")
    )
    if "held" in bigger:
        live, idle, lost = bigger["held"]
        print(
            f"\n{live:,} boards still connected after {idle:g} s idle (a ping round); "
            f"lost: {lost or 'none'}."
        )
    if "fanout" in bigger:
        boards, f = bigger["fanout"]
        print(
            f"\nA call fanned out to all {boards:,} boards ({args.calls} calls, {f['pairs']:,} "
            f"(board, call) pairs): p50 {f['p50']:.0f} ms, p99 {f['p99']:.0f} ms, max "
            f"{f['max']:.0f} ms, missed {f['missing']:.0f}."
        )
    for name, facts in (("as shipped", stock), ("max_size raised", bigger)):
        gen2 = facts["gen2"]
        if gen2:
            print(
                f"\nServer GC ({name}): {len(gen2)} generation-2 collections over the run, "
                f"the longest {max(p[1] for p in gen2):.0f} ms."
            )
    print(flush=True)
    if args.tracemalloc:
        tracemalloc_pass(args)


def tracemalloc_pass(args: argparse.Namespace) -> None:
    """The server with tracemalloc on: snapshot before and after `--tracemalloc-boards`
    boards connect, compared by source line."""
    boards = args.tracemalloc_boards
    with workdir(args.keep) as folder, Servers() as servers:
        centre = SQLiteCentres(folder).copy()
        out = folder / "tracemalloc"
        env = {"XEPHANG_BENCH_TRACEMALLOC": str(out), "XEPHANG_BENCH_MAX_SIZE": str(args.max_size)}
        server = servers.add(start_xephang("tracemalloc", folder, centre, env, gc_log=True))
        warm_up(server, centre.board_token, centre.board_token)
        settle(server.pid)
        _snapshot(server, out, "before")
        with BoardFleet(
            [server.url], centre.board_token, processes=args.processes, impl=args.client
        ) as fleet:
            fleet.connect(boards)
            settle(server.pid)
            time.sleep(1.0)
            _snapshot(server, out, "after")
            live, _ = fleet.status()
        report = (out / "report.md").read_text() if (out / "report.md").exists() else "(no report)"
        print(f"### Where the memory of {live:,} boards goes (tracemalloc in the server)\n")
        print(report.replace("{boards}", str(live)), flush=True)


def _snapshot(server: Server, out: Path, name: str) -> None:
    import signal

    marker = out / f"{name}.done"
    (out / "next").write_text(name)
    os.kill(server.pid, signal.SIGUSR1)
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not marker.exists():
        raise RuntimeError("the server did not write its tracemalloc snapshot")


if __name__ == "__main__":
    main()
