"""Who may do what: every route of the app (each method) and every Socket.IO connection and
event, for every kind of caller, against tables written out below. A route or an event
without an entry fails: whoever adds one says here who may use it.

The callers, in the demo centre (phường Tân Định) and a second centre (phường Thủ Đức):
- anonymous: a browser with no credentials at all
- kiosk, board, rating: the demo centre's kiosk, waiting-room board and counter 1's rating
  tablet, each with its device token (X-Device-Token; `auth.device` on Socket.IO)
- phone: a citizen holding their ticket's token (in the address; `auth.ticket`)
- integration: an API token with every scope, for the demo centre (Authorization: Bearer)
- clerk3, clerk4: canbo3, who works at counter 3 only, and canbo4, at counter 4 only (two
  people with no counter in common: canbo1 and canbo2 share counter 2)
- manager: quanly, the demo centre's manager; manager2: the Thủ Đức centre's manager
- admin: the administrator

Each caller sends what a real one would: its own session, a valid CSRF token of that
session on every POST (so a refusal is about who asks, never about CSRF), its device or
API token, real ids of the demo centre in the address, and a body that gets past input
checks for those allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.routing import Rule

from server.adapters.db.models import Device, PrintJob, User
from server.adapters.realtime import socketio
from server.adapters.voice import voice_folder
from server.cli.demo import DemoCredentials
from server.domain.printing import PrinterStatus
from server.domain.roles import DeviceKind, Role
from server.services import api_tokens, counters, tickets
from server.services.credentials import new_device_token, token_hash
from server.services.unit_of_work import UnitOfWork
from server.web import openapi
from server.web.contract import Access, Credential, Relation, contract_of
from tests.conftest import BULK_LIMITS, AppFactory, Centre, FakeClock, Published, Staff, csrf_token
from tests.second_site import SecondSite, add_second_site

ACTORS = (
    "anonymous",
    "kiosk",
    "board",
    "rating",
    "phone",
    "integration",
    "clerk3",
    "clerk4",
    "manager",
    "manager2",
    "admin",
)

# ok     gets past authorization: 2xx, 3xx (not to the sign-in page), or a 400/409 about
#        the input or the state of things
# 401    refused: no credentials, or not valid ones
# 403    refused: valid credentials that may not do this
# 404    refused: the credential is the address itself (a ticket's token), and this one
#        names nothing
# login  a screen (not the API) sends the caller to the sign-in page
HTTP_TABLE = """
endpoint                method anon  kiosk board ratng phone integ clrk3 clrk4 mgr   mgr2  admin
home.index              GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
home.health             GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
static                  GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
vendor                  GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
openapi_document        GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
auth.login              GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
auth.login              POST   ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
auth.logout             POST   ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
pairing.pair            GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
pairing.pair_submit     POST   401   401   401   401   401   401   401   401   401   401   401
kiosk.page              GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
kiosk.snapshot          GET    401   ok    403   403   401   401   401   401   401   401   401
kiosk.issue             POST   401   ok    403   403   401   401   401   401   401   401   401
display.page            GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
display.snapshot        GET    401   403   ok    403   401   401   401   401   401   401   401
display.voice_clip      GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
rating.page             GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
rating.state            GET    401   403   403   ok    401   401   401   401   401   401   401
rating.rate             POST   401   403   403   ok    401   401   401   401   401   401   401
phone.page              GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
phone.service_worker    GET    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
phone.qr                GET    404   404   404   404   ok    404   404   404   404   404   404
phone.snapshot          GET    404   404   404   404   ok    404   404   404   404   404   404
phone.cancel            POST   404   404   404   404   ok    404   404   404   404   404   404
notify.notify           POST   404   404   404   404   ok    404   404   404   404   404   404
notify.stop             DELETE 404   404   404   404   ok    404   404   404   404   404   404
notify.rejoin_queue     POST   404   404   404   404   ok    404   404   404   404   404   404
notify.ask_more_time    POST   404   404   404   404   ok    404   404   404   404   404   404
counter.choose          GET    login login login login login login ok    ok    ok    ok    ok
counter.page            GET    login login login login login login ok    403   403   403   ok
counter.snapshot        GET    401   401   401   401   401   401   ok    403   403   403   ok
counter.act             POST   401   401   401   401   401   401   ok    403   403   403   ok
reception.page          GET    login login login login login login ok    ok    ok    403   ok
reception.snapshot      GET    401   401   401   401   401   401   ok    ok    ok    403   ok
reception.issue         POST   401   401   401   401   401   401   ok    ok    ok    403   ok
printing.preview        GET    401   401   401   401   401   401   ok    403   ok    403   ok
printing.reprint        POST   401   401   401   401   401   401   ok    403   ok    403   ok
printing.test_print     POST   401   401   401   401   401   401   403   403   403   403   ok
manager.hall            GET    login login login login login login 403   403   ok    403   ok
manager.overview        GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.set_notice      POST   401   401   401   401   401   401   403   403   ok    403   ok
manager.statistics_page GET    login login login login login login 403   403   ok    403   ok
manager.statistics_json GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.statistics_csv  GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.statistics_xlsx GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.tickets_csv     GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.tickets_xlsx    GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.scorecard_json  GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.scorecard_csv   GET    401   401   401   401   401   401   403   403   ok    403   ok
manager.scorecard_xlsx  GET    401   401   401   401   401   401   403   403   ok    403   ok
notify.figures          GET    401   401   401   401   401   401   403   403   ok    403   ok
integration.queue       GET    401   401   401   401   401   ok    401   401   401   401   401
integration.issue       POST   401   401   401   401   401   ok    401   401   401   401   401
integration.statistics  GET    401   401   401   401   401   ok    401   401   401   401   401
integration.scorecard   GET    401   401   401   401   401   ok    401   401   401   401   401
staffing.page           GET    login login login login login login 403   403   ok    403   ok
staffing.xlsx           GET    401   401   401   401   401   401   403   403   ok    403   ok
staffing.integration_plan GET  401   401   401   401   401   ok    401   401   401   401   401
api_tokens.index        GET    login login login login login login 403   403   403   403   ok
api_tokens.create       POST   login login login login login login 403   403   403   403   ok
api_tokens.revoke       POST   login login login login login login 403   403   403   403   ok
admin.index             GET    login login login login login login 403   403   403   403   ok
admin.sites             GET    login login login login login login 403   403   403   403   ok
admin.site_new          GET    login login login login login login 403   403   403   403   ok
admin.site_new          POST   login login login login login login 403   403   403   403   ok
admin.site_edit         GET    login login login login login login 403   403   403   403   ok
admin.site_edit         POST   login login login login login login 403   403   403   403   ok
admin.services          GET    login login login login login login 403   403   403   403   ok
admin.service_new       GET    login login login login login login 403   403   403   403   ok
admin.service_new       POST   login login login login login login 403   403   403   403   ok
admin.service_edit      GET    login login login login login login 403   403   403   403   ok
admin.service_edit      POST   login login login login login login 403   403   403   403   ok
admin.targets           GET    login login login login login login 403   403   ok    ok    ok
admin.service_target    POST   login login login login login login 403   403   ok    403   ok
admin.counters          GET    login login login login login login 403   403   403   403   ok
admin.counter_new       GET    login login login login login login 403   403   403   403   ok
admin.counter_new       POST   login login login login login login 403   403   403   403   ok
admin.counter_edit      GET    login login login login login login 403   403   403   403   ok
admin.counter_edit      POST   login login login login login login 403   403   403   403   ok
admin.users             GET    login login login login login login 403   403   403   403   ok
admin.user_new          GET    login login login login login login 403   403   403   403   ok
admin.user_new          POST   login login login login login login 403   403   403   403   ok
admin.user_edit         GET    login login login login login login 403   403   403   403   ok
admin.user_edit         POST   login login login login login login 403   403   403   403   ok
admin.user_password     POST   login login login login login login 403   403   403   403   ok
admin.user_active       POST   login login login login login login 403   403   403   403   ok
admin.devices_list      GET    login login login login login login 403   403   403   403   ok
admin.device_new        GET    login login login login login login 403   403   403   403   ok
admin.device_new        POST   login login login login login login 403   403   403   403   ok
admin.device_edit       GET    login login login login login login 403   403   403   403   ok
admin.device_edit       POST   login login login login login login 403   403   403   403   ok
admin.device_revoke     POST   login login login login login login 403   403   403   403   ok
admin.device_repair     POST   login login login login login login 403   403   403   403   ok
admin.audit_log         GET    login login login login login login 403   403   ok    ok    ok
admin.ticket_search     GET    login login login login login login 403   403   ok    ok    ok
admin.ticket_history    GET    login login login login login login 403   403   ok    403   ok
"""

# Access the code grants today that it should not: reported, not taken as the rule. The
# table above says what should happen; the test checks that these cells still behave as
# noted (so the fix, when it comes, shows here and the entry is removed).
# Cells where the code is known to do the wrong thing: (endpoint, method, caller) -> (what
# the code does today, why it is wrong). Empty: keep it so.
KNOWN_WRONG: dict[tuple[str, str, str], tuple[str, str]] = {}


def parse(table: str, keys: int) -> dict[tuple[str, ...], dict[str, str]]:
    """A table as {its first `keys` columns: {caller: cell}}; its first line is a header."""
    parsed: dict[tuple[str, ...], dict[str, str]] = {}
    for line in table.strip().splitlines()[1:]:
        words = line.split()
        key, cells = tuple(words[:keys]), words[keys:]
        assert len(cells) == len(ACTORS), f"{key}: {len(cells)} cells"
        assert key not in parsed, f"two entries for {key}"
        parsed[key] = dict(zip(ACTORS, cells, strict=True))
    return parsed


HTTP = parse(HTTP_TABLE, keys=2)

# -- the callers --------------------------------------------------------------------------

STRANGER_TOKEN = "AAAAAAAAAAAAAAAAAAAAAA"  # well-formed, and nobody's ticket


@dataclass
class Actor:
    name: str
    client: FlaskClient
    csrf: str
    headers: dict[str, str] = field(default_factory=dict)
    device_token: str | None = None
    ticket_token: str | None = None


@dataclass(frozen=True)
class Caller:
    """A caller as a route's declared access sees it: its credential, its device's kind,
    its API token's scopes, its role, and its ties to what the requests name."""

    credential: Credential
    role: Role | None = None
    ties: frozenset[Relation] = frozenset()
    device: DeviceKind | None = None
    scopes: frozenset[str] = frozenset()


