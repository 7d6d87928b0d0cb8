"""The administration screens through HTTP, on the real database: a centre set up by its own
staff, every change audited and pushed to the screens, every bad or duplicate value refused
with a message and nothing changed, and devices registered by a one-time pairing code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from server.adapters.db.models import (
    AuditEntry,
    Counter,
    CounterService,
    Device,
    Service,
    Site,
    User,
)
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.domain.errors import NotFound
from server.services.admin.counters import MAIN, CounterSettings, create_counter
from server.services.devices import PAIRING_ALPHABET
from server.services.unit_of_work import UnitOfWork
from tests.conftest import AppFactory, Centre, FakeClock, Published, Staff, kiosk_headers
from tests.second_site import add_second_site

# A new service as an admin fills in the form.
PASSPORT = {
    "code": "HC",
    "name_vi": "Hộ chiếu",
    "name_en": "Passports",
    "pictogram": "stamp",
    "numbering": "prefix",
    "prefix": "G",
    "number_width": "3",
    "expected_minutes": "7,5",
    "target_minutes": "20",
    "daily_cap": "80",
    "issue_from": "07:30",
    "issue_until": "16:00",
    "active": "1",
    "position": "9",
}


def form(staff: Staff, url: str, data: dict[str, Any]) -> Any:
    """Post a form as the page would, with the session's CSRF token."""
    return staff.client.post(url, data={**data, "csrf_token": staff.csrf})


def message(response: Any) -> str:
    """The refusal shown on the page."""
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:2000]
    return found.group(1)


def audit_entries(centre: Centre, action: str | None = None) -> list[AuditEntry]:
    with centre.db.reading() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def configuration(centre: Centre) -> tuple[Any, ...]:
    """Everything an administration form could change, to check a refusal changed nothing."""
    with centre.db.reading() as session:
        return (
            session.execute(select(Site.id, Site.code, Site.name, Site.opens_at)).all(),
            session.execute(
                select(Service.id, Service.code, Service.name_vi, Service.prefix)
            ).all(),
            session.execute(select(Counter.id, Counter.number, Counter.label)).all(),
            session.execute(
                select(CounterService.counter_id, CounterService.service_id, CounterService.rank)
            ).all(),
            session.execute(select(User.id, User.username, User.role, User.active)).all(),
            session.execute(select(Device.id, Device.name, Device.active)).all(),
            session.scalar(select(func.count(AuditEntry.id))),
            session.scalar(select(Site.event_seq)),
        )


@pytest.fixture
def admin(login: Any) -> Staff:
    staff: Staff = login("admin")
    return staff


def service_id(centre: Centre, code: str) -> int:
    with centre.db.reading() as session:
        found = session.scalar(select(Service.id).where(Service.code == code))
        assert found is not None
        return found


# -- services ------------------------------------------------------------------------------


def test_an_admin_adds_a_service_that_the_kiosk_offers_at_once_and_the_log_records(
    admin: Staff,
    client: FlaskClient,
    creds: DemoCredentials,
    centre: Centre,
    published: Published,
) -> None:
    response = form(admin, f"/admin/sites/{centre.site_id}/services/new", PASSPORT)
    assert response.status_code == 303, response.get_data(as_text=True)
    new_id = service_id(centre, "HC")
    with centre.db.reading() as session:
        service = session.get(Service, new_id)
        assert service is not None
        assert (service.prefix, service.expected_minutes, service.daily_cap) == ("G", 7.5, 80)
        assert service.issue_until is not None and service.issue_until.hour == 16
    kiosk = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).get_json()
    assert "Hộ chiếu" in [s["name_vi"] for s in kiosk["services"]]
    [entry] = audit_entries(centre, "service.create")
    assert entry.user_id == centre.user["admin"] and entry.entity_id == new_id
    assert entry.detail is not None and entry.detail["name_en"] == [None, "Passports"]
    assert entry.detail["issue_until"] == [None, "16:00"]
    [change] = [c for c in published.changes if c.kind == "config_changed"]
    assert change.site_id == centre.site_id and change.service_ids == (new_id,)
    assert change.seq > 0
    listing = admin.get("/admin/services").get_data(as_text=True)
    assert "Hộ chiếu" in listing and "Passports" in listing


