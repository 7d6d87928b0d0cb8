"""Ending sessions raises the account's session version in the database itself: two raises
that overlap (a sign-out while a password is reset) are two increments, never one."""

from __future__ import annotations

from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import User
from server.services import sessions
from server.services.credentials import hash_password
from tests.conftest import Centre


def version_of(database: Database, user_id: int) -> int:
    with database.reading() as session:
        found = session.scalar(select(User.session_version).where(User.id == user_id))
        assert found is not None
        return found


def test_a_password_reset_overlapping_a_sign_out_raises_the_version_twice(
    database: Database, centre: Centre
) -> None:
    clerk = centre.user["canbo1"]
    before = version_of(database, clerk)
    resetting = database.write_session()
    with resetting.begin():
        user = resetting.get(User, clerk)  # loaded: the version it read is now stale
        assert user is not None
    # Meanwhile the clerk signs out (another worker, another transaction).
    with database.write_session() as signing_out, signing_out.begin():
        sessions.end_sessions(signing_out, clerk)
    assert version_of(database, clerk) == before + 1
    with resetting.begin():
        user.password_hash = hash_password("mật khẩu mới 2026")
    resetting.close()
    # A session begun after the sign-out (version before + 1) must not survive the reset.
    assert version_of(database, clerk) == before + 2
