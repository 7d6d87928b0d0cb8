"""Domain errors: values the caller can act on, each with a message in Vietnamese and English.

The HTTP layer maps `kind` to a status code in one place (server/web/errors.py); nothing
here knows about HTTP.
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["invalid", "not_found", "conflict", "forbidden", "unauthorized"]


class DomainError(Exception):
    """A request the rules refuse. Nothing has been changed when it is raised."""

    kind: ClassVar[ErrorKind] = "conflict"
    code: ClassVar[str] = "domain_error"

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en


class InvalidInput(DomainError):
    kind = "invalid"
    code = "invalid_input"


class NotFound(DomainError):
    kind = "not_found"
    code = "not_found"


class Forbidden(DomainError):
    kind = "forbidden"
    code = "forbidden"


class Unauthorized(DomainError):
    kind = "unauthorized"
    code = "unauthorized"


class WrongTicketState(DomainError):
    code = "wrong_ticket_state"


class CounterNotOpen(DomainError):
    code = "counter_not_open"


class CounterBusy(DomainError):
    code = "counter_busy"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"


class NumberRangeExhausted(DomainError):
    code = "number_range_exhausted"


class QueueEmpty(DomainError):
    code = "queue_empty"


class NoPrinter(DomainError):
    code = "no_printer"


class AlreadyRated(DomainError):
    code = "already_rated"


class RatingClosed(DomainError):
    code = "rating_closed"


class AlreadyExists(DomainError):
    """A code, number or username that must be unique is taken (administration)."""

    code = "already_exists"
