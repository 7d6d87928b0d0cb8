"""The `xephang` command, run in-process with click's runner on a real instance folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, make_url, select

from server.adapters.db.engine import Database
from server.adapters.db.models import AuditEntry, Device, User
from server.cli.main import cli
from server.services.credentials import token_hash

Run = Callable[..., str]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """`xephang ARGS` on an instance folder of its own (any XEPHANG_DATABASE_URL unset)."""
    env: dict[str, str | None] = {"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None}

    def invoke(*args: str, stdin: str | None = None) -> str:
        result = CliRunner(env=env).invoke(cli, list(args), input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'xephang.db'}")


def test_init_creates_the_database_in_the_instance_folder(run: Run, tmp_path: Path) -> None:
    assert "up to date" in run("init")
    assert (tmp_path / "xephang.db").exists()
    assert (tmp_path / "secret_key").exists()
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


def test_demo_prints_working_urls_and_fresh_passwords(run: Run, tmp_path: Path) -> None:
    first = run("demo", "--port", "8000")
    assert "http://127.0.0.1:8000/kiosk?device=" in first
    assert "http://127.0.0.1:8000/board?device=" in first
    assert "http://127.0.0.1:8000/rating?device=" in first
    assert "http://127.0.0.1:8000/manager   (quanly)" in first
    assert "http://127.0.0.1:8000/manager/statistics" in first
    kiosk_token = re.search(r"kiosk\?device=(\S+)", first)
    password = re.search(r"canbo1\s+(\S+)", first)
    assert kiosk_token and password
    db = database(tmp_path)
    with db.reading() as session:
        device = session.scalars(select(Device).where(Device.kind == "kiosk")).one()
        assert device.token_hash == token_hash(kiosk_token.group(1))
        clerk = session.scalars(select(User).where(User.username == "canbo1")).one()
        assert len(clerk.counters) == 2
    renewed = re.search(r"canbo1\s+(\S+)", run("demo"))
    assert renewed and renewed.group(1) != password.group(1)
    with db.reading() as session:  # running twice did not duplicate the centre
        assert len(session.scalars(select(Device)).all()) == 3  # kiosk, board, rating tablet
    db.dispose()


def test_demo_renews_only_its_own_devices_never_those_an_admin_paired_or_revoked(
    run: Run, tmp_path: Path
) -> None:
    from server.services.devices import repair_device, revoke_device
    from server.services.unit_of_work import UnitOfWork

    run("demo")
    db = database(tmp_path)
    with db.reading() as session:
        ids = {str(d.kind): d.id for d in session.scalars(select(Device))}
    revoke_device(UnitOfWork(db), None, ids["kiosk"])  # the demo's kiosk, stolen
    repair_device(UnitOfWork(db), None, ids["rating"])  # the tablet, being paired again
    # A real kiosk an administrator paired at the demo site, even under the demo's name.
    real_token = run(
        "create-device", "--site", "tan-dinh", "--kind", "kiosk", "--name", "Kiosk sảnh chính"
    ).strip()
    with db.reading() as session:
        before = {d.id: (d.token_hash, d.active) for d in session.scalars(select(Device))}

    again = run("demo")
    with db.reading() as session:
        after = {d.id: (d.token_hash, d.active) for d in session.scalars(select(Device))}
        board = session.get(Device, ids["board"])
        assert board is not None
    # Only the board, the demo's own and untouched, has a new token; the others are as the
    # administrator left them, the revoked kiosk still revoked.
    assert {i for i in after if after[i] != before[i]} == {ids["board"]}
    assert after[ids["kiosk"]][1] is False
    token = re.search(r"board\?device=(\S+)", again)
    assert token and board.token_hash == token_hash(token.group(1))
    assert "kiosk?device=" not in again and "rating?device=" not in again
    assert real_token not in again
    assert "/admin/devices" in again  # where to pair one instead
    assert len(after) == 4  # nothing added behind the administrator's back
    db.dispose()


def test_create_user_and_device(run: Run, tmp_path: Path) -> None:
    run("demo")
    run(
        "create-user",
        "canbo9",
        "--name",
        "Đỗ Thị Mai",
        "--site",
        "tan-dinh",
        "--counter",
        "3",
        "--counter",
        "5",
        "--password-stdin",
        stdin="mat-khau-dai\n",
    )
    token = run(
        "create-device", "--site", "tan-dinh", "--kind", "board", "--name", "Màn hình tầng 2"
    ).strip()
    db = database(tmp_path)
    with db.reading() as session:
        user = session.scalars(select(User).where(User.username == "canbo9")).one()
        assert user.full_name == "Đỗ Thị Mai"
        assert [c.number for c in user.counters] == [3, 5]
        assert user.password_hash != "mat-khau-dai"
        device = session.scalars(select(Device).where(Device.token_hash == token_hash(token))).one()
        assert device.name == "Màn hình tầng 2"
    db.dispose()
    refused = CliRunner(env={"XEPHANG_INSTANCE": str(tmp_path)}).invoke(
        cli, ["create-user", "short", "--password-stdin"], input="abc\n"
    )
    assert refused.exit_code != 0 and "8 to 200 characters" in refused.output


def test_create_user_goes_through_the_admin_use_case_as_the_command_line(
    run: Run, tmp_path: Path
) -> None:
    run("demo")
    made = run(
        "create-user", "QuanLy2", "--role", "manager", "--name", "  Lê   Văn Tám ",
        "--site", "tan-dinh", "--password-stdin", stdin="mat-khau-dai\n",
    )  # fmt: skip
    assert "Created manager QuanLy2." in made
    db = database(tmp_path)
    with db.reading() as session:
        user = session.scalars(select(User).where(User.username == "quanly2")).one()
        assert user.full_name == "Lê Văn Tám"  # as the admin form would save it
        assert [s.code for s in user.sites] == ["tan-dinh"]
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None
        assert (entry.action, entry.entity, entry.entity_id) == ("user.create", "user", user.id)
        assert entry.user_id is None  # the command line: no account
        assert entry.detail is not None and entry.detail["role"] == [None, "manager"]
    db.dispose()


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["canbo1"], "The username “canbo1” is already taken."),
        (["canbo 9"], "The username is 2 to 64 lower-case letters"),
        (["canbo9", "--site", "tan-dinh", "--counter", "9"], "no counter 9"),
        (["canbo9", "--site", "nowhere", "--counter", "1"], "no site with the code “nowhere”"),
        (["canbo9", "--counter", "1"], "--counter needs --site"),
    ],
)
def test_create_user_refuses_what_the_admin_form_refuses(
    run: Run, tmp_path: Path, args: list[str], why: str
) -> None:
    run("demo")
    env = {"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None}
    refused = CliRunner(env=env).invoke(
        cli, ["create-user", *args, "--password-stdin"], input="mat-khau-dai\n"
    )
    assert refused.exit_code == 2 and why in refused.output
    db = database(tmp_path)
    with db.reading() as session:
        assert session.scalars(select(User).where(User.username == "canbo9")).first() is None
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    db.dispose()


def test_create_device_is_audited_and_pairs_the_device_at_once(run: Run, tmp_path: Path) -> None:
    run("demo")
    token = run(
        "create-device", "--site", "tan-dinh", "--kind", "kiosk", "--name", "Kiosk tầng 2"
    ).strip()
    db = database(tmp_path)
    with db.reading() as session:
        device = session.scalars(select(Device).where(Device.token_hash == token_hash(token))).one()
        assert device.active and device.pairing_code_hash is None
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.action, e.entity_id, e.user_id) for e in entries] == [
            ("device.create", device.id, None),
            ("device.paired", device.id, None),
        ]
        assert entries[0].detail == {"kind": [None, "kiosk"], "name": [None, "Kiosk tầng 2"]}
    db.dispose()
    env = {"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None}
    refused = CliRunner(env=env).invoke(
        cli, ["create-device", "--site", "tan-dinh", "--kind", "board", "--name", "  "]
    )
    assert refused.exit_code == 2 and "The device needs a name." in refused.output


def test_expire_runs_from_the_command_line(run: Run) -> None:
    run("demo")
    assert "Expired 0 tickets." in run("expire", "--closing")


def test_stats_rebuild_restores_lost_roll_ups(run: Run, tmp_path: Path) -> None:
    from server.adapters.db.models import Site, Ticket, ticket_stats
    from server.services import statistics
    from server.services.tickets import issue_ticket
    from server.services.unit_of_work import UnitOfWork
    from tests.conftest import open_around_the_clock

    run("demo")
    db = database(tmp_path)
    open_around_the_clock(db)  # the ticket is issued at the real time of day
    with db.reading() as session:
        site = session.scalars(select(Site)).one()
        service_id = site.services[0].id
    issue_ticket(UnitOfWork(db), site.id, service_id)
    with db.write_session() as session, session.begin():
        session.execute(ticket_stats.delete())

    assert "Statistics rebuilt from 1 tickets." in run("stats", "rebuild", "--site", site.code)
    with db.reading() as session:
        day = session.scalars(select(Ticket.day)).one()
        report = statistics.report(session, [site.id], day, day)
    assert report.total.issued == 1


def test_init_never_prints_the_database_password(fresh_database_url: str, tmp_path: Path) -> None:
    with_password = make_url(fresh_database_url).set(password="mat-khau-bi-mat")
    if with_password.get_backend_name() == "sqlite":
        pytest.skip("SQLite URLs carry no password")
    url = with_password.render_as_string(hide_password=False)
    result = CliRunner(env={"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": url}).invoke(
        cli, ["init"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "mat-khau-bi-mat" not in result.output and "***" in result.output