def test_editing_a_service_logs_only_the_fields_changed_as_old_and_new(
    admin: Staff, centre: Centre
) -> None:
    ht = centre.service["HT"]
    page = admin.get(f"/admin/services/{ht}")
    assert page.status_code == 200 and "Tư pháp - Hộ tịch" in page.get_data(as_text=True)
    edited = {
        **PASSPORT,
        "code": "HT",
        "name_vi": "Tư pháp - Hộ tịch",
        "name_en": "Justice and civil status",
        "pictogram": "family",
        "prefix": "A",
        "expected_minutes": "12",
        "target_minutes": "25",
        "daily_cap": "",
        "issue_from": "",
        "issue_until": "",
        "position": "0",
    }
    del edited["active"]  # unticked: the service stops taking tickets
    response = form(admin, f"/admin/services/{ht}", edited)
    assert response.status_code == 303, message(response)
    [entry] = audit_entries(centre, "service.update")
    assert entry.detail == {"target_minutes": [30, 25], "active": [True, False]}
    with centre.db.reading() as session:
        service = session.get(Service, ht)
        assert service is not None and not service.active and service.target_minutes == 25


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"code": "CT"}, 409, "CT"),  # another service's code
        ({"prefix": "b"}, 409, "Tiền tố"),  # would print B001 like Chứng thực
        ({"target_minutes": "0"}, 400, "mục tiêu"),
        ({"target_minutes": "ba mươi"}, 400, "số nguyên"),
        ({"expected_minutes": "nhanh"}, 400, "phải là một số"),
        ({"issue_from": "16:00", "issue_until": "07:30"}, 400, "cấp số"),
        ({"issue_from": "25:00"}, 400, "07:30"),
        ({"pictogram": "../../etc/passwd"}, 400, "biểu tượng"),
        ({"name_vi": "   "}, 400, "tên tiếng Việt"),
        ({"prefix": "Ư"}, 400, "Tiền tố"),
        ({"numbering": "range", "range_start": "2000", "range_end": "1000"}, 400, "Dải số"),
        ({"numbering": "range", "range_start": "1000", "range_end": ""}, 400, "Dải số"),
        ({"daily_cap": "-5"}, 400, "tối đa"),
    ],
)
def test_a_bad_or_duplicate_service_is_refused_with_its_reason_and_nothing_changes(
    admin: Staff, centre: Centre, change: dict[str, str], status: int, words: str
) -> None:
    before = configuration(centre)
    response = form(admin, f"/admin/sites/{centre.site_id}/services/new", {**PASSPORT, **change})
    assert response.status_code == status
    assert words.lower() in message(response).lower()
    # the form comes back as it was typed
    assert 'value="Passports"' in response.get_data(as_text=True)
    assert configuration(centre) == before


def test_two_ranges_of_numbers_may_not_overlap_at_a_site(admin: Staff, centre: Centre) -> None:
    ranged = {**PASSPORT, "numbering": "range", "range_start": "1001", "range_end": "1999"}
    assert form(admin, f"/admin/sites/{centre.site_id}/services/new", ranged).status_code == 303
    other = {**ranged, "code": "XD", "range_start": "1500", "range_end": "2500"}
    refused = form(admin, f"/admin/sites/{centre.site_id}/services/new", other)
    assert refused.status_code == 409 and "1001-1999" in message(refused)
    apart = {**other, "range_start": "2001", "range_end": "2999"}
    assert form(admin, f"/admin/sites/{centre.site_id}/services/new", apart).status_code == 303


def test_a_managers_target_minutes_reach_the_hall_but_no_other_setting(
    login: Any, centre: Centre, published: Published
) -> None:
    manager = login("quanly")
    assert manager.get("/admin/targets").status_code == 200
    ht = centre.service["HT"]
    response = form(manager, f"/admin/services/{ht}/target", {"target_minutes": "15"})
    assert response.status_code == 303
    overview = manager.get(f"/api/sites/{centre.site_id}/overview").get_json()
    assert next(s for s in overview["services"] if s["id"] == ht)["target_minutes"] == 15
    [entry] = audit_entries(centre, "service.target")
    assert entry.user_id == centre.user["quanly"] and entry.detail == {"target_minutes": [30, 15]}
    assert "config_changed" in published.kinds()
    # the rest of the service is the admin's
    assert form(manager, f"/admin/services/{ht}", PASSPORT).status_code == 403
    refused = form(manager, f"/admin/services/{ht}/target", {"target_minutes": "9999"})
    assert refused.status_code == 400


def test_a_manager_sets_targets_only_at_the_sites_they_manage(
    admin: Staff, login: Any, centre: Centre
) -> None:
    site = {
        "code": "diem-2",
        "name": "Điểm tiếp nhận số 2",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "07:30",
        "closes_at": "11:30",
        "streak": "3",
    }
    assert form(admin, "/admin/sites/new", site).status_code == 303
    with centre.db.reading() as session:
        other_site = session.scalar(select(Site.id).where(Site.code == "diem-2"))
    assert form(admin, f"/admin/sites/{other_site}/services/new", PASSPORT).status_code == 303
    elsewhere = service_id(centre, "HC")
    manager = login("quanly")
    before = configuration(centre)
    refused = form(manager, f"/admin/services/{elsewhere}/target", {"target_minutes": "10"})
    assert refused.status_code == 403
    assert configuration(centre) == before
    assert "Điểm tiếp nhận số 2" not in manager.get("/admin/targets").get_data(as_text=True)


# -- sites and counters --------------------------------------------------------------------


