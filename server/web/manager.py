"""The managers' screens: the live hall, the statistics page with its charts, and the
exports (CSV and XLSX). Managers and admins only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for
from flask_login import login_required
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Site
from server.domain.errors import InvalidInput
from server.domain.roles import Role
from server.runtime import runtime
from server.services import exports, notices, scorecard, snapshots, statistics
from server.services.access import get_site
from server.services.exports import scorecard as scorecard_files
from server.web.contract import Relation, body, contract, query
from server.web.contract import staff as staff_access
from server.web.i18n import chosen_language
from server.web.identity import json_login_required, require_roles, require_site_manager, staff
from server.web.input import Id, read_query
from server.web.schemas import (
    NoticeBody,
    NoticeStored,
    Overview,
    Scorecard,
    ScorecardQuery,
    Statistics,
    StatisticsQuery,
)

bp = Blueprint("manager", __name__)

MANAGERS = (Role.ADMIN, Role.MANAGER)
# The ticket list is one row per ticket: a quarter of a busy ward is about 100,000 rows.
MAX_TICKET_LIST_DAYS = 93

SITE_MANAGERS = staff_access(Role.MANAGER, of=Relation.SITE)


class SitePath(BaseModel):
    site_id: Id = Field(description="The site's id.")


def _require_manager_page() -> None:
    if staff().role not in MANAGERS:
        abort(403)


def _sites(session: Session) -> list[Site]:
    """The sites the signed-in manager looks after (every site for an admin)."""
    user = staff()
    query = select(Site).order_by(Site.id)
    if user.role != Role.ADMIN:
        query = query.where(Site.id.in_(user.site_ids))
    return list(session.scalars(query))


@dataclass(frozen=True)
class Scope:
    """Which sites and which local days a statistics request is about."""

    site_ids: list[int]
    site: str  # "all" or a site id, as in the query string
    first: date
    last: date

    def query(self) -> dict[str, Any]:
        return {"site": self.site, "from": self.first.isoformat(), "to": self.last.isoformat()}


def _scope(session: Session, asked: StatisticsQuery) -> Scope:
    """From ?site=<id|all>&from=YYYY-MM-DD&to=YYYY-MM-DD; by default the first site, from
    the first of this month to today in its time zone."""
    sites = _sites(session)
    raw = asked.site or (str(sites[0].id) if sites else "all")
    if raw == "all":
        site_ids = [s.id for s in sites]
        zone = ZoneInfo(sites[0].timezone) if sites else ZoneInfo("Asia/Ho_Chi_Minh")
    else:
        site = get_site(session, int(raw))
        require_site_manager(site.id)
        site_ids = [site.id]
        zone = ZoneInfo(site.timezone)
    today = runtime().clock().astimezone(zone).date()
    first = asked.first or today.replace(day=1)
    last = asked.last or today
    statistics.check_days(first, last)
    return Scope(site_ids, raw, first, last)


def _report(
    session: Session, asked: StatisticsQuery | None = None
) -> tuple[Scope, statistics.Report]:
    """The report the query string asks for, with its scope."""
    scope = _scope(session, asked or read_query(StatisticsQuery))
    return scope, statistics.report(session, scope.site_ids, scope.first, scope.last)


def _attachment(body: Any, name: str, mimetype: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- live hall ----------------------------------------------------------------------------


@bp.get("/manager")
@login_required
def hall() -> str:
    _require_manager_page()
    with runtime().db.reading() as session:
        sites = _sites(session)
        if not sites:
            abort(403)  # a manager who has not been given a site yet
        chosen = request.args.get("site", type=int) or sites[0].id
        site = next((s for s in sites if s.id == chosen), None)
        if site is None:
            abort(403 if session.get(Site, chosen) else 404)
        return render_template("manager/hall.html", site=site, sites=sites)


@bp.get("/api/sites/<int:site_id>/overview")
@contract(
    "managerOverview",
    "manager",
    "The live hall: counters, queues against their targets, kiosk printers.",
    SITE_MANAGERS,
    path=SitePath,
    answers={200: Overview},
    refusals=(401, 403, 404),
    descriptions={200: "The hall."},
)
@json_login_required
def overview(site_id: int) -> Any:
    require_site_manager(site_id)
    with runtime().db.reading() as session:
        return jsonify(snapshots.manager(session, site_id, runtime().clock()))


@bp.post("/api/sites/<int:site_id>/notice")
@contract(
    "setNotice",
    "manager",
    "The board's scrolling notice line (empty removes it).",
    SITE_MANAGERS,
    path=SitePath,
    body=NoticeBody,
    answers={200: NoticeStored},
    refusals=(400, 401, 403, 404, 413),
    descriptions={200: "The notice as stored."},
)
@json_login_required
def set_notice(site_id: int) -> Any:
    """The board's scrolling notice line: `{notice}` (empty to remove it)."""
    user = require_site_manager(site_id)
    text = body(NoticeBody).notice or ""
    return jsonify(
        {"ok": True, "notice": notices.set_notice(runtime().uow(), site_id, text, user.id)}
    )


