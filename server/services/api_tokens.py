"""Use cases of the integration API's tokens: one token per integration (the provincial
one-stop system, a button panel at the door), with the scopes it needs and, optionally,
the one site it may act on.

An admin (or the command line) creates a token and is shown it once; only its SHA-256 is
stored. Each request presents it as `Authorization: Bearer <token>`; `authenticate`
refuses an unknown or revoked token (401) and a token without the scope the endpoint needs
(403), and notes when the token was last used. Creating and revoking are audited.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.adapters.db.models import ApiToken, Site, User
from server.domain.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from server.services import audit
from server.services.access import get_site
from server.services.admin.common import MAX_NAME, require_admin
from server.services.credentials import token_hash
from server.services.unit_of_work import UnitOfWork

QUEUE_READ = "queue:read"
TICKETS_ISSUE = "tickets:issue"
STATISTICS_READ = "statistics:read"

# Every scope a token may hold: (Vietnamese, English) of what it allows.
SCOPES: dict[str, tuple[str, str]] = {
    QUEUE_READ: ("Xem hàng chờ và thời gian chờ dự kiến", "Read queues and estimated waits"),
    TICKETS_ISSUE: ("Cấp số thứ tự", "Issue tickets"),
    STATISTICS_READ: ("Xem số liệu thống kê", "Read statistics"),
}

# A prefix says what a leaked string is (and lets secret scanners find one).
TOKEN_PREFIX = "xhapi_"
MAX_TOKEN_LENGTH = 200
# last_used_at is a hint for the admin ("used today?"), not a log: writing it at most once
# a minute keeps a busy integration from adding a write to every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedToken:
    """What the admin is shown once: the token itself is never stored."""

    id: int
    token: str


@dataclass(frozen=True)
class TokenInfo:
    """A token as the admin's list shows it (never its value)."""

    id: int
    name: str
    scopes: tuple[str, ...]
    site_id: int | None
    site_name: str | None
    created_by: str | None  # username; None when made from the command line
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class ApiClient:
    """The integration making a request."""

    token_id: int
    name: str
    scopes: frozenset[str]
    site_id: int | None  # None: every site

    def may_act_on(self, site_id: int) -> bool:
        return self.site_id is None or self.site_id == site_id


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Hãy đặt tên cho mã tích hợp.", "The token needs a name.")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            f"Tên mã tích hợp dài quá {MAX_NAME} ký tự.",
            f"The token name is longer than {MAX_NAME} characters.",
        )
    return name


def _checked_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(sorted(set(scopes)))
    if not chosen:
        raise InvalidInput(
            "Hãy chọn ít nhất một quyền cho mã tích hợp.", "Choose at least one scope."
        )
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"Quyền không hợp lệ: {', '.join(unknown)}.", f"Unknown scope: {', '.join(unknown)}."
        )
    return chosen


def create(
    uow: UnitOfWork,
    name: str,
    scopes: Iterable[str],
    site_id: int | None,
    created_by: int | None,
) -> CreatedToken:
    """Create a token for one integration: `scopes` from SCOPES, `site_id` the one site it
    may act on (None: every site), `created_by` the admin (None: the command line).
    Returns the token, to be shown once; only its SHA-256 is stored. Audited."""
    name = _checked_name(name)
    chosen = _checked_scopes(scopes)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow:
        session = uow.session
        if created_by is not None:
            require_admin(session, created_by)
        if site_id is not None:
            get_site(session, site_id)
        now = uow.clock()
        row = ApiToken(
            name=name,
            token_hash=token_hash(token),
            scopes=" ".join(chosen),
            site_id=site_id,
            created_by=created_by,
            created_at=now,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            now,
            created_by,
            "api_token.create",
            "api_token",
            row.id,
            site_id=site_id,
            detail={"name": name, "scopes": list(chosen)},
        )
        token_id = row.id
        uow.commit()
    return CreatedToken(token_id, token)


def revoke(uow: UnitOfWork, token_id: int, by_user: int | None) -> None:
    """Revoke a token: every request with it is refused (401) from now on. The token stays
    listed, revoked; revoking it again changes nothing. Audited."""
    with uow:
        session = uow.session
        if by_user is not None:
            require_admin(session, by_user)
        row = session.get(ApiToken, token_id, with_for_update=True)
        if row is None:
            raise NotFound(
                f"Không có mã tích hợp số {token_id}.", f"There is no API token {token_id}."
            )
        if row.revoked_at is not None:
            return
        row.revoked_at = uow.clock()
        audit.record(
            session,
            row.revoked_at,
            by_user,
            "api_token.revoke",
            "api_token",
            row.id,
            site_id=row.site_id,
            detail={"name": row.name},
        )
        uow.commit()


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, the newest first, revoked ones included."""
    rows = session.execute(
        select(ApiToken, Site.name, User.username)
        .outerjoin(Site, Site.id == ApiToken.site_id)
        .outerjoin(User, User.id == ApiToken.created_by)
        .order_by(ApiToken.id.desc())
    ).all()
    return [
        TokenInfo(
            id=row.id,
            name=row.name,
            scopes=tuple(row.scopes.split()),
            site_id=row.site_id,
            site_name=site_name,
            created_by=username,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
        for row, site_name, username in rows
    ]


def authenticate(uow: UnitOfWork, token: str, scope: str) -> ApiClient:
    """The integration a bearer token belongs to, if it holds `scope`: Unauthorized for an
    unknown or revoked token, Forbidden for a missing scope. Notes the time of use."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid()
    digest = token_hash(token)
    with uow.db.reading() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
        if row is None or row.revoked_at is not None:
            raise _invalid()
        client = ApiClient(row.id, row.name, frozenset(row.scopes.split()), row.site_id)
        last_used_at = row.last_used_at
    if scope not in client.scopes:
        raise Forbidden(
            f"Mã tích hợp này không có quyền “{scope}”.", f"This token lacks the scope “{scope}”."
        )
    now = uow.clock()
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        with uow:
            uow.session.execute(
                update(ApiToken)
                .where(ApiToken.id == client.token_id, ApiToken.revoked_at.is_(None))
                .values(last_used_at=now)
            )
            uow.commit()
    return client


def require_site(client: ApiClient, site_id: int) -> None:
    """Forbidden unless the token may act on the site."""
    if not client.may_act_on(site_id):
        raise Forbidden(
            "Mã tích hợp này không được dùng cho điểm phục vụ này.",
            "This token may not act on this site.",
        )


def _invalid() -> Unauthorized:
    return Unauthorized(
        "Mã tích hợp không hợp lệ hoặc đã bị thu hồi.",
        "The API token is invalid or has been revoked.",
    )