@dataclass
class World:
    """The demo centre as the callers find it, and the ids the requests name."""

    app: Flask
    centre: Centre
    second: SecondSite
    actors: dict[str, Actor]
    ids: dict[str, int]
    phone_token: str

    def path_value(self, endpoint: str, name: str, actor: Actor) -> Any:
        if name == "token":
            return actor.ticket_token or STRANGER_TOKEN
        if name == "device_id" and endpoint.startswith("admin."):
            return self.ids["spare_device"]  # edited, revoked and re-paired by the admin
        values: dict[str, Any] = {
            "site_id": self.centre.site_id,
            "counter_id": self.centre.counter[3],
            "service_id": self.centre.service["CT"],
            "ticket_id": self.ids["ticket"],
            "device_id": self.ids["spare_kiosk"],
            "user_id": self.centre.user["canbo6"],
            "token_id": self.ids["spare_api_token"],
            "action": "open",
            "filename": "css/xephang.css",
            "name": "chime" if endpoint == "display.voice_clip" else "socket.io.min.js",
        }
        return values[name]


# Pages and reports asked about the demo centre (?site=<its id>), so that manager2 asks about
# a site that is not theirs.
ABOUT_THE_SITE = {
    "manager.hall",
    "reception.page",
    "manager.statistics_page",
    "manager.statistics_json",
    "manager.statistics_csv",
    "manager.statistics_xlsx",
    "manager.tickets_csv",
    "manager.tickets_xlsx",
    "manager.scorecard_json",
    "manager.scorecard_csv",
    "manager.scorecard_xlsx",
    "integration.statistics",
    "integration.scorecard",
    "staffing.page",
    "staffing.xlsx",
    "admin.audit_log",
    "admin.ticket_search",
}
MORE_QUERY = {"admin.ticket_search": {"number": "B001"}}


def json_body(world: World, endpoint: str) -> dict[str, Any]:
    service = world.centre.service["CT"]
    bodies: dict[str, dict[str, Any]] = {
        "kiosk.issue": {"service_id": service},
        "integration.issue": {"service_id": service},
        "reception.issue": {"service_id": service, "priority": "elderly"},
        "rating.rate": {"ticket_id": world.ids["served_at_counter_1"], "rating": "satisfied"},
        "manager.set_notice": {"notice": "Chiều nay lĩnh vực Đất đai nghỉ."},
    }
    return bodies.get(endpoint, {})


def form_body(endpoint: str) -> dict[str, str]:
    return {
        "admin.service_target": {"target_minutes": "25"},
        "pairing.pair_submit": {"code": "ABCD-EFGH"},
    }.get(endpoint, {})


def outcome(status: int, location: str) -> str:
    if status >= 500:
        return f"{status}!"
    if status in (301, 302, 303, 307, 308):
        target = urlsplit(location)
        return "login" if target.path == "/login" and "next=" in target.query else "ok"
    if status in (401, 403, 404):
        return str(status)
    if status < 400 or status in (400, 409):
        return "ok"
    return str(status)


def call(world: World, rule: Rule, method: str, actor: Actor) -> str:
    endpoint = rule.endpoint
    values = {name: world.path_value(endpoint, name, actor) for name in rule.arguments}
    query: dict[str, Any] = dict(MORE_QUERY.get(endpoint, {}))
    if endpoint in ABOUT_THE_SITE:
        query["site"] = world.centre.site_id
    url = world.app.url_map.bind("localhost").build(endpoint, {**values, **query}, method=method)
    headers = dict(actor.headers)
    options: dict[str, Any] = {}
    if method == "POST":
        headers["X-CSRFToken"] = actor.csrf
        if rule.rule.startswith("/api/"):
            options["json"] = json_body(world, endpoint)
        else:
            options["data"] = {**form_body(endpoint), "csrf_token": actor.csrf}
    response = actor.client.open(url, method=method, headers=headers, **options)
    if response.is_json and (response.get_json(silent=True) or {}).get("error") == "csrf":
        return "csrf!"  # never expected: every caller sends its session's token
    return outcome(response.status_code, response.headers.get("Location", ""))


# -- the world ----------------------------------------------------------------------------


@pytest.fixture
def app(make_app: AppFactory, published: Published) -> Flask:
    # Eleven callers from eleven addresses: the real limits, but sign-in failures (the
    # empty sign-in form each caller posts) are not what this test is about.
    # The real Socket.IO publisher: the socket tests hear what the rooms are sent.
    return make_app(None, **BULK_LIMITS, ratelimit_login="1000 per minute")


def _serve_one_at_counter_1(uow: UnitOfWork, centre: Centre, clock: FakeClock) -> int:
    """A Tư pháp ticket that canbo1 has just served at counter 1: the tablet may rate it."""
    clerk, counter = centre.user["canbo1"], centre.counter[1]
    issued = tickets.issue_ticket(uow, centre.site_id, centre.service["HT"])
    counters.open_counter(uow, counter, clerk)
    tickets.call_ticket(uow, counter, clerk, issued.ticket_id)
    tickets.start_serving(uow, counter, clerk)
    clock.advance(minutes=4)
    tickets.finish(uow, counter, clerk)
    counters.close_counter(uow, counter, clerk)
    return issued.ticket_id


def _spare_device(centre: Centre, kind: str, name: str) -> int:
    with centre.db.write_session() as session, session.begin():
        device = Device(
            site_id=centre.site_id, kind=kind, name=name, token_hash=token_hash(new_device_token())
        )
        session.add(device)
        session.flush()
        return device.id


@pytest.fixture
def world(
    app: Flask,
    creds: DemoCredentials,
    centre: Centre,
    uow: UnitOfWork,
    clock: FakeClock,
    instance: Any,
) -> Iterator[World]:
    second = add_second_site(centre.db)
    kiosk_id = _device_id(centre, "kiosk")
    ticket = tickets.issue_ticket(uow, centre.site_id, centre.service["CT"], device_id=kiosk_id)
    phone = tickets.issue_ticket(uow, centre.site_id, centre.service["LD"])
    served = _serve_one_at_counter_1(uow, centre, clock)
    admin_id = centre.user["admin"]
    integration = api_tokens.create(
        uow, "Cổng dịch vụ công tỉnh", api_tokens.SCOPES, centre.site_id, admin_id
    )
    spare_token = api_tokens.create(uow, "Bảng nút bấm cũ", [api_tokens.QUEUE_READ], None, admin_id)
    ids = {
        "ticket": ticket.ticket_id,
        "served_at_counter_1": served,
        "spare_kiosk": _spare_device(centre, "kiosk", "Kiosk dự phòng"),
        "spare_device": _spare_device(centre, "board", "Màn hình dự phòng"),
        "spare_api_token": spare_token.id,
    }
    voice = voice_folder(instance)
    voice.mkdir(parents=True, exist_ok=True)
    (voice / "chime.wav").write_bytes(b"RIFF")

    passwords = {**creds.passwords, second.manager: second.manager_password}
    usernames = {
        "clerk3": "canbo3",
        "clerk4": "canbo4",
        "manager": "quanly",
        "manager2": second.manager,
        "admin": "admin",
    }
    actors: dict[str, Actor] = {}
    for number, name in enumerate(ACTORS, start=10):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number}"  # each from its own address
        if name in usernames:
            staff = Staff(client, usernames[name], passwords[usernames[name]])
            actor = Actor(name, client, staff.csrf)
        else:
            actor = Actor(name, client, csrf_token(client))
        if name in ("kiosk", "board", "rating"):
            actor.device_token = creds.device_tokens[name]
            actor.headers["X-Device-Token"] = actor.device_token
        if name == "phone":
            actor.ticket_token = phone.token
        if name == "integration":
            actor.headers["Authorization"] = f"Bearer {integration.token}"
        actors[name] = actor
    yield World(app, centre, second, actors, ids, phone.token)


def _device_id(centre: Centre, kind: str) -> int:
    with centre.db.reading() as session:
        found = session.scalar(select(Device.id).where(Device.kind == kind).order_by(Device.id))
        assert found is not None
        return found


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the app; signing out last, as it ends the caller's session."""
    pairs = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(pairs, key=lambda p: (p[0].endpoint == "auth.logout", p[0].rule, p[1]))


# -- HTTP ---------------------------------------------------------------------------------


def test_every_route_has_an_entry_and_every_entry_a_route(app: Flask) -> None:
    existing = {(rule.endpoint, method) for rule, method in routes(app)}
    assert not existing - HTTP.keys(), f"routes with no entry: {sorted(existing - HTTP.keys())}"
    assert not HTTP.keys() - existing, f"entries of no route: {sorted(HTTP.keys() - existing)}"
    assert {(e, m) for e, m, _ in KNOWN_WRONG} <= HTTP.keys()


def test_each_caller_gets_what_the_table_says_on_every_route(world: World) -> None:
    mismatches = []
    for rule, method in routes(world.app):
        expected_row = HTTP.get((rule.endpoint, method))
        assert expected_row is not None, f"no entry for {rule.endpoint} {method} ({rule.rule})"
        for name in ACTORS:
            got = call(world, rule, method, world.actors[name])
            expected = expected_row[name]
            if (rule.endpoint, method, name) in KNOWN_WRONG:
                expected = KNOWN_WRONG[(rule.endpoint, method, name)][0]
            if got != expected:
                mismatches.append(f"{method} {rule.rule} as {name}: {got}, expected {expected}")
    assert not mismatches, "\n".join(mismatches)


def test_the_table_is_about_authorization_not_chance(world: World) -> None:
    """Those the table lets in really reach the use case: the tablet rates, the kiosk and
    the integration issue, the phone cancels, the clerk opens counter 3."""
    rating = world.actors["rating"].client.post(
        "/api/rating",
        json={"ticket_id": world.ids["served_at_counter_1"], "rating": "satisfied"},
        headers=world.actors["rating"].headers,
    )
    assert rating.status_code == 201, rating.get_json()
    issue = world.actors["integration"].client.post(
        f"/api/v1/sites/{world.centre.site_id}/tickets",
        json={"service_id": world.centre.service["CT"]},
        headers=world.actors["integration"].headers,
    )
    assert issue.status_code == 201
    clerk = world.actors["clerk3"]
    opened = clerk.client.post(
        f"/api/counters/{world.centre.counter[3]}/open", headers={"X-CSRFToken": clerk.csrf}
    )
    assert opened.status_code == 200 and opened.get_json()["result"]["state"] == "open"
    cancel = world.actors["phone"].client.post(f"/api/tickets/{world.phone_token}/cancel")
    assert cancel.get_json()["ticket"]["status"] == "cancelled"


