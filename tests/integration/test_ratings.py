"""Satisfaction ratings on the counter's rating tablet: the use case on a real database,
its HTTP API and page, the tablet's socket room, and registering a tablet."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from server.adapters.db.engine import Database
from server.adapters.db.models import Counter, Device, Site, TicketRating, ticket_stats
from server.adapters.realtime import socketio
from server.cli.demo import DemoCredentials
from server.cli.main import cli
from server.domain.errors import (
    AlreadyRated,
    DomainError,
    Forbidden,
    NotFound,
    RatingClosed,
    Unauthorized,
    WrongTicketState,
)
from server.domain.roles import CounterState, DeviceKind
from server.domain.statistics import Rating
from server.services import statistics
from server.services.counters import open_counter
from server.services.credentials import new_device_token, token_hash
from server.services.ratings import rate_ticket, tablet_state
from server.services.statistics import Figure
from server.services.tickets import (
    call_ticket,
    finish,
    issue_ticket,
    mark_no_show,
    start_serving,
)
from server.services.unit_of_work import UnitOfWork
from server.web.errors import STATUS
from tests.conftest import AppFactory, Centre, FakeClock, Published

RATING_HEADER = "X-Device-Token"
DAY = date(2026, 11, 26)  # the local day of tests.conftest.MORNING


# -- a centre with tablets ----------------------------------------------------------------


def device_id(db: Database, kind: DeviceKind) -> int:
    """The demo centre's device of that kind (for a rating tablet: counter 1's)."""
    with db.reading() as session:
        return session.scalars(
            select(Device.id).where(Device.kind == kind).order_by(Device.id).limit(1)
        ).one()


def add_tablet(db: Database, site_id: int, counter_id: int | None) -> tuple[int, str]:
    """Another rating tablet (counter_id None: one that belongs to no counter)."""
    token = new_device_token()
    with db.write_session() as session, session.begin():
        device = Device(
            site_id=site_id,
            kind=DeviceKind.RATING,
            name="Máy đánh giá",
            token_hash=token_hash(token),
            counter_id=counter_id,
        )
        session.add(device)
        session.flush()
        return device.id, token


def revoke(db: Database, device: int) -> None:
    with db.write_session() as session, session.begin():
        session.execute(update(Device).where(Device.id == device).values(active=False))


def serve(
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    counter: int = 1,
    clerk: str = "canbo1",
    service: str = "HT",
    finished: bool = True,
) -> int:
    """A citizen takes a number, is called to `counter`, served for 5 minutes, and (unless
    `finished` is false) leaves: the ticket's id."""
    counter_id, user_id = centre.counter[counter], centre.user[clerk]
    ticket_id = issue_ticket(uow, centre.site_id, centre.service[service]).ticket_id
    with uow.db.reading() as session:
        state = session.scalars(select(Counter.state).where(Counter.id == counter_id)).one()
    if state != CounterState.OPEN:
        open_counter(uow, counter_id, user_id)
    call_ticket(uow, counter_id, user_id, ticket_id)
    start_serving(uow, counter_id, user_id)
    clock.advance(minutes=5)
    if finished:
        finish(uow, counter_id, user_id)
    return ticket_id


def stats_rows(db: Database) -> list[Any]:
    with db.reading() as session:
        return sorted(tuple(r) for r in session.execute(select(ticket_stats)).all())


def ratings(db: Database) -> list[tuple[int, str]]:
    with db.reading() as session:
        rows = session.scalars(select(TicketRating).order_by(TicketRating.id))
        return [(r.ticket_id, r.rating) for r in rows]


def site_seq(db: Database, site_id: int) -> int:
    with db.reading() as session:
        return session.scalars(select(Site.event_seq).where(Site.id == site_id)).one()


