"""What managers and admins read about the past: the audit log of administrative changes,
and a ticket found by its site, day and number with its history step by step."""

from __future__ import annotations

from datetime import date

from flask import abort, render_template, request
from flask_login import login_required

from server.domain.errors import InvalidInput
from server.runtime import runtime
from server.services.admin import history
from server.services.admin.history import AUDIT_PAGE, ENTITIES, AuditFilter
from server.services.admin.sites import all_sites
from server.web.admin import bp
from server.web.admin.common import Page, found, managers_only
from server.web.input import parse_day


def _day(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_day(raw)
    except ValueError:
        raise InvalidInput(
            "Ngày phải viết dd/mm/yyyy, ví dụ 26/11/2026.",
            "A date must be written dd/mm/yyyy, e.g. 26/11/2026.",
        ) from None


def _arg_id(name: str) -> int | None:
    raw = request.args.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@bp.get("/audit")
@login_required
def audit_log() -> Page:
    user = managers_only()
    with runtime().db.reading() as session:
        allowed = history.visible_site_ids(session, user.role, user.site_ids)
        site_id = _arg_id("site")
        error = None
        try:
            first, last = _day("from"), _day("to")
        except InvalidInput as refused:
            error, first, last = refused, None, None
        wanted = AuditFilter(site_id, request.args.get("entity", ""), _arg_id("user"), first, last)
        rows = history.audit_entries(
            session, user.role, allowed, wanted, history.zone_of(session, site_id)
        )
        page = render_template(
            "admin/history/audit.html",
            active="audit",
            section="audit",
            rows=rows,
            limit=AUDIT_PAGE,
            entities=ENTITIES,
            people=history.people(session, user.role, allowed),
            sites=[s for s in all_sites(session) if s.id in allowed],
            args=request.args,
            error=error,
        )
    return (page, 400) if error else page


@bp.get("/tickets")
@login_required
def ticket_search() -> Page:
    """Find a ticket by its site, day and number (numbers restart every day)."""
    user = managers_only()
    with runtime().db.reading() as session:
        allowed = history.visible_site_ids(session, user.role, user.site_ids)
        sites = [s for s in all_sites(session) if s.id in allowed]
        site_id = _arg_id("site") or (sites[0].id if sites else None)
        number = request.args.get("number", "").strip().upper()[:16]
        error = None
        try:
            today = runtime().clock().astimezone(history.zone_of(session, site_id)).date()
            day = _day("day") or today
        except InvalidInput as refused:
            error, day = refused, None
        found_tickets = []
        if number and day and site_id is not None and site_id in allowed:
            found_tickets = history.find_tickets(session, site_id, day, number)
        page = render_template(
            "admin/history/tickets.html",
            active="tickets",
            section="tickets",
            sites=sites,
            site_id=site_id,
            day=day.strftime("%d/%m/%Y") if day else request.args.get("day", ""),
            number=number,
            searched=bool(number),
            tickets=found_tickets,
            error=error,
        )
    return (page, 400) if error else page


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket_history(ticket_id: int) -> str:
    """Who did what to one ticket, step by step (its ticket_events)."""
    user = managers_only()
    with runtime().db.reading() as session:
        ticket = found(history.find_ticket(session, ticket_id))
        if ticket.site_id not in history.visible_site_ids(session, user.role, user.site_ids):
            abort(403)
        zone = history.zone_of(session, ticket.site_id)
        return render_template(
            "admin/history/ticket.html",
            active="tickets",
            section="tickets",
            ticket=ticket,
            rows=history.ticket_steps(session, ticket, zone),
            related=history.related_tickets(session, ticket),
            issued=ticket.issued_at.astimezone(zone).strftime("%d/%m/%Y %H:%M:%S"),
        )
