"""Integration API tokens: made and revoked by an admin (or the command line), shown once,
stored as a hash, each with its scopes and maybe one site; and the /api/v1 endpoints they
open."""

from __future__ import annotations

import re
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.adapters.db.models import ApiToken, AuditEntry, Ticket
from server.cli.accounts import create_api_token
from server.cli.main import cli
from server.domain.errors import Forbidden, InvalidInput, NotFound
from server.domain.tickets import Channel
from server.services import api_tokens
from server.services.api_tokens import QUEUE_READ, SCOPES, STATISTICS_READ, TICKETS_ISSUE
from server.services.credentials import token_hash
from server.services.unit_of_work import UnitOfWork
from tests.conftest import AppFactory, Centre, FakeClock, Published, Staff
from tests.second_site import SecondSite, add_second_site

ALL_SCOPES = (QUEUE_READ, TICKETS_ISSUE, STATISTICS_READ)


@pytest.fixture
def second(centre: Centre) -> SecondSite:
    return add_second_site(centre.db)


def make_token(
    uow: UnitOfWork, centre: Centre, *scopes: str, site_id: int | None = None
) -> api_tokens.CreatedToken:
    return api_tokens.create(
        uow, "Cổng dịch vụ công tỉnh", scopes or ALL_SCOPES, site_id, centre.user["admin"]
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_rows(centre: Centre) -> list[ApiToken]:
    with centre.db.reading() as session:
        return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


# -- the use cases ------------------------------------------------------------------------


def test_an_admin_creates_a_token_that_is_shown_once_and_stored_only_as_a_hash(
    uow: UnitOfWork, centre: Centre
) -> None:
    created = make_token(uow, centre, QUEUE_READ, TICKETS_ISSUE, site_id=centre.site_id)
    assert created.token.startswith(api_tokens.TOKEN_PREFIX) and len(created.token) > 40
    (row,) = token_rows(centre)
    assert row.id == created.id
    assert row.token_hash == token_hash(created.token)
    assert created.token not in str(vars(row))
    assert row.scopes == "queue:read tickets:issue"
    assert (row.site_id, row.created_by) == (centre.site_id, centre.user["admin"])
    with centre.db.reading() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.entity, entry.entity_id) == (
            "api_token.create",
            "api_token",
            created.id,
        )
        assert entry.user_id == centre.user["admin"] and entry.site_id == centre.site_id
        assert entry.detail == {
            "name": "Cổng dịch vụ công tỉnh",
            "scopes": ["queue:read", "tickets:issue"],
        }
        assert created.token not in str(entry.detail)


def test_two_tokens_never_share_a_value(uow: UnitOfWork, centre: Centre) -> None:
    assert make_token(uow, centre).token != make_token(uow, centre).token