def refused(expected: type[DomainError], status: int, uow: UnitOfWork, *args: Any) -> DomainError:
    """rate_ticket(uow, *args) is refused with `expected`, answered as HTTP `status`, and
    leaves the database as it was."""
    before = (stats_rows(uow.db), ratings(uow.db))
    with pytest.raises(expected) as caught:
        rate_ticket(uow, *args)
    assert STATUS[caught.value.kind] == status
    assert caught.value.message_vi and caught.value.message_en
    assert (stats_rows(uow.db), ratings(uow.db)) == before
    return caught.value


def by_label(figures: list[Figure], label: str) -> Figure:
    (found,) = [f for f in figures if f.label_vi == label]
    return found


# -- the use case -------------------------------------------------------------------------


def test_ratings_count_per_counter_and_clerk_in_the_statistics(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database, published: Published
) -> None:
    tablet1 = device_id(database, DeviceKind.RATING)
    tablet2, _ = add_tablet(database, centre.site_id, centre.counter[2])
    answers = [Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.UNSATISFIED]
    for answer in answers:
        ticket = serve(uow, centre, clock, counter=1, clerk="canbo1")
        rated = rate_ticket(uow, tablet1, ticket, answer)
        assert (rated.ticket_id, rated.rating, rated.counter_number) == (ticket, answer, 1)
    at_two = serve(uow, centre, clock, counter=2, clerk="canbo2", service="CT")
    rate_ticket(uow, tablet2, at_two, Rating.VERY_UNSATISFIED)

    with database.reading() as session:
        rows = session.scalars(select(TicketRating).order_by(TicketRating.id)).all()
        assert [(r.counter_id, r.clerk_id, r.device_id, r.rating) for r in rows] == [
            (centre.counter[1], centre.user["canbo1"], tablet1, "very_satisfied"),
            (centre.counter[1], centre.user["canbo1"], tablet1, "satisfied"),
            (centre.counter[1], centre.user["canbo1"], tablet1, "unsatisfied"),
            (centre.counter[2], centre.user["canbo2"], tablet2, "very_unsatisfied"),
        ]
        assert rows[-1].at == clock.now
        report = statistics.report(session, [centre.site_id], DAY, DAY)

    counter1 = by_label(report.by_counter, "Quầy 1")
    assert counter1.ratings == {
        "very_satisfied": 1,
        "satisfied": 1,
        "unsatisfied": 1,
        "very_unsatisfied": 0,
    }
    assert counter1.satisfaction == 0.6667  # 2 satisfied of 3
    assert by_label(report.by_counter, "Quầy 2").satisfaction == 0.0
    assert by_label(report.by_clerk, "Nguyễn Thị Hồng").satisfaction == 0.6667
    assert by_label(report.by_clerk, "Trần Văn Minh").rated == 1
    assert (report.total.rated, report.total.satisfaction) == (4, 0.5)

    rated_changes = [c for c in published.changes if c.kind == "ticket_rated"]
    assert len(rated_changes) == 4
    last = rated_changes[-1]
    assert last.site_wide and last.counter_id == centre.counter[2]
    assert last.seq == site_seq(database, centre.site_id)
    assert "very_unsatisfied" not in str(last.message())  # the answer is not for the hall


def test_a_second_rating_of_a_ticket_is_refused_and_changes_nothing(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database, published: Published
) -> None:
    tablet = device_id(database, DeviceKind.RATING)
    ticket = serve(uow, centre, clock)
    rate_ticket(uow, tablet, ticket, Rating.SATISFIED)
    seq = site_seq(database, centre.site_id)
    error = refused(AlreadyRated, 409, uow, tablet, ticket, Rating.VERY_UNSATISFIED)
    assert error.code == "already_rated"
    assert "A001" in error.message_vi
    assert ratings(database) == [(ticket, "satisfied")]
    assert site_seq(database, centre.site_id) == seq
    assert published.kinds().count("ticket_rated") == 1