def test_a_site_is_added_and_its_opening_hours_changed(admin: Staff, centre: Centre) -> None:
    site = {
        "code": "Mot-Cua",
        "name": "Bộ phận một cửa",
        "address": "12 Trần Quang Khải",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "07:00",
        "closes_at": "17:00",
        "streak": "2",
    }
    assert form(admin, "/admin/sites/new", site).status_code == 303
    with centre.db.reading() as session:
        row = session.scalars(select(Site).where(Site.code == "mot-cua")).one()
        new_id = row.id
    assert form(admin, f"/admin/sites/{new_id}", {**site, "closes_at": "16:30"}).status_code == 303
    [entry] = audit_entries(centre, "site.update")
    assert entry.detail == {"closes_at": ["17:00", "16:30"]}
    assert entry.site_id == new_id


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"code": "tan-dinh"}, 409),
        ({"code": "tân định"}, 400),
        ({"timezone": "Asia/Saigon2"}, 400),
        ({"opens_at": "18:00"}, 400),
        ({"streak": "0"}, 400),
        ({"name": ""}, 400),
    ],
)
def test_a_bad_or_duplicate_site_is_refused(
    admin: Staff, centre: Centre, change: dict[str, str], status: int
) -> None:
    site = {
        "code": "diem-moi",
        "name": "Điểm mới",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "07:30",
        "closes_at": "17:00",
        "streak": "3",
    }
    before = configuration(centre)
    response = form(admin, "/admin/sites/new", {**site, **change})
    assert response.status_code == status
    assert message(response)
    assert configuration(centre) == before


def test_a_counter_gets_its_services_in_order_main_before_secondary(
    admin: Staff, centre: Centre, published: Published
) -> None:
    s = centre.service
    data = {
        "number": "7",
        "label": "Quầy tổng hợp",
        f"rank_{s['TKQ']}": "main",
        f"order_{s['TKQ']}": "2",
        f"rank_{s['CT']}": "main",
        f"order_{s['CT']}": "1",
        f"rank_{s['HT']}": "secondary",
        f"order_{s['HT']}": "1",
        f"rank_{s['DD']}": "",
    }
    response = form(admin, f"/admin/sites/{centre.site_id}/counters/new", data)
    assert response.status_code == 303, message(response)
    with centre.db.reading() as session:
        counter = session.scalars(select(Counter).where(Counter.number == 7)).one()
        links = [(link.service_id, link.rank) for link in counter.service_links]
        counter_id = counter.id
    assert links == [(s["CT"], 0), (s["TKQ"], 0), (s["HT"], 1)]
    [entry] = audit_entries(centre, "counter.create")
    assert entry.detail is not None
    assert entry.detail["services"] == [None, ["CT (chính)", "TKQ (chính)", "HT (phụ)"]]
    change = next(c for c in published.changes if c.kind == "config_changed")
    assert change.counter_id == counter_id
    # renumbering onto counter 1 is refused; dropping a service is logged as such
    taken = form(admin, f"/admin/counters/{counter_id}", {**data, "number": "1"})
    assert taken.status_code == 409 and "1" in message(taken)
    fewer = {k: v for k, v in data.items() if not k.endswith(str(s["HT"]))}
    assert form(admin, f"/admin/counters/{counter_id}", fewer).status_code == 303
    [update] = audit_entries(centre, "counter.update")
    assert update.detail == {
        "services": [["CT (chính)", "TKQ (chính)", "HT (phụ)"], ["CT (chính)", "TKQ (chính)"]]
    }


def test_a_counter_cannot_serve_a_service_of_another_site(
    admin: Staff, centre: Centre, uow: UnitOfWork
) -> None:
    site = {
        "code": "diem-2",
        "name": "Điểm 2",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "07:30",
        "closes_at": "11:30",
        "streak": "3",
    }
    assert form(admin, "/admin/sites/new", site).status_code == 303
    with centre.db.reading() as session:
        other_site = session.scalar(select(Site.id).where(Site.code == "diem-2"))
    assert other_site is not None
    before = configuration(centre)
    foreign = CounterSettings(number=1, services=((centre.service["HT"], MAIN),))
    with pytest.raises(NotFound):
        create_counter(uow, centre.user["admin"], other_site, foreign)
    assert configuration(centre) == before


# -- users ---------------------------------------------------------------------------------


