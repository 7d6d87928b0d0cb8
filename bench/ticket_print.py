"""How long a kiosk ticket takes to render and encode, and how many bytes go to the printer.

    .venv/bin/python bench/ticket_print.py [--tickets 200]

Renders and encodes N different tickets of the demo centre (every service, one in four with
a priority category, a fresh phone token each, as the server does per ticket) for 80 mm
(576 dots) and 58 mm (384 dots) paper, in image mode and in text mode, and prints the median
and 95th percentile of the time per ticket and of the bytes per ticket. Goal (image mode):
under 15 ms and 30 KB. Not run by the tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.printer_url import parse_printer_url
from server.adapters.printing.escpos import encode_ticket
from server.adapters.printing.ticket_layout import TicketContent
from server.cli.demo import SERVICES
from server.domain.printing import PrintMode
from server.domain.tickets import PRIORITY_LABELS

CENTRE = "Trung tâm Phục vụ hành chính công phường Tân Định"
PUBLIC_URL = "http://192.168.1.10:8000"


def tickets(count: int) -> list[TicketContent]:
    priorities = [vi for vi, _en in PRIORITY_LABELS.values()]
    start = datetime(2026, 11, 26, 7, 30)
    found = []
    for i in range(count):
        _code, name, _en, _picto, prefix, minutes = SERVICES[i % len(SERVICES)]
        ahead = (i * 7) % 40
        found.append(
            TicketContent(
                centre=CENTRE,
                service=name,
                number=f"{prefix}{i + 1:03d}",
                issued_at=start + timedelta(seconds=40 * i),
                phone_url=f"{PUBLIC_URL}/t/{secrets.token_urlsafe(16)}",
                people_ahead=ahead,
                estimated_wait_minutes=ahead * minutes // 2,
                priority=priorities[i % len(priorities)] if i % 4 == 0 else None,
            )
        )
    return found


def machine() -> str:
    """The processor, as /proc/cpuinfo names it (where there is one), and its cores."""
    cpuinfo = Path("/proc/cpuinfo")
    names = [
        line.split(":", 1)[1].strip()
        for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
        if line.startswith("model name")
    ]
    name = names[0] if names else platform.machine()
    return f"{name}, {os.cpu_count()} cores, Python {platform.python_version()}"


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    args = parser.parse_args()
    url = parse_printer_url("dummy://")
    sample = tickets(args.tickets)
    print(machine())
    print(f"{args.tickets} tickets each; time = render + encode, per ticket")
    print(f"{'mode':<6} {'dots':>5} {'median ms':>10} {'p95 ms':>8} {'median B':>9} {'p95 B':>7}")
    for mode in (PrintMode.IMAGE, PrintMode.TEXT):
        for width in (576, 384):
            encode_ticket(sample[0], url, width, mode)  # fonts loaded, caches warm
            times, sizes = [], []
            for content in sample:
                started = time.perf_counter()
                data = encode_ticket(content, url, width, mode)
                times.append((time.perf_counter() - started) * 1000)
                sizes.append(float(len(data)))
            print(
                f"{mode.value:<6} {width:>5} {statistics.median(times):>10.1f} {p95(times):>8.1f}"
                f" {statistics.median(sizes):>9.0f} {p95(sizes):>7.0f}"
            )


if __name__ == "__main__":
    main()
