"""Delivery figures: a day's messages of a site by status, and what they cost."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.adapters.db.models import NotificationMessage
from server.domain.notifications import MessageStatus
from server.services.notifications.sender import SPENT


def delivery_figures(session: Session, site_id: int, day: date) -> dict[str, int]:
    """A day's messages of a site by status, and what they cost (đồng)."""
    rows = session.execute(
        select(
            NotificationMessage.status,
            func.count(),
            func.coalesce(func.sum(NotificationMessage.cost), 0),
        )
        .where(NotificationMessage.site_id == site_id, NotificationMessage.day == day)
        .group_by(NotificationMessage.status)
    ).all()
    figures = {str(status): 0 for status in MessageStatus}
    cost = 0
    for status, count, spent in rows:
        figures[str(status)] = int(count)
        if status in SPENT:
            cost += int(spent)
    figures["cost"] = cost
    return figures
