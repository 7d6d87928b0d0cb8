"""The administration audit log: who changed what, when. Written in the same transaction
as the change it records, so the log never claims a change that was rolled back. (What was
done to each ticket is its ticket_events.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.adapters.db.models import AuditEntry


def record(
    session: Session,
    at: datetime,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    site_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Log one administrative change, e.g. `record(s, now, admin_id, "service.update",
    "service", 3, site_id=1, detail={"target_minutes": [30, 20]})` (old, new)."""
    session.add(
        AuditEntry(
            at=at,
            user_id=user_id,
            site_id=site_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )
