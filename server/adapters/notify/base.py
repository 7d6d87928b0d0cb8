"""What a channel takes (one rendered message to one number) and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message as a channel sends it. `key` is unique per message and attempt-proof
    (the outbox row's id): a channel that can pass an idempotency key passes it."""

    key: str
    recipient: str  # +84xxxxxxxxx
    kind: str
    language: str
    body: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Delivery:
    """The channel took the message: its reference there, and its cost if it said one."""

    ref: str | None = None
    cost: int | None = None


class TemporaryFailure(Exception):
    """Worth trying again later (timeout, throttled, connection refused)."""


class PermanentFailure(Exception):
    """Never worth trying again (a refused number, a missing template)."""


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> Delivery: ...

    def close(self) -> None: ...
