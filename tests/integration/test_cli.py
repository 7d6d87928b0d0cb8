"""The `xephang` command, run in-process with click's runner on a real instance folder."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import make_url, select

from server.adapters.db.engine import Database
from server.adapters.db.models import Device, User
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
    assert refused.exit_code != 0 and "at least 8" in refused.output


def test_expire_runs_from_the_command_line(run: Run) -> None:
    run("demo")
    assert "Expired 0 tickets." in run("expire", "--closing")


def test_stats_rebuild_restores_lost_roll_ups(run: Run, tmp_path: Path) -> None:
    from server.adapters.db.models import Site, Ticket, ticket_stats
    from server.services import statistics
    from server.services.tickets import issue_ticket
    from server.services.unit_of_work import UnitOfWork

    run("demo")
    db = database(tmp_path)
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


def test_history_fills_new_sites_with_past_tickets(run: Run, tmp_path: Path) -> None:
    from server.adapters.db.models import Site, Ticket

    run("demo")
    args = ("history", "--sites", "1", "--days", "3", "--per-day", "20", "--end", "2026-11-25")
    printed = run(*args, "--manager", "quanly")
    assert "hist-01" in printed and "canbo" not in printed  # no password unless asked
    db = database(tmp_path)
    with db.reading() as session:
        site = session.scalars(select(Site).where(Site.code == "hist-01")).one()
        days = set(session.scalars(select(Ticket.day).where(Ticket.site_id == site.id)))
        assert {d.isoformat() for d in days} == {"2026-11-23", "2026-11-24", "2026-11-25"}
        manager = session.scalars(select(User).where(User.username == "quanly")).one()
        assert site.id in {s.id for s in manager.sites}
    db.dispose()
    env = {"XEPHANG_INSTANCE": str(tmp_path), "XEPHANG_DATABASE_URL": None}
    refused = CliRunner(env=env).invoke(cli, [*args, "--manager", "canbo1"])
    assert refused.exit_code != 0 and "no manager 'canbo1'" in refused.output


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