# -- each JSON route's declared access ------------------------------------------------------

# What each caller is, in the terms of a contract's Access (server/web/contract.py), and
# what ties it to what the requests above name (the demo centre, counter 3, `ids["ticket"]`,
# a Công thương ticket, a service of counter 3 but not of counter 4).
CALLERS: dict[str, Caller] = {
    "anonymous": Caller(Credential.NONE),
    "kiosk": Caller(Credential.DEVICE, device=DeviceKind.KIOSK),
    "board": Caller(Credential.DEVICE, device=DeviceKind.BOARD),
    "rating": Caller(Credential.DEVICE, device=DeviceKind.RATING),
    "phone": Caller(Credential.TICKET),
    "integration": Caller(Credential.API_TOKEN, scopes=frozenset(api_tokens.SCOPES)),
    "clerk3": Caller(
        Credential.SESSION,
        Role.CLERK,
        frozenset({Relation.SITE, Relation.COUNTER, Relation.TICKET}),
    ),
    "clerk4": Caller(Credential.SESSION, Role.CLERK, frozenset({Relation.SITE})),
    "manager": Caller(
        Credential.SESSION, Role.MANAGER, frozenset({Relation.SITE, Relation.TICKET})
    ),
    "manager2": Caller(Credential.SESSION, Role.MANAGER),
    "admin": Caller(Credential.SESSION, Role.ADMIN),
}


def allowed(access: Access, caller: Caller) -> str:
    """The cell of the table that a route's declared access gives a caller."""
    if access.credential is Credential.NONE:
        return "ok"
    if access.credential is Credential.TICKET:  # the address is the credential
        return "ok" if caller.credential is Credential.TICKET else "404"
    if caller.credential is not access.credential:
        return "401"
    if access.credential is Credential.DEVICE:
        return "ok" if caller.device in access.devices else "403"
    if access.credential is Credential.API_TOKEN:
        return "ok" if access.scope in caller.scopes else "403"
    if caller.role is Role.ADMIN:
        return "ok"
    tied = access.of is None or access.of in caller.ties
    return "ok" if caller.role in access.roles and tied else "403"


def test_each_json_route_declares_the_access_its_view_enforces(app: Flask) -> None:
    """Every JSON route's contract declares who may call it (`Access`), the document shows
    that declaration, and what the declaration lets each caller have is what the table
    says, which the test above holds the real views to: the declared permission and the
    enforced one cannot drift apart."""
    with app.test_request_context():
        document = openapi.document(app)
    mismatches = []
    for rule, method in routes(app):
        if not rule.rule.startswith("/api/"):
            continue
        declared = contract_of(app.view_functions[rule.endpoint])
        assert declared is not None, f"{rule.endpoint} has no contract"
        operation = document["paths"][openapi.template(rule.rule)][method.lower()]
        assert operation["x-access"] == declared.access.as_json(), rule.endpoint
        assert operation["x-permission"] == declared.access.permission, rule.endpoint
        expected_row = HTTP.get((rule.endpoint, method))
        if expected_row is None:
            continue  # test_every_route_has_an_entry_and_every_entry_a_route says so
        for name in ACTORS:
            got = allowed(declared.access, CALLERS[name])
            if got != expected_row[name]:
                mismatches.append(
                    f"{method} {rule.rule} as {name}: declared {got}, "
                    f"enforced {expected_row[name]} ({declared.access.permission})"
                )
    assert not mismatches, "\n".join(mismatches)


# -- Socket.IO ----------------------------------------------------------------------------

# The `auth` each caller connects with, by connect path: its own credential where it has
# one (a device's token, its ticket's token), a made-up one where it has none; `counter`
# and `manager` ride on the caller's session cookie, like the clerk's and manager's screens.
CONNECTS: dict[str, Callable[[World, Actor], dict[str, Any] | None]] = {
    "nothing": lambda w, a: None,
    "device": lambda w, a: {"device": a.device_token or "not-a-device-token"},
    "printer": lambda w, a: {"printer": a.device_token or "not-a-device-token"},
    "ticket": lambda w, a: {"ticket": a.ticket_token or STRANGER_TOKEN},
    "counter3": lambda w, a: {"counter": w.centre.counter[3]},
    "counter4": lambda w, a: {"counter": w.centre.counter[4]},
    "manager": lambda w, a: {"manager": w.centre.site_id},
    "manager2": lambda w, a: {"manager": w.second.site_id},
}

