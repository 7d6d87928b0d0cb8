"""Benchmark 8: a province on two workers (PostgreSQL + Redis): 100 sites, 5,000 phones, 8
calls a second for 5 minutes. Every phone and board concerned holds each call within how
long; any error, any refused phone?

    .venv/bin/python bench/province.py            # 100 sites, 50 phones each, 8 calls/s
                                                  # for 300 s; ~12 min with the set-up
    .venv/bin/python bench/province.py --quick    # 20 sites x 20 phones, 4 calls/s, 40 s

What runs, all on 127.0.0.1, started and stopped here:
- a throwaway PostgreSQL database (`xephang_bench_<random>_province`, dropped at the end)
  holding `--sites` sites laid out like the demo centre (its six services and six
  counters, open), each with a clerk of its own working all six counters, a board and a
  kiosk, and `--phones` waiting tickets per site across the services (the mix of
  bench/ward.py), issued in-process before the servers start;
- two `xephang serve` workers on it, with Flask-SocketIO's message queue on the local Redis
  (a channel of their own), the shipped rate limits (a refused phone shows as a 429);
- the screens (bench/screens.py, in `--processes` client processes): one phone per waiting
  ticket and a board per site, split between the workers (phone i and board i on worker
  i % 2), doing what the pages do (snapshot on connect, then the pushed payloads);
- the clerks (this process, aiohttp; each site's clerk on one worker, sites alternating):
  every 1/`--rate` s the next counter in turn (sites interleaved) calls the next citizen,
  then starts and finishes serving 0.5 s apart, each action followed by the clerk page's
  refetch of its counter's snapshot.

Measured as in bench/ward.py: from t0 (just before `POST call-next`) to each board of the
site holding a state showing the call, each phone of the called service holding a queue
without the called number, and the called ticket's phone holding its view "called". Also
the CPU of the workers, of their PostgreSQL backends, of Redis and of the clients, errors,
refused or lost connections, fetches after connect.

This 2-core machine runs both workers, PostgreSQL, Redis and every client: 5,000
websockets are cheap to hold but each fan-out's frames are parsed by Python clients on the
same cores the workers need, so the figures are an upper bound of what the workers alone
would show (the report prints who used the CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import time as dt_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    POSTGRES_URL,
    REDIS_URL,
    Centre,
    Profile,
    Servers,
    gc_pauses,
    log,
    md_table,
    print_header,
    raise_fd_limit,
    redis_channel,
    settle,
    start_xephang,
    summarise,
    workdir,
)
from screens import ScreenFleet
from ward import (
    LATENCY_HEADERS,
    SHIPPED_LIMITS,
    Clerk,
    ClerkAtCounter,
    Outcome,
    Phone,
    board_screen,
    drive,
    issue_waiting,
    latencies,
    latency_rows,
    phone_screen,
    print_details,
)
from workers import CpuSampler


@dataclass
class Province:
    url: str
    site_ids: list[int]
    board_tokens: dict[int, str]  # by site
    clerks: list[Clerk]  # one per counter: a site's counters share its clerk's account
    phones: list[Phone]


def build_province(url: str, sites: int, phones: int, seed: int) -> Province:
    """`sites` sites like the demo centre, counters open, a clerk, a board and a kiosk
    each, and `phones` waiting tickets per site."""
    from server.adapters.db.engine import Database
    from server.adapters.db.migrate import upgrade
    from server.adapters.db.models import Device, Site, User
    from server.cli.demo import COUNTERS, add_services, new_counter
    from server.domain.roles import CounterState, DeviceKind, Role
    from server.services.credentials import hash_password, new_device_token, token_hash

    upgrade(url)
    db = Database(url)
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    province = Province(url, [], {}, [], [])
    with db.write_session() as session, session.begin():
        for index in range(1, sites + 1):
            site = Site(
                code=f"bench-{index:03d}",
                name=f"Trung tâm Phục vụ hành chính công số {index} (thử tải / benchmark)",
                timezone="Asia/Ho_Chi_Minh",
                # Open around the clock: the benchmark may run at any hour.
                opens_at=dt_time(0, 0),
                closes_at=dt_time.max,
            )
            session.add(site)
            session.flush()
            services = add_services(session, site)
            counters = [
                new_counter(site, number, label, main, secondary, services)
                for number, (label, main, secondary) in COUNTERS.items()
            ]
            for counter in counters:
                counter.state = CounterState.OPEN
            session.add_all(counters)
            session.flush()
            username = f"bench-canbo-{index:03d}"
            clerk = User(
                username=username,
                full_name=f"Cán bộ thử {index}",
                role=Role.CLERK,
                password_hash=password_hash,
                counters=counters,
            )
            session.add(clerk)
            board_token = new_device_token()
            session.add_all(
                [
                    Device(
                        site_id=site.id,
                        kind=DeviceKind.BOARD,
                        name="Màn hình sảnh",
                        token_hash=token_hash(board_token),
                    ),
                    Device(
                        site_id=site.id,
                        kind=DeviceKind.KIOSK,
                        name="Kiosk sảnh",
                        token_hash=token_hash(new_device_token()),
                    ),
                ]
            )
            session.flush()
            for counter in counters:
                counter.clerk_id = clerk.id
                province.clerks.append(
                    Clerk(
                        username,
                        password,
                        counter.id,
                        tuple(link.service_id for link in counter.service_links),
                        site.id,
                    )
                )
            province.site_ids.append(site.id)
            province.board_tokens[site.id] = board_token
    rng = random.Random(seed)
    with db.reading() as session:
        from sqlalchemy import select

        from server.adapters.db.models import Service

        by_site: dict[int, dict[str, int]] = {}
        for service in session.scalars(select(Service)):
            by_site.setdefault(service.site_id, {})[service.code] = service.id
    for number, site_id in enumerate(province.site_ids, start=1):
        province.phones += issue_waiting(db, site_id, by_site[site_id], phones, rng)
        if number % 10 == 0:
            log(f"  {number} sites filled ({len(province.phones):,} waiting tickets)")
    db.dispose()
    return province


SAMPLED: dict[str, float] = {}  # CPU over the calls, by group (workers.py's CpuSampler)
PROFILES: list[Path] = []


def interleaved(clerks: list[Clerk]) -> list[Clerk]:
    """Counter 1 of every site, then counter 2 of every site, ...: calls go round the
    sites rather than through one site's counters in a row."""
    by_site: dict[int, list[Clerk]] = {}
    for clerk in clerks:
        by_site.setdefault(clerk.site_id, []).append(clerk)
    rounds = max(len(c) for c in by_site.values())
    return [site[i] for i in range(rounds) for site in by_site.values() if i < len(site)]


