"""Random JSON thrown at every POST endpoint: never a 500, and a refused request changes
nothing. (Issue-level fuzzing against an OpenAPI document comes with the API tokens.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from server.adapters.db.models import Site, Ticket, TicketEvent
from server.cli.demo import DemoCredentials
from server.web.counter import ACTIONS
from tests.conftest import BULK_LIMITS, AppFactory, Centre, Published, Staff, kiosk_headers

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
ids = st.integers(-5, 10) | st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30])
# Bodies that look like the real ones, with fields of any type, plus anything at all.
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {},
        optional={
            "service_id": json_values | ids,
            "ticket_id": json_values | ids,
            "priority": json_values | st.sampled_from(["elderly", "merit", "", "vip"]),
            "reason": json_values,
        },
    ),
)


def fingerprint(centre: Centre) -> tuple[Any, ...]:
    with centre.db.reading() as session:
        return (
            session.scalar(select(func.count(Ticket.id))),
            session.scalar(select(func.count(TicketEvent.id))),
            session.scalar(select(Site.event_seq)),
        )


@pytest.fixture
def app(make_app: AppFactory, published: Published) -> Flask:
    # One kiosk sends every example within seconds: far beyond a real kiosk's rate limit.
    return make_app(published, **BULK_LIMITS)


@pytest.fixture
def clerk(login: Any) -> Staff:
    # Function-scoped fixtures are built once per test, shared by all its examples.
    staff: Staff = login("canbo1")
    return staff


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies)
@example(body={"service_id": 2**63})
@example(body={"service_id": 1, "priority": ["elderly"]})
@example(body=[])
def test_the_kiosk_endpoint_never_fails_with_a_500(
    app: Flask, creds: DemoCredentials, centre: Centre, body: Any
) -> None:
    before = fingerprint(centre)
    response = app.test_client().post("/api/kiosk/tickets", json=body, headers=kiosk_headers(creds))
    assert response.status_code in (201, 400, 404, 409), response.get_json()
    if response.status_code != 201:
        assert response.get_json()["message_en"]
        assert fingerprint(centre) == before


@FUZZ
@given(action=st.sampled_from(sorted(ACTIONS)), body=bodies)
@example(action="call", body={"ticket_id": 10**30})
@example(action="transfer", body={"service_id": -(2**63) - 1})
@example(action="pause", body={"reason": {"a": 1}})
def test_counter_actions_never_fail_with_a_500(
    clerk: Staff, centre: Centre, action: str, body: Any
) -> None:
    before = fingerprint(centre)
    response = clerk.post(f"/api/counters/{centre.counter[1]}/{action}", json=body)
    assert response.status_code < 500, response.get_json()
    if response.status_code >= 400:
        assert response.get_json()["message_en"]
        assert fingerprint(centre) == before