def test_only_a_ticket_just_finished_at_the_tablets_own_counter_can_be_rated(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database
) -> None:
    tablet = device_id(database, DeviceKind.RATING)  # counter 1's
    elsewhere = serve(uow, centre, clock, counter=2, clerk="canbo2", service="CT")
    refused(Forbidden, 403, uow, tablet, elsewhere, Rating.SATISFIED)
    refused(NotFound, 404, uow, tablet, 999_999, Rating.SATISFIED)
    waiting = issue_ticket(uow, centre.site_id, centre.service["HT"]).ticket_id
    refused(Forbidden, 403, uow, tablet, waiting, Rating.SATISFIED)

    in_service = serve(uow, centre, clock, finished=False)
    error = refused(WrongTicketState, 409, uow, tablet, in_service, Rating.SATISFIED)
    assert "chưa được phục vụ xong" in error.message_vi
    finish(uow, centre.counter[1], centre.user["canbo1"])
    absent = issue_ticket(uow, centre.site_id, centre.service["HT"]).ticket_id
    call_ticket(uow, centre.counter[1], centre.user["canbo1"], absent)
    mark_no_show(uow, centre.counter[1], centre.user["canbo1"])
    refused(WrongTicketState, 409, uow, tablet, absent, Rating.SATISFIED)

    stale = serve(uow, centre, clock)
    clock.advance(minutes=15, seconds=1)
    error = refused(RatingClosed, 409, uow, tablet, stale, Rating.SATISFIED)
    assert "15 phút" in error.message_vi
    recent = serve(uow, centre, clock)
    clock.advance(minutes=15)  # the window's last moment
    rate_ticket(uow, tablet, recent, Rating.SATISFIED)
    assert ratings(database) == [(recent, "satisfied")]


def test_only_an_active_rating_tablet_of_a_counter_may_rate(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database
) -> None:
    ticket = serve(uow, centre, clock)
    refused(Forbidden, 403, uow, device_id(database, DeviceKind.KIOSK), ticket, Rating.SATISFIED)
    refused(Forbidden, 403, uow, device_id(database, DeviceKind.BOARD), ticket, Rating.SATISFIED)
    loose, _ = add_tablet(database, centre.site_id, None)
    error = refused(Forbidden, 403, uow, loose, ticket, Rating.SATISFIED)
    assert "chưa được gắn với quầy" in error.message_vi
    tablet = device_id(database, DeviceKind.RATING)
    revoke(database, tablet)
    refused(Unauthorized, 401, uow, tablet, ticket, Rating.SATISFIED)
    refused(Unauthorized, 401, uow, 999_999, ticket, Rating.SATISFIED)


def test_a_rebuild_gives_the_same_rows_as_the_live_upkeep_ratings_included(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database
) -> None:
    tablet1 = device_id(database, DeviceKind.RATING)
    tablet2, _ = add_tablet(database, centre.site_id, centre.counter[2])
    for answer in Rating:
        rate_ticket(uow, tablet1, serve(uow, centre, clock), answer)
    rate_ticket(uow, tablet2, serve(uow, centre, clock, 2, "canbo2", "CT"), Rating.SATISFIED)
    serve(uow, centre, clock)  # served, never rated

    live = stats_rows(database)
    names = list(ticket_stats.c.keys())
    rated = [
        row
        for row in live
        if row[names.index("dimension")] == "clerk" and row[names.index("rating_satisfied")]
    ]
    assert len(rated) == 4  # canbo1 and canbo2, by day and by month
    with uow:
        assert statistics.rebuild(uow.session, uow.dialect) == 6
        uow.commit()
    assert stats_rows(database) == live