async def _run(
    args: argparse.Namespace, urls: list[str], pids: list[int], province: Province, fleet: Any
) -> Outcome:
    loop = asyncio.get_running_loop()
    worker_of = {site_id: i % len(urls) for i, site_id in enumerate(province.site_ids)}
    signed_in: dict[int, ClerkAtCounter] = {}
    clerks = []
    try:
        for clerk in interleaved(province.clerks):
            at = ClerkAtCounter(clerk, urls[worker_of[clerk.site_id]])
            first = signed_in.get(clerk.site_id)
            if first is None:
                await at.sign_in()
                signed_in[clerk.site_id] = at
            else:
                at.same_browser(first)
            clerks.append(at)
        log(f"{len(signed_in)} clerks signed in, for {len(clerks)} counters")
        specs = [
            board_screen(province.board_tokens[site_id], i)
            for i, site_id in enumerate(province.site_ids)
        ]
        specs += [phone_screen(phone, i) for i, phone in enumerate(province.phones)]
        ok, failed, seconds = await loop.run_in_executor(None, fleet.connect, specs, args.parallel)
        log(f"{ok} screens connected ({failed} failed) in {seconds:.1f} s")
        _, connect_counts = await loop.run_in_executor(None, fleet.status)
        for pid in pids:
            await loop.run_in_executor(None, settle, pid, 0.05, 30)
        cpu_server = sum(_cpu(pid) for pid in pids)
        cpu_clients = fleet.cpu_seconds()
        calls = args.warmup_calls + round(args.rate * args.duration)
        started = time.monotonic()
        profile = None
        if args.profile:
            profile = Profile(pids[0], Path(args.profile_dir or ".") / "province-worker-1.txt")
            profile.__enter__()
        try:
            with CpuSampler(pids, province.url.rsplit("/", 1)[1]) as sampler:
                activity = await drive(
                    clerks, [], [], calls, 1 / args.rate, args.kiosk_interval, args.pause, args.seed
                )
                await asyncio.sleep(args.drain)
        finally:
            if profile is not None:
                profile.__exit__(None, None, None)
                PROFILES.append(profile.out)
        seconds = time.monotonic() - started
        SAMPLED.update(sampler.used)
        arrivals, counts, live = await loop.run_in_executor(None, fleet.results)
        return Outcome(
            activity,
            arrivals,
            counts,
            connect_counts,
            live,
            started,
            seconds,
            sum(_cpu(pid) for pid in pids) - cpu_server,
            fleet.cpu_seconds() - cpu_clients,
        )
    finally:
        for at in clerks:
            await at.close()


