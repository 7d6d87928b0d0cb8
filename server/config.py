"""Configuration, read from the environment (see README, "Configuration")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRUE = {"1", "true", "yes", "on"}


def _secret_key(instance: Path) -> str:
    """XEPHANG_SECRET_KEY, or a key generated once into the instance folder: never a key
    written in the repository."""
    from_env = os.environ.get("XEPHANG_SECRET_KEY")
    if from_env:
        return from_env
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked into place: link() fails if the file exists, so two
        # workers starting at once agree on one key, and nobody reads a half-written one.
        draft = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@dataclass
class Config:
    instance_path: Path
    database_url: str
    secret_key: str
    async_mode: str = "eventlet"
    message_queue: str | None = None
    # One Redis may carry several installations (or test runs): each listens on its own.
    message_queue_channel: str = "xephang"
    public_url: str | None = None
    node_modules: Path = field(default_factory=lambda: PROJECT_ROOT / "node_modules")
    # How many reverse proxies (nginx) stand in front and may be trusted for the client's
    # address, scheme and host (X-Forwarded-*); 0 when clients reach the server directly.
    proxies: int = 0
    # Connections one eventlet worker accepts (each board, counter and phone holds one for
    # life); eventlet's own default of 1,024 would stop a busy worker answering at all.
    max_connections: int = 10_000
    max_content_length: int = 64 * 1024
    # The live publisher gathers a site's changes for this long after the first one before
    # it computes the states of the screens (and the wait forecast) once for all of them.
    # 0 (the default): as soon as the publisher is free; what arrives while it computes is
    # published together in its next round, so a burst still costs few computations, and a
    # lone call is not held back (50 ms cost every screen 50 ms, bench/ward.py and fanout.py).
    publish_window_ms: float = 0.0
    # How often the server expires leftovers; 0 turns the sweeper off (with several workers,
    # one sweeping is enough; tests that must not depend on the time of day turn it off).
    sweep_seconds: float = 60.0
    # An open counter whose clerk's screen has been gone this long pauses by itself.
    clerk_away_minutes: float = 10.0
    # How many times the board speaks each call after its chime (once: a busy hall's calls
    # queue behind each other); 0 turns the voice off.
    announce_repeat: int = 1
    # The phone page warns its citizen (vibration, a notification if they allowed it) when
    # this many people or fewer are ahead of them.
    notify_ahead: int = 3
    # The channel that sends the outbox's messages (smpp, zalo or gammu; the sender is
    # `xephang notify run`). Unset: the phone page offers no SMS box, so no phone number
    # is ever asked for without a way to use it (Decree 356/2025).
    notify_channel: str | None = None
    # Rate limits, in Flask-Limiter's notation ("30 per minute;600 per hour"). A kiosk issues
    # a ticket every few seconds at the busiest, never dozens a minute: more means its token
    # is being abused. Phones of a centre's Wi-Fi may share one address behind its router.
    ratelimit_issue: str = "30 per minute;600 per hour"  # per kiosk device
    ratelimit_public: str = "300 per minute"  # per address: lookups of unknown tickets
    ratelimit_login: str = "10 per minute;30 per hour"  # failed sign-ins, per address and per name
    ratelimit_api: str = "300 per minute"  # per integration API token (/api/v1)
    # memory:// counts per worker: several workers must share redis://… to count together.
    ratelimit_storage: str = "memory://"
    # Session cookies only over HTTPS (and HSTS); None: when public_url is https.
    secure_cookies: bool | None = None
    testing: bool = False

    @property
    def https_only(self) -> bool:
        """Whether browsers reach this server over HTTPS only: cookies are then marked
        Secure and responses ask for HTTPS from now on (HSTS)."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    @classmethod
    def from_env(cls, **overrides: object) -> Config:
        instance = Path(os.environ.get("XEPHANG_INSTANCE", PROJECT_ROOT / "instance")).resolve()
        instance.mkdir(parents=True, exist_ok=True)
        values: dict[str, object] = {
            "instance_path": instance,
            "database_url": os.environ.get(
                "XEPHANG_DATABASE_URL", f"sqlite:///{instance / 'xephang.db'}"
            ),
            "secret_key": _secret_key(instance),
            "async_mode": os.environ.get("XEPHANG_ASYNC_MODE", "eventlet"),
            "message_queue": os.environ.get("XEPHANG_MESSAGE_QUEUE") or None,
            "message_queue_channel": os.environ.get("XEPHANG_MESSAGE_QUEUE_CHANNEL", "xephang"),
            "public_url": os.environ.get("XEPHANG_PUBLIC_URL") or None,
            "sweep_seconds": float(os.environ.get("XEPHANG_SWEEP_SECONDS", "60")),
            "clerk_away_minutes": float(os.environ.get("XEPHANG_CLERK_AWAY_MINUTES", "10")),
            "announce_repeat": int(os.environ.get("XEPHANG_ANNOUNCE_REPEAT", "1")),
            "notify_ahead": int(os.environ.get("XEPHANG_NOTIFY_AHEAD", "3")),
            "notify_channel": os.environ.get("XEPHANG_NOTIFY_CHANNEL") or None,
            "proxies": int(os.environ.get("XEPHANG_PROXIES", "0")),
            "max_connections": int(os.environ.get("XEPHANG_MAX_CONNECTIONS", "10000")),
            "publish_window_ms": float(os.environ.get("XEPHANG_PUBLISH_WINDOW_MS", "0")),
        }
        for name in ("issue", "public", "login", "api", "storage"):
            variable = f"XEPHANG_RATELIMIT_{name.upper()}"
            if os.environ.get(variable):
                values[f"ratelimit_{name}"] = os.environ[variable]
        if os.environ.get("XEPHANG_SECURE_COOKIES"):
            values["secure_cookies"] = os.environ["XEPHANG_SECURE_COOKIES"].lower() in TRUE
        if "XEPHANG_NODE_MODULES" in os.environ:
            values["node_modules"] = Path(os.environ["XEPHANG_NODE_MODULES"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
