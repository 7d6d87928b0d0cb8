"""When a service gives numbers: between its issuing hours, which default to the site's
opening hours (the admin form's "blank: opening time / closing time"), and while its daily
cap is not reached. A number issued outside them is one nobody will call.

Pure rules: the service layer refuses an issue with them, and the kiosk's snapshot uses the
same answer to say on each button why it cannot be pressed, before anyone taps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from enum import StrEnum


class NotIssuing(StrEnum):
    """Why a service gives no number now."""

    CLOSED = "closed"  # outside the site's opening hours (and the service's own)
    NOT_YET = "not_yet"  # the site is open, the service's issuing starts later
    OVER = "over"  # the site is open, the service's issuing has ended for the day
    FULL = "full"  # the daily cap is reached


@dataclass(frozen=True)
class IssuingHours:
    """A service's issuing window in local time, [start, end)."""

    start: time
    end: time
    opens_at: time  # the site's
    closes_at: time

    def covers(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def site_open(self, moment: time) -> bool:
        return self.opens_at <= moment < self.closes_at


def issuing_hours(
    opens_at: time, closes_at: time, issue_from: time | None, issue_until: time | None
) -> IssuingHours:
    """A blank issuing time means the site's opening (or closing) time."""
    return IssuingHours(issue_from or opens_at, issue_until or closes_at, opens_at, closes_at)


def not_issuing(
    hours: IssuingHours, moment: time, issued_today: int, daily_cap: int | None
) -> NotIssuing | None:
    """Why no number may be issued at local time `moment`, or None when one may."""
    if not hours.covers(moment):
        if not hours.site_open(moment):
            return NotIssuing.CLOSED
        return NotIssuing.NOT_YET if moment < hours.start else NotIssuing.OVER
    if daily_cap is not None and issued_today >= daily_cap:
        return NotIssuing.FULL
    return None