def test_a_new_clerk_signs_in_and_works_at_the_counters_given(
    admin: Staff, app: Flask, centre: Centre
) -> None:
    data = {
        "username": "CanBo7",
        "full_name": "Nguyễn Văn An",
        "role": "clerk",
        "password": "mat-khau-dai",
        "counters": [str(centre.counter[3]), str(centre.counter[4])],
        "sites": [str(centre.site_id)],  # ignored: a clerk manages no site
    }
    response = form(admin, "/admin/users/new", data)
    assert response.status_code == 303, message(response)
    clerk = Staff(app.test_client(), "canbo7", "mat-khau-dai")
    assert clerk.act(centre.counter[3], "open").status_code == 200
    assert clerk.act(centre.counter[1], "open").status_code == 403
    [entry] = audit_entries(centre, "user.create")
    assert entry.detail is not None
    assert entry.detail["counters"] == [None, ["tan-dinh#3", "tan-dinh#4"]]
    assert "sites" not in entry.detail
    assert "mat-khau-dai" not in str(entry.detail) and "password" not in str(entry.detail)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"username": "CANBO1"}, 409),
        ({"username": "a"}, 400),
        ({"username": "cán bộ"}, 400),
        ({"password": "ngan"}, 400),
        ({"role": "superuser"}, 400),
        ({"full_name": ""}, 400),
        ({"counters": ["999999"]}, 404),
    ],
)
def test_a_bad_or_duplicate_account_is_refused(
    admin: Staff, centre: Centre, change: dict[str, Any], status: int
) -> None:
    data = {
        "username": "canbo9",
        "full_name": "Lê Văn Chín",
        "role": "clerk",
        "password": "mat-khau-dai",
    }
    before = configuration(centre)
    response = form(admin, "/admin/users/new", {**data, **change})
    assert response.status_code == status
    assert message(response)
    assert configuration(centre) == before


