"""The sender's channel, from the environment (secrets stay out of the database):

XEPHANG_NOTIFY_CHANNEL   none (default) | smpp | zalo | gammu
smpp:  XEPHANG_SMPP_HOST, XEPHANG_SMPP_PORT (2775), XEPHANG_SMPP_SYSTEM_ID,
       XEPHANG_SMPP_PASSWORD, XEPHANG_SMPP_SOURCE (the brand name)
zalo:  XEPHANG_ZALO_ACCESS_TOKEN, XEPHANG_ZALO_TEMPLATES (JSON: kind -> template id),
       XEPHANG_ZALO_URL (tests only)
gammu: XEPHANG_GAMMU_CONFIG (the daemon's smsdrc)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from server.adapters.notify.base import Channel
from server.adapters.notify.gammu import GammuChannel, GammuModem
from server.adapters.notify.smpp import SmppAccount, SmppChannel
from server.adapters.notify.zalo import ZNS_URL, ZaloAccount, ZaloChannel


def channel_from_env(env: Mapping[str, str]) -> Channel | None:
    """The configured channel, or None when messages are not sent (they stay pending)."""
    kind = env.get("XEPHANG_NOTIFY_CHANNEL", "none").strip().lower()
    if kind in ("", "none"):
        return None
    if kind == "smpp":
        return SmppChannel(
            SmppAccount(
                host=env["XEPHANG_SMPP_HOST"],
                port=int(env.get("XEPHANG_SMPP_PORT", "2775")),
                system_id=env["XEPHANG_SMPP_SYSTEM_ID"],
                password=env.get("XEPHANG_SMPP_PASSWORD", ""),
                source=env.get("XEPHANG_SMPP_SOURCE", "XEPHANG"),
            )
        )
    if kind == "zalo":
        return ZaloChannel(
            ZaloAccount(
                access_token=env["XEPHANG_ZALO_ACCESS_TOKEN"],
                templates=json.loads(env.get("XEPHANG_ZALO_TEMPLATES", "{}")),
                url=env.get("XEPHANG_ZALO_URL", ZNS_URL),
            )
        )
    if kind == "gammu":
        return GammuChannel(GammuModem(config=Path(env["XEPHANG_GAMMU_CONFIG"])))
    raise ValueError(f"XEPHANG_NOTIFY_CHANNEL: unknown channel '{kind}'")
