"""Schemathesis against /api/openapi.json, in-process on the WSGI app: thousands of requests
built from the document, valid ones and invalid ones, each sent with the credentials its
operation asks for. Every answer must be documented (its status, its content type, its
body's schema), none may be a 5xx, and a refused request (4xx) must leave the database as
it was."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from server.adapters.db.models import (
    ApiToken,
    AuditEntry,
    Counter,
    Device,
    PrintJob,
    Site,
    Ticket,
    TicketEvent,
    TicketRating,
    ticket_stats,
)
from server.cli.demo import DemoCredentials
from server.services import api_tokens
from server.services.unit_of_work import UnitOfWork
from tests.conftest import BULK_LIMITS, AppFactory, Centre, Published, Staff, kiosk_headers

# Thousands of requests: in `make test` (both passes), not in `make check`.
pytestmark = pytest.mark.slow

# Examples per operation and mode: 18 operations (Schemathesis leaves out the document's own
# address), 15 of them with inputs, give over MIN_CASES within about a minute and a half on
# two cores (operations without inputs run out of distinct examples at once).
POSITIVE_EXAMPLES = 95
NEGATIVE_EXAMPLES = 50
MIN_CASES = 2_000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app(make_app: AppFactory, published: Published) -> Flask:
    # Thousands of requests from one kiosk, one address and one token within a minute.
    return make_app(published, **BULK_LIMITS, ratelimit_api="1000000 per minute")


def fingerprint(centre: Centre) -> tuple[Any, ...]:
    """What a request may change (API tokens' last use aside: using a token is noted even
    when the request is then refused, like a rate limit's count)."""
    with centre.db.reading() as session:
        return (
            tuple(session.execute(select(Ticket.id, Ticket.status, Ticket.counter_id)).all()),
            session.scalar(select(func.count(TicketEvent.id))),
            tuple(session.execute(select(Site.id, Site.event_seq, Site.notice)).all()),
            tuple(
                session.execute(
                    select(Counter.id, Counter.state, Counter.pause_reason, Counter.clerk_id)
                ).all()
            ),
            session.scalar(select(func.count(TicketRating.id))),
            session.scalar(select(func.count(PrintJob.id))),
            session.scalar(select(func.count(AuditEntry.id))),
            tuple(session.execute(select(ApiToken.id, ApiToken.revoked_at)).all()),
            session.scalar(select(func.coalesce(func.sum(ticket_stats.c.issued), 0))),
        )


@dataclass
class Credentials:
    """The headers and cookies of the actor each operation is meant for."""

    devices: dict[str, dict[str, str]]
    session: dict[str, str]
    csrf: dict[str, str]
    bearer: dict[str, str]

    def for_operation(self, path: str, security: list[dict[str, Any]]) -> dict[str, Any]:
        schemes = {name for requirement in security for name in requirement}
        headers: dict[str, str] = {}
        cookies: dict[str, str] = {}
        if "deviceToken" in schemes:
            headers |= self.devices[path.split("/")[2]]  # /api/<kiosk|board|rating>/…
        if "session" in schemes:
            cookies |= self.session
        if "csrfToken" in schemes:
            headers |= self.csrf
        if "apiToken" in schemes:
            headers |= self.bearer
        return {"headers": headers, "cookies": cookies}


@dataclass
class Tally:
    """The answers' statuses, by operation."""

    statuses: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, operation: str, status: int) -> None:
        seen = self.statuses.setdefault(operation, {})
        seen[status] = seen.get(status, 0) + 1

    def count(self, refused: bool = False) -> int:
        return sum(
            n
            for seen in self.statuses.values()
            for status, n in seen.items()
            if not refused or 400 <= status < 500
        )


def real_values(centre: Centre, tokens: list[str]) -> dict[str, Any]:
    """Path values naming real rows, so that most examples get past the lookups."""
    with centre.db.reading() as session:
        kiosk_id = session.scalar(select(Device.id).where(Device.kind == "kiosk"))
        ticket_id = session.scalar(select(func.min(Ticket.id)))
    return {
        "site_id": centre.site_id,
        "counter_id": centre.counter[1],
        "ticket_id": ticket_id,
        "device_id": kiosk_id,
        "token": tokens[0],
    }