def _cpu(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sites", type=int, help="sites (100; quick 20)")
    parser.add_argument("--phones", type=int, help="waiting tickets with a phone, per site (50)")
    parser.add_argument("--rate", type=float, help="calls a second (8; quick 4)")
    parser.add_argument("--duration", type=float, help="seconds of calls (300; quick 40)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup-calls", type=int, default=16)
    parser.add_argument("--pause", type=float, default=0.5, help="call, start, finish spacing")
    parser.add_argument("--kiosk-interval", type=float, default=60 / 28)
    parser.add_argument("--drain", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--parallel", type=int, default=20, help="connects at a time, each")
    parser.add_argument("--goal", type=float, default=500.0, help="p99 goal, ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--psycopg-wait",
        help="what-if: PSYCOPG_WAIT_FUNC for the workers (they use wait_select, waiting "
        "through eventlet; wait_c is psycopg's own blocking wait, as before issue 12)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on worker 1")
    parser.add_argument("--profile-dir")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.sites = args.sites or (20 if args.quick else 100)
    args.phones = args.phones or (20 if args.quick else 50)
    args.rate = args.rate or (4.0 if args.quick else 8.0)
    args.duration = args.duration or (40.0 if args.quick else 300.0)
    raise_fd_limit()
    print_header("Benchmark 8: a province on two workers (PostgreSQL + Redis)")

    from tests.databases import PostgresDatabases

    databases = PostgresDatabases(POSTGRES_URL)
    databases.prefix = f"xephang_bench_{uuid.uuid4().hex[:8]}"
    try:
        with workdir(args.keep) as folder:
            url = databases.new("province")
            log(f"building the province: {args.sites} sites x {args.phones} waiting tickets")
            started = time.monotonic()
            province = build_province(url, args.sites, args.phones, args.seed)
            log(f"built in {time.monotonic() - started:.0f} s")
            centre = Centre(url, "", "", {}, province.site_ids[0], {}, {})
            env = {
                **SHIPPED_LIMITS,
                "XEPHANG_MESSAGE_QUEUE": REDIS_URL,
                "XEPHANG_MESSAGE_QUEUE_CHANNEL": redis_channel(),
                **({"PSYCOPG_WAIT_FUNC": args.psycopg_wait} if args.psycopg_wait else {}),
            }
            with Servers() as servers:
                workers = [
                    servers.add(start_xephang(f"province-{i}", folder, centre, env, gc_log=True))
                    for i in range(args.workers)
                ]
                urls = [w.url for w in workers]
                with ScreenFleet(urls, args.processes) as fleet:
                    outcome = asyncio.run(
                        _run(args, urls, [w.pid for w in workers], province, fleet)
                    )
                for worker in workers:
                    outcome.pauses += gc_pauses(
                        worker, outcome.started, outcome.started + outcome.seconds
                    )
    finally:
        databases.drop_all()
        log(f"dropped PostgreSQL databases {databases.prefix}_*")
    measured = outcome.activity.calls[args.warmup_calls :]
    boards = dict.fromkeys(province.site_ids, 1)
    found = latencies(measured, outcome.arrivals, boards, province.phones)
    print(
        f"### A province: {args.workers} workers, PostgreSQL + Redis, {args.sites} sites, "
        f"{len(province.phones):,} phones, {args.sites} boards\n"
    )
    rate = len(measured) / max(1e-9, measured[-1].t0 - measured[0].t0) if measured else 0.0
    print(
        f"{len(measured):,} measured calls (after {args.warmup_calls} warm-up calls) at "
        f"{rate:.1f} a second over {args.duration:g} s, each followed by start and finish "
        f"{args.pause:g} s apart.\n"
    )
    print(md_table(LATENCY_HEADERS, latency_rows("province", found)))
    print()
    print_details(args.goal, outcome.activity, measured, found, outcome)
    print(
        "CPU over the calls (100 % = one core): "
        + ", ".join(f"{group} {100 * used:.0f} %" for group, used in SAMPLED.items())
        + "\n"
    )
    refused = {k: v for k, v in outcome.counts.items() if k[0] in ("refused", "http")}
    print(f"Refused or failed requests and connections of screens: {refused or 'none'}\n")
    for path in PROFILES:
        inclusive, own = summarise(path, top=30)
        print(f"### py-spy on worker 1 during the calls ({path.name})\n")
        print(inclusive + "\n\n" + own + "\n", flush=True)


if __name__ == "__main__":
    main()