def test_a_reset_password_replaces_the_old_one_and_is_logged_without_it(
    admin: Staff, app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    user_id = centre.user["canbo2"]
    response = form(admin, f"/admin/users/{user_id}/password", {"password": "mat-khau-moi-2"})
    assert response.status_code == 303
    old = app.test_client()
    from tests.conftest import csrf_token

    refused = old.post(
        "/login",
        data={
            "username": "canbo2",
            "password": creds.passwords["canbo2"],
            "csrf_token": csrf_token(old),
        },
    )
    assert refused.status_code == 401
    Staff(app.test_client(), "canbo2", "mat-khau-moi-2")
    [entry] = audit_entries(centre, "user.password_reset")
    assert entry.entity_id == user_id and entry.detail is None
    assert form(admin, f"/admin/users/{user_id}/password", {"password": "short"}).status_code == 400


def test_a_deactivated_clerk_is_signed_out_and_cannot_sign_in_again(
    admin: Staff, login: Any, app: Flask, creds: DemoCredentials, centre: Centre
) -> None:
    clerk = login("canbo1")
    assert clerk.get("/counter").status_code == 200
    assert form(admin, f"/admin/users/{centre.user['canbo1']}/active", {}).status_code == 303
    assert clerk.get("/counter").status_code == 302  # back to the sign-in page
    assert clerk.act(centre.counter[1], "open").status_code == 401
    [entry] = audit_entries(centre, "user.deactivate")
    assert entry.detail == {"active": [True, False]}
    # and the admin cannot lock themselves out
    own = form(admin, f"/admin/users/{centre.user['admin']}/active", {})
    assert own.status_code == 403
    demote = {"username": "admin", "full_name": "Quản trị", "role": "manager"}
    assert form(admin, f"/admin/users/{centre.user['admin']}", demote).status_code == 403


def test_a_manager_is_given_sites_and_loses_clerk_counters(admin: Staff, centre: Centre) -> None:
    data = {
        "username": "canbo6",
        "full_name": "Võ Minh Tuấn",
        "role": "manager",
        "sites": [str(centre.site_id)],
        "counters": [str(centre.counter[6])],
    }
    response = form(admin, f"/admin/users/{centre.user['canbo6']}", data)
    assert response.status_code == 303, message(response)
    with centre.db.reading() as session:
        user = session.get(User, centre.user["canbo6"])
        assert user is not None and user.role == "manager"
        assert [s.id for s in user.sites] == [centre.site_id] and user.counters == []
    [entry] = audit_entries(centre, "user.update")
    assert entry.detail == {
        "role": ["clerk", "manager"],
        "counters": [["tan-dinh#6"], []],
        "sites": [[], ["tan-dinh"]],
    }


# -- who may use the forms -----------------------------------------------------------------


ADMIN_PAGES = [
    "/admin",
    "/admin/sites",
    "/admin/sites/new",
    "/admin/services",
    "/admin/counters",
    "/admin/users",
    "/admin/users/new",
    "/admin/devices",
    "/admin/devices/new",
]


@pytest.mark.parametrize("username", ["canbo1", "quanly"])
def test_clerks_and_managers_cannot_use_the_admin_forms(
    login: Any, centre: Centre, username: str
) -> None:
    staff = login(username)
    for page in ADMIN_PAGES:
        assert staff.get(page).status_code == 403, page
    before = configuration(centre)
    posts = [
        (f"/admin/sites/{centre.site_id}/services/new", PASSPORT),
        (f"/admin/services/{centre.service['HT']}", PASSPORT),
        (f"/admin/sites/{centre.site_id}", {"code": "x", "name": "x"}),
        (f"/admin/counters/{centre.counter[1]}", {"number": "9"}),
        (f"/admin/users/{centre.user['canbo2']}/password", {"password": "mat-khau-cua-toi"}),
        (f"/admin/users/{centre.user['canbo2']}/active", {}),
        ("/admin/devices/new", {"site_id": str(centre.site_id), "kind": "board", "name": "X"}),
        ("/admin/devices/1/revoke", {}),
        ("/admin/devices/1/pair", {}),
    ]
    for url, data in posts:
        assert form(staff, url, data).status_code == 403, url
    assert configuration(centre) == before


def test_clerks_cannot_read_the_audit_log_and_strangers_are_sent_to_sign_in(
    login: Any, client: FlaskClient, centre: Centre
) -> None:
    clerk = login("canbo1")
    for page in ("/admin/audit", "/admin/tickets", "/admin/targets"):
        assert clerk.get(page).status_code == 403
        assert client.get(page).status_code == 302
    assert client.get("/admin/services").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(admin: Staff, centre: Centre) -> None:
    before = configuration(centre)
    response = admin.client.post(f"/admin/sites/{centre.site_id}/services/new", data=PASSPORT)
    assert response.status_code == 400
    wrong = admin.client.post(
        f"/admin/users/{centre.user['canbo1']}/active", data={"csrf_token": "forged"}
    )
    assert wrong.status_code == 400
    assert configuration(centre) == before


# -- devices -------------------------------------------------------------------------------


def register(admin: Staff, centre: Centre, kind: str, name: str, **extra: str) -> tuple[int, str]:
    """Register a device as the admin's form does: its id and the pairing code shown once."""
    response = form(
        admin,
        "/admin/devices/new",
        {"site_id": str(centre.site_id), "kind": kind, "name": name, **extra},
    )
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    code = re.search(r'id="pairing-code">([A-Z0-9-]+)<', page)
    assert code, page
    assert "data:image/svg+xml" in page  # the QR of /pair?code=…
    return newest_device_id(centre), code.group(1)


def newest_device_id(centre: Centre) -> int:
    with centre.db.reading() as session:
        found: int | None = session.scalar(select(func.max(Device.id)))
        assert found is not None
        return found


def pair(client: FlaskClient, code: str) -> Any:
    page = client.get(f"/pair?code={code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return client.post("/pair", data={"code": code, "csrf_token": token.group(1)})


def test_a_board_is_paired_once_by_its_code_and_opens_its_screen(
    admin: Staff, app: Flask, centre: Centre
) -> None:
    device_id, code = register(admin, centre, "board", "Màn hình tầng 2")
    assert re.fullmatch(rf"[{PAIRING_ALPHABET}]{{4}}-[{PAIRING_ALPHABET}]{{4}}", code)
    with centre.db.reading() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.pairing_code_hash is not None
        assert code.replace("-", "") not in device.pairing_code_hash
    screen = app.test_client()
    paired = pair(screen, code.lower().replace("-", " "))  # as typed on a board's keyboard
    assert paired.status_code == 303
    token = re.fullmatch(r"/board\?device=([A-Za-z0-9_-]+)", paired.headers["Location"])
    assert token, paired.headers["Location"]
    snapshot = screen.get("/api/board/snapshot", headers={"X-Device-Token": token.group(1)})
    assert snapshot.status_code == 200
    again = pair(app.test_client(), code)
    assert again.status_code == 401 and "Mã ghép nối" in message(again)
    assert [e.action for e in audit_entries(centre)][-2:] == ["device.create", "device.paired"]
    with centre.db.reading() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.pairing_code_hash is None
        assert token.group(1) not in device.token_hash  # a hash, not the token


def test_a_pairing_code_expires_after_fifteen_minutes(
    admin: Staff, app: Flask, centre: Centre, clock: FakeClock
) -> None:
    _, code = register(admin, centre, "kiosk", "Kiosk tầng 2")
    clock.advance(minutes=15, seconds=1)
    assert pair(app.test_client(), code).status_code == 401


def test_a_wrong_pairing_code_is_refused(admin: Staff, app: Flask, centre: Centre) -> None:
    _, code = register(admin, centre, "kiosk", "Kiosk tầng 2")
    wrong = "".join(PAIRING_ALPHABET[(PAIRING_ALPHABET.index(c) + 1) % 31] for c in code[:4])
    for attempt in (wrong + code[5:], "", "ABC", "0000-0000", "<script>"):
        assert pair(app.test_client(), attempt).status_code == 401, attempt
    assert pair(app.test_client(), code).status_code == 303


def test_a_rating_tablet_needs_a_counter_of_its_site_and_opens_the_rating_screen(
    admin: Staff, app: Flask, centre: Centre
) -> None:
    before = configuration(centre)
    no_counter = form(
        admin,
        "/admin/devices/new",
        {"site_id": str(centre.site_id), "kind": "rating", "name": "Đánh giá quầy 2"},
    )
    assert no_counter.status_code == 400 and "quầy" in message(no_counter)
    assert configuration(centre) == before
    _, code = register(
        admin, centre, "rating", "Đánh giá quầy 2", counter_id=str(centre.counter[2])
    )
    assert pair(app.test_client(), code).headers["Location"].startswith("/rating?device=")


def test_a_revoked_kiosk_is_refused_and_a_new_pairing_makes_its_old_token_worthless(
    admin: Staff, app: Flask, client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    with centre.db.reading() as session:
        kiosk = session.scalars(select(Device).where(Device.kind == "kiosk")).one()
        kiosk_id = kiosk.id
    assert form(admin, f"/admin/devices/{kiosk_id}/revoke", {}).status_code == 303
    refused = client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds))
    assert refused.status_code == 401
    assert "thu hồi" in refused.get_json()["message"]
    issue = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    )
    assert issue.status_code == 401
    [entry] = audit_entries(centre, "device.revoke")
    assert entry.detail == {"active": [True, False]}
    # paired again: a new token works, the old one still does not
    response = form(admin, f"/admin/devices/{kiosk_id}/pair", {})
    assert response.status_code == 200
    code = re.search(r'id="pairing-code">([A-Z0-9-]+)<', response.get_data(as_text=True))
    assert code
    paired = pair(app.test_client(), code.group(1))
    new_token = paired.headers["Location"].split("device=")[1]
    assert (
        client.get("/api/kiosk/snapshot", headers={"X-Device-Token": new_token}).status_code == 200
    )
    assert client.get("/api/kiosk/snapshot", headers=kiosk_headers(creds)).status_code == 401


