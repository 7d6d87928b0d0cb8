"""The clerk's screen: the counters a clerk may work at, and the actions at one of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from flask import Blueprint, abort, jsonify, render_template
from flask_login import login_required
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy import select

from server.adapters.db.models import Counter
from server.domain.errors import InvalidInput, NotFound
from server.domain.roles import Role
from server.runtime import runtime
from server.services import counters, snapshots, tickets
from server.services.access import can_work_at, counter_for_user, get_user
from server.services.unit_of_work import UnitOfWork
from server.web.contract import Relation, body, contract
from server.web.contract import staff as staff_access
from server.web.identity import json_login_required, staff
from server.web.input import Id
from server.web.jsonify import plain
from server.web.schemas import CounterActionBody, CounterActionResult, CounterSnapshot

bp = Blueprint("counter", __name__)

Action = Callable[[UnitOfWork, int, int, CounterActionBody], object]


def _required(value: int | None, name: str) -> int:
    if value is None:
        raise InvalidInput(f"Thiếu trường “{name}”.", f"The field “{name}” is missing.")
    return value


# One entry per button on the clerk's screen: POST /api/counters/<id>/<action>.
ACTIONS: dict[str, Action] = {
    "open": lambda uow, c, u, body: counters.open_counter(uow, c, u),
    "pause": lambda uow, c, u, body: counters.pause_counter(uow, c, u, body.reason or ""),
    "close": lambda uow, c, u, body: counters.close_counter(uow, c, u),
    "call-next": lambda uow, c, u, body: tickets.call_next(uow, c, u),
    "call": lambda uow, c, u, body: tickets.call_ticket(
        uow, c, u, _required(body.ticket_id, "ticket_id")
    ),
    "recall": lambda uow, c, u, body: tickets.recall(uow, c, u, body.ticket_id),
    "start": lambda uow, c, u, body: tickets.start_serving(uow, c, u, body.ticket_id),
    "finish": lambda uow, c, u, body: tickets.finish(uow, c, u, body.ticket_id),
    "no-show": lambda uow, c, u, body: tickets.mark_no_show(uow, c, u, body.ticket_id),
    "transfer": lambda uow, c, u, body: tickets.transfer(
        uow, c, u, _required(body.service_id, "service_id"), body.ticket_id, body.note or ""
    ),
    "cancel": lambda uow, c, u, body: tickets.cancel_at_counter(
        uow, c, u, _required(body.ticket_id, "ticket_id")
    ),
}

# What each button does, for the API's document (a test keeps the two lists equal).
ACTION_HELP: dict[str, str] = {
    "open": "Open the counter, or resume it after a pause.",
    "pause": "Pause with a `reason` (at most 200 characters).",
    "close": "Close the counter (refused while a ticket is called or served).",
    "call-next": "Call the next ticket by the rules (priority, main services, queue order).",
    "call": "Call one waiting ticket (`ticket_id`) of the counter's services.",
    "recall": "Call the current ticket again.",
    "start": "The citizen arrived: service starts.",
    "finish": "Served.",
    "no-show": "The citizen did not come.",
    "transfer": "Move the ticket to another service's queue (`service_id`), keeping its place, "
    "with an optional `note` for the next counter (at most 200 characters).",
    "cancel": "Cancel a ticket (`ticket_id`) of the counter's services.",
}


class CounterPath(BaseModel):
    counter_id: Id = Field(description="The counter's id (not its number).")


class CounterActionPath(CounterPath):
    action: Annotated[str, WithJsonSchema({"enum": list(ACTIONS)})]


CLERKS = staff_access(Role.CLERK, of=Relation.COUNTER)


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
@contract(
    "counterSnapshot",
    "counter",
    "The clerk's screen: the counter, its current ticket, the waiting list in calling order, "
    "the services to transfer to.",
    CLERKS,
    path=CounterPath,
    answers={200: CounterSnapshot},
    refusals=(401, 403, 404),
    descriptions={200: "The counter's snapshot."},
)
@json_login_required
def snapshot(counter_id: int) -> Any:
    rt = runtime()
    with rt.db.reading() as session:
        counter_for_user(session, counter_id, staff().id)  # 404 or 403 before anything is shown
        return jsonify(snapshots.counter(session, counter_id, rt.clock()))


@bp.post("/api/counters/<int:counter_id>/<action>")
@contract(
    "counterAction",
    "counter",
    "A button of the clerk's screen. "
    + " ".join(f"`{name}`: {text}" for name, text in ACTION_HELP.items()),
    CLERKS,
    path=CounterActionPath,
    body=CounterActionBody,
    answers={200: CounterActionResult},
    refusals=(400, 401, 403, 404, 409, 413),
)
@json_login_required
def act(counter_id: int, action: str) -> Any:
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound(
            f"Không có thao tác “{action}” ở quầy.", f"There is no counter action “{action}”."
        )
    result = handler(runtime().uow(), counter_id, staff().id, body(CounterActionBody))
    return jsonify({"ok": True, "result": plain(result)})
