"""The kiosk's path, a ticket every few seconds at peak, remembers what it can between
tickets (the kiosk's identity, the shape of a ticket's links); nothing it remembers may
show a citizen anything stale or let a revoked kiosk issue."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.adapters.db.models import Device, Service
from server.cli.demo import DemoCredentials
from tests.conftest import AppFactory, Centre, Published, kiosk_headers


def take(client: FlaskClient, creds: DemoCredentials, service_id: int, **extra: Any) -> Any:
    return client.post(
        "/api/kiosk/tickets", json={"service_id": service_id}, headers=kiosk_headers(creds), **extra
    )


def test_each_address_a_kiosk_uses_gets_links_to_that_address(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    """The links of a ticket are worked out once per host and filled in with each token:
    a second host, and a server under a path prefix, get their own, and every link opens."""
    seen = []
    for base, root in (
        ("http://localhost", ""),
        ("http://192.168.1.20:8000", ""),
        ("http://localhost", "/xephang"),
        ("http://localhost", ""),
    ):
        response = take(client, creds, centre.service["HT"], base_url=base + root)
        assert response.status_code == 201
        ticket = response.get_json()["ticket"]
        token = ticket["token"]
        assert ticket["phone_url"] == f"{base}{root}/t/{token}"
        assert ticket["qr_url"] == f"{root}/t/{token}/qr.svg"
        seen.append(token)
        qr = client.get(f"/t/{token}/qr.svg")
        assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert len(set(seen)) == 4


def test_the_public_address_wins_over_the_host_the_kiosk_used(
    make_app: AppFactory, published: Published, creds: DemoCredentials, centre: Centre
) -> None:
    client = make_app(published, public_url="https://xephang.example.vn/").test_client()
    ticket = take(client, creds, centre.service["HT"]).get_json()["ticket"]
    assert ticket["phone_url"] == f"https://xephang.example.vn/t/{ticket['token']}"


def test_a_service_renamed_or_closed_shows_on_the_very_next_ticket(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    """Nothing of the site or service is remembered between tickets: a change committed
    anywhere (here without this process's ORM) shows on the next one."""
    service = centre.service["HT"]
    assert take(client, creds, service).status_code == 201
    with centre.db.engine.begin() as connection:
        connection.execute(
            update(Service).where(Service.id == service).values(name_vi="Hộ tịch (mới)")
        )
    ticket = take(client, creds, service).get_json()["ticket"]
    assert ticket["service_name_vi"] == "Hộ tịch (mới)"
    with centre.db.engine.begin() as connection:
        connection.execute(update(Service).where(Service.id == service).values(active=False))
    refused = take(client, creds, service)
    assert refused.status_code == 409
    assert "Hộ tịch (mới)" in refused.get_json()["message"]


def test_a_kiosk_revoked_here_issues_nothing_more_at_once(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    """Revoked through this worker's ORM, as the admin's use case does: the remembered
    identity is forgotten, and the issuing transaction refuses the token anyway."""
    assert take(client, creds, centre.service["HT"]).status_code == 201  # remembered now
    with centre.db.write_session() as session, session.begin():
        kiosk = session.scalars(select(Device).where(Device.kind == "kiosk")).one()
        kiosk.active = False
    response = take(client, creds, centre.service["HT"])
    assert response.status_code == 401
    assert "thu hồi" in response.get_json()["message"]
