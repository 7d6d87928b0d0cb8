"""Reception: a guide issues a number for a citizen through the kiosk's own use case
(channel `staff`, the guide's account on the ticket's first event), printed on the kiosk
printer they choose or only shown on their screen."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server.adapters.db.engine import Database
from server.adapters.db.models import Device, PrintJob, Ticket, TicketEvent
from server.cli.demo import DemoCredentials
from server.domain.tickets import Channel
from server.services.credentials import new_device_token, token_hash
from server.services.printing import set_printer
from server.services.unit_of_work import UnitOfWork
from tests.conftest import Centre, FakeClock
from tests.second_site import add_second_site


@pytest.fixture
def kiosk_id(database: Database, creds: DemoCredentials) -> int:
    with database.reading() as session:
        return session.scalars(
            select(Device.id).where(Device.site_id == creds.site_id, Device.kind == "kiosk")
        ).one()


def test_a_guide_issues_a_priority_number_shown_with_its_qr_code(
    login: Any, centre: Centre, database: Database
) -> None:
    guide = login("canbo3")  # a clerk of counter 3, at the door this morning
    url = f"/api/reception/sites/{centre.site_id}/tickets"
    answer = guide.post(url, json={"service_id": centre.service["CT"], "priority": "disability"})
    assert answer.status_code == 201, answer.get_json()
    ticket = answer.get_json()["ticket"]
    assert (ticket["number"], ticket["priority"]) == ("B001", "disability")
    assert ticket["people_ahead"] == 0
    assert ticket["qr_url"].endswith("/qr.svg")
    assert answer.get_json()["printing"]["status"] == "none"  # shown on the screen only
    with database.reading() as session:
        row = session.get(Ticket, ticket["ticket_id"])
        assert row is not None
        assert (row.channel, row.priority, row.device_id) == (Channel.STAFF, "disability", None)
        event = session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == row.id)).one()
    assert (event.kind, event.user_id) == ("issued", centre.user["canbo3"])
    # The counter that calls it sees the category the guide checked.
    screen = guide.get(f"/api/counters/{centre.counter[3]}").get_json()
    assert screen["waiting"][0]["priority_name_vi"] == "Người khuyết tật"
    qr = guide.get(ticket["qr_url"])
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_a_guide_prints_the_number_on_the_kiosk_they_choose(
    login: Any, centre: Centre, database: Database, kiosk_id: int
) -> None:
    guide = login("quanly")
    url = f"/api/reception/sites/{centre.site_id}/tickets"
    no_printer = guide.post(url, json={"service_id": centre.service["HT"], "device_id": kiosk_id})
    assert no_printer.status_code == 409 and no_printer.get_json()["error"] == "no_printer"
    set_printer(UnitOfWork(database), kiosk_id, "dummy://")
    snapshot = guide.get(f"/api/reception/sites/{centre.site_id}").get_json()
    assert snapshot["printers"] == [{"id": kiosk_id, "name": "Kiosk sảnh chính"}]
    assert snapshot["priorities"][0]["code"] == "elderly"
    assert all(s["issuing"]["open"] for s in snapshot["services"])
    printed = guide.post(url, json={"service_id": centre.service["HT"], "device_id": kiosk_id})
    assert printed.status_code == 201
    assert printed.get_json()["ticket"]["number"] == "A001"  # the refused one took no number
    assert printed.get_json()["printing"]["status"] == "printed"
    with database.reading() as session:
        [job] = session.scalars(select(PrintJob)).all()
    assert (job.device_id, job.ticket_id) == (kiosk_id, printed.get_json()["ticket"]["ticket_id"])


def test_reception_follows_the_opening_hours_and_refuses_another_sites_kiosk(
    login: Any, centre: Centre, database: Database, clock: FakeClock
) -> None:
    guide = login("admin")
    url = f"/api/reception/sites/{centre.site_id}/tickets"
    second = add_second_site(database)
    with database.write_session() as session, session.begin():
        elsewhere = Device(
            site_id=second.site_id,
            kind="kiosk",
            name="Kiosk Thủ Đức",
            printer_url="dummy://",
            token_hash=token_hash(new_device_token()),
        )
        session.add(elsewhere)
        session.flush()
        elsewhere_id = elsewhere.id
    refused = guide.post(url, json={"service_id": centre.service["HT"], "device_id": elsewhere_id})
    assert refused.status_code == 404
    clock.advance(hours=12)  # 21:00: the centre closed at 17:00
    closed = guide.post(url, json={"service_id": centre.service["HT"]})
    assert closed.status_code == 409 and closed.get_json()["error"] == "service_unavailable"
    with database.reading() as session:
        assert session.scalars(select(Ticket)).first() is None


def test_only_staff_of_the_site_may_issue_there(
    login: Any, centre: Centre, database: Database
) -> None:
    second = add_second_site(database)
    clerk = login("canbo4")  # counter 4 of the demo centre only
    refused = clerk.post(f"/api/reception/sites/{second.site_id}/tickets", json={"service_id": 1})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert clerk.get(f"/api/reception/sites/{second.site_id}").status_code == 403
    assert clerk.get("/reception").status_code == 200
    assert clerk.get(f"/reception?site={second.site_id}").status_code == 403
    assert clerk.get("/reception?site=999").status_code == 404
    unknown = clerk.post("/api/reception/sites/999/tickets", json={"service_id": 1})
    assert unknown.status_code == 404