def test_a_kiosks_printer_address_is_checked_and_a_board_has_none(
    admin: Staff, centre: Centre
) -> None:
    with centre.db.reading() as session:
        ids = {str(d.kind): d.id for d in session.scalars(select(Device))}
    kiosk, board = ids["kiosk"], ids["board"]
    bad = form(admin, f"/admin/devices/{kiosk}", {"name": "Kiosk", "printer_url": "lpt1://x"})
    assert bad.status_code == 400 and message(bad)
    boards = form(admin, f"/admin/devices/{board}", {"name": "Bảng", "printer_url": "dummy://"})
    assert boards.status_code == 400
    good = form(
        admin, f"/admin/devices/{kiosk}", {"name": "Kiosk", "printer_url": "tcp://10.0.0.5:9100"}
    )
    assert good.status_code == 303
    [entry] = audit_entries(centre, "device.update")
    assert entry.detail == {
        "name": ["Kiosk sảnh chính", "Kiosk"],
        "printer_url": ["", "tcp://10.0.0.5:9100"],
    }
    assert "tcp://10.0.0.5:9100" in admin.get("/admin/devices").get_data(as_text=True)


# -- live ----------------------------------------------------------------------------------


def test_a_renamed_service_reaches_a_listening_board_as_a_change(
    make_app: AppFactory, creds: DemoCredentials, centre: Centre
) -> None:
    live_app = make_app()  # the real Socket.IO publisher
    board = socketio.test_client(live_app, auth={"device": creds.device_tokens["board"]})
    assert board.is_connected()
    admin = Staff(live_app.test_client(), "admin", creds.passwords["admin"])
    ct = centre.service["CT"]
    data = {
        **PASSPORT,
        "code": "CT",
        "name_vi": "Chứng thực bản sao",
        "name_en": "Certified copies",
        "prefix": "B",
        "daily_cap": "",
        "issue_from": "",
        "issue_until": "",
    }
    assert form(admin, f"/admin/services/{ct}", data).status_code == 303
    changes = [m["args"][0] for m in board.get_received() if m["name"] == "change"]
    assert [(c["kind"], c["service_ids"], c["config"]) for c in changes] == [
        ("config_changed", [ct], {"entity": "service", "id": ct})
    ]
    snapshot = live_app.test_client().get(
        "/api/board/snapshot", headers={"X-Device-Token": creds.device_tokens["board"]}
    )
    assert snapshot.get_json()["seq"] == changes[0]["seq"]
    assert "Chứng thực bản sao" in [s["name_vi"] for s in snapshot.get_json()["services"]]


# -- audit log and ticket history ----------------------------------------------------------


def test_managers_read_the_audit_log_of_their_sites_filtered(
    admin: Staff, login: Any, centre: Centre
) -> None:
    form(admin, f"/admin/services/{centre.service['HT']}/target", {"target_minutes": "12"})
    form(admin, f"/admin/users/{centre.user['canbo3']}/password", {"password": "mat-khau-moi-3"})
    manager = login("quanly")
    page = manager.get("/admin/audit").get_data(as_text=True)
    assert 'data-action="service.target"' in page
    # accounts belong to no site: a manager does not read them
    assert 'data-action="user.password_reset"' not in page
    assert 'data-action="user.password_reset"' in admin.get("/admin/audit").get_data(as_text=True)
    filtered = manager.get("/admin/audit?entity=counter").get_data(as_text=True)
    assert 'data-action="service.target"' not in filtered
    assert manager.get("/admin/audit?from=2026-11-26&to=2026-11-26").status_code == 200
    later = manager.get("/admin/audit?from=2026-11-27").get_data(as_text=True)
    assert 'data-action="service.target"' not in later
    assert manager.get("/admin/audit?from=hôm-qua").status_code == 400


