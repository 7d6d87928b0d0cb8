"""Fake printers that misbehave the way real ones do, and the paper they would print.

`Paper` interprets ESC/POS as a printer does, one byte at a time and keeping its state
between connections: a printer that received the header of a raster image (GS v 0) waits
for all of its data, whatever comes next, and prints the next job's bytes as that image.
`FaultyPrinter` is a network printer on 127.0.0.1 in one of the modes a real one fails in:
silent (never answers a status request), stalled (stops reading mid-job and never comes
back), dropping (closes the connection mid-raster), and slow (reads at a fixed rate through
a small receive buffer). `SlowSerialPrinter` is a serial printer on a pseudo-terminal that
reads at its baud rate.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import tty

from tests.live import free_port

NUL, DLE, ESC, GS, LF = 0x00, 0x10, 0x1B, 0x1D, 0x0A
EOT = 0x04
# ESC and GS commands with one parameter byte.
ONE_PARAMETER = {(ESC, c) for c in b"t!Ea-M{JdG3\x20"} | {(GS, c) for c in b"!BbHfhw"}
STATUS_OK = 0x12  # an Epson-like answer: on line, paper present


class Paper:
    """What comes out of a printer fed a byte stream: tickets (the pieces between cuts),
    each a list of rows (raster rows as sent, b"" for a blank row, b"T:" + text for a line
    of text). The state persists: feed() may stop anywhere, even inside an image."""

    def __init__(self) -> None:
        self.tickets: list[list[bytes]] = [[]]
        self.status_requests: list[int] = []
        self._buffer = bytearray()
        self._raster_left = 0
        self._raster_width = 0
        self._row = bytearray()
        self._text = bytearray()

    @property
    def waiting_for_raster(self) -> int:
        """Bytes of a raster image still expected."""
        return self._raster_left

    def feed(self, data: bytes) -> list[int]:
        """Interpret `data`; the real-time status requests (DLE EOT n) met outside image
        data, in order, for the caller to answer."""
        requests: list[int] = []
        buffer = self._buffer
        buffer += data
        i = 0
        while i < len(buffer):
            if self._raster_left:
                take = min(self._raster_left, len(buffer) - i)
                self._raster(buffer[i : i + take])
                self._raster_left -= take
                i += take
                continue
            used = self._command(buffer, i, requests)
            if used == 0:
                break  # an incomplete command: wait for the rest
            i += used
        del buffer[:i]
        self.status_requests += requests
        return requests

    def _command(self, b: bytearray, i: int, requests: list[int]) -> int:
        first = b[i]
        second = b[i + 1] if i + 1 < len(b) else None
        if first == NUL:
            return 1
        if first in (DLE, ESC, GS) and second is None:
            return 0
        if first == DLE and second == EOT:
            if i + 2 >= len(b):
                return 0
            requests.append(b[i + 2])
            return 3
        if first == ESC:
            if second == ord("@"):
                self._end_text()
                return 2
            if (ESC, second) in ONE_PARAMETER:
                if i + 2 >= len(b):
                    return 0
                if second == ord("J"):
                    self._end_text()
                    self.tickets[-1].extend([b""] * b[i + 2])
                return 3
            return 2
        if first == GS:
            if second == ord("v"):
                if i + 8 > len(b):
                    return 0
                self._end_text()
                self._raster_width = b[i + 4] + 256 * b[i + 5]
                self._raster_left = self._raster_width * (b[i + 6] + 256 * b[i + 7])
                return 8
            if second == ord("V"):
                if i + 2 >= len(b):
                    return 0
                length = 4 if b[i + 2] in (65, 66) else 3
                if i + length > len(b):
                    return 0
                self._end_text()
                self.tickets.append([])
                return length
            if second == ord("("):
                if i + 5 > len(b):
                    return 0
                length = 5 + b[i + 3] + 256 * b[i + 4]
                if i + length > len(b):
                    return 0
                if b[i + 2] == ord("k") and b[i + 5 : i + 8] == b"1Q0":
                    self._end_text()
                    self.tickets[-1].append(b"QR")
                return length
            if (GS, second) in ONE_PARAMETER:
                return 3 if i + 2 < len(b) else 0
            return 2
        if first == LF:
            self._end_text(always=True)
        else:
            self._text.append(first)
        return 1

    def _raster(self, data: bytes | bytearray) -> None:
        for value in data:
            self._row.append(value)
            if len(self._row) == self._raster_width:
                self.tickets[-1].append(bytes(self._row))
                self._row.clear()

    def _end_text(self, always: bool = False) -> None:
        if self._text or always:
            self.tickets[-1].append(b"T:" + bytes(self._text))
            self._text.clear()


class SocketPrinter:
    """A network printer on 127.0.0.1: the accept loop every fake network printer shares.
    Subclasses say what a connection does (`_handle`). One connection at a time, like most
    printers; `concurrent` handles each in a thread of its own instead (a printer that
    would let two jobs interleave), and `most_open` then says how many were ever open at
    once. `connections` counts the connections it has finished with."""

    timeout = 0.2  # per read of a connection

    def __init__(
        self, port: int | None = None, concurrent: bool = False, buffer: int | None = None
    ) -> None:
        self.concurrent = concurrent
        self.connections = 0
        self.most_open = 0
        self._open = 0
        self._count = threading.Lock()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if buffer:  # inherited by the accepted connections
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer)
        self.server.bind(("127.0.0.1", port or free_port()))
        self.server.listen(4)
        self.server.settimeout(0.2)
        self.port = int(self.server.getsockname()[1])
        self.url = f"tcp://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.concurrent:
                threading.Thread(target=self._serve_one, args=(connection,), daemon=True).start()
            else:
                self._serve_one(connection)

    def _serve_one(self, connection: socket.socket) -> None:
        with self._count:
            self._open += 1
            self.most_open = max(self.most_open, self._open)
        with connection:
            connection.settimeout(self.timeout)
            self._handle(connection)
        with self._count:
            self._open -= 1
            self.connections += 1

    def _handle(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(timeout=5)


class FaultyPrinter(SocketPrinter):
    """A network printer on 127.0.0.1 with one fault (or none): `silent` never answers a
    status request; `stall_after` bytes, it stops reading for good (a jam: the connection
    stays open); `drop_after` bytes into its next connection, it closes that connection
    once (mid-raster), or when it has received `drop_at` bytes in all; `rate` bytes a
    second, it reads no faster, through a `buffer`-byte receive buffer. Its Paper keeps its
    state between connections, like a printer's."""

    def __init__(
        self,
        silent: bool = False,
        stall_after: int | None = None,
        drop_after: int | None = None,
        rate: float | None = None,
        buffer: int | None = None,
        concurrent: bool = False,
    ) -> None:
        self.silent = silent
        self.stall_after = stall_after
        self.drop_after = drop_after
        self.drop_at: int | None = None
        self.rate = rate
        self.paper = Paper()
        self.received = 0
        super().__init__(concurrent=concurrent, buffer=buffer)

    def _handle(self, connection: socket.socket) -> None:
        if self.drop_after is not None:
            self.drop_at = self.received + self.drop_after
            self.drop_after = None  # once
        chunk = 256 if self.rate else 65536
        while not self._stop.is_set():
            limit = chunk
            drop_at = self.drop_at
            for at in (drop_at, self.stall_after):
                if at is not None:
                    limit = min(limit, at - self.received)
            if limit <= 0:
                if self.received == drop_at:
                    self.drop_at = None  # once
                    return  # the connection drops here
                self._stop.wait(30)  # jammed: never reads again
                return
            try:
                data = connection.recv(limit)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.received += len(data)
            requests = self.paper.feed(data)
            if requests and not self.silent:
                with contextlib.suppress(OSError):
                    connection.sendall(bytes([STATUS_OK] * len(requests)))
            if self.rate:
                time.sleep(len(data) / self.rate)


class SlowSerialPrinter:
    """A serial printer on a pseudo-terminal (its device path is `path`) that reads at
    `baudrate` (10 bits a byte) and answers status requests once it has read them."""

    def __init__(self, baudrate: int) -> None:
        self.baudrate = baudrate
        self.paper = Paper()
        self.received = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, **options: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"baudrate": self.baudrate, **options}.items())
        return f"serial://{self.path}?{query}"

    def _serve(self) -> None:
        per_read = max(1, self.baudrate // 10 // 50)  # 20 ms worth of bytes
        while not self._stop.is_set():
            try:
                data = os.read(self._master, per_read)
            except OSError:
                time.sleep(0.01)
                continue
            self.received += len(data)
            requests = self.paper.feed(data)
            if requests:
                os.write(self._master, bytes([STATUS_OK] * len(requests)))
            time.sleep(len(data) * 10 / self.baudrate)

    def close(self) -> None:
        self._stop.set()
        os.close(self._slave)
        self._thread.join(timeout=5)
        os.close(self._master)
