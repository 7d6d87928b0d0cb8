"""Benchmark 4: ticket issue with one worker and with two workers side by side (PostgreSQL +
Redis), 32 kiosks.

    .venv/bin/python bench/workers.py            # 3 rounds x 8 s per set-up, ~2 min
    .venv/bin/python bench/workers.py --quick    # 1 round x 4 s per set-up, ~25 s

What runs, all on 127.0.0.1, started and stopped here:
- a throwaway PostgreSQL database per set-up, copied from a template holding the demo
  centre (`xephang_bench_<random>_*`, all dropped at the end);
- "1 worker": one `xephang serve` on its own database, no message queue (how a single
  server is deployed);
- "1 of 2 workers": the province set-up (two `xephang serve` on one database, Flask-
  SocketIO's message queue on the local Redis with a unique channel
  xephang-bench-<random>), all kiosks on the first worker: one worker's share, with Redis
  in the path;
- "2 workers": the same pair, kiosks split evenly (kiosk i on worker i % 2).

The load generator is bench/common.py's `kiosk_load` (asyncio + aiohttp in this process, a
keep-alive connection per kiosk, back to back, warm-up excluded), as in bench/issue.py.
The set-ups are measured in rounds, each round running all three back to back in a
rotating order. While each runs, the CPU used by the workers, by PostgreSQL, by Redis and
by the load generator is sampled (psutil): on 2 cores shared by all of them, this is what
bounds the second worker's gain.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    POSTGRES_URL,
    REDIS_URL,
    LoadResult,
    PostgresCentres,
    Servers,
    kiosk_load,
    log,
    md_table,
    print_header,
    raise_fd_limit,
    redis_channel,
    start_xephang,
    workdir,
    xephang_kiosk_target,
)

SETUPS = (
    "1 worker (no Redis)",
    "1 of 2 workers (Redis), all kiosks on it",
    "2 workers (Redis), kiosks split",
)


class CpuSampler:
    """CPU used by groups of processes over a block, per process (a process that exits in
    between drops out rather than making a total go negative): the workers, the
    PostgreSQL backends serving the benchmark's database (from pg_stat_activity), Redis,
    this process (the load generator), and the whole machine (everyone, other users too)."""

    def __init__(self, worker_pids: list[int], database: str) -> None:
        import psutil

        self.psutil = psutil
        self.worker_pids = worker_pids
        self.database = database
        self.used: dict[str, float] = {}

    def _backends(self) -> set[int]:
        import psycopg

        dsn = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
            ).fetchall()
        return {int(row[0]) for row in rows}

    def _snapshot(self, backends: set[int]) -> dict[int, tuple[str, float]]:
        psutil = self.psutil
        me = psutil.Process().pid
        seen: dict[int, tuple[str, float]] = {}
        for process in psutil.process_iter(["pid", "name", "cpu_times"]):
            try:
                times = process.info["cpu_times"]
                pid = process.info["pid"]
                name = process.info["name"] or ""
                if times is None:
                    continue
                if pid in self.worker_pids:
                    group = "workers"
                elif pid in backends:
                    group = "PostgreSQL"
                elif name.startswith("redis"):
                    group = "Redis"
                elif pid == me:
                    group = "load generator"
                else:
                    continue
                seen[pid] = (group, times.user + times.system)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return seen

    def _machine(self) -> float:
        times = self.psutil.cpu_times()
        return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))

    def __enter__(self) -> CpuSampler:
        self.started = time.monotonic()
        self.backends = self._backends()
        self.before = self._snapshot(self.backends)
        self.machine_before = self._machine()
        return self

    def __exit__(self, *_exc: object) -> None:
        machine = self._machine() - self.machine_before
        seconds = time.monotonic() - self.started
        after = self._snapshot(self.backends | self._backends())
        used = {"workers": 0.0, "PostgreSQL": 0.0, "Redis": 0.0, "load generator": 0.0}
        for pid, (group, cpu) in after.items():
            used[group] += cpu - self.before.get(pid, (group, 0.0))[1]
        used["whole machine"] = machine
        self.used = {k: v / seconds for k, v in used.items()}


class PgActivity:
    """Samples pg_stat_activity for one database every 20 ms while a block runs: how many
    of the workers' connections, on average, are running a statement, waiting for a lock,
    or idle in a transaction (the worker holds the transaction open while its Python code
    runs, or while its hub is busy elsewhere)."""

    def __init__(self, admin_url: str, database: str) -> None:
        self.dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
        self.database = database
        self.samples: list[dict[str, int]] = []
        self._stop = threading.Event()

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as connection:
            while not self._stop.is_set():
                rows = connection.execute(
                    "SELECT state, wait_event_type, count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1, 2",
                    (self.database,),
                ).fetchall()
                sample = {"running": 0, "lock wait": 0, "idle in transaction": 0}
                for state, wait, count in rows:
                    if state == "active" and wait == "Lock":
                        sample["lock wait"] += count
                    elif state == "active":
                        sample["running"] += count
                    elif state and state.startswith("idle in transaction"):
                        sample["idle in transaction"] += count
                self.samples.append(sample)
                time.sleep(0.02)

    def __enter__(self) -> PgActivity:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def mean(self) -> dict[str, float]:
        keys = ("running", "lock wait", "idle in transaction")
        n = len(self.samples) or 1
        return {k: sum(s[k] for s in self.samples) / n for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--kiosks", type=int, default=32)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--warmup", type=float)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (4.0 if args.quick else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    raise_fd_limit()

    print_header("Benchmark 4: one worker and two workers side by side (PostgreSQL + Redis)")
    results: dict[str, list[LoadResult]] = {name: [] for name in SETUPS}
    cpu: dict[str, list[dict[str, float]]] = {name: [] for name in SETUPS}
    activity: dict[str, list[dict[str, float]]] = {name: [] for name in SETUPS}
    with workdir(args.keep) as folder, PostgresCentres() as postgres, Servers() as servers:
        alone_db = postgres.copy()
        alone = servers.add(start_xephang("single", folder, alone_db))
        pair_db = postgres.copy()
        env = {"XEPHANG_MESSAGE_QUEUE": REDIS_URL, "XEPHANG_MESSAGE_QUEUE_CHANNEL": redis_channel()}
        pair = [servers.add(start_xephang(f"pair-{i}", folder, pair_db, env)) for i in range(2)]
        setups: dict[str, tuple[list[Any], list[int], str]] = {
            SETUPS[0]: ([xephang_kiosk_target(alone, alone_db)], [alone.pid], alone_db.url),
            SETUPS[1]: ([xephang_kiosk_target(pair[0], pair_db)], [pair[0].pid], pair_db.url),
            SETUPS[2]: (
                [xephang_kiosk_target(w, pair_db) for w in pair],
                [w.pid for w in pair],
                pair_db.url,
            ),
        }
        for round_ in range(args.rounds):
            order = list(SETUPS[round_ % 3 :] + SETUPS[: round_ % 3])
            for name in order:
                targets, pids, url = setups[name]
                database = url.rsplit("/", 1)[1].split("?")[0]
                sampler = CpuSampler(pids, database)
                pg = PgActivity(POSTGRES_URL, database)
                result_box: list[LoadResult] = []
                thread = threading.Thread(
                    target=_load_into,
                    args=(result_box, targets, args.kiosks, args.warmup, args.duration),
                )
                thread.start()
                time.sleep(args.warmup)
                with sampler, pg:
                    thread.join()
                results[name].append(result_box[0])
                cpu[name].append(sampler.used)
                activity[name].append(pg.mean())
                log(
                    f"round {round_ + 1}, {name}: {result_box[0].throughput:,.0f} req/s, "
                    f"p99 {result_box[0].p(99):.0f} ms, CPU {sampler.used}"
                )

    rows = []
    one = _pool(results[SETUPS[0]]).throughput
    for name in SETUPS:
        pooled = _pool(results[name])
        mean_cpu = {k: sum(c[k] for c in cpu[name]) / len(cpu[name]) for k in cpu[name][0]}
        act = {
            k: sum(a[k] for a in activity[name]) / len(activity[name]) for k in activity[name][0]
        }
        rows.append(
            (
                name,
                args.kiosks,
                f"{pooled.throughput:,.0f}",
                f"{pooled.throughput / one:.2f} x",
                ", ".join(f"{r.throughput:,.0f}" for r in results[name]),
                f"{pooled.p(50):.0f}",
                f"{pooled.p(99):.0f}",
                sum(pooled.errors.values()),
                " / ".join(
                    f"{100 * mean_cpu[k]:.0f} %"
                    for k in ("workers", "PostgreSQL", "Redis", "load generator", "whole machine")
                ),
                " / ".join(
                    f"{act[k]:.2f}" for k in ("running", "lock wait", "idle in transaction")
                ),
            )
        )
    print(
        f"### Ticket issue, {args.kiosks} kiosks, PostgreSQL ({args.rounds} round(s) x "
        f"{args.duration:g} s per set-up after {args.warmup:g} s warm-up)\n"
    )
    print(
        md_table(
            [
                "set-up",
                "kiosks",
                "req/s",
                "vs 1 worker",
                "req/s each round",
                "p50 ms",
                "p99 ms",
                "errors",
                "CPU: workers / their PostgreSQL backends / Redis / load generator / whole machine "
                "(100 % = 1 core)",
                "workers' connections: running / lock wait / idle in transaction (mean)",
            ],
            rows,
        )
    )
    print(flush=True)


def _load_into(box: list[LoadResult], *args: Any) -> None:
    box.append(kiosk_load(*args))


def _pool(runs: list[LoadResult]) -> LoadResult:
    pooled = LoadResult(0, 0.0, [])
    for run in runs:
        pooled = pooled.merged(run)
    return pooled


if __name__ == "__main__":
    main()