def test_the_tablet_state_names_the_last_finished_ticket_until_rated_or_too_late(
    uow: UnitOfWork, centre: Centre, clock: FakeClock, database: Database
) -> None:
    tablet = device_id(database, DeviceKind.RATING)

    def state() -> dict[str, Any]:
        with database.reading() as session:
            return tablet_state(session, tablet, clock())

    nothing = state()
    assert nothing["ticket"] is None
    assert nothing["counter"]["number"] == 1 and nothing["window_minutes"] == 15
    first = serve(uow, centre, clock)
    clock.advance(seconds=7)
    shown = state()
    assert shown["ticket"]["id"] == first
    assert shown["ticket"]["number"] == "A001"
    assert shown["ticket"]["finished_seconds_ago"] == 7
    assert shown["seq"] == site_seq(database, centre.site_id)

    serve(uow, centre, clock, counter=2, clerk="canbo2", service="CT")
    assert state()["ticket"]["id"] == first  # another counter's finish is not this tablet's
    rate_ticket(uow, tablet, first, Rating.VERY_SATISFIED)
    assert state()["ticket"] is None
    second = serve(uow, centre, clock)
    assert state()["ticket"]["id"] == second
    clock.advance(minutes=16)
    assert state()["ticket"] is None


# -- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def tablet_token(creds: DemoCredentials) -> str:
    return creds.device_tokens["rating"]


def post_rating(client: FlaskClient, token: str | None, body: Any = None, **kwargs: Any) -> Any:
    headers = {RATING_HEADER: token} if token is not None else {}
    if body is not None:
        kwargs["json"] = body
    return client.post("/api/rating", headers=headers, **kwargs)


def test_a_tap_on_the_tablet_is_stored_through_the_api(
    client: FlaskClient,
    tablet_token: str,
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    database: Database,
) -> None:
    headers = {RATING_HEADER: tablet_token}
    assert client.get("/api/rating/state", headers=headers).get_json()["ticket"] is None
    ticket = serve(uow, centre, clock)
    asked = client.get("/api/rating/state", headers=headers).get_json()
    assert (asked["ticket"]["id"], asked["ticket"]["number"]) == (ticket, "A001")

    response = post_rating(client, tablet_token, {"ticket_id": ticket, "rating": "satisfied"})
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert (result["ticket_id"], result["number"], result["rating"]) == (
        ticket,
        "A001",
        "satisfied",
    )
    assert ratings(database) == [(ticket, "satisfied")]
    assert client.get("/api/rating/state", headers=headers).get_json()["ticket"] is None

    again = post_rating(client, tablet_token, {"ticket_id": ticket, "rating": "very_satisfied"})
    assert again.status_code == 409
    assert again.get_json()["error"] == "already_rated"
    assert again.get_json()["message_en"].startswith("Ticket A001 has already been rated")
    assert ratings(database) == [(ticket, "satisfied")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "{not json", "content_type": "application/json"},
        {"json": ["satisfied"]},
        {"json": {"ticket_id": 1}},
        {"json": {"rating": "satisfied"}},
        {"json": {"ticket_id": "1", "rating": "satisfied"}},
        {"json": {"ticket_id": True, "rating": "satisfied"}},
        {"json": {"ticket_id": 1, "rating": "great"}},
        {"json": {"ticket_id": 1, "rating": 1}},
        {"json": {"ticket_id": 1, "rating": "SATISFIED"}},
    ],
)
def test_the_rating_api_refuses_bad_input_with_400(
    client: FlaskClient, tablet_token: str, database: Database, kwargs: dict[str, Any]
) -> None:
    response = client.post("/api/rating", headers={RATING_HEADER: tablet_token}, **kwargs)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["error"] == "invalid_input" and body["message"] and body["message_en"]
    assert ratings(database) == []


def test_the_rating_api_refuses_what_is_not_a_rating_tablet(
    client: FlaskClient,
    creds: DemoCredentials,
    tablet_token: str,
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    database: Database,
) -> None:
    ticket = serve(uow, centre, clock)
    body = {"ticket_id": ticket, "rating": "satisfied"}
    for token, status in [
        (None, 401),
        ("not-a-token", 401),
        (creds.device_tokens["kiosk"], 403),
        (creds.device_tokens["board"], 403),
    ]:
        assert post_rating(client, token, body).status_code == status
        headers = {RATING_HEADER: token} if token else {}
        assert client.get("/api/rating/state", headers=headers).status_code == status
    _, loose = add_tablet(database, centre.site_id, None)
    assert post_rating(client, loose, body).status_code == 403
    assert client.get("/api/rating/state", headers={RATING_HEADER: loose}).status_code == 403
    revoke(database, device_id(database, DeviceKind.RATING))
    assert post_rating(client, tablet_token, body).status_code == 401
    assert client.get("/api/rating/state", headers={RATING_HEADER: tablet_token}).status_code == 401
    assert ratings(database) == []


