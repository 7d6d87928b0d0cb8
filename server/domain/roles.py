"""Who and what acts in a centre: staff roles, registered devices, counter states."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    CLERK = "clerk"


class DeviceKind(StrEnum):
    KIOSK = "kiosk"
    BOARD = "board"
    RATING = "rating"


class CounterState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
