"""Run every benchmark, one after the other, and print their Markdown reports.

    .venv/bin/python bench/all.py                  # full runs, ~45 min in all
    .venv/bin/python bench/all.py --quick          # quick runs, ~10 min in all
    .venv/bin/python bench/all.py --output r.md    # also write the reports to r.md
    .venv/bin/python bench/all.py --diagnostics    # + py-spy (issue, fanout) and tracemalloc
                                                   # (connections): the "why" tables, +2 min

The benchmarks (each runnable by itself, each with --quick):
  bench/issue.py        1. ticket issue via the kiosk HTTP path vs a bare Flask-SocketIO app
  bench/fanout.py       2. a call reaching 200 and 1,000 connected boards
  bench/connections.py  3. boards per worker and memory per connection up to 5,000
  bench/workers.py      4. one worker vs two workers (PostgreSQL + Redis)
  bench/ward.py         7. a ward at peak on one worker: 1,000 phones, 10 boards, 20 clerks
  bench/province.py     8. a province: 2 workers, 100 sites, 5,000 phones, 8 calls a second
  bench/soak.py         9. a soak: memory and latency over a ward's simulated day (10 min
                           here; `bench/soak.py --minutes N` for longer)
(5. bench/stats.py, statistics over a year of history, and 6. bench/eta.py, waits quoted
and had, are run by themselves.)

Each starts and stops its own servers on 127.0.0.1, uses throwaway SQLite files and
PostgreSQL databases (dropped at the end) and its own Redis channel. Extra arguments after
`--` go to every benchmark (e.g. `-- --keep`). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "issue.py",
    "fanout.py",
    "connections.py",
    "workers.py",
    "ward.py",
    "province.py",
    "soak.py",
)
DIAGNOSTICS = {
    "issue.py": ["--profile"],
    "fanout.py": ["--profile"],
    "connections.py": ["--tracemalloc"],
    "workers.py": [],
    "ward.py": ["--profile"],
    "province.py": [],
    "soak.py": [],
}
# What a full run of all.py gives a benchmark beyond its own defaults.
FULL = {"soak.py": ["--minutes", "10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--output", type=Path, help="also write the reports to this file")
    parser.add_argument("--diagnostics", action="store_true", help="profiles and tracemalloc")
    parser.add_argument("--profile-dir", help="keep py-spy's collapsed stacks here")
    parser.add_argument("extra", nargs="*", help="arguments for every benchmark, after --")
    args = parser.parse_args()
    reports = []
    failed = []
    for name in args.only or BENCHMARKS:
        command = [
            sys.executable,
            str(HERE / name),
            *(["--quick"] if args.quick else FULL.get(name, [])),
            *(DIAGNOSTICS[name] if args.diagnostics else []),
            *(
                ["--profile-dir", args.profile_dir]
                if args.profile_dir and args.diagnostics and "--profile" in DIAGNOSTICS[name]
                else []
            ),
            *args.extra,
        ]
        print(f"[all] {' '.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.monotonic()
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        print(result.stdout, flush=True)
        reports.append(result.stdout)
        took = time.monotonic() - started
        print(
            f"[all] {name}: exit {result.returncode} after {took:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        if result.returncode:
            failed.append(name)
    if args.output:
        args.output.write_text("\n".join(reports))
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