def real_ids(centre: Centre) -> dict[str, st.SearchStrategy[int]]:
    """Ids that name real rows, for the fields of a body that hold one."""
    with centre.db.reading() as session:
        tickets = list(session.scalars(select(Ticket.id)))
        kiosks = list(session.scalars(select(Device.id).where(Device.kind == "kiosk")))
    return {
        "service_id": st.sampled_from(sorted(centre.service.values())),
        "ticket_id": st.sampled_from(tickets),
        "device_id": st.sampled_from(kiosks),
    }


def with_real_ids(
    strategy: st.SearchStrategy[Case[Any]], ids: dict[str, st.SearchStrategy[int]]
) -> Any:
    """Half of the generated bodies get real ids in their id fields: random ids almost never
    name a row, and the rules behind the lookups would go untried."""

    @st.composite
    def cases(draw: st.DrawFn) -> Case[Any]:
        case = draw(strategy)
        if isinstance(case.body, dict) and draw(st.booleans()):
            for name, values in ids.items():
                if name in case.body:
                    case.body[name] = draw(values)
        return case

    return cases()


def issue_some_tickets(app: Flask, creds: DemoCredentials, centre: Centre) -> list[str]:
    client = app.test_client()
    tokens = []
    for code in ("HT", "CT", "DD", "HT"):
        response = client.post(
            "/api/kiosk/tickets",
            json={"service_id": centre.service[code]},
            headers=kiosk_headers(creds),
        )
        tokens.append(response.get_json()["ticket"]["token"])
    return tokens


@pytest.mark.timeout(300)
def test_thousands_of_generated_requests_get_documented_answers_and_refusals_change_nothing(
    app: Flask, creds: DemoCredentials, centre: Centre, login: Callable[[str], Staff]
) -> None:
    tokens = issue_some_tickets(app, creds, centre)
    admin = login("admin")
    session_cookie = admin.client.get_cookie("session")
    assert session_cookie is not None
    api_token = api_tokens.create(
        UnitOfWork(centre.db),
        "Fuzz",
        api_tokens.SCOPES,
        None,
        centre.user["admin"],
    ).token
    credentials = Credentials(
        devices={
            kind: {"X-Device-Token": creds.device_tokens[kind]}
            for kind in ("kiosk", "board", "rating")
        },
        session={"session": session_cookie.value},
        csrf={"X-CSRFToken": admin.csrf},
        bearer={"Authorization": f"Bearer {api_token}"},
    )
    real = real_values(centre, tokens)
    ids = real_ids(centre)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    tally = Tally()
    started = time.monotonic()

    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        raw = operation.definition.raw
        fixed = credentials.for_operation(operation.path, raw.get("security", []))
        known = {
            p["name"]: real[p["name"]]
            for p in raw.get("parameters", [])
            if p["in"] == "path" and p["name"] in real
        }
        has_inputs = bool(raw.get("parameters") or raw.get("requestBody"))
        modes = [(GenerationMode.POSITIVE, POSITIVE_EXAMPLES)]
        if has_inputs:
            modes.append((GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES))
        for mode, examples in modes:
            strategies = [operation.as_strategy(generation_mode=mode, **fixed)]
            if known:
                # Real ids for most examples; generated ones (mostly unknown) for the rest.
                strategies.insert(
                    0, operation.as_strategy(generation_mode=mode, path_parameters=known, **fixed)
                )

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=with_real_ids(st.one_of(strategies), ids))
            def send(case: Case[Any]) -> None:
                before = fingerprint(centre)
                response = case.call()
                case.validate_response(response, checks=CHECKS)
                tally.add(case.operation.label, response.status_code)
                if 400 <= response.status_code < 500:
                    assert fingerprint(centre) == before, (
                        f"{case.operation.label} answered {response.status_code} but changed "
                        f"the database: {response.text[:300]}"
                    )

            send()

    elapsed = time.monotonic() - started
    print(
        f"\nfuzzed {tally.count()} requests ({tally.count(refused=True)} refused) over"
        f" {len(tally.statuses)} operations in {elapsed:.0f} s; statuses by operation:"
    )
    for label, seen in tally.statuses.items():
        print(f"  {label}: {dict(sorted(seen.items()))}")
    assert tally.count() >= MIN_CASES
    assert len(tally.statuses) == len(list(schema.get_all_operations()))
