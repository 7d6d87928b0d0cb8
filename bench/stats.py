"""Benchmark 5: the managers' statistics over a year of history, about 1,000,000 tickets.

    .venv/bin/python bench/stats.py                    # 8 sites x 365 days, ~1M tickets
    .venv/bin/python bench/stats.py --quick            # 2 sites x 30 days, ~5,000 tickets
    .venv/bin/python bench/stats.py --no-postgres      # SQLite only

For each database (a fresh SQLite file, then a fresh PostgreSQL database
`xephang_bench_<random>_stats` on 127.0.0.1, dropped at the end even after an error):

1. fill it with `bench.history.fill` (the code of `python -m bench.history`): the sites, their
   tickets and ratings by Core executemany, then `statistics.rebuild` once; the fill time
   (insert and rebuild apart), the tickets per second, the database's size, the number of
   roll-up rows and the process's peak RSS;
2. time the statistics of a year (365 days ending on the last day) and of a month (the 30
   days ending on it), for one site and for all sites: `statistics.report(...)` in-process
   (a read session each time, as a request would open), and the JSON endpoint
   `GET /api/statistics?site=<id|all>&from=...&to=...` through Flask's test client signed
   in as a manager (threading mode, no HTTP server: the view, the report and the JSON),
   if the route exists. Median and p95 of --runs runs after two warm-up runs; the goal is
   under 500 ms. A case that misses it is profiled once with cProfile (top functions by
   own time, and the share spent inside the database driver);
3. the incremental upkeep: issue, call, start and finish a ticket at a site with a year
   of history, against the same site in an empty database, alternating between the two,
   with the part of each step spent keeping the roll-ups (statistics.add): the ratio
   says whether a ticket's steps slow down as the history grows, and why.

`--reuse-sqlite FILE` / `--reuse-postgres URL` time a database filled by an earlier run
(kept with `--keep`) without filling it again.

Output: Markdown tables on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import pstats
import resource
import secrets
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import time as dt_time
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    POSTGRES_URL,
    ROOT,
    log,
    md_table,
    percentile,
    print_header,
    workdir,
)

GOAL_MS = 500.0
END = date(2026, 11, 25)  # a fixed last day: the same calendar (holidays, Tết) every run


@dataclass
class Filled:
    """A database with history, and what the fill measured."""

    backend: str
    url: str
    sites: list[tuple[int, str]]
    first: date
    last: date
    tickets: int = 0
    ratings: int = 0
    insert_s: float = 0.0
    rebuild_s: float = 0.0
    size_mib: float = 0.0
    rollup_rows: int = 0
    peak_rss_mib: float = 0.0
    note: str = ""


@dataclass
class Case:
    name: str
    site_ids: list[int] | None
    site_param: str
    first: date
    last: date
    report_ms: list[float] = field(default_factory=list)
    http_ms: list[float] = field(default_factory=list)
    http_kb: float = 0.0


# -- filling -------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def database_size_mib(url: str) -> float:
    from sqlalchemy import create_engine, make_url, text

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        engine = create_engine(url)
        with engine.connect() as connection:  # fold the WAL in first: the file is all of it
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 2**20
    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return float(size or 0) / 2**20


def fill(backend: str, url: str, args: argparse.Namespace) -> Filled:
    from sqlalchemy import func, select

    from bench import history
    from server.adapters.db.engine import Database
    from server.adapters.db.migrate import upgrade
    from server.adapters.db.models import ticket_stats

    upgrade(url)
    db = Database(url)
    log(
        f"{backend}: filling {args.sites} sites x {args.days} days x {args.per_day} a day "
        f"(about {history.expected_tickets(args.sites, args.days, args.per_day, END):,.0f} "
        "first tickets)"
    )
    made = history.fill(
        db, args.sites, args.days, args.per_day, seed=args.seed, end=END, progress=log
    )
    gc.collect()
    with db.reading() as session:
        rollups = session.scalar(select(func.count()).select_from(ticket_stats)) or 0
    db.dispose()
    filled = Filled(
        backend=backend,
        url=url,
        sites=made.sites,
        first=made.first,
        last=made.last,
        tickets=made.tickets,
        ratings=made.ratings,
        insert_s=made.insert_seconds,
        rebuild_s=made.rebuild_seconds,
        size_mib=database_size_mib(url),
        rollup_rows=rollups,
        peak_rss_mib=peak_rss_mib(),
    )
    log(
        f"{backend}: {filled.tickets:,} tickets in {filled.insert_s:.0f} s + rebuild "
        f"{filled.rebuild_s:.0f} s; {filled.size_mib:,.0f} MiB; {rollups:,} roll-up rows"
    )
    return filled


def reuse(backend: str, url: str) -> Filled:
    """A database filled by an earlier run (--reuse-sqlite / --reuse-postgres)."""
    from sqlalchemy import func, select

    from server.adapters.db.engine import Database
    from server.adapters.db.models import Site, Ticket, TicketRating, ticket_stats

    db = Database(url)
    with db.reading() as session:
        sites = [
            (s.id, s.code)
            for s in session.scalars(select(Site).where(Site.code.like("hist-%")).order_by(Site.id))
        ]
        first = session.scalar(select(func.min(Ticket.day))) or END
        filled = Filled(
            backend=backend,
            url=url,
            sites=sites,
            first=first,
            last=END,  # as the fill made it (the upkeep adds a few tickets of today)
            tickets=session.scalar(select(func.count()).select_from(Ticket)) or 0,
            ratings=session.scalar(select(func.count()).select_from(TicketRating)) or 0,
            rollup_rows=session.scalar(select(func.count()).select_from(ticket_stats)) or 0,
            note="reused (filled by an earlier run)",
        )
    db.dispose()
    filled.size_mib = database_size_mib(url)
    return filled


# -- timing the statistics -----------------------------------------------------------------


def cases(filled: Filled) -> list[Case]:
    last = filled.last
    one = filled.sites[0][0]
    year, month = last - timedelta(days=364), last - timedelta(days=29)
    return [
        Case("year, one site", [one], str(one), year, last),
        Case("year, all sites", None, "all", year, last),
        Case("month, one site", [one], str(one), month, last),
        Case("month, all sites", None, "all", month, last),
    ]


def manager_client(url: str, folder: Path) -> tuple[Any, bool]:
    """Flask's test client of the app on `url`, signed in as a new manager; and whether
    GET /api/statistics exists."""
    from sqlalchemy import select

    from server.adapters.db.engine import Database
    from server.adapters.db.models import Site, User
    from server.app import create_app
    from server.config import Config
    from server.domain.roles import Role
    from server.services.credentials import hash_password

    username, password = f"bench-{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(12)
    db = Database(url)
    with db.write_session() as session, session.begin():
        session.add(
            User(
                username=username,
                full_name="Benchmark",
                role=Role.MANAGER,
                password_hash=hash_password(password),
                sites=list(session.scalars(select(Site))),  # a manager of every site
            )
        )
    db.dispose()
    instance = folder / f"instance-{uuid.uuid4().hex[:6]}"
    instance.mkdir(parents=True)
    config = Config(
        instance_path=instance,
        database_url=url,
        secret_key=secrets.token_hex(16),
        async_mode="threading",
        sweep_seconds=0,
    )
    app = create_app(config)
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    if marker not in page:
        marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    token = page[start : page.index('"', start)]
    answer = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"manager sign-in failed: {answer.status_code}")
    return client, "/api/statistics" in routes


@contextlib.contextmanager
def statements() -> Iterator[list[float]]:
    """Seconds spent inside the database driver, per statement, by any engine of this
    process (the app's included) while inside the block."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    engine = Engine

    spent: list[float] = []
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        spent.append(time.perf_counter() - started.pop())

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def time_reports(filled: Filled, folder: Path, args: argparse.Namespace) -> tuple[list[Case], str]:
    from server.adapters.db.engine import Database
    from server.services import statistics

    db = Database(filled.url)
    client, has_route = manager_client(filled.url, folder)
    found = []
    for case in cases(filled):

        def report(case: Case = case) -> Any:
            with db.reading() as session:
                return statistics.report(session, case.site_ids, case.first, case.last)

        query = f"site={case.site_param}&from={case.first}&to={case.last}"

        def http(query: str = query) -> Any:
            answer = client.get(f"/api/statistics?{query}")
            if answer.status_code != 200:
                raise RuntimeError(f"/api/statistics?{query}: {answer.status_code}")
            return answer

        for _ in range(2):
            report()
            if has_route:
                http()
        gc.collect()
        for _ in range(args.runs):
            started = time.perf_counter()
            report()
            case.report_ms.append((time.perf_counter() - started) * 1000)
            if has_route:
                started = time.perf_counter()
                answer = http()
                case.http_ms.append((time.perf_counter() - started) * 1000)
                case.http_kb = len(answer.get_data()) / 1024
        log(
            f"{filled.backend}, {case.name}: report p50 {percentile(case.report_ms, 50):.0f} ms"
            + (f", HTTP p50 {percentile(case.http_ms, 50):.0f} ms" if has_route else "")
        )
        worst = max(percentile(case.report_ms, 50), _p(case.http_ms, 50))
        if worst > GOAL_MS or args.profile:
            profile_case(filled, case, http if has_route else report)
        found.append(case)
    db.dispose()
    note = "" if has_route else "GET /api/statistics does not exist in this tree: not timed."
    return found, note


_PROFILES: list[str] = []


def profile_case(filled: Filled, case: Case, run: Callable[[], Any]) -> None:
    """One run under cProfile, and the share of its wall time inside the database driver."""
    with statements() as spent:
        started = time.perf_counter()
        run()
        wall = time.perf_counter() - started
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (filename, line, function), (_, calls, own, inclusive, _) in stats.stats.items():  # type: ignore[attr-defined]
        total += own
        rows.append((own, inclusive, calls, f"{function} ({_short(filename)}:{line})"))
    rows.sort(reverse=True)
    lines = [
        f"### cProfile: {filled.backend}, {case.name} "
        f"(unprofiled {wall * 1000:.0f} ms, of which {sum(spent) * 1000:.0f} ms inside the "
        f"database driver, {len(spent)} statements)\n",
        md_table(
            ["function", "own ms", "inclusive ms", "calls", "share of own time"],
            [
                (name, f"{own * 1000:.1f}", f"{inc * 1000:.1f}", calls, f"{own / total:.0%}")
                for own, inc, calls, name in rows[:15]
            ],
        ),
        "",
    ]
    _PROFILES.append("\n".join(lines))


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return Path(filename).name


# -- incremental upkeep --------------------------------------------------------------------


Upkeep = tuple[str, float, float, float, float, float]  # step, ms and roll-up ms x 2, ratio


def upkeep(filled: Filled, empty_url: str, rounds: int) -> list[Upkeep]:
    """Issue, call, start and finish one ticket at a time at hist-01 in the filled database
    and at the same site in an empty one, alternating; the median ms of each step in each,
    and of the part spent in statistics.add (the roll-ups), timed by a wrapper around it."""
    from sqlalchemy import select, update

    from server.adapters.db.engine import Database
    from server.adapters.db.models import Counter, Service, Site, User
    from server.services.counters import open_counter
    from server.services.statistics import rollups
    from server.services.tickets import call_next, finish, issue_ticket, start_serving
    from server.services.unit_of_work import UnitOfWork

    def setting(url: str) -> tuple[UnitOfWork, int, int, int, int]:
        db = Database(url)
        with db.reading() as session:
            site = session.scalars(select(Site).where(Site.code == "hist-01")).one()
            counter = session.scalars(
                select(Counter).where(Counter.site_id == site.id, Counter.number == 1)
            ).one()
            clerk = session.scalars(select(User).where(User.username == "hist-01-canbo1")).one()
            service = session.scalars(
                select(Service).where(Service.site_id == site.id, Service.code == "HT")
            ).one()
        # The upkeep is measured at whatever hour the benchmark runs: the site issues
        # around the clock (issuing is refused outside opening hours).
        with db.write_session() as session, session.begin():
            session.execute(
                update(Site)
                .where(Site.id == site.id)
                .values(opens_at=dt_time(0, 0), closes_at=dt_time.max)
            )
        uow = UnitOfWork(db)
        open_counter(uow, counter.id, clerk.id)
        return uow, site.id, service.id, counter.id, clerk.id

    in_rollups = [0.0]
    add = rollups.add

    def timed_add(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        try:
            add(*args, **kwargs)
        finally:
            in_rollups[0] += time.perf_counter() - started

    settings = {"history": setting(filled.url), "empty": setting(empty_url)}
    times: dict[tuple[str, str], list[float]] = {}
    spent: dict[tuple[str, str], list[float]] = {}
    rollups.add = timed_add  # measuring only: the same function, with a stopwatch
    try:
        for round_ in range(rounds + 3):
            for name, (uow, site_id, service_id, counter_id, clerk_id) in settings.items():
                steps: list[tuple[str, Callable[[], Any]]] = [
                    ("issue_ticket", partial(issue_ticket, uow, site_id, service_id)),
                    ("call_next", partial(call_next, uow, counter_id, clerk_id)),
                    ("start_serving", partial(start_serving, uow, counter_id, clerk_id)),
                    ("finish", partial(finish, uow, counter_id, clerk_id)),
                ]
                for step, action in steps:
                    in_rollups[0] = 0.0
                    started = time.perf_counter()
                    action()
                    if round_ >= 3:  # warm-up excluded
                        times.setdefault((name, step), []).append(time.perf_counter() - started)
                        spent.setdefault((name, step), []).append(in_rollups[0])
    finally:
        rollups.add = add
    for uow, *_ in settings.values():
        uow.db.dispose()

    def ms(which: dict[tuple[str, str], list[float]], name: str, step: str) -> float:
        return percentile(which[(name, step)], 50) * 1000

    return [
        (
            step,
            ms(times, "history", step),
            ms(spent, "history", step),
            ms(times, "empty", step),
            ms(spent, "empty", step),
            ms(times, "history", step) / ms(times, "empty", step),
        )
        for step in ("issue_ticket", "call_next", "start_serving", "finish")
    ]


def empty_like(url: str) -> None:
    """The same kind of site with no tickets: a one-day fill ending on a Sunday."""
    from bench import history
    from server.adapters.db.engine import Database
    from server.adapters.db.migrate import upgrade

    upgrade(url)
    db = Database(url)
    sunday = END - timedelta(days=(END.weekday() + 1) % 7)
    made = history.fill(db, 1, 1, 150, end=sunday)
    assert made.tickets == 0
    db.dispose()


# -- the report ----------------------------------------------------------------------------


def print_report(
    fills: list[Filled],
    timed: dict[str, list[Case]],
    notes: list[str],
    upkeeps: dict[str, list[Upkeep]],
    args: argparse.Namespace,
) -> None:
    print(
        f"### Fill ({args.sites} sites x {args.days} days ending {END}, {args.per_day} tickets "
        f"on an average weekday per site, seed {args.seed}" + ")\n"
    )
    print(
        md_table(
            [
                "database",
                "tickets",
                "ratings",
                "insert s",
                "rebuild s",
                "total s",
                "tickets / s (insert)",
                "size MiB",
                "roll-up rows",
                "peak RSS MiB (process, so far)",
            ],
            [
                (
                    f.backend + (f" ({f.note})" if f.note else ""),
                    f.tickets,
                    f.ratings,
                    f"{f.insert_s:.1f}",
                    f"{f.rebuild_s:.1f}",
                    f"{f.insert_s + f.rebuild_s:.1f}",
                    f"{f.tickets / f.insert_s:,.0f}" if f.insert_s else "-",
                    f"{f.size_mib:,.0f}",
                    f.rollup_rows,
                    f"{f.peak_rss_mib:,.0f}" if f.peak_rss_mib else "-",
                )
                for f in fills
            ],
        )
    )
    print(
        f"\n### Statistics page: median and p95 of {args.runs} runs (goal: under {GOAL_MS:.0f} "
        "ms)\n"
    )
    rows = []
    for backend, found in timed.items():
        for case in found:
            worst = max(percentile(case.report_ms, 50), _p(case.http_ms, 50))
            worst95 = max(percentile(case.report_ms, 95), _p(case.http_ms, 95))
            rows.append(
                (
                    backend,
                    case.name,
                    f"{case.first} to {case.last}",
                    f"{percentile(case.report_ms, 50):.0f}",
                    f"{percentile(case.report_ms, 95):.0f}",
                    f"{percentile(case.http_ms, 50):.0f}" if case.http_ms else "-",
                    f"{percentile(case.http_ms, 95):.0f}" if case.http_ms else "-",
                    f"{case.http_kb:,.0f}" if case.http_ms else "-",
                    _verdict(worst),
                    _verdict(worst95),
                )
            )
    print(
        md_table(
            [
                "database",
                "case",
                "days",
                "report() p50 ms",
                "report() p95 ms",
                "GET /api/statistics p50 ms",
                "p95 ms",
                "JSON KB",
                "goal on the worse p50",
                "on the worse p95",
            ],
            rows,
        )
    )
    for note in notes:
        print(f"\n{note}")
    if upkeeps:
        print(
            f"\n### Incremental upkeep: one ticket's steps at hist-01 with its {args.days} days of "
            "history vs the same site in an empty database (median of "
            f"{args.upkeep_rounds}, alternating)\n"
        )
        print(
            md_table(
                [
                    "database",
                    "step",
                    "with history ms",
                    "of which roll-ups",
                    "empty ms",
                    "of which roll-ups",
                    "ratio",
                ],
                [
                    (
                        backend,
                        step,
                        f"{a:.2f}",
                        f"{a_r:.2f}",
                        f"{b:.2f}",
                        f"{b_r:.2f}",
                        f"{x:.2f} x",
                    )
                    for backend, found in upkeeps.items()
                    for step, a, a_r, b, b_r, x in found
                ],
            )
        )
    for profile in _PROFILES:
        print()
        print(profile)
    print(flush=True)


def _p(values: list[float], p: float) -> float:
    """A percentile, 0 when nothing was timed (no such route)."""
    return percentile(values, p) if values else 0.0


def _verdict(ms: float) -> str:
    return "met" if ms <= GOAL_MS else f"missed by {ms - GOAL_MS:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 sites x 30 days, 5 runs")
    parser.add_argument("--sites", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--per-day", type=int, help="default: whatever makes ~1M tickets")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="aim (full run)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, help="timed runs per case (default 20)")
    parser.add_argument("--upkeep-rounds", type=int, help="tickets per database (default 40)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile every case")
    parser.add_argument("--reuse-sqlite", help="a SQLite file filled by an earlier run")
    parser.add_argument("--reuse-postgres", help="a PostgreSQL URL filled by an earlier run")
    parser.add_argument("--keep", action="store_true", help="keep the databases (drop by hand)")
    args = parser.parse_args()

    from bench import history

    args.sites = args.sites or (2 if args.quick else 8)
    args.days = args.days or (30 if args.quick else 365)
    if args.per_day is None:
        if args.quick:
            args.per_day = 100
        else:  # transfers add about 2 % more ticket rows than first tickets
            per_one = history.expected_tickets(args.sites, args.days, 1, END) * 1.02
            args.per_day = round(args.tickets / per_one)
    args.runs = args.runs or (5 if args.quick else 20)
    args.upkeep_rounds = args.upkeep_rounds or (10 if args.quick else 40)

    print_header("Benchmark 5: statistics over a year of history")
    fills: list[Filled] = []
    timed: dict[str, list[Case]] = {}
    notes: list[str] = []
    upkeeps: dict[str, list[Upkeep]] = {}
    with workdir(args.keep) as folder, contextlib.ExitStack() as cleanup:
        targets: list[tuple[str, str, bool]] = []  # (database, URL, filled by an earlier run)
        if not args.no_sqlite:
            if args.reuse_sqlite:
                targets.append(("SQLite", f"sqlite:///{Path(args.reuse_sqlite).resolve()}", True))
            else:
                targets.append(("SQLite", f"sqlite:///{folder / 'stats.db'}", False))
        postgres = None
        if not args.no_postgres:
            try:
                from tests.databases import PostgresDatabases

                postgres = PostgresDatabases(POSTGRES_URL)
                postgres.prefix = f"xephang_bench_{uuid.uuid4().hex[:8]}"
                if args.keep:
                    cleanup.callback(log, f"kept PostgreSQL databases {postgres.prefix}_*")
                else:
                    cleanup.callback(postgres.drop_all)
                    cleanup.callback(log, f"dropping PostgreSQL databases {postgres.prefix}_*")
                if args.reuse_postgres:
                    targets.append(("PostgreSQL", args.reuse_postgres, True))
                else:
                    targets.append(("PostgreSQL", postgres.new("stats"), False))
            except Exception as error:
                log(f"PostgreSQL unavailable, skipped: {error}")
                notes.append(f"> PostgreSQL skipped: {error}")
        for backend, url, reused in targets:
            try:
                filled = reuse(backend, url) if reused else fill(backend, url, args)
            except Exception as error:  # reported, and the next database is measured
                message = str(error).splitlines()[0][:300]
                log(f"{backend}: the fill failed: {message}")
                notes.append(f"> {backend}: the fill failed ({type(error).__name__}): {message}")
                continue
            fills.append(filled)
            found, note = time_reports(filled, folder, args)
            timed[backend] = found
            if note and note not in notes:
                notes.append(note)
            if postgres is not None and backend == "PostgreSQL":
                empty_url = postgres.new("empty")
            else:
                empty_url = f"sqlite:///{folder / 'empty.db'}"
            empty_like(empty_url)
            upkeeps[backend] = upkeep(filled, empty_url, args.upkeep_rounds)
            gc.collect()
        print_report(fills, timed, notes, upkeeps, args)


if __name__ == "__main__":
    main()
