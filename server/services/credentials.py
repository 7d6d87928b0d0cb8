"""Secrets at rest: staff passwords (salted, slow hashes) and device and API tokens (random,
stored as SHA-256, since a token is already long and random enough that a fast hash is safe).

No Flask here: the services, the command line and the web layer all hash the same way.
"""

from __future__ import annotations

import hashlib
import secrets

from werkzeug.security import check_password_hash, generate_password_hash


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


# Checked against when the user name is unknown, so that the time taken does not reveal
# which user names exist.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8))


def spend_a_password_check(password: str) -> None:
    """As long as a real check, for an unknown or inactive user name."""
    check_password_hash(_DUMMY_HASH, password)


def new_device_token() -> str:
    return secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
