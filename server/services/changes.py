"""What a committed use case tells the rest of the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Change:
    """One committed change at a site.

    `public` is what anyone in the hall may see (it is what the board shows); `tokens` are
    the phone tokens of the tickets concerned and are never broadcast to a shared room.
    `seq` is the site's event sequence number, set at commit.

    A change that is not `site_wide` (how one print job went) goes only to its kiosk's own
    room, as `kiosk_message`: it changes no screen of the hall, so it takes no sequence
    number and makes no screen fetch a snapshot.
    """

    site_id: int
    kind: str
    service_ids: tuple[int, ...] = ()
    counter_id: int | None = None
    public: dict[str, Any] = field(default_factory=dict)
    tokens: tuple[str, ...] = ()
    seq: int = 0
    site_wide: bool = True
    kiosk_id: int | None = None
    kiosk_message: dict[str, Any] = field(default_factory=dict)

    def message(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "site_id": self.site_id,
            "kind": self.kind,
            "service_ids": list(self.service_ids),
            "counter_id": self.counter_id,
            **self.public,
        }
