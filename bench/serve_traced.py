"""`xephang serve`, plus a log line on stderr for every garbage-collector pause of 2 ms or
more (a diagnostic for latency outliers; the server's code is unchanged).

    .venv/bin/python bench/serve_traced.py serve --host 127.0.0.1 --port 8000

Used by bench/fanout.py and bench/connections.py (--gc-log, on by default): they start
this instead of `.venv/bin/xephang` and read the lines back from the server's log, e.g.

    GC-PAUSE gen=2 ms=87.1 collected=0 objects=612345 at=12345.678

(`at` is time.monotonic(), the clock the benchmarks stamp their calls with; `objects` is
counted for generation-2 collections only.) Everything else is server/entry.py's main(),
which monkey-patches eventlet before importing the app.

On SIGUSR2 it collects all garbage and logs how many objects are alive, by type
(`GC-FULL ...` and `GC-TYPES {...}`: bench/soak.py asks at the start and at the end).

XEPHANG_BENCH_TRACEMALLOC=<folder> (bench/connections.py --tracemalloc) starts tracemalloc
at boot; on SIGUSR1 the server snapshots its Python allocations under the name written in
<folder>/next ("before", "after"), and after "after" writes <folder>/report.md: what was
allocated in between, by source line and by package.

What-if experiments, never the default: XEPHANG_BENCH_GC=freeze calls gc.freeze() just
before the server starts serving (everything imported and built at start-up leaves the
collector's generations); XEPHANG_BENCH_GC=threshold sets gc.set_threshold(50_000, 20,
100); both together as "freeze,threshold". XEPHANG_BENCH_PUBLISH=off drops what each commit
hands the live publisher (no state computed or sent: the requests' own cost, as
bench/issue.py reports it). XEPHANG_BENCH_STATES=no-counters computes no clerk's screen's
state (bench/ward.py --no-counter-states, with no clerk's screen connected: what the
phones and boards wait for without them). XEPHANG_BENCH_CHANGES=off sends no `change`
event for a site-wide change, only the states (bench/fanout.py --no-change-what-if).
XEPHANG_BENCH_MAX_SIZE=<n> passes max_size=n to
eventlet.wsgi.server (its default, 1,024, caps the connections a worker holds at once,
websockets and HTTP together). They show what such a change in server/cli/serving.py would buy;
the benchmarks report them separately.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on sys.path: put the project there instead, so
# that `kiosk`, `server` and `display` are the project's packages.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

THRESHOLD_MS = 2.0
_started = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    ms = 1000 * (time.perf_counter() - _started[0])
    if ms >= THRESHOLD_MS:
        objects = len(gc.get_objects()) if info["generation"] == 2 else -1
        sys.stderr.write(
            f"GC-PAUSE gen={info['generation']} ms={ms:.1f} collected={info['collected']} "
            f"objects={objects} at={time.monotonic():.3f}\n"
        )
        sys.stderr.flush()


def _what_if() -> None:
    max_size = os.environ.get("XEPHANG_BENCH_MAX_SIZE")
    if max_size:
        import eventlet.wsgi

        serve = eventlet.wsgi.server

        def bigger(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("max_size", int(max_size))
            sys.stderr.write(f"WSGI max_size={kwargs['max_size']}\n")
            return serve(*args, **kwargs)

        eventlet.wsgi.server = bigger
    if os.environ.get("XEPHANG_BENCH_STATES") == "no-counters":
        # The live states without the clerks' screens' (their waiting lists are most of a
        # batch's reads and bytes): what the phones and boards would wait for without them.
        from server.services import live_states

        concerned = live_states._concerned

        def without_counters(site: Any, changes: Any) -> Any:
            return concerned(site, changes)[0], []

        live_states._concerned = without_counters
        sys.stderr.write("STATES no-counters\n")
    if os.environ.get("XEPHANG_BENCH_CHANGES") == "off":
        # States without the `change` announcing them: what a fan-out costs when each
        # screen gets one frame per batch instead of two (a change, then its state).
        from server.adapters import realtime

        send_change = realtime._send_change

        def printing_only(change: Any) -> None:
            if not change.site_wide:
                send_change(change)

        realtime._send_change = printing_only
        sys.stderr.write("CHANGES off\n")
    if os.environ.get("XEPHANG_BENCH_PUBLISH") == "off":
        # The requests alone: what each commit hands the publisher is dropped, so no live
        # state is computed or sent (bench/issue.py's split of the kiosk path's CPU).
        from server.adapters import realtime

        def drop(self: Any, changes: Any) -> None:
            return None

        realtime.LivePublisher.__call__ = drop  # type: ignore[method-assign]
        sys.stderr.write("PUBLISH off\n")
    tuning = {t.strip() for t in os.environ.get("XEPHANG_BENCH_GC", "").split(",") if t.strip()}
    if "threshold" in tuning:
        gc.set_threshold(50_000, 20, 100)
    if "freeze" in tuning:
        from flask_socketio import SocketIO

        run = SocketIO.run

        def frozen_run(self: Any, *args: Any, **kwargs: Any) -> Any:
            gc.collect()
            gc.freeze()
            sys.stderr.write(f"GC-FREEZE frozen={gc.get_freeze_count()}\n")
            return run(self, *args, **kwargs)

        SocketIO.run = frozen_run


def _tracemalloc(folder: Path) -> None:
    import signal
    import tracemalloc

    tracemalloc.start(1)

    def snapshot(_signum: int, _frame: Any) -> None:
        name = (folder / "next").read_text().strip()
        gc.collect()
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        snap.dump(str(folder / f"{name}.snap"))
        if name == "after":
            _report(folder, tracemalloc.Snapshot.load(str(folder / "before.snap")), snap)
        (folder / f"{name}.done").write_text("ok")

    folder.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGUSR1, snapshot)


def _report(folder: Path, before: Any, after: Any) -> None:
    """Markdown: the growth between the snapshots per board ({boards} is filled in by the
    benchmark, which knows how many are connected), by line and by package."""
    lines = after.compare_to(before, "lineno")
    total = sum(d.size_diff for d in lines)
    count = sum(d.count_diff for d in lines)
    out = [
        f"Python allocations added: {total / 1024 / 1024:.1f} MiB in {count:,} blocks "
        "(tracemalloc sees Python objects only: greenlet stacks, the C parts of sockets and "
        "the allocator's own overhead are the rest of RSS).",
        "",
        "| source line | KiB added | blocks added |",
        "| --- | --- | --- |",
    ]
    for diff in lines[:25]:
        frame = diff.traceback[0]
        where = _short(frame.filename)
        out.append(
            f"| {where}:{frame.lineno} | {diff.size_diff / 1024:,.0f} | {diff.count_diff:,} |"
        )
    by_package: dict[str, int] = {}
    for diff in lines:
        package = _package(diff.traceback[0].filename)
        by_package[package] = by_package.get(package, 0) + diff.size_diff
    out += ["", "| package | KiB added |", "| --- | --- |"]
    for package, size in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
        out.append(f"| {package} | {size / 1024:,.0f} |")
    (folder / "report.md").write_text("\n".join(out) + "\n")


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    root = str(Path(__file__).resolve().parent.parent) + "/"
    return filename.replace(root, "")


def _package(filename: str) -> str:
    short = _short(filename)
    return short.split("/", 1)[0] if "/" in short else short


def _census(_signum: int, _frame: Any) -> None:
    """SIGUSR2 (bench/soak.py): a full collection, then how many objects are alive, by
    type, written to the log; two of them apart tell what stays behind."""
    import json
    from collections import Counter

    started = time.perf_counter()
    collected = gc.collect()
    objects = gc.get_objects()
    by_type = Counter(type(o).__name__ for o in objects)
    sys.stderr.write(
        f"GC-FULL collected={collected} objects={len(objects)} "
        f"ms={1000 * (time.perf_counter() - started):.0f} at={time.monotonic():.3f}\n"
        f"GC-TYPES {json.dumps(dict(by_type.most_common(60)))}\n"
    )
    sys.stderr.flush()


def main() -> None:
    import signal

    gc.callbacks.append(_on_gc)
    signal.signal(signal.SIGUSR2, _census)
    if os.environ.get("XEPHANG_BENCH_TRACEMALLOC"):
        _tracemalloc(Path(os.environ["XEPHANG_BENCH_TRACEMALLOC"]))
    from server.entry import main as xephang

    sys.argv = ["xephang", *sys.argv[1:]]
    if (
        os.environ.get("XEPHANG_BENCH_GC")
        or os.environ.get("XEPHANG_BENCH_MAX_SIZE")
        or os.environ.get("XEPHANG_BENCH_PUBLISH")
        or os.environ.get("XEPHANG_BENCH_STATES")
        or os.environ.get("XEPHANG_BENCH_CHANGES")
    ):
        # entry.main() monkey-patches eventlet first: flask_socketio may be imported (and
        # SocketIO.run wrapped) only after that.
        _install_after_patch()
    xephang()


def _install_after_patch() -> None:
    """Hook _what_if() in once eventlet has patched the standard library: wrap
    eventlet.monkey_patch so that it runs right after it."""
    import eventlet

    patch = eventlet.monkey_patch

    def patched(*args: Any, **kwargs: Any) -> Any:
        result = patch(*args, **kwargs)
        _what_if()
        return result

    eventlet.monkey_patch = patched


if __name__ == "__main__":
    main()
