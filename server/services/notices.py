"""The board's notice line: a short text a manager sets, scrolling along the bottom of the
waiting-room board (opening hours changed, a service closed this afternoon…)."""

from __future__ import annotations

from server.services import audit
from server.services.access import get_site
from server.services.changes import Change
from server.services.unit_of_work import UnitOfWork

MAX_NOTICE = 300


def set_notice(uow: UnitOfWork, site_id: int, text: str, user_id: int) -> str:
    """Replace the site's notice (spaces and line breaks folded; empty removes it);
    returns the notice as stored. Audited; the board shows it at once."""
    notice = " ".join(text.split())[:MAX_NOTICE]
    with uow:
        site = get_site(uow.session, site_id)
        old, site.notice = site.notice, notice
        audit.record(
            uow.session,
            uow.clock(),
            user_id,
            "site.notice",
            "site",
            site.id,
            site_id=site.id,
            detail={"notice": [old, notice]},
        )
        uow.record(Change(site_id=site.id, kind="notice_changed", public={"notice": notice}))
        uow.commit()
    return notice
