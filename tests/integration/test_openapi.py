"""The OpenAPI document, generated from the routes' contracts (server/web/contract.py):
served, valid OpenAPI 3.1, and describing exactly the routes under /api/ (a new JSON route
without its contract fails here); real answers match the schemas it documents, and bad input
is refused with our bilingual error naming the field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from server.cli.demo import DemoCredentials
from server.web.counter import ACTION_HELP, ACTIONS
from tests.conftest import Centre, Staff, kiosk_headers

# Runs once, in the SQLite pass (the document against the URL map).
pytestmark = pytest.mark.anydb

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def template(rule: str) -> str:
    """A Werkzeug rule as an OpenAPI path: /api/counters/<int:counter_id> ->
    /api/counters/{counter_id}."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def json_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (template(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item}


def test_the_document_is_served_and_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_json_route_is_described_and_nothing_else(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    routes, described = json_routes(app), documented(document)
    assert not routes - described, f"JSON routes missing from the document: {routes - described}"
    assert not described - routes, f"described but not routes: {described - routes}"


def test_path_parameters_are_those_of_the_route(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([^}]+)}", path)), (method, path)


def test_the_counter_actions_are_the_buttons_of_the_counter_screen(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/counters/{counter_id}/{action}"]["post"]
    action = next(p for p in operation["parameters"] if p["name"] == "action")
    assert action["schema"]["enum"] == list(ACTIONS) == list(ACTION_HELP)


def test_every_operation_says_who_may_call_it_and_how_it_refuses(client: FlaskClient) -> None:
    document = client.get("/api/openapi.json").get_json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["deviceToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Device-Token",
        "description": schemes["deviceToken"]["description"],
    }
    assert (schemes["session"]["in"], schemes["csrfToken"]["name"]) == ("cookie", "X-CSRFToken")
    assert (schemes["apiToken"]["type"], schemes["apiToken"]["scheme"]) == ("http", "bearer")
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message", "message_en"}
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            assert "security" in operation, (method, path)
            assert operation.get("x-permission"), (method, path)
            for requirement in operation["security"]:
                assert set(requirement) <= set(schemes)
                if method == "post" and "session" in requirement:
                    assert "csrfToken" in requirement, (method, path)
            refusals = [s for s in operation["responses"] if s.startswith("4")]
            if path != "/api/openapi.json":
                assert refusals, (method, path)
            for status in refusals:
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}
            if path.startswith("/api/v1/"):
                assert [set(r) for r in operation["security"]] == [{"apiToken"}]
    assert len(ids) == len(set(ids))


def conforms(document: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """`body` is valid against the schema the document gives for this answer."""
    answer = document["paths"][path][method]["responses"][str(status)]
    schema = {
        **answer["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    errors = sorted(OAS31Validator(schema).iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0]}"


def test_real_answers_match_the_documented_schemas(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, login: Any
) -> None:
    document = client.get("/api/openapi.json").get_json()
    kiosk = kiosk_headers(creds)
    issued = client.post(
        "/api/kiosk/tickets", json={"service_id": centre.service["HT"]}, headers=kiosk
    )
    conforms(document, "/api/kiosk/tickets", "post", 201, issued.get_json())
    snapshot = client.get("/api/kiosk/snapshot", headers=kiosk)
    conforms(document, "/api/kiosk/snapshot", "get", 200, snapshot.get_json())
    token = issued.get_json()["ticket"]["token"]
    phone = client.get(f"/api/tickets/{token}")
    conforms(document, "/api/tickets/{token}", "get", 200, phone.get_json())

    clerk: Staff = login("admin")
    counter = centre.counter[1]
    opened = clerk.post(f"/api/counters/{counter}/open")
    conforms(document, "/api/counters/{counter_id}/{action}", "post", 200, opened.get_json())
    called = clerk.post(f"/api/counters/{counter}/call-next")
    conforms(document, "/api/counters/{counter_id}/{action}", "post", 200, called.get_json())
    screen = clerk.client.get(f"/api/counters/{counter}")
    conforms(document, "/api/counters/{counter_id}", "get", 200, screen.get_json())
    hall = clerk.client.get(f"/api/sites/{centre.site_id}/overview")
    conforms(document, "/api/sites/{site_id}/overview", "get", 200, hall.get_json())
    report = clerk.client.get("/api/statistics?site=all")
    conforms(document, "/api/statistics", "get", 200, report.get_json())
    refused = clerk.post(f"/api/counters/{counter}/close")
    conforms(document, "/api/counters/{counter_id}/{action}", "post", 409, refused.get_json())
    reception = f"/api/reception/sites/{centre.site_id}"
    guide = clerk.get(reception).get_json()
    conforms(document, "/api/reception/sites/{site_id}", "get", 200, guide)
    guided = clerk.post(f"{reception}/tickets", json={"service_id": centre.service["CT"]})
    conforms(document, "/api/reception/sites/{site_id}/tickets", "post", 201, guided.get_json())


def test_bad_input_is_refused_in_both_languages_naming_the_field(
    client: FlaskClient, creds: DemoCredentials, login: Any, centre: Centre
) -> None:
    kiosk = kiosk_headers(creds)
    cases = [
        ({"service_id": "1"}, "service_id"),
        ({"service_id": True}, "service_id"),
        ({"priority": "elderly"}, "service_id"),
        ({"service_id": 1, "priority": "vip"}, "priority"),
    ]
    for body, field in cases:
        response = client.post("/api/kiosk/tickets", json=body, headers=kiosk)
        error = response.get_json()
        assert response.status_code == 400 and error["error"] == "invalid_input", body
        assert field in error["message"] and field in error["message_en"], error
    admin: Staff = login("admin")
    response = admin.client.get("/api/statistics?from=yesterday")
    assert response.status_code == 400
    assert "from" in response.get_json()["message_en"]
    long = admin.post(f"/api/sites/{centre.site_id}/notice", json={"notice": "x" * 5000})
    assert long.status_code == 400 and "notice" in long.get_json()["message"]
