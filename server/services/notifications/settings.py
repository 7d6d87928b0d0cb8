"""A site's rules for messages and missed turns (recalls, no-show, rejoining, caps), and
its own wording of each message. A site without its own gets the defaults."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.adapters.db.models import NotificationSettings, NotificationTemplate
from server.domain.errors import InvalidInput
from server.domain.notifications import DEFAULT_TEMPLATES, MessageKind
from server.services import audit
from server.services.access import get_site
from server.services.unit_of_work import UnitOfWork

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Settings:
    """A site's rules for messages and missed turns (defaults when it has no row)."""

    recall_cap: int = 3
    no_show_after_seconds: int = 120
    rejoin_minutes: int = 15
    rejoin_after: int = 3
    more_time_places: int = 3
    near_ahead: int = 3
    per_minute: int = 30
    daily_cost_cap: int = 200_000  # đồng
    message_cost: int = 800  # đồng: a brand-name SMS; a ZNS message is cheaper


def settings_for(session: Session, site_id: int) -> Settings:
    row = session.get(NotificationSettings, site_id)
    if row is None:
        return Settings()
    return Settings(
        recall_cap=row.recall_cap,
        no_show_after_seconds=row.no_show_after_seconds,
        rejoin_minutes=row.rejoin_minutes,
        rejoin_after=row.rejoin_after,
        more_time_places=row.more_time_places,
        near_ahead=row.near_ahead,
        per_minute=row.per_minute,
        daily_cost_cap=row.daily_cost_cap,
        message_cost=row.message_cost,
    )


def save_settings(
    uow: UnitOfWork, site_id: int, settings: Settings, user_id: int | None = None
) -> None:
    """Set a site's rules for messages and missed turns (audited)."""
    with uow:
        session = uow.session
        get_site(session, site_id)
        before = settings_for(session, site_id)
        row = session.get(NotificationSettings, site_id)
        if row is None:
            row = NotificationSettings(site_id=site_id)
            session.add(row)
        for name, value in settings.__dict__.items():
            setattr(row, name, value)
        changed = {
            name: [old, getattr(settings, name)]
            for name, old in before.__dict__.items()
            if old != getattr(settings, name)
        }
        audit.record(
            session,
            uow.clock(),
            user_id,
            "notifications.settings",
            "site",
            site_id,
            site_id=site_id,
            detail=changed,
        )
        uow.commit()


TEMPLATE_FIELDS = frozenset({"number", "counter", "ahead", "minutes", "site", "link"})
MAX_TEMPLATE = 300


def set_template(
    uow: UnitOfWork, user_id: int | None, site_id: int, kind: str, language: str, text: str
) -> None:
    """A centre's own wording of one message (audited); an empty text brings back the
    default. Only the known {fields} may be used, so a typo is caught here, not in a
    citizen's SMS."""
    if kind not in set(MessageKind) or language not in LANGUAGES:
        raise InvalidInput("Không có loại tin nhắn này.", "There is no such message.")
    text = " ".join(text.split())
    unknown = sorted(set(re.findall(r"\{(\w*)\}", text)) - TEMPLATE_FIELDS)
    if unknown:
        raise InvalidInput(
            f"Trường không có: {{{unknown[0]}}}. Dùng được: "
            + ", ".join(f"{{{f}}}" for f in sorted(TEMPLATE_FIELDS)),
            f"Unknown field {{{unknown[0]}}}. Known: "
            + ", ".join(f"{{{f}}}" for f in sorted(TEMPLATE_FIELDS)),
        )
    if len(text) > MAX_TEMPLATE:
        raise InvalidInput(
            f"Tin nhắn dài quá {MAX_TEMPLATE} ký tự.",
            f"The message is longer than {MAX_TEMPLATE} characters.",
        )
    with uow:
        session = uow.session
        get_site(session, site_id)
        old = _template(session, site_id, MessageKind(kind), language)
        row = session.get(NotificationTemplate, (site_id, kind, language))
        if not text:
            if row is not None:
                session.delete(row)
            text = DEFAULT_TEMPLATES[(MessageKind(kind), language)]
        elif row is None:
            session.add(
                NotificationTemplate(site_id=site_id, kind=kind, language=language, text=text)
            )
        else:
            row.text = text
        audit.record(
            session,
            uow.clock(),
            user_id,
            "notifications.template",
            "site",
            site_id,
            site_id=site_id,
            detail={"kind": kind, "language": language, "text": [old, text]},
        )
        uow.commit()


def _template(session: Session, site_id: int, kind: MessageKind, language: str) -> str:
    own = session.get(NotificationTemplate, (site_id, str(kind), language))
    return own.text if own is not None else DEFAULT_TEMPLATES[(kind, language)]
