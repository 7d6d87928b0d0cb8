"""The clerk's screen: the counters a clerk may work at, and the actions at one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, jsonify, render_template
from flask_login import login_required
from sqlalchemy import select

from server.adapters.db.models import Counter
from server.domain.errors import NotFound
from server.domain.roles import Role
from server.runtime import runtime
from server.services import counters, snapshots, tickets
from server.services.access import can_work_at, counter_for_user, get_user
from server.services.unit_of_work import UnitOfWork
from server.web.identity import json_login_required, staff
from server.web.input import id_field, json_body, required_id, text_field
from server.web.jsonify import plain

bp = Blueprint("counter", __name__)

Action = Callable[[UnitOfWork, int, int, dict[str, Any]], object]

# One entry per button on the clerk's screen: POST /api/counters/<id>/<action>.
ACTIONS: dict[str, Action] = {
    "open": lambda uow, c, u, body: counters.open_counter(uow, c, u),
    "pause": lambda uow, c, u, body: counters.pause_counter(
        uow, c, u, text_field(body, "reason", counters.MAX_PAUSE_REASON)
    ),
    "close": lambda uow, c, u, body: counters.close_counter(uow, c, u),
    "call-next": lambda uow, c, u, body: tickets.call_next(uow, c, u),
    "call": lambda uow, c, u, body: tickets.call_ticket(uow, c, u, required_id(body, "ticket_id")),
    "recall": lambda uow, c, u, body: tickets.recall(uow, c, u, id_field(body, "ticket_id", False)),
    "start": lambda uow, c, u, body: tickets.start_serving(
        uow, c, u, id_field(body, "ticket_id", False)
    ),
    "finish": lambda uow, c, u, body: tickets.finish(uow, c, u, id_field(body, "ticket_id", False)),
    "no-show": lambda uow, c, u, body: tickets.mark_no_show(
        uow, c, u, id_field(body, "ticket_id", False)
    ),
    "transfer": lambda uow, c, u, body: tickets.transfer(
        uow, c, u, required_id(body, "service_id"), id_field(body, "ticket_id", False)
    ),
    "cancel": lambda uow, c, u, body: tickets.cancel_at_counter(
        uow, c, u, required_id(body, "ticket_id")
    ),
}


@bp.get("/counter")
@login_required
def choose() -> str:
    """The counters the signed-in clerk may work at (all of them for an admin)."""
    user = staff()
    with runtime().db.reading() as session:
        rows = session.scalars(select(Counter).order_by(Counter.site_id, Counter.number)).all()
        me = get_user(session, user.id)
        mine = [
            {
                "id": c.id,
                "number": c.number,
                "label": c.label,
                "site": c.site.name,
                "state": c.state,
            }
            for c in rows
            if can_work_at(me, c)
        ]
    return render_template("counter/choose.html", counters=mine)


@bp.get("/counter/<int:counter_id>")
@login_required
def page(counter_id: int) -> str:
    user = staff()
    if user.role != Role.ADMIN and counter_id not in user.counter_ids:
        abort(403)
    return render_template("counter/index.html", counter_id=counter_id)


@bp.get("/api/counters/<int:counter_id>")
@json_login_required
def snapshot(counter_id: int) -> Any:
    rt = runtime()
    with rt.db.reading() as session:
        counter_for_user(session, counter_id, staff().id)  # 404 or 403 before anything is shown
        return jsonify(snapshots.counter(session, counter_id, rt.clock()))


@bp.post("/api/counters/<int:counter_id>/<action>")
@json_login_required
def act(counter_id: int, action: str) -> Any:
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound(
            f"Không có thao tác “{action}” ở quầy.", f"There is no counter action “{action}”."
        )
    result = handler(runtime().uow(), counter_id, staff().id, json_body())
    return jsonify({"ok": True, "result": plain(result)})