# The connections let in, and the rooms each joins; every other (connect path, caller) is
# refused. board: board:<site>, the hall's changes; kiosk / printer: that kiosk's print
# outcomes / print jobs; counter1, counter3, counter4: counter:<id>; counters: every counter
# screen of the site; ticket: ticket:<the phone's token>; manager / manager2: manager:<demo
# site> / manager:<Thủ Đức>. "nothing" (no auth at all) lets nobody in.
SOCKET_TABLE = """
connect  caller   rooms
nothing  -
device   kiosk    kiosks kiosk
device   board    board
device   rating   rating1
printer  kiosk    printer
ticket   phone    ticket service
counter3 clerk3   counter3 counters
counter3 admin    counter3 counters
counter4 clerk4   counter4 counters
counter4 admin    counter4 counters
manager  manager  manager
manager  admin    manager
manager2 manager2 manager2
manager2 admin    manager2
"""

# Every Socket.IO event the server handles, and whose messages it acts on.
SOCKET_EVENTS = {
    "connect": "anyone; the table above says who is let in, and into which rooms",
    "disconnect": "anyone: only the connection's own bookkeeping is undone",
    "printed": "a print agent only (a `printer` connection): its job's outcome",
    "printer_status": "a print agent only (a `printer` connection): its printer's status",
}


def socket_rooms(client: Any) -> set[str]:
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(client.eio_sid, "/")
    return {room for room in manager.get_rooms(sid, "/") if room != sid}


def parse_sockets(table: str) -> dict[str, dict[str, frozenset[str]]]:
    """{connect path: {caller let in: its rooms}}."""
    parsed: dict[str, dict[str, frozenset[str]]] = {}
    for line in table.strip().splitlines()[1:]:
        path, caller, *rooms = line.split()
        accepted = parsed.setdefault(path, {})
        if caller != "-":
            assert caller in ACTORS and caller not in accepted, line
            accepted[caller] = frozenset(rooms)
    return parsed


SOCKETS = parse_sockets(SOCKET_TABLE)


def room_names(world: World, rooms: frozenset[str]) -> set[str]:
    kiosk = _device_id(world.centre, "kiosk")
    site, counter = world.centre.site_id, world.centre.counter
    names = {
        "board": f"board:{site}",
        "kiosks": f"kiosks:{site}",
        "kiosk": f"kiosk:{kiosk}",
        "printer": f"printer:{kiosk}",
        "counter1": f"counter:{counter[1]}",
        "rating1": f"rating:{counter[1]}",
        "counter3": f"counter:{counter[3]}",
        "counter4": f"counter:{counter[4]}",
        "counters": f"counters:{site}",
        "ticket": f"ticket:{world.phone_token}",
        "service": f"service:{world.centre.service['LD']}",
        "manager": f"manager:{site}",
        "manager2": f"manager:{world.second.site_id}",
    }
    return {names[room] for room in rooms}


@pytest.fixture
def sockets() -> Iterator[list[Any]]:
    """Every Socket.IO test client a test opens, closed at its end (a connected device
    keeps the server's revocation watcher running)."""
    opened: list[Any] = []
    yield opened
    for client in opened:
        if client.is_connected():
            client.disconnect()


def connect(world: World, actor: Actor, auth: dict[str, Any] | None, opened: list[Any]) -> Any:
    client = socketio.test_client(world.app, auth=auth, flask_test_client=actor.client)
    opened.append(client)
    return client


def test_every_socket_event_and_connect_path_has_an_entry(app: Flask) -> None:
    assert set(socketio.server.handlers["/"]) == set(SOCKET_EVENTS)
    assert set(SOCKETS) == set(CONNECTS)