def test_a_managers_audit_log_offers_only_the_accounts_of_their_sites(
    admin: Staff, login: Any, centre: Centre
) -> None:
    other = add_second_site(centre.db)
    who = re.compile(r'<option value="\d+"[^>]*>([^ <]+) –')
    theirs = who.findall(login("quanly").get("/admin/audit").get_data(as_text=True))
    assert "canbo1" in theirs and "quanly" in theirs
    assert other.manager not in theirs
    assert other.manager in who.findall(admin.get("/admin/audit").get_data(as_text=True))


def test_a_tickets_history_says_who_did_what(
    login: Any, client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    issued = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    ).get_json()["ticket"]
    clerk = login("canbo1")
    for action in ("open", "call-next", "start", "finish"):
        assert clerk.act(centre.counter[1], action).status_code == 200
    manager = login("quanly")
    found = manager.get(f"/admin/tickets?site={centre.site_id}&day=2026-11-26&number=a001")
    link = f"/admin/tickets/{issued['ticket_id']}"
    assert link in found.get_data(as_text=True)
    page = manager.get(link).get_data(as_text=True)
    steps = re.findall(r'data-step="([a-z_]+)"', page)
    assert steps == ["issued", "call", "start", "finish"]
    assert "Nguyễn Thị Hồng" in page and "Kiosk sảnh chính" in page
    assert login("canbo2").get(link).status_code == 403


def test_every_administration_page_opens_for_an_admin_in_both_languages(
    admin: Staff, centre: Centre
) -> None:
    with centre.db.reading() as session:
        device_ids = list(session.scalars(select(Device.id)))
    pages = [
        *ADMIN_PAGES,
        f"/admin/sites/{centre.site_id}",
        f"/admin/sites/{centre.site_id}/services/new",
        f"/admin/services/{centre.service['HT']}",
        f"/admin/sites/{centre.site_id}/counters/new",
        f"/admin/counters/{centre.counter[1]}",
        f"/admin/users/{centre.user['canbo1']}",
        f"/admin/users/{centre.user['quanly']}",
        *[f"/admin/devices/{device_id}" for device_id in device_ids],
        "/admin/targets",
        "/admin/audit",
        "/admin/tickets",
        "/pair",
    ]
    for page in pages:
        for lang in ("vi", "en"):
            response = admin.get(f"{page}?lang={lang}")
            assert response.status_code == 200, f"{page} ({lang})"
            assert 'style="' not in response.get_data(as_text=True)  # the CSP forbids them
    assert admin.get("/admin/services/999999").status_code == 404
    assert admin.get("/admin/tickets/999999").status_code == 404


def test_a_rating_tablet_moved_to_another_counter_follows_that_counter_live(
    make_app: AppFactory, creds: DemoCredentials, centre: Centre
) -> None:
    live_app = make_app()  # the real Socket.IO publisher
    tablet = socketio.test_client(live_app, auth={"device": creds.device_tokens["rating"]})
    assert tablet.is_connected()
    with centre.db.reading() as session:
        tablet_id = session.scalars(select(Device.id).where(Device.kind == "rating")).one()
    admin = Staff(live_app.test_client(), "admin", creds.passwords["admin"])
    moved = form(
        admin,
        f"/admin/devices/{tablet_id}",
        {"name": "Đánh giá quầy 2", "counter_id": str(centre.counter[2])},
    )
    assert moved.status_code == 303, moved.get_data(as_text=True)[:2000]
    tablet.get_received()
    clerk = Staff(live_app.test_client(), "canbo1", creds.passwords["canbo1"])
    assert clerk.act(centre.counter[1], "open").status_code == 200
    assert clerk.act(centre.counter[2], "open").status_code == 200
    heard = [m["args"][0] for m in tablet.get_received() if m["name"] == "change"]
    assert [(m["kind"], m["counter_id"]) for m in heard] == [("counter_changed", centre.counter[2])]
    state = live_app.test_client().get(
        "/api/rating/state", headers={"X-Device-Token": creds.device_tokens["rating"]}
    )
    assert state.get_json()["counter"]["number"] == 2


def test_the_admin_navigation_leads_to_every_admin_page(admin: Staff) -> None:
    page = admin.get("/admin/sites").get_data(as_text=True)
    for url in ("/admin/sites", "/admin/services", "/admin/counters", "/admin/users"):
        assert f'href="{url}"' in page
    assert 'href="/admin/devices"' in page
    assert 'href="/admin/api-tokens"' in page


