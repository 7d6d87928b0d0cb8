"""The OpenAPI document: served, valid OpenAPI 3.1, and describing exactly the routes under
/api/ (a new JSON route without its description fails here, and so does a description
of a route that is gone)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from server.web.counter import ACTIONS
from server.web.openapi import COUNTER_ACTIONS

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


def test_the_counter_actions_are_the_buttons_of_the_counter_screen() -> None:
    assert list(COUNTER_ACTIONS) == list(ACTIONS)


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