def test_each_caller_joins_only_the_rooms_the_table_says(world: World, sockets: list[Any]) -> None:
    mismatches = []
    for path, accepted in SOCKETS.items():
        for name in ACTORS:
            actor = world.actors[name]
            client = connect(world, actor, CONNECTS[path](world, actor), sockets)
            got = socket_rooms(client) if client.is_connected() else None
            expected = room_names(world, accepted[name]) if name in accepted else None
            if got != expected:
                mismatches.append(
                    f"{path} as {name}: {got or 'refused'}, expected {expected or 'refused'}"
                )
            if client.is_connected():
                client.disconnect()
    assert not mismatches, "\n".join(mismatches)


def test_only_a_print_agent_is_heard_about_its_printer(world: World, sockets: list[Any]) -> None:
    kiosk = world.actors["kiosk"]
    listeners = [
        connect(world, kiosk, {"device": kiosk.device_token}, sockets),
        connect(
            world, world.actors["board"], {"device": world.actors["board"].device_token}, sockets
        ),
        connect(world, world.actors["phone"], {"ticket": world.phone_token}, sockets),
        connect(world, world.actors["clerk3"], {"counter": world.centre.counter[3]}, sockets),
        connect(world, world.actors["admin"], {"manager": world.centre.site_id}, sockets),
    ]
    kiosk_id = _device_id(world.centre, "kiosk")

    def printer_status() -> str:
        with world.centre.db.reading() as session:
            device = session.get(Device, kiosk_id)
            assert device is not None
            return str(device.printer_status)

    def jobs() -> list[Any]:
        with world.centre.db.reading() as session:
            return list(session.execute(select(PrintJob.id, PrintJob.status)).all())

    before = (printer_status(), jobs())
    for client in listeners:
        assert client.is_connected()
        client.emit("printer_status", {"status": PrinterStatus.PAPER_OUT.value, "detail": "x"})
        client.emit("printed", {"job_id": 1, "ok": False, "status": "error", "detail": "x"})
    assert (printer_status(), jobs()) == before
    agent = connect(world, kiosk, {"printer": kiosk.device_token}, sockets)
    assert agent.is_connected()
    agent.emit("printer_status", {"status": PrinterStatus.PAPER_OUT.value, "detail": "x"})
    assert printer_status() == PrinterStatus.PAPER_OUT.value


def test_a_revoked_device_is_cut_off_and_refused(world: World, sockets: list[Any]) -> None:
    board = world.actors["board"]
    connected = connect(world, board, {"device": board.device_token}, sockets)
    assert connected.is_connected()
    admin = world.actors["admin"]
    board_id = _device_id(world.centre, "board")
    revoked = admin.client.post(
        f"/admin/devices/{board_id}/revoke", data={"csrf_token": admin.csrf}
    )
    assert revoked.status_code == 303
    assert not connected.is_connected()
    assert not connect(world, board, {"device": board.device_token}, sockets).is_connected()
    snapshot = board.client.get("/api/board/snapshot", headers=board.headers)
    assert snapshot.status_code == 401


def test_an_inactive_account_loses_its_session(world: World) -> None:
    clerk = world.actors["clerk3"]
    with world.centre.db.write_session() as session, session.begin():
        session.execute(update(User).where(User.username == "canbo3").values(active=False))
    url = f"/api/counters/{world.centre.counter[3]}"
    assert clerk.client.get(url).status_code == 401


def test_a_phone_hears_only_its_own_ticket(
    world: World, uow: UnitOfWork, sockets: list[Any]
) -> None:
    phone = world.actors["phone"]
    other = tickets.issue_ticket(uow, world.centre.site_id, world.centre.service["LD"])
    mine = connect(world, phone, {"ticket": world.phone_token}, sockets)
    theirs = connect(world, world.actors["anonymous"], {"ticket": other.token}, sockets)
    admin, counter = world.actors["admin"], world.centre.counter[5]
    for action, body in (("open", {}), ("call", {"ticket_id": other.ticket_id})):
        done = admin.client.post(
            f"/api/counters/{counter}/{action}", json=body, headers={"X-CSRFToken": admin.csrf}
        )
        assert done.status_code == 200, done.get_json()
    heard = mine.get_received()
    # its service's news and queue, not another's ticket
    assert {m["name"] for m in heard} == {"change", "queue"}
    assert other.token not in str(heard)
    assert [m["name"] for m in theirs.get_received()].count("ticket") == 1