def test_days_and_times_are_written_dd_mm_yyyy_and_24_hour_hh_mm_whatever_the_browser(
    admin: Staff, login: Any, client: FlaskClient, creds: DemoCredentials, centre: Centre
) -> None:
    """Text fields with a pattern, not the browser's pickers (which follow its own locale:
    12/04/2026 beside 04/12/2026, "--:-- --"); the server reads both ways of writing."""
    edit = admin.get(f"/admin/sites/{centre.site_id}").get_data(as_text=True)
    assert 'type="time"' not in edit and 'type="date"' not in edit
    opens = re.search(r'<input[^>]*name="opens_at"[^>]*>', edit)
    assert opens and 'type="text"' in opens[0] and 'placeholder="hh:mm"' in opens[0]
    assert 'value="07:30"' in opens[0] and "pattern=" in opens[0]
    service_page = admin.get(f"/admin/services/{centre.service['DD']}").get_data(as_text=True)
    assert 'type="time"' not in service_page and 'name="issue_until"' in service_page
    site = {
        "code": "tan-dinh",
        "name": "Trung tâm Phục vụ hành chính công phường Tân Định",
        "address": "Phường Tân Định, Thành phố Hồ Chí Minh",
        "timezone": "Asia/Ho_Chi_Minh",
        "opens_at": "7:00",  # as typed, without its leading zero
        "closes_at": "17:00",
        "streak": "3",
        "lunch_starts_at": "11:30",
        "lunch_ends_at": "13:00",
    }
    assert form(admin, f"/admin/sites/{centre.site_id}", site).status_code == 303
    [entry] = audit_entries(centre, "site.update")
    assert entry.detail == {"opens_at": ["07:30", "07:00"]}
    late = form(admin, f"/admin/sites/{centre.site_id}", {**site, "closes_at": "5:00 PM"})
    assert late.status_code == 400

    issued = client.post(
        "/api/kiosk/tickets",
        json={"service_id": centre.service["HT"]},
        headers=kiosk_headers(creds),
    ).get_json()["ticket"]
    manager = login("quanly")
    found = manager.get(f"/admin/tickets?site={centre.site_id}&day=26/11/2026&number=A001")
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and f"/admin/tickets/{issued['ticket_id']}" in html
    day = re.search(r'<input[^>]*name="day"[^>]*>', html)
    assert day and 'type="text"' in day[0] and 'value="26/11/2026"' in day[0]
    assert manager.get("/admin/audit?from=26/11/2026&to=26/11/2026").status_code == 200
    assert manager.get("/admin/audit?from=31/11/2026").status_code == 400


def test_the_audit_log_reads_as_sentences_with_names_and_local_times(
    admin: Staff, uow: UnitOfWork, centre: Centre, clock: FakeClock
) -> None:
    from server.domain.roles import Role
    from server.services.admin.accounts import UserSettings, update_user
    from server.services.devices import DeviceSettings, repair_device, update_device

    with centre.db.reading() as session:
        tablet = session.scalars(select(Device).where(Device.kind == "rating")).one().id
    form(admin, f"/admin/services/{centre.service['HT']}/target", {"target_minutes": "12"})
    admin_id = centre.user["admin"]
    update_device(uow, admin_id, tablet, DeviceSettings("Máy đánh giá quầy 1", centre.counter[2]))
    clock.advance(minutes=5)
    repair_device(uow, admin_id, tablet)  # a code until 09:20
    counters = (centre.counter[3], centre.counter[4])
    update_user(
        uow,
        admin_id,
        centre.user["canbo3"],
        UserSettings("canbo3", "Lê Thị Thu Hà", Role.CLERK, counter_ids=counters),
    )
    page = admin.get("/admin/audit").get_data(as_text=True)

    def row(action: str) -> str:
        found = re.search(rf'<tr data-action="{re.escape(action)}">(.*?)</tr>', page, re.S)
        assert found, action
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[1])).replace(" :", ":")

    target = row("service.target")
    assert "26/11/2026 09:00 " in target  # local time, to the minute
    assert "Tư pháp - Hộ tịch" in target  # the service by its name, not "#1"
    assert "Thời gian chờ mục tiêu (phút): 30 → 12" in target
    moved = row("device.update")
    assert "Máy đánh giá quầy 1" in moved
    assert "Quầy: 1 – Hộ tịch → 2 – Hộ tịch - Chứng thực" in moved
    assert "Hiệu lực mã ghép nối đến: 26/11/2026 09:20" in row("device.repair")
    clerk = row("user.update")
    assert "Lê Thị Thu Hà" in clerk
    assert "Quầy: 3 – Chứng thực → 3 – Chứng thực, 4 – Đất đai" in clerk
    for raw in ("target_minutes", "counter_id", "pairing_expires_at", "2026-11-26T", "tan-dinh#"):
        assert raw not in page, raw
    english = admin.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Target waiting time (min)" in english