def test_the_tablet_page_has_four_faces_and_no_inline_script_or_style(
    client: FlaskClient, tablet_token: str
) -> None:
    response = client.get(f"/rating?device={tablet_token}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for label in ("Rất hài lòng", "Hài lòng", "Chưa hài lòng", "Không hài lòng"):
        assert f">{label}<" in page
    assert page.count('class="rating-face"') == 4
    assert "Mời ông/bà đánh giá mức độ hài lòng" in page
    assert f'data-device="{tablet_token}"' in page
    assert "style=" not in page and "<style" not in page
    # Only our own files, and JSON blocks of the page's words (data, never run).
    assert all(
        "src=" in tag or tag.startswith(' type="application/json"')
        for tag in page.split("<script")[1:]
    )
    for answer in Rating:
        face = client.get(f"/static/faces/{answer.value}.svg")
        assert face.status_code == 200 and b"<svg" in face.data
        face.close()


# -- the tablet's socket ------------------------------------------------------------------


def test_a_rating_tablet_hears_only_its_own_counter(
    make_app: AppFactory,
    tablet_token: str,
    uow: UnitOfWork,
    centre: Centre,
    clock: FakeClock,
    database: Database,
) -> None:
    app: Flask = make_app()  # with the real publisher
    tablet = socketio.test_client(app, auth={"device": tablet_token})
    assert tablet.is_connected()
    live = UnitOfWork(database, app.extensions["xephang"].publish, clock)
    serve(live, centre, clock, counter=2, clerk="canbo2", service="CT")
    ticket = serve(live, centre, clock, counter=1)
    heard = [m["args"][0] for m in tablet.get_received() if m["name"] == "change"]
    assert {m["counter_id"] for m in heard} == {centre.counter[1]}
    assert heard[-1]["kind"] == "ticket_finished"
    assert heard[-1]["ticket"]["id"] == ticket
    with database.reading() as session:
        seen = session.get(Device, device_id(database, DeviceKind.RATING))
        assert seen is not None and seen.last_seen_at is not None
    tablet.disconnect()

    _, loose = add_tablet(database, centre.site_id, None)
    assert not socketio.test_client(app, auth={"device": loose}).is_connected()


# -- registering a tablet -----------------------------------------------------------------


def test_a_rating_tablet_is_registered_for_one_counter(tmp_path: Path) -> None:
    runner = CliRunner(env={"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None})

    def run(*args: str) -> Any:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert run("demo").exit_code == 0
    made = run("create-device", "--site", "tan-dinh", "--kind", "rating", "--name", "Quầy 3")
    assert made.exit_code != 0 and "--counter" in made.output
    kiosk = ["--kind", "kiosk", "--name", "Kiosk 2", "--counter", "3"]
    assert run("create-device", "--site", "tan-dinh", *kiosk).exit_code != 0
    missing = ["--kind", "rating", "--name", "Quầy 9", "--counter", "9"]
    assert "no counter 9" in run("create-device", "--site", "tan-dinh", *missing).output
    tablet = ["--kind", "rating", "--name", "Quầy 3", "--counter", "3"]
    made = run("create-device", "--site", "tan-dinh", *tablet)
    assert made.exit_code == 0, made.output
    db = Database(f"sqlite:///{tmp_path / 'xephang.db'}")
    with db.reading() as session:
        device = session.scalars(
            select(Device).where(Device.token_hash == token_hash(made.output.strip()))
        ).one()
        counter = session.get(Counter, device.counter_id)
        assert device.kind == DeviceKind.RATING and counter is not None and counter.number == 3
    db.dispose()
    assert "[counter 3]" in run("devices").output