@pytest.mark.parametrize(
    ("name", "scopes", "site_id", "error"),
    [
        ("", (QUEUE_READ,), None, InvalidInput),
        ("   ", (QUEUE_READ,), None, InvalidInput),
        ("x" * 201, (QUEUE_READ,), None, InvalidInput),
        ("Bảng nút bấm", (), None, InvalidInput),
        ("Bảng nút bấm", ("queue:write",), None, InvalidInput),
        ("Bảng nút bấm", ("*",), None, InvalidInput),
        ("Bảng nút bấm", (QUEUE_READ,), 999, NotFound),
    ],
)
def test_a_token_needs_a_name_known_scopes_and_an_existing_site(
    uow: UnitOfWork,
    centre: Centre,
    name: str,
    scopes: tuple[str, ...],
    site_id: int | None,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        api_tokens.create(uow, name, scopes, site_id, centre.user["admin"])
    assert token_rows(centre) == []


@pytest.mark.parametrize("username", ["quanly", "canbo1"])
def test_only_an_admin_creates_or_revokes_tokens(
    uow: UnitOfWork, centre: Centre, username: str
) -> None:
    with pytest.raises(Forbidden):
        api_tokens.create(uow, "Bảng nút bấm", (TICKETS_ISSUE,), None, centre.user[username])
    created = make_token(uow, centre)
    with pytest.raises(Forbidden):
        api_tokens.revoke(uow, created.id, centre.user[username])
    assert [row.revoked_at for row in token_rows(centre)] == [None]


def test_revoking_is_audited_once_and_the_token_stays_listed(
    uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    created = make_token(uow, centre)
    clock.advance(hours=1)
    api_tokens.revoke(uow, created.id, centre.user["admin"])
    api_tokens.revoke(uow, created.id, centre.user["admin"])  # again: nothing more
    with pytest.raises(NotFound):
        api_tokens.revoke(uow, created.id + 1, centre.user["admin"])
    with centre.db.reading() as session:
        (listed,) = api_tokens.list_tokens(session)
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert listed.revoked_at == clock.now and not listed.active
    assert listed.created_by == "admin" and listed.site_name is None
    assert actions == ["api_token.create", "api_token.revoke"]


# -- the integration API ------------------------------------------------------------------


def test_a_token_reads_the_queues_of_its_site(
    client: FlaskClient, uow: UnitOfWork, centre: Centre
) -> None:
    token = make_token(uow, centre, QUEUE_READ, site_id=centre.site_id).token
    response = client.get(f"/api/v1/sites/{centre.site_id}/queue", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    queue = response.get_json()
    assert queue["site"]["code"] == "tan-dinh"
    assert [s["code"] for s in queue["services"]] == ["HT", "CT", "DD", "LD", "KD", "TKQ"]
    assert {"waiting", "estimated_wait_minutes"} <= set(queue["services"][0])


def test_a_token_issues_a_ticket_on_the_phone_channel_that_the_queue_then_counts(
    client: FlaskClient, uow: UnitOfWork, centre: Centre
) -> None:
    token = make_token(uow, centre, QUEUE_READ, TICKETS_ISSUE).token
    response = client.post(
        f"/api/v1/sites/{centre.site_id}/tickets",
        json={"service_id": centre.service["DD"], "priority": "elderly"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()
    ticket = response.get_json()["ticket"]
    assert ticket["number"] == "C001" and ticket["priority"] == "elderly"
    assert ticket["phone_url"].endswith(f"/t/{ticket['token']}")
    (row,) = centre.tickets()
    assert row.channel == Channel.PHONE and row.device_id is None
    assert client.get(f"/api/tickets/{ticket['token']}").status_code == 200
    queue = client.get(f"/api/v1/sites/{centre.site_id}/queue", headers=bearer(token)).get_json()
    land = next(s for s in queue["services"] if s["code"] == "DD")
    assert land["waiting"] == 1


def test_an_issued_ticket_is_refused_like_at_the_kiosk_and_changes_nothing(
    client: FlaskClient, uow: UnitOfWork, centre: Centre
) -> None:
    token = make_token(uow, centre, TICKETS_ISSUE).token
    url = f"/api/v1/sites/{centre.site_id}/tickets"
    for body, status in (
        ({}, 400),
        ({"service_id": "1"}, 400),
        ({"service_id": centre.service["HT"], "priority": "vip"}, 400),
        ({"service_id": 999}, 404),
    ):
        response = client.post(url, json=body, headers=bearer(token))
        assert response.status_code == status, body
        assert response.get_json()["message_en"]
    assert client.post("/api/v1/sites/999/tickets", json={"service_id": 1}, headers=bearer(token))
    assert centre.tickets() == []


def test_the_statistics_of_the_tokens_site_or_of_every_site(
    client: FlaskClient, uow: UnitOfWork, centre: Centre, second: SecondSite
) -> None:
    everywhere = make_token(uow, centre, STATISTICS_READ).token
    report = client.get("/api/v1/statistics", headers=bearer(everywhere)).get_json()
    assert report["site_ids"] == [centre.site_id, second.site_id]
    assert report["first"] == "2026-11-01" and report["last"] == "2026-11-26"
    one = client.get(
        f"/api/v1/statistics?site={second.site_id}&from=2026-10-01&to=2026-10-31",
        headers=bearer(everywhere),
    ).get_json()
    assert (one["site_ids"], one["first"], one["last"]) == (
        [second.site_id],
        "2026-10-01",
        "2026-10-31",
    )
    ours = make_token(uow, centre, STATISTICS_READ, site_id=centre.site_id).token
    mine = client.get("/api/v1/statistics?site=all", headers=bearer(ours)).get_json()
    assert mine["site_ids"] == [centre.site_id]
    for query, status in (("?site=abc", 400), ("?from=26/11/2026", 400), ("?site=999", 403)):
        response = client.get(f"/api/v1/statistics{query}", headers=bearer(ours))
        assert response.status_code == status, query
    assert client.get("/api/v1/statistics?site=999", headers=bearer(everywhere)).status_code == 404


def test_a_site_token_cannot_touch_another_site(
    client: FlaskClient, uow: UnitOfWork, centre: Centre, second: SecondSite
) -> None:
    token = make_token(uow, centre, site_id=centre.site_id).token
    other = second.site_id
    assert client.get(f"/api/v1/sites/{other}/queue", headers=bearer(token)).status_code == 403
    issued = client.post(
        f"/api/v1/sites/{other}/tickets",
        json={"service_id": second.service_id},
        headers=bearer(token),
    )
    assert issued.status_code == 403 and issued.get_json()["error"] == "forbidden"
    stats = client.get(f"/api/v1/statistics?site={other}", headers=bearer(token))
    assert stats.status_code == 403
    assert centre.tickets() == []


def test_a_missing_scope_is_forbidden_and_an_unknown_or_revoked_token_unauthorized(
    client: FlaskClient, uow: UnitOfWork, centre: Centre
) -> None:
    reader = make_token(uow, centre, QUEUE_READ)
    queue = f"/api/v1/sites/{centre.site_id}/queue"
    issue = f"/api/v1/sites/{centre.site_id}/tickets"
    body = {"service_id": centre.service["HT"]}
    refused = client.post(issue, json=body, headers=bearer(reader.token))
    assert refused.status_code == 403 and "tickets:issue" in refused.get_json()["message_en"]
    assert client.get("/api/v1/statistics", headers=bearer(reader.token)).status_code == 403
    for headers in (
        {},
        {"Authorization": reader.token},
        {"Authorization": f"Basic {reader.token}"},
        {"Authorization": "Bearer "},
        bearer(reader.token + "x"),
        bearer("x" * 500),
        {"X-Device-Token": reader.token},
    ):
        response = client.get(queue, headers=headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"] == "unauthorized"
    assert client.get(queue, headers=bearer(reader.token)).status_code == 200
    api_tokens.revoke(uow, reader.id, centre.user["admin"])
    revoked = client.get(queue, headers=bearer(reader.token))
    assert revoked.status_code == 401
    assert "revoked" in revoked.get_json()["message_en"]
    assert centre.tickets() == []


def test_the_time_of_last_use_is_noted(
    client: FlaskClient, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    created = make_token(uow, centre, QUEUE_READ)
    assert token_rows(centre)[0].last_used_at is None
    queue = f"/api/v1/sites/{centre.site_id}/queue"
    client.get(queue, headers=bearer(created.token))
    assert token_rows(centre)[0].last_used_at == clock.now
    used = clock.now
    clock.advance(seconds=20)
    client.get(queue, headers=bearer(created.token))
    assert token_rows(centre)[0].last_used_at == used  # at most one write a minute
    clock.advance(minutes=5)
    client.get(queue, headers=bearer(created.token))
    assert token_rows(centre)[0].last_used_at == clock.now


def test_each_token_has_its_own_rate_limit(
    make_app: AppFactory, published: Published, uow: UnitOfWork, centre: Centre
) -> None:
    app = make_app(published, ratelimit_api="3 per minute")
    client = app.test_client()
    busy, quiet = make_token(uow, centre).token, make_token(uow, centre).token
    queue = f"/api/v1/sites/{centre.site_id}/queue"
    statuses = [client.get(queue, headers=bearer(busy)).status_code for _ in range(3)]
    over = client.post(
        f"/api/v1/sites/{centre.site_id}/tickets",
        json={"service_id": centre.service["HT"]},
        headers=bearer(busy),
    )
    assert statuses == [200, 200, 200]
    assert over.status_code == 429 and over.get_json()["error"] == "too_many_requests"
    assert over.headers["Retry-After"]
    assert client.get(queue, headers=bearer(quiet)).status_code == 200
    assert centre.tickets() == []


# -- the admin's page ---------------------------------------------------------------------


def new_token_on_page(page: str) -> str | None:
    found = re.search(r'<code id="new-token">([^<]+)</code>', page)
    return found.group(1) if found else None


def test_the_admin_page_creates_a_token_shows_it_once_and_revokes_it(
    app: Flask, login: Any, centre: Centre
) -> None:
    admin: Staff = login("admin")
    page = admin.get("/admin/api-tokens")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert 'name="scope"' in html and "checked" not in html  # no scope ticked in advance
    assert 'name="csrf_token"' in html
    # no inline script or style (the Content-Security-Policy would block them)
    assert not re.search(r'<script(?![^>]*type="application/json")', html)
    assert " style=" not in html and "<style" not in html
    created = admin.client.post(
        "/admin/api-tokens",
        data={
            "name": "Bảng nút bấm cửa chính",
            "scope": [TICKETS_ISSUE, QUEUE_READ],
            "site": str(centre.site_id),
            "csrf_token": admin.csrf,
        },
    )
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = new_token_on_page(created.get_data(as_text=True))
    assert token is not None
    (row,) = token_rows(centre)
    assert row.token_hash == token_hash(token) and row.scopes == "queue:read tickets:issue"
    assert row.site_id == centre.site_id and row.created_by == centre.user["admin"]
    again = admin.get("/admin/api-tokens").get_data(as_text=True)
    assert token not in again and "Bảng nút bấm cửa chính" in again
    assert new_token_on_page(again) is None
    works = admin.client.get(f"/api/v1/sites/{centre.site_id}/queue", headers=bearer(token))
    assert works.status_code == 200
    revoked = admin.client.post(
        f"/admin/api-tokens/{row.id}/revoke", data={"csrf_token": admin.csrf}
    )
    assert revoked.status_code == 303
    assert admin.get(revoked.headers["Location"]).status_code == 200
    assert token_rows(centre)[0].revoked_at is not None
    refused = admin.client.get(f"/api/v1/sites/{centre.site_id}/queue", headers=bearer(token))
    assert refused.status_code == 401


def test_a_refused_form_says_why_and_creates_nothing(login: Any, centre: Centre) -> None:
    admin: Staff = login("admin")
    for data, status in (
        ({"name": "Không quyền"}, 400),
        ({"name": "", "scope": QUEUE_READ}, 400),
        ({"name": "Quyền lạ", "scope": "admin"}, 400),
        ({"name": "Điểm lạ", "scope": QUEUE_READ, "site": "abc"}, 400),
        ({"name": "Điểm lạ", "scope": QUEUE_READ, "site": "999"}, 404),
    ):
        response = admin.client.post("/admin/api-tokens", data={**data, "csrf_token": admin.csrf})
        assert response.status_code == status, data
        html = response.get_data(as_text=True)
        assert 'class="error"' in html and new_token_on_page(html) is None
    without_csrf = admin.client.post("/admin/api-tokens", data={"name": "x", "scope": QUEUE_READ})
    assert without_csrf.status_code == 400
    missing = admin.client.post("/admin/api-tokens/999/revoke", data={"csrf_token": admin.csrf})
    assert missing.status_code == 404
    assert token_rows(centre) == []


@pytest.mark.parametrize("username", ["quanly", "canbo1"])
def test_only_admins_reach_the_page(
    login: Any, uow: UnitOfWork, centre: Centre, username: str
) -> None:
    created = make_token(uow, centre)
    staff: Staff = login(username)
    assert staff.get("/admin/api-tokens").status_code == 403
    data = {"name": "x", "scope": QUEUE_READ, "csrf_token": staff.csrf}
    assert staff.client.post("/admin/api-tokens", data=data).status_code == 403
    revoke = staff.client.post(
        f"/admin/api-tokens/{created.id}/revoke", data={"csrf_token": staff.csrf}
    )
    assert revoke.status_code == 403
    assert [(row.id, row.revoked_at) for row in token_rows(centre)] == [(created.id, None)]


# -- the command line ---------------------------------------------------------------------


def test_the_command_line_prints_a_working_token_once(
    database_url: str, instance: Any, client: FlaskClient, centre: Centre
) -> None:
    env = {"XEPHANG_INSTANCE": str(instance), "XEPHANG_DATABASE_URL": database_url}
    result = CliRunner(env=env).invoke(
        cli,
        [
            "create-api-token",
            "--name",
            "Bảng nút bấm",
            "--scope",
            "queue:read",
            "--site",
            "tan-dinh",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    (row,) = token_rows(centre)
    assert row.token_hash == token_hash(token) and row.created_by is None
    assert row.site_id == centre.site_id and row.scopes == QUEUE_READ
    queue = client.get(f"/api/v1/sites/{centre.site_id}/queue", headers=bearer(token))
    assert queue.status_code == 200
    with centre.db.reading() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 1
    for args in (["--scope", "queue:read", "--site", "nowhere"], ["--scope", "everything"], []):
        refused = CliRunner(env=env).invoke(cli, ["create-api-token", "--name", "x", *args])
        assert refused.exit_code == 2, refused.output
    assert len(token_rows(centre)) == 1


def test_the_command_offers_exactly_the_known_scopes() -> None:
    scope = next(p for p in create_api_token.params if p.name == "scopes")
    assert list(scope.type.choices) == list(SCOPES)  # type: ignore[attr-defined]


def test_a_ticket_issued_by_the_api_counts_like_any_other(
    client: FlaskClient, uow: UnitOfWork, centre: Centre
) -> None:
    token = make_token(uow, centre, TICKETS_ISSUE, STATISTICS_READ).token
    client.post(
        f"/api/v1/sites/{centre.site_id}/tickets",
        json={"service_id": centre.service["HT"]},
        headers=bearer(token),
    )
    report = client.get(f"/api/v1/statistics?site={centre.site_id}", headers=bearer(token))
    assert report.get_json()["total"]["issued"] == 1
    with centre.db.reading() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 1
