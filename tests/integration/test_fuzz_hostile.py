"""Hostile text and shapes on every JSON endpoint (issue 18), on SQLite and PostgreSQL:
JSON nested far deeper than any body, lone UTF-16 surrogates and NUL characters anywhere
in a body, a form or a query string. Each is a clear 400, never a 500, and changes nothing.
(The random JSON of test_fuzz_api.py and the OpenAPI fuzzing cover the rest.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server.cli.demo import DemoCredentials
from server.web.counter import ACTIONS
from tests.conftest import BULK_LIMITS, AppFactory, Centre, Published, Staff, kiosk_headers
from tests.integration.test_fuzz_api import fingerprint

# A text with one character no database column can hold, somewhere in it.
UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udfff", "\udbff"])
hostile_text = st.builds(
    lambda before, bad, after: before + bad + after,
    st.text(max_size=8),
    UNSTORABLE,
    st.text(max_size=8),
)
FIELDS = ["service_id", "ticket_id", "priority", "reason", "notice", "comment", "name"]
# A body whose key or value (at some depth) is hostile text.
hostile_bodies = st.recursive(
    st.dictionaries(st.sampled_from(FIELDS) | hostile_text, hostile_text, min_size=1, max_size=3),
    lambda inner: st.dictionaries(
        st.sampled_from(FIELDS), inner | st.lists(inner, min_size=1, max_size=2), min_size=1
    ),
    max_leaves=4,
)
depths = st.integers(min_value=33, max_value=5000)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

JSON = {"Content-Type": "application/json"}


def deep(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.fixture
def app(make_app: AppFactory, published: Published) -> Flask:
    return make_app(published, **BULK_LIMITS)


@pytest.fixture
def clerk(login: Any) -> Staff:
    staff: Staff = login("canbo1")
    return staff


@pytest.fixture
def manager(login: Any) -> Staff:
    staff: Staff = login("quanly")
    return staff


def endpoints(centre: Centre) -> list[str]:
    return [
        "/api/kiosk/tickets",
        f"/api/sites/{centre.site_id}/notice",
        *[f"/api/counters/{centre.counter[1]}/{action}" for action in sorted(ACTIONS)],
    ]


def post(who: dict[str, Staff], creds: DemoCredentials, app: Flask, url: str, raw: str) -> Any:
    if url == "/api/kiosk/tickets":
        return app.test_client().post(url, data=raw, headers={**JSON, **kiosk_headers(creds)})
    staff = who["manager"] if "/notice" in url else who["clerk"]
    return staff.post(url, data=raw, headers=JSON)


def assert_refused_unchanged(response: Any, centre: Centre, before: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["message"] and body["message_en"]
    assert fingerprint(centre) == before


@FUZZ
@given(depth=depths, kind=st.sampled_from(["list", "object"]), which=st.integers(0, 20))
@example(depth=1000, kind="list", which=0)
@example(depth=100_000, kind="object", which=1)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(
    app: Flask,
    clerk: Staff,
    manager: Staff,
    creds: DemoCredentials,
    centre: Centre,
    depth: int,
    kind: str,
    which: int,
) -> None:
    urls = endpoints(centre)
    url = urls[which % len(urls)]
    before = fingerprint(centre)
    raw = '{"reason": ' + deep(depth, kind) + "}"
    response = post({"clerk": clerk, "manager": manager}, creds, app, url, raw)
    if response.status_code == 413:  # deeper still: over the size limit before any parsing
        assert fingerprint(centre) == before
        return
    assert_refused_unchanged(response, centre, before)


@FUZZ
@given(body=hostile_bodies, which=st.integers(0, 20))
@example(body={"notice": "\ud800"}, which=1)
@example(body={"reason": "a\x00b"}, which=2)
@example(body={"service_id": 1, "priority": "\x00"}, which=0)
def test_lone_surrogates_and_nul_anywhere_in_a_body_are_a_400(
    app: Flask,
    clerk: Staff,
    manager: Staff,
    creds: DemoCredentials,
    centre: Centre,
    body: dict[str, Any],
    which: int,
) -> None:
    urls = endpoints(centre)
    url = urls[which % len(urls)]
    before = fingerprint(centre)
    # json.dumps writes a lone surrogate as its \\ud800 escape, as a hostile client would.
    response = post({"clerk": clerk, "manager": manager}, creds, app, url, json.dumps(body))
    assert_refused_unchanged(response, centre, before)


def raw(text: str) -> str:
    """Percent-encoded as a hostile client would send it, lone surrogates included."""
    return quote(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(text=hostile_text, where=st.sampled_from(["username", "password", "query"]))
def test_nul_in_a_form_or_a_query_string_is_a_400(app: Flask, text: str, where: str) -> None:
    client = app.test_client()
    if where == "query":
        response = client.get(f"/api/statistics?site={raw(text)}")
    else:
        form = {"username": raw("canbo1"), "password": raw("x"), where: raw(text)}
        response = client.post(
            "/login",
            data="&".join(f"{name}={value}" for name, value in form.items()),
            content_type="application/x-www-form-urlencoded",
        )
    # Werkzeug decodes a form or query string as UTF-8, replacing what is not: only NUL
    # survives the trip, and only it must be refused.
    if "\x00" in text:
        assert response.status_code == 400
    else:
        assert response.status_code < 500
