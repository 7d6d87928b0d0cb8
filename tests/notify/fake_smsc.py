"""A small SMSC for the tests: an SMPP 3.4 server on 127.0.0.1 that answers
bind_transmitter, submit_sm (submit_sm_resp with a message id), enquire_link and unbind,
and records every submit_sm it decoded. Written from the SMPP 3.4 specification (section
4: PDU formats), not from smpplib, so the client is checked against the protocol."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

BIND_TRANSMITTER = 0x00000002
SUBMIT_SM = 0x00000004
UNBIND = 0x00000006
ENQUIRE_LINK = 0x00000015
RESP = 0x80000000
ESME_RINVPASWD = 0x0000000E


@dataclass(frozen=True)
class Submitted:
    source_ton: int
    source: str
    dest_ton: int
    dest_npi: int
    destination: str
    esm_class: int
    data_coding: int
    short_message: bytes

    @property
    def text(self) -> str:
        """The part's text (UDH removed), UCS-2 or GSM default as data_coding says."""
        payload = self.short_message
        if self.esm_class & 0x40:
            payload = payload[payload[0] + 1 :]
        return payload.decode("utf-16-be" if self.data_coding == 8 else "ascii")


def _cstring(body: bytes, at: int) -> tuple[str, int]:
    end = body.index(b"\0", at)
    return body[at:end].decode("ascii"), end + 1


def decode_submit(body: bytes) -> Submitted:
    _service_type, at = _cstring(body, 0)
    source_ton, _source_npi = body[at], body[at + 1]
    source, at = _cstring(body, at + 2)
    dest_ton, dest_npi = body[at], body[at + 1]
    destination, at = _cstring(body, at + 2)
    esm_class = body[at]
    at += 3  # esm_class, protocol_id, priority_flag
    _schedule, at = _cstring(body, at)
    _validity, at = _cstring(body, at)
    at += 2  # registered_delivery, replace_if_present_flag
    data_coding = body[at]
    length = body[at + 2]
    short_message = body[at + 3 : at + 3 + length]
    return Submitted(
        source_ton, source, dest_ton, dest_npi, destination, esm_class, data_coding, short_message
    )


@dataclass
class FakeSmsc:
    system_id: str = "xephang"
    password: str = "secret"
    # Statuses to answer the next submit_sm with, in order (then 0: accepted).
    statuses: list[int] = field(default_factory=list)
    # Seconds to wait before each submit_sm_resp (lets a test kill the sender meanwhile).
    delay: float = 0.0
    submitted: list[Submitted] = field(default_factory=list)
    binds: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                while True:
                    length, command, _status, sequence = struct.unpack(
                        ">LLLL", self._read(conn, 16)
                    )
                    body = self._read(conn, length - 16)
                    status, answer = self._answer(command, body)
                    if command & RESP:
                        continue
                    pdu = struct.pack(">LLLL", 16 + len(answer), command | RESP, status, sequence)
                    conn.sendall(pdu + answer)
                    if command == UNBIND:
                        return
            except (ConnectionError, OSError):
                return

    def _answer(self, command: int, body: bytes) -> tuple[int, bytes]:
        if command == BIND_TRANSMITTER:
            system_id, at = _cstring(body, 0)
            password, _ = _cstring(body, at)
            self.binds.append((system_id, password))
            if (system_id, password) != (self.system_id, self.password):
                return ESME_RINVPASWD, b""
            return 0, b"FAKESMSC\0"
        if command == SUBMIT_SM:
            submitted = decode_submit(body)
            with self._lock:  # taken on receipt: from now on the SMS is on its way
                status = self.statuses.pop(0) if self.statuses else 0
                if status == 0:
                    self.submitted.append(submitted)
                    ref = f"msg{len(self.submitted)}"
            if self.delay:
                time.sleep(self.delay)
            return (0, f"{ref}\0".encode()) if status == 0 else (status, b"\0")
        return 0, b""  # enquire_link, unbind

    def destinations(self) -> Iterator[str]:
        return (s.destination for s in self.submitted)

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
