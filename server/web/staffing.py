"""The staffing advisor's weekly plan (issue 14): a page for managers (printable), its
XLSX, and the same plan through the integration API. The plan is made by
server/services/staffing.py from the site's own history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from flask_login import login_required
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.adapters.db.models import Site
from server.domain.errors import InvalidInput
from server.domain.roles import Role
from server.runtime import runtime
from server.services import api_tokens, staffing
from server.services.access import get_site
from server.services.api_tokens import STATISTICS_READ
from server.services.staffing_sheet import plan_xlsx
from server.web.contract import api_token, contract, query
from server.web.i18n import chosen_language
from server.web.identity import (
    bearer_token,
    json_login_required,
    require_roles,
    require_site_manager,
    staff,
)
from server.web.input import Id, read_query
from server.web.integration import per_token
from server.web.schemas import IntegrationStaffingQuery, StaffingPlan, StaffingQuery

bp = Blueprint("staffing", __name__)

MANAGERS = (Role.ADMIN, Role.MANAGER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SitePath(BaseModel):
    site_id: Id = Field(description="The site's id.")


def _sites(session: Session) -> list[Site]:
    """The sites the signed-in manager looks after (every site for an admin)."""
    user = staff()
    chosen = select(Site).order_by(Site.id)
    if user.role != Role.ADMIN:
        chosen = chosen.where(Site.id.in_(user.site_ids))
    return list(session.scalars(chosen))


def _next_monday(site: Site) -> date:
    today = runtime().clock().astimezone(ZoneInfo(site.timezone)).date()
    return staffing.monday_of(today) + timedelta(days=7)


def _plan(session: Session, site: Site, week: date | None, weeks: int | None = None) -> Any:
    return staffing.weekly_plan(
        session,
        site.id,
        week or _next_monday(site),
        runtime().clock(),
        weeks=weeks or staffing.DEFAULT_WEEKS,
    )


def _chosen_site(session: Session, asked: StaffingQuery) -> tuple[list[Site], Site]:
    sites = _sites(session)
    if asked.site is None:
        if not sites:
            abort(403)  # a manager who has not been given a site yet
        return sites, sites[0]
    site = get_site(session, asked.site)
    require_site_manager(site.id)
    return sites, site


@bp.get("/manager/staffing")
@login_required
def page() -> Any:
    """The week's plan: a table per day of hours by services, with the actual figures of
    the days already over."""
    if staff().role not in MANAGERS:
        abort(403)
    with runtime().db.reading() as session:
        try:
            asked = read_query(StaffingQuery)
            sites, site = _chosen_site(session, asked)
            plan = _plan(session, site, asked.week)
            error = None
        except InvalidInput as refused:
            sites, site, plan = _sites(session), None, None
            error = refused.message_en if chosen_language() == "en" else refused.message_vi
        links = {}
        if plan is not None:
            links = {
                "xlsx": url_for(
                    "staffing.xlsx", site=plan.site_id, week=plan.week_start.isoformat()
                ),
                "previous": url_for(
                    "staffing.page",
                    site=plan.site_id,
                    week=(plan.week_start - timedelta(days=7)).isoformat(),
                ),
                "next": url_for(
                    "staffing.page",
                    site=plan.site_id,
                    week=(plan.week_start + timedelta(days=7)).isoformat(),
                ),
            }
        return render_template(
            "manager/staffing.html",
            sites=sites,
            site=site,
            plan=plan,
            error=error,
            links=links,
        ), (400 if error else 200)


@bp.get("/manager/staffing.xlsx")
@json_login_required
def xlsx() -> Response:
    require_roles(*MANAGERS)
    asked = read_query(StaffingQuery)
    with runtime().db.reading() as session:
        _, site = _chosen_site(session, asked)
        plan = _plan(session, site, asked.week)
    name = f"xephang-ke-hoach-nhan-su-{site.id}-{plan.week_start:%Y%m%d}.xlsx"
    return Response(
        plan_xlsx(plan),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/api/v1/sites/<int:site_id>/staffing")
@contract(
    "integrationStaffingPlan",
    "integration",
    "The staffing plan of a week: the demand learned from the weeks before, the counters "
    "each hour needs (Erlang C, then shared counters), who sits where; with the actual "
    "figures of the days already over.",
    api_token(STATISTICS_READ),
    path=SitePath,
    query=IntegrationStaffingQuery,
    answers={200: StaffingPlan},
    refusals=(400, 401, 403, 404, 429),
    descriptions={200: "The plan."},
)
@per_token
def integration_plan(site_id: int) -> Any:
    """`?week=YYYY-MM-DD&weeks=8`: the plan of the week holding that day (default: next
    week), learned from `weeks` weeks of history."""
    client = api_tokens.authenticate(runtime().uow(), bearer_token(), STATISTICS_READ)
    api_tokens.require_site(client, site_id)
    asked = query(IntegrationStaffingQuery)
    with runtime().db.reading() as session:
        site = get_site(session, site_id)
        return jsonify(_plan(session, site, asked.week, asked.weeks).as_dict())
