"""A GSM modem on the centre's LAN, with no internet: Gammu's SMS daemon (gammu-smsd)
owns the modem and sends what is in its outbox; we put each message there with
gammu-smsd-inject, which speaks the daemon's configured backend (files or SQL) and
splits and encodes Vietnamese (UCS-2) itself. The daemon's log and its sent/error
folders say what the modem did.

Tests run the real daemon on Gammu's file-based dummy device (`model = dummy`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from server.adapters.notify.base import Delivery, Outgoing, PermanentFailure, TemporaryFailure

_WRITTEN = re.compile(r"Written message with ID (.+)")


@dataclass(frozen=True)
class GammuModem:
    config: Path  # the daemon's smsdrc
    inject: str = "gammu-smsd-inject"
    timeout: float = 10.0


class GammuChannel:
    name = "gammu"

    def __init__(self, modem: GammuModem) -> None:
        self.modem = modem

    def send(self, message: Outgoing) -> Delivery:
        program = shutil.which(self.modem.inject)
        if program is None:
            raise TemporaryFailure(f"{self.modem.inject} is not installed (apt install gammu-smsd)")
        if not self.modem.config.is_file():
            raise PermanentFailure(f"Gammu configuration not found: {self.modem.config}")
        command = [
            program,
            "-c",
            str(self.modem.config),
            "TEXT",
            message.recipient,
            "-unicode",
            "-len",
            str(len(message.body)),
            "-text",
            message.body,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=self.modem.timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise TemporaryFailure(f"gammu-smsd-inject failed: {error}") from error
        found = _WRITTEN.search(done.stdout)
        if done.returncode != 0 or found is None:
            detail = (done.stderr.strip().splitlines() or [""])[-1]
            raise TemporaryFailure(f"gammu-smsd-inject exit {done.returncode}: {detail}"[:300])
        return Delivery(ref=Path(found.group(1).strip()).name)

    def close(self) -> None:
        pass
