"""The phone's routes for messages and a second chance (issue 15), over HTTP."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template
from flask.testing import FlaskClient

from server.cli.demo import DemoCredentials
from server.services.counters import open_counter
from server.services.tickets import call_next, mark_no_show
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, kiosk_headers


def take(client: FlaskClient, creds: DemoCredentials, centre: Centre) -> str:
    answer = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    assert answer.status_code == 201 or answer.status_code == 200, answer.get_json()
    token: str = answer.get_json()["ticket"]["token"]
    return token


def test_a_citizen_opts_in_with_consent_and_a_valid_number(
    client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    centre.open_around_the_clock()
    token = take(client, creds, centre)
    url = f"/api/tickets/{token}/notify"
    unticked = client.post(url, json={"phone": "0912345678", "consent": False})
    assert unticked.status_code == 400
    assert "đồng ý" in unticked.get_json()["message"]
    wrong = client.post(url, json={"phone": "0212345678", "consent": True})
    assert wrong.status_code == 400
    assert wrong.get_json()["message_en"].startswith("This phone number is not valid")
    missing = client.post(url, json={"consent": True})
    assert missing.status_code == 400 and "phone" in missing.get_json()["message_en"]
    done = client.post(url, json={"phone": "+84 912 345 678", "consent": True, "language": "en"})
    assert done.status_code == 200
    assert done.get_json() == {"number": "A001", "phone_masked": "+84*****5678", "language": "en"}
    assert client.delete(url).get_json() == {"removed": True}
    assert client.delete(url).get_json() == {"removed": False}
    assert client.post("/api/tickets/AAAAAAAAAAAAAAAAAAAAAA/notify", json={}).status_code == 404


def test_a_no_show_rejoins_and_a_waiting_citizen_asks_for_more_time(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, uow: UnitOfWork
) -> None:
    centre.open_around_the_clock()
    missed, waiting = take(client, creds, centre), take(client, creds, centre)
    early = client.post(f"/api/tickets/{missed}/rejoin")
    assert early.status_code == 409 and early.get_json()["error"] == "wrong_ticket_state"
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    call_next(uow, counter, clerk)
    mark_no_show(uow, counter, clerk)
    back = client.post(f"/api/tickets/{missed}/rejoin")
    assert back.status_code == 200
    assert back.get_json() == {"ticket": {"number": "A001", "status": "waiting"}}
    assert client.get(f"/api/tickets/{missed}").get_json()["ticket"]["status"] == "waiting"
    twice = client.post(f"/api/tickets/{missed}/rejoin")
    assert twice.status_code == 409
    later = client.post(f"/api/tickets/{waiting}/more-time")
    assert later.status_code == 200, later.get_json()
    again = client.post(f"/api/tickets/{waiting}/more-time")
    assert again.status_code == 409 and again.get_json()["error"] == "second_chance_refused"
    assert "once" in again.get_json()["message_en"]


def test_the_opt_in_form_is_never_ticked_and_says_its_purpose(app: Flask) -> None:
    with app.test_request_context("/t/x?lang=en"):
        html = render_template("_notify.html", token="AAAAAAAAAAAAAAAAAAAAAA", messages_on=True)
    consent = html[html.index('id="sms-consent"') - 40 : html.index('id="sms-consent"') + 60]
    assert "checked" not in consent
    assert "only to tell me about my turn today" in html or "chỉ để báo lượt" in html
    assert "js/notify.js" in html


def test_managers_see_todays_delivery_figures(
    client: FlaskClient, creds: DemoCredentials, centre: Centre, uow: UnitOfWork, login: Any
) -> None:
    centre.open_around_the_clock()
    token = take(client, creds, centre)
    client.post(f"/api/tickets/{token}/notify", json={"phone": "0912345678", "consent": True})
    counter, clerk = centre.counter[1], centre.user["canbo1"]
    open_counter(uow, counter, clerk)
    call_next(uow, counter, clerk)
    url = f"/api/sites/{centre.site_id}/notifications"
    assert login("canbo1").get(url).status_code == 403
    figures = login("quanly").get(url).get_json()
    assert (figures["pending"], figures["sent"], figures["cost"]) == (1, 0, 0)
    assert "phone" not in str(figures) and "+84" not in str(figures)