# -- statistics ---------------------------------------------------------------------------


@bp.get("/manager/statistics")
@login_required
def statistics_page() -> Any:
    _require_manager_page()
    with runtime().db.reading() as session:
        sites = _sites(session)
        try:
            scope, report = _report(session)
            error = None
        except InvalidInput as refused:
            message = refused.message_en if chosen_language() == "en" else refused.message_vi
            scope, report, error = None, None, message
        card, card_error = _page_scorecard(session, scope)
        return render_template(
            "manager/statistics.html",
            sites=sites,
            scope=scope,
            report=report,
            error=error,
            scorecard=card,
            scorecard_error=card_error,
            exports={
                name: url_for(f"manager.{name}", **scope.query()) if scope else None
                for name in (
                    "statistics_csv",
                    "statistics_xlsx",
                    "tickets_csv",
                    "tickets_xlsx",
                    "scorecard_csv",
                    "scorecard_xlsx",
                )
            },
            api_url=url_for("manager.statistics_json", **scope.query()) if scope else None,
        ), (400 if error else 200)


@bp.get("/api/statistics")
@contract(
    "statistics",
    "manager",
    "The statistics of one site or of every site the manager looks after.",
    SITE_MANAGERS,
    query=StatisticsQuery,
    answers={200: Statistics},
    refusals=(400, 401, 403, 404),
    descriptions={200: "The report."},
)
@json_login_required
def statistics_json() -> Any:
    require_roles(*MANAGERS)
    asked = query(StatisticsQuery)
    with runtime().db.reading() as session:
        _, report = _report(session, asked)
        return jsonify(report.as_dict())


def _file_name(scope: Scope, what: str, extension: str) -> str:
    return f"xephang-{what}-{scope.site}-{scope.first:%Y%m%d}-{scope.last:%Y%m%d}.{extension}"


def _csv_style() -> exports.CsvStyle:
    """Semicolons and decimal commas for the Vietnamese Excel the file is opened in;
    commas and points from an English page (see server/services/exports/)."""
    return exports.INTERNATIONAL if chosen_language() == "en" else exports.VIETNAMESE


@bp.get("/manager/statistics.csv")
@json_login_required
def statistics_csv() -> Response:
    require_roles(*MANAGERS)
    with runtime().db.reading() as session:
        scope, report = _report(session)
    body = exports.report_csv(report, _csv_style())
    return _attachment(body, _file_name(scope, "thong-ke", "csv"), "text/csv")


