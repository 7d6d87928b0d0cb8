"""Benchmark 9: a soak. A ward's simulated day on one worker for `--minutes`: does the
worker's memory stay flat, and its latency with it?

    .venv/bin/python bench/soak.py --minutes 25     # the bounded run of docs/BENCHMARKS.md
    .venv/bin/python bench/soak.py --minutes 240    # the several hours the issue asks for
    .venv/bin/python bench/soak.py --quick          # 3 minutes, to try it

What runs, all on 127.0.0.1: the ward of bench/ward.py (20 counters, a clerk signed in at
each, 10 boards, both kiosks' screens, the clerks' screens) on one `xephang serve`
(SQLite, GC pauses logged), starting with `--phones` waiting tickets each followed by a
phone, and then, for the whole run, a steady hall:
- both kiosks issue a ticket every `--kiosk-interval` s each (7 s: 514 an hour, under the
  shipped limit of 600 an hour per kiosk), and each new ticket's citizen opens its phone
  page at once (a new phone connects and fetches its snapshot);
- every `--interval` s the next free counter calls, starts and finishes (0.5 s apart, each
  action with the clerk page's refetch); the citizen's phone closes `--linger` s after the
  finish (connections come and go all day, as they do in a hall);
- every 10 s the worker's resident memory (VmRSS), CPU and open connections are sampled.

The report gives, per `--window` minutes, the calls, the latency from a call to every
phone and board concerned holding the new state (as bench/ward.py measures it), the RSS
and the phones connected; then the memory slope: a least-squares line through the RSS
samples after the first `--settle` minutes, in MiB per hour, with the RSS at the start
and the end of that span.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    Servers,
    gc_pauses,
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
from screens import ScreenFleet
from ward import (
    LEFT_QUEUE,
    MIX,
    SHIPPED_LIMITS,
    Activity,
    Call,
    ClerkAtCounter,
    Phone,
    board_screen,
    build_ward,
    counter_screen,
    kiosk_screen,
    latencies,
    open_counters,
    phone_screen,
    serve_one,
    ward_centre,
)


@dataclass
class Sample:
    at: float  # seconds since the start of the run
    rss_mib: float
    cpu_seconds: float
    connections: int
    phones: int


@dataclass
class Hall:
    """What the soak keeps track of while it runs."""

    phones: dict[int, Phone] = field(default_factory=dict)  # by ticket id
    connected: set[str] = field(default_factory=set)  # phone tokens
    # Each phone's connection: (service id, connected at, closed at or infinity).
    spans: dict[str, list[float]] = field(default_factory=dict)
    waiting: dict[int, set[str]] = field(default_factory=dict)  # numbers, by service
    leaving: list[tuple[float, str]] = field(default_factory=list)  # (when, token)
    arrivals: dict[tuple[Any, ...], list[float]] = field(default_factory=dict)
    counts: Counter[tuple[Any, ...]] = field(default_factory=Counter)
    samples: list[Sample] = field(default_factory=list)
    windows: list[tuple[Any, ...]] = field(default_factory=list)
    pending: list[Call] = field(default_factory=list)  # calls whose latencies are not in yet
    censuses: list[Census] = field(default_factory=list)  # at the start and at the end
    rss_after_census: float = 0.0


@dataclass
class Census:
    """A full collection in the worker, then its live objects (bench/serve_traced.py)."""

    at: float
    objects: int
    by_type: dict[str, int]


async def census(server: Any) -> Census:
    """Ask the worker for a census (SIGUSR2) and read it back from its log."""
    import json
    import os
    import signal

    path = Path(server.log_path)
    before = path.read_text(errors="replace").count("GC-FULL ")
    os.kill(server.pid, signal.SIGUSR2)
    for _ in range(600):
        await asyncio.sleep(0.1)
        lines = path.read_text(errors="replace").splitlines()
        fulls = [i for i, line in enumerate(lines) if line.startswith("GC-FULL ")]
        if len(fulls) > before and fulls[-1] + 1 < len(lines):
            fields = dict(p.split("=", 1) for p in lines[fulls[-1]].split()[1:])
            by_type = json.loads(lines[fulls[-1] + 1].removeprefix("GC-TYPES "))
            return Census(float(fields["at"]), int(fields["objects"]), by_type)
    raise TimeoutError("the worker did not answer the census")


async def soak(args: argparse.Namespace, server: Any, ward: Any, fleet: ScreenFleet) -> Hall:
    loop = asyncio.get_running_loop()
    lock = asyncio.Lock()  # one command at a time on the fleet's pipes

    async def fleet_call(method: Any, *call_args: Any) -> Any:
        async with lock:
            return await loop.run_in_executor(None, method, *call_args)

    hall = Hall(phones={p.ticket_id: p for p in ward.phones})
    clerks = [ClerkAtCounter(clerk, server.url) for clerk in ward.clerks]
    for clerk in clerks:
        await clerk.sign_in()
    await open_counters(clerks)
    specs = [counter_screen(c.clerk, c.cookie()) for c in clerks]
    specs += [kiosk_screen(token) for token in ward.kiosk_tokens]
    specs += [board_screen(ward.board_token) for _ in range(args.boards)]
    specs += [phone_screen(phone) for phone in ward.phones]
    ok, failed, seconds = await fleet_call(fleet.connect, specs, 20)
    log(f"{ok} screens connected ({failed} failed) in {seconds:.1f} s")
    hall.connected = {p.token for p in ward.phones}
    now = time.monotonic()
    for phone in ward.phones:
        hall.spans[phone.token] = [phone.service_id, now, float("inf")]
        hall.waiting.setdefault(phone.service_id, set()).add(phone.number)
    await loop.run_in_executor(None, settle, server.pid, 0.05, 30)
    hall.censuses.append(await census(server))

    def phones_at(service_id: int, t0: float) -> int:
        return sum(
            1
            for service, since, until in hall.spans.values()
            if service == service_id and since <= t0 < until
        )

    started = time.monotonic()
    until = started + args.minutes * 60
    activity = Activity()
    tasks: set[asyncio.Task[Any]] = set()

    def spawn(coroutine: Any) -> None:
        task = loop.create_task(coroutine)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def kiosk(token: str, offset: float, rng: random.Random) -> None:
        import aiohttp

        codes, weights = list(MIX), list(MIX.values())
        await asyncio.sleep(offset)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            while time.monotonic() < until:
                begun = time.monotonic()
                body = {"service_id": ward.services[rng.choices(codes, weights)[0]]}
                try:
                    async with http.post(
                        f"{server.url}/api/kiosk/tickets",
                        json=body,
                        headers={"X-Device-Token": token},
                    ) as response:
                        answer = await response.json(content_type=None)
                        status = response.status
                except Exception as error:
                    activity.errors[f"kiosk {type(error).__name__}"] += 1
                else:
                    if status == 201:
                        activity.issued += 1
                        activity.issue_ms.append((time.monotonic() - begun) * 1000)
                        ticket = answer["ticket"]
                        phone = Phone(
                            ticket["ticket_id"],
                            ticket["token"],
                            ticket["number"],
                            ticket["service_id"],
                            ward.site_id,
                        )
                        hall.phones[phone.ticket_id] = phone
                        hall.waiting.setdefault(phone.service_id, set()).add(phone.number)
                        spawn(arrive(phone))
                    else:
                        activity.errors[f"kiosk {status}"] += 1
                await asyncio.sleep(max(0.0, args.kiosk_interval - (time.monotonic() - begun)))

    async def arrive(phone: Phone) -> None:
        waiting = {phone.service_id: set(hall.waiting.get(phone.service_id, ()))}
        await fleet_call(fleet.connect, [phone_screen(phone)], 1, waiting)
        hall.connected.add(phone.token)
        hall.spans[phone.token] = [phone.service_id, time.monotonic(), float("inf")]

    async def counters() -> None:
        turn = 0
        while time.monotonic() < until:
            free = [c for c in clerks if not c.busy]
            if free:
                turn = (turn + 1) % len(free)
                before = len(activity.calls)
                clerk = free[turn]
                spawn(serve_and_leave(clerk, before))
            await asyncio.sleep(args.interval)

    async def serve_and_leave(clerk: ClerkAtCounter, before: int) -> None:
        await serve_one(clerk, activity, args.pause)
        mine = [c for c in activity.calls[before:] if c.counter_id == clerk.clerk.counter_id]
        for call in mine:
            hall.pending.append(call)
            hall.waiting.get(call.service_id, set()).discard(call.number)
            phone = hall.phones.get(call.ticket_id)
            if phone is not None:
                hall.leaving.append((time.monotonic() + args.linger, phone.token))

    async def sampler() -> None:
        import psutil

        process = psutil.Process(server.pid)
        window_start = started
        while time.monotonic() < until + args.drain:
            await asyncio.sleep(10)
            now = time.monotonic()
            due = [token for when, token in hall.leaving if when <= now]
            if due:
                hall.leaving = [(w, t) for w, t in hall.leaving if w > now]
                await fleet_call(fleet.drop, due)
                hall.connected -= set(due)
                for token in due:
                    # A phone closed within 2 s of a call may not have heard it: not counted.
                    hall.spans[token][2] = now - 2
            times = process.cpu_times()
            hall.samples.append(
                Sample(
                    now - started,
                    rss_kb(server.pid) / 1024,
                    times.user + times.system,
                    len(process.net_connections(kind="tcp")),
                    len(hall.connected),
                )
            )
            if now - window_start >= args.window * 60 or now >= until + args.drain - 10:
                await close_window(window_start, now)
                window_start = now

    async def close_window(start: float, end: float) -> None:
        arrivals, counts, _ = await fleet_call(fleet.results, True)
        for key, times in arrivals.items():
            hall.arrivals.setdefault(key, []).extend(times)
        hall.counts.update(counts)
        # The calls old enough for every screen to have answered (or never to).
        done = [c for c in hall.pending if c.t0 < end - 10]
        hall.pending = [c for c in hall.pending if c.t0 >= end - 10]
        phones = [p for p in hall.phones.values()]
        found = latencies(done, hall.arrivals, {ward.site_id: args.boards}, phones, phones_at)
        everything = [x for xs in found.pairs.values() for x in xs]
        sample = hall.samples[-1]
        hall.windows.append(
            (
                f"{(start - started) / 60:.1f}-{(end - started) / 60:.1f}",
                len(done),
                f"{percentile(everything, 50):.0f}",
                f"{percentile(everything, 99):.0f}",
                sum(found.missed.values()),
                f"{sample.rss_mib:.1f}",
                sample.phones,
            )
        )
        log(f"window {hall.windows[-1]}")
        # Forget what those calls left behind: a soak of hours must not grow here either.
        for call in done:
            hall.arrivals.pop(("board", call.ticket_id), None)
            hall.arrivals.pop(("left", call.service_id, call.number), None)
            phone = hall.phones.pop(call.ticket_id, None)
            if phone is not None:
                for status in ("waiting", *LEFT_QUEUE):
                    hall.arrivals.pop(("ticket", phone.token, status), None)
        for token, (_, _, closed) in list(hall.spans.items()):
            if closed < end - 60:
                del hall.spans[token]

    await asyncio.gather(
        *(
            kiosk(token, index * args.kiosk_interval / 2, random.Random(index))
            for index, token in enumerate(ward.kiosk_tokens)
        ),
        counters(),
        sampler(),
    )
    await asyncio.gather(*tasks, return_exceptions=True)
    hall.censuses.append(await census(server))
    hall.rss_after_census = rss_kb(server.pid) / 1024
    for clerk in clerks:
        await clerk.close()
    hall.counts.update(activity.errors)
    log(f"{len(activity.calls)} calls, {activity.issued} tickets issued, {activity.errors}")
    return hall


def slope(samples: list[Sample], after: float) -> tuple[float, float, float, int]:
    """MiB per hour of a least-squares line through the RSS samples taken after `after`
    seconds; and the RSS at the first and last of them, and how many there were."""
    points = [(s.at, s.rss_mib) for s in samples if s.at >= after]
    if len(points) < 3:
        return float("nan"), float("nan"), float("nan"), len(points)
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    covariance = sum((t - mean_t) * (m - mean_m) for t, m in points)
    variance = sum((t - mean_t) ** 2 for t, _ in points)
    return 3600 * covariance / variance, points[0][1], points[-1][1], n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, help="how long the hall runs (25; quick 3)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--phones", type=int, default=300, help="waiting tickets at the start")
    parser.add_argument("--boards", type=int, default=10)
    parser.add_argument("--counters", type=int, default=20)
    parser.add_argument("--interval", type=float, default=3.5, help="seconds between calls")
    parser.add_argument("--pause", type=float, default=0.5)
    parser.add_argument("--kiosk-interval", type=float, default=7.0)
    parser.add_argument("--linger", type=float, default=30.0, help="a phone stays, s")
    parser.add_argument("--window", type=float, help="minutes per report line (5; quick 1)")
    parser.add_argument("--settle", type=float, help="minutes left out of the slope (5)")
    parser.add_argument("--drain", type=float, default=12.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.minutes = args.minutes or (3.0 if args.quick else 25.0)
    args.window = args.window or (1.0 if args.quick else 5.0)
    args.settle = args.settle if args.settle is not None else (1.0 if args.quick else 5.0)
    raise_fd_limit()
    print_header("Benchmark 9: a soak of a ward's hall on one worker")
    with workdir(args.keep) as folder:
        log(f"building the ward: {args.counters} counters, {args.phones} waiting tickets")
        ward = build_ward(f"sqlite:///{folder / 'soak.db'}", args.counters, args.phones, args.seed)
        with Servers() as servers:
            server = servers.add(
                start_xephang("soak", folder, ward_centre(ward), SHIPPED_LIMITS, gc_log=True)
            )
            with ScreenFleet([server.url], args.processes) as fleet:
                hall = asyncio.run(soak(args, server, ward, fleet))
            # The censuses' own full collections are not pauses of the hall.
            pauses = gc_pauses(server, hall.censuses[0].at + 1, hall.censuses[-1].at - 60)
    per_slope, first, last, n = slope(hall.samples, args.settle * 60)
    print(
        f"### Soak: {args.minutes:g} minutes, {args.counters} counters, {args.boards} boards, "
        f"{args.phones} phones at the start and one per new ticket (closed {args.linger:g} s "
        f"after its finish); a call every {args.interval:g} s, a ticket every "
        f"{args.kiosk_interval:g} s per kiosk\n"
    )
    print(
        md_table(
            [
                "minutes",
                "calls",
                "latency p50 ms",
                "latency p99 ms",
                "pairs missed",
                "worker RSS MiB (end)",
                "phones connected (end)",
            ],
            hall.windows,
        )
    )
    cpu = hall.samples[-1].cpu_seconds - hall.samples[0].cpu_seconds if hall.samples else 0.0
    span = hall.samples[-1].at - hall.samples[0].at if len(hall.samples) > 1 else 1.0
    print(
        f"\n- memory: **{per_slope:+.1f} MiB per hour** (least squares over {n} samples after "
        f"minute {args.settle:g}: {first:.1f} -> {last:.1f} MiB); RSS min / max over the run "
        f"{min(s.rss_mib for s in hall.samples):.1f} / "
        f"{max(s.rss_mib for s in hall.samples):.1f} MiB"
    )
    print(f"- worker CPU over the run: {100 * cpu / span:.0f} % of a core")
    if len(hall.censuses) == 2:
        first_census, last_census = hall.censuses
        hours = (last_census.at - first_census.at) / 3600
        growth = {
            name: last_census.by_type.get(name, 0) - first_census.by_type.get(name, 0)
            for name in set(first_census.by_type) | set(last_census.by_type)
        }
        grown = sorted(growth.items(), key=lambda kv: -kv[1])[:8]
        print(
            f"- live Python objects after a full collection (SIGUSR2): "
            f"{first_census.objects:,} at the start, {last_census.objects:,} at the end "
            f"({(last_census.objects - first_census.objects) / hours:+,.0f} an hour); RSS "
            f"after the last one {hall.rss_after_census:.1f} MiB; most grown: "
            + ", ".join(f"{name} {count:+,}" for name, count in grown)
        )
    gen2 = [p[1] for p in pauses if p[0] == 2]
    longest = max((p[1] for p in pauses), default=0)
    print(
        f"- GC pauses >= 2 ms: {len(pauses)}, {len(gen2)} of generation 2 (longest "
        f"{max(gen2, default=0):.0f} ms), longest of all {longest:.0f} ms"
    )
    rows = [
        (" ".join(str(k) for k in key), value)
        for key, value in sorted(hall.counts.items(), key=str)
        if not (key[0] == "fetch" and key[-1] == "connect")
    ]
    if rows:
        print("\nFetches after connect, errors and losses over the run:\n")
        print(md_table(["what", "count"], rows))
    every = hall.samples[:: max(1, len(hall.samples) // 30)]
    listed = ", ".join(f"{s.at / 60:.0f}: {s.rss_mib:.0f}" for s in every)
    print(f"\nRSS samples (minute: MiB): {listed}\n", flush=True)


if __name__ == "__main__":
    main()
