"""The JSON API's bodies as types: what each route reads (requests) and answers (responses).

Each route names its models in its contract (server/web/contract.py); the OpenAPI document
(server/web/openapi.py) is generated from them. Request models are validated at the edge
(server/web/input.py turns a refusal into our bilingual 400); response models describe
what the views answer, and tests/integration/test_openapi.py checks real answers against
them. Field names are the JSON's: changing one here changes the API, and so does a class's
name (it is the schema's name in the document: keep them unique across the modules).

    base.py        Request, Answer, Error, EmptyBody and the small shared types
    public.py      the site, services, queues, tickets and counters as the public sees them
    issuing.py     kiosk, reception and integration issuing
    printing.py    print results, kiosk printers, reprint and preview
    board.py       the hall's board
    counter.py     the clerk's counter screen and its actions
    phone.py       the citizen's phone page
    rating.py      the rating tablet
    manager.py     the manager's overview and notice
    statistics.py  the statistics query and report
    scorecard.py   the wait scorecard's query and answer
    staffing.py    the staffing advisor's weekly plan: its queries and answer

Callers import from here: `from server.web.schemas import KioskIssued`.
"""

from server.web.schemas.base import (
    TOKEN_PATTERN,
    Answer,
    CounterState,
    EmptyBody,
    Error,
    OpenApiDocument,
    Request,
    Share,
    SiteChoice,
    Token,
)
from server.web.schemas.board import BoardCounter, BoardSnapshot, RecentCall
from server.web.schemas.counter import (
    Clerk,
    ClerkCounter,
    ClerksTicket,
    CounterActionBody,
    CounterActionResult,
    CounterOutcome,
    CounterService,
    CounterSnapshot,
    TicketOutcome,
    TransferredFrom,
    WaitingTicket,
)
from server.web.schemas.issuing import (
    IntegrationIssued,
    IssuedTicket,
    KioskIssued,
    NewTicket,
    ReceptionSnapshot,
    ReceptionTicket,
)
from server.web.schemas.manager import HallCounter, HallService, NoticeBody, NoticeStored, Overview
from server.web.schemas.phone import (
    CancelledTicket,
    PhoneCancelled,
    PhoneSnapshot,
    PhoneTicket,
    TransferredService,
)
from server.web.schemas.printing import (
    HallPrinter,
    KioskPrinter,
    LastJob,
    PreviewQuery,
    PrinterMessage,
    Printing,
    PrintSent,
    ReprintBody,
)
from server.web.schemas.public import (
    CurrentTicket,
    PriorityCategory,
    PublicCounter,
    PublicTicket,
    QueueSnapshot,
    ServiceInfo,
    ServiceQueue,
    Site,
)
from server.web.schemas.rating import (
    FinishedTicket,
    NewRating,
    Rated,
    RatingState,
    RatingStored,
    TabletCounter,
    TabletSite,
)
from server.web.schemas.scorecard import (
    IntegrationScorecardQuery,
    Scorecard,
    ScorecardQuery,
    WaitGrade,
    WaitGrades,
)
from server.web.schemas.staffing import (
    IntegrationStaffingQuery,
    StaffingPlan,
    StaffingQuery,
)
from server.web.schemas.statistics import (
    Durations,
    Figure,
    IntegrationStatisticsQuery,
    Ratings,
    Statistics,
    StatisticsQuery,
)

__all__ = [
    "TOKEN_PATTERN",
    "Answer",
    "BoardCounter",
    "BoardSnapshot",
    "CancelledTicket",
    "Clerk",
    "ClerkCounter",
    "ClerksTicket",
    "CounterActionBody",
    "CounterActionResult",
    "CounterOutcome",
    "CounterService",
    "CounterSnapshot",
    "CounterState",
    "CurrentTicket",
    "Durations",
    "EmptyBody",
    "Error",
    "Figure",
    "FinishedTicket",
    "HallCounter",
    "HallPrinter",
    "HallService",
    "IntegrationIssued",
    "IntegrationScorecardQuery",
    "IntegrationStaffingQuery",
    "IntegrationStatisticsQuery",
    "IssuedTicket",
    "KioskIssued",
    "KioskPrinter",
    "LastJob",
    "NewRating",
    "NewTicket",
    "NoticeBody",
    "NoticeStored",
    "OpenApiDocument",
    "Overview",
    "PhoneCancelled",
    "PhoneSnapshot",
    "PhoneTicket",
    "PreviewQuery",
    "PrintSent",
    "PrinterMessage",
    "Printing",
    "PriorityCategory",
    "PublicCounter",
    "PublicTicket",
    "QueueSnapshot",
    "Rated",
    "RatingState",
    "RatingStored",
    "Ratings",
    "RecentCall",
    "ReceptionSnapshot",
    "ReceptionTicket",
    "ReprintBody",
    "Request",
    "Scorecard",
    "ScorecardQuery",
    "ServiceInfo",
    "ServiceQueue",
    "Share",
    "Site",
    "SiteChoice",
    "StaffingPlan",
    "StaffingQuery",
    "Statistics",
    "StatisticsQuery",
    "TabletCounter",
    "TabletSite",
    "TicketOutcome",
    "Token",
    "TransferredFrom",
    "TransferredService",
    "WaitGrade",
    "WaitGrades",
    "WaitingTicket",
]