@bp.get("/manager/statistics.xlsx")
@json_login_required
def statistics_xlsx() -> Response:
    require_roles(*MANAGERS)
    with runtime().db.reading() as session:
        scope, report = _report(session)
    return _attachment(exports.report_xlsx(report), _file_name(scope, "thong-ke", "xlsx"), XLSX)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ticket_scope(session: Session) -> Scope:
    scope = _scope(session, read_query(StatisticsQuery))
    if scope.last < scope.first:
        raise InvalidInput(
            "Ngày kết thúc phải sau ngày bắt đầu.", "The end date must not be before the start."
        )
    if scope.last - scope.first >= timedelta(days=MAX_TICKET_LIST_DAYS):
        raise InvalidInput(
            f"Danh sách số chỉ xuất tối đa {MAX_TICKET_LIST_DAYS} ngày mỗi lần.",
            f"The ticket list exports at most {MAX_TICKET_LIST_DAYS} days at a time.",
        )
    return scope


@bp.get("/manager/tickets.csv")
@json_login_required
def tickets_csv() -> Response:
    require_roles(*MANAGERS)
    db = runtime().db
    style = _csv_style()
    with db.reading() as session:
        scope = _ticket_scope(session)

    def stream() -> Any:
        # Its own session: the response is streamed after this view has returned.
        with db.reading() as reading:
            yield from exports.tickets_csv(reading, scope.site_ids, scope.first, scope.last, style)

    return _attachment(stream(), _file_name(scope, "danh-sach-so", "csv"), "text/csv")


@bp.get("/manager/tickets.xlsx")
@json_login_required
def tickets_xlsx() -> Response:
    require_roles(*MANAGERS)
    with runtime().db.reading() as session:
        scope = _ticket_scope(session)
        body = exports.tickets_xlsx(session, scope.site_ids, scope.first, scope.last)
    return _attachment(body, _file_name(scope, "danh-sach-so", "xlsx"), XLSX)


# -- wait scorecard (how reliable the quoted waits were) ----------------------------------


def _page_scorecard(
    session: Session, scope: Scope | None
) -> tuple[scorecard.Scorecard | None, str | None]:
    """The statistics page's scorecard, or why there is none (a range too long for it
    leaves the rest of the page as it is)."""
    if scope is None:
        return None, None
    try:
        return scorecard.scorecard(session, scope.site_ids, scope.first, scope.last), None
    except InvalidInput as refused:
        return None, refused.message_en if chosen_language() == "en" else refused.message_vi


def _scorecard(
    session: Session, asked: ScorecardQuery | None = None
) -> tuple[Scope, scorecard.Scorecard]:
    asked = asked or read_query(ScorecardQuery)
    scope = _scope(session, asked)
    card = scorecard.scorecard(session, scope.site_ids, scope.first, scope.last, asked.service)
    return scope, card


@bp.get("/api/statistics/scorecard")
@contract(
    "waitScorecard",
    "manager",
    "How reliable the quoted waits were: each wait told to a citizen (at issue, and on the "
    "phone when it moved) against the ticket's first call; per service, per hour and in "
    "total. At most 366 days.",
    SITE_MANAGERS,
    query=ScorecardQuery,
    answers={200: Scorecard},
    refusals=(400, 401, 403, 404),
    descriptions={200: "The scorecard."},
)
@json_login_required
def scorecard_json() -> Any:
    require_roles(*MANAGERS)
    asked = query(ScorecardQuery)
    with runtime().db.reading() as session:
        _, card = _scorecard(session, asked)
        return jsonify(card.as_dict())


@bp.get("/manager/scorecard.csv")
@json_login_required
def scorecard_csv() -> Response:
    require_roles(*MANAGERS)
    with runtime().db.reading() as session:
        scope, card = _scorecard(session)
    body = scorecard_files.scorecard_csv(card, _csv_style())
    return _attachment(body, _file_name(scope, "do-tin-cay-thoi-gian-cho", "csv"), "text/csv")


@bp.get("/manager/scorecard.xlsx")
@json_login_required
def scorecard_xlsx() -> Response:
    require_roles(*MANAGERS)
    with runtime().db.reading() as session:
        scope, card = _scorecard(session)
    body = scorecard_files.scorecard_xlsx(card)
    return _attachment(body, _file_name(scope, "do-tin-cay-thoi-gian-cho", "xlsx"), XLSX)
