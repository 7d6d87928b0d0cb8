"""The `xephang` command: serve, init, demo, create-user, create-device, create-api-token,
expire; for printing: devices, set-printer, print-sample, and agent (the kiosk print
agent); for the board's voice: voice build; for managers: stats rebuild, and history
(synthetic tickets for demos and benchmarks)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime

import click
from sqlalchemy import make_url, select

from server.adapters.db.engine import Database
from server.adapters.db.migrate import upgrade
from server.config import Config

log = logging.getLogger(__name__)


@click.group()
def cli() -> None:
    """XepHang: queue tickets for public administration service centres."""


def _database() -> tuple[Config, Database]:
    config = Config.from_env()
    upgrade(config.database_url)
    return config, Database(config.database_url)


@cli.command()
def init() -> None:
    """Create the database, or bring it up to date with the migrations."""
    config, _ = _database()
    shown = make_url(config.database_url).render_as_string(hide_password=True)
    click.echo(f"Database up to date: {shown}")


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="XEPHANG_HOST",
    help="Address to listen on; 0.0.0.0 to serve the office network.",
)
@click.option("--port", default=8000, show_default=True, envvar="XEPHANG_PORT", type=int)
@click.option("--demo", is_flag=True, help="Create the demo centre first and print its URLs.")
def serve(host: str, port: int, demo: bool) -> None:
    """Run the server (migrates the database first)."""
    from server.adapters.realtime import socketio
    from server.app import create_app
    from server.web.sweeper import run_sweeper

    config, db = _database()
    if demo:
        _print_demo(db, host, port)
    db.dispose()
    app = create_app(config)
    if config.sweep_seconds > 0:
        socketio.start_background_task(run_sweeper, app)
    click.echo(f"XepHang serving on http://{host}:{port} ({config.async_mode})", err=True)
    options: dict[str, object] = {}
    if config.async_mode == "eventlet":
        options["max_size"] = config.max_connections
        _allow_open_files(config.max_connections + 256)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False, **options)


def _allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files towards `wanted` (each connection is one), as far
    as the hard limit allows; systemd's default soft limit is 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the URLs.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port used in the URLs.")
def demo(host: str, port: int) -> None:
    """Create the demo centre (or renew its passwords and device tokens) and print its URLs."""
    _, db = _database()
    _print_demo(db, host, port)


def _print_demo(db: Database, host: str, port: int) -> None:
    from server.cli.demo import create_demo_centre

    with db.write_session() as session, session.begin():
        creds = create_demo_centre(session)
    base = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"
    lines = [
        "",
        "Trung tâm mẫu / demo centre: phường Tân Định",
        f"  Kiosk (lấy số):        {base}/kiosk?device={creds.device_tokens['kiosk']}",
        f"  Màn hình (board):      {base}/board?device={creds.device_tokens['board']}",
        f"  Đánh giá (rating):     {base}/rating?device={creds.device_tokens['rating']}"
        "   (quầy 1 / counter 1)",
        f"  Quầy (counter):        {base}/counter   (đăng nhập / sign in first)",
        f"  Quản lý (manager):     {base}/manager   (quanly)",
        f"  Thống kê (statistics): {base}/manager/statistics",
        f"  Quản trị (admin):      {base}/admin   (admin)",
        f"  Đăng nhập (login):     {base}/login",
        "  Tài khoản / accounts (mật khẩu mới mỗi lần chạy / new passwords on every run):",
    ]
    for username, password in creds.passwords.items():
        lines.append(f"    {username:<8} {password}")
    lines.append(
        "  canbo1 works at counters 1 and 2; quanly is the manager; admin the administrator."
    )
    click.echo("\n".join(lines) + "\n")


@cli.command("create-user")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["admin", "manager", "clerk"]), default="clerk", show_default=True
)
@click.option("--name", "full_name", default="", help="Full name shown on screens.")
@click.option("--site", "site_code", help="Site code, for --counter.")
@click.option(
    "--counter",
    "counter_numbers",
    type=int,
    multiple=True,
    help="A counter number the clerk works at (repeatable).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    username: str,
    role: str,
    full_name: str,
    site_code: str | None,
    counter_numbers: tuple[int, ...],
    password_stdin: bool,
) -> None:
    """Create a staff account."""
    from server.adapters.db.models import Counter, Site, User
    from server.domain.roles import Role
    from server.services.credentials import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise click.UsageError("the password must have at least 8 characters")
    _, db = _database()
    with db.write_session() as session, session.begin():
        if session.scalars(select(User).where(User.username == username)).first():
            raise click.UsageError(f"user {username!r} exists already")
        counters: list[Counter] = []
        if counter_numbers:
            site = session.scalars(select(Site).where(Site.code == site_code)).first()
            if site is None:
                raise click.UsageError("--counter needs --site with an existing site code")
            counters = list(
                session.scalars(
                    select(Counter).where(
                        Counter.site_id == site.id, Counter.number.in_(counter_numbers)
                    )
                )
            )
            missing = set(counter_numbers) - {c.number for c in counters}
            if missing:
                raise click.UsageError(f"no counter {sorted(missing)} at site {site_code}")
        session.add(
            User(
                username=username,
                full_name=full_name or username,
                role=Role(role),
                password_hash=hash_password(password),
                counters=counters,
            )
        )
    click.echo(f"Created {role} {username}.")


@cli.command("create-device")
@click.option("--site", "site_code", required=True)
@click.option("--kind", type=click.Choice(["kiosk", "board", "rating"]), required=True)
@click.option("--name", required=True)
@click.option(
    "--counter",
    "counter_number",
    type=int,
    help="For a rating tablet: the number of the counter it stands at.",
)
def create_device(site_code: str, kind: str, name: str, counter_number: int | None) -> None:
    """Register a kiosk, a board or a counter's rating tablet and print its token (shown
    only this once)."""
    from server.adapters.db.models import Counter, Device, Site
    from server.domain.roles import DeviceKind
    from server.services.credentials import new_device_token, token_hash

    if (kind == DeviceKind.RATING) != (counter_number is not None):
        raise click.UsageError("--counter is needed for a rating tablet, and only for one")
    _, db = _database()
    token = new_device_token()
    with db.write_session() as session, session.begin():
        site = session.scalars(select(Site).where(Site.code == site_code)).first()
        if site is None:
            raise click.UsageError(f"no site {site_code!r}")
        counter_id = None
        if counter_number is not None:
            counter_id = session.scalar(
                select(Counter.id).where(
                    Counter.site_id == site.id, Counter.number == counter_number
                )
            )
            if counter_id is None:
                raise click.UsageError(f"no counter {counter_number} at site {site_code}")
        session.add(
            Device(
                site_id=site.id,
                kind=DeviceKind(kind),
                name=name,
                token_hash=token_hash(token),
                counter_id=counter_id,
            )
        )
    click.echo(token)


@cli.command("create-api-token")
@click.option("--name", required=True, help='The integration, e.g. "Cổng dịch vụ công tỉnh".')
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["queue:read", "tickets:issue", "statistics:read"]),
    help="What the token may do (repeatable).",
)
@click.option("--site", "site_code", help="The one site it may act on (its code); default all.")
def create_api_token(name: str, scopes: tuple[str, ...], site_code: str | None) -> None:
    """Create an integration API token and print it (shown only this once; only its hash
    is stored). Revoke it at /admin/api-tokens."""
    from server.adapters.db.models import Site
    from server.domain.errors import DomainError
    from server.services import api_tokens
    from server.services.unit_of_work import UnitOfWork

    _, db = _database()
    try:
        site_id = None
        if site_code:
            with db.reading() as session:
                site_id = session.scalar(select(Site.id).where(Site.code == site_code))
            if site_id is None:
                raise click.UsageError(f"no site {site_code!r}")
        created = api_tokens.create(UnitOfWork(db), name, scopes, site_id, created_by=None)
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    click.echo(created.token)


@cli.command()
@click.option("--closing", is_flag=True, help="Also expire today's tickets still waiting.")
def expire(closing: bool) -> None:
    """Expire the tickets the day left open (the server also does this by itself)."""
    from server.services.tickets import all_site_ids, expire_leftovers
    from server.services.unit_of_work import UnitOfWork

    _, db = _database()
    uow = UnitOfWork(db)
    total = sum(expire_leftovers(uow, site_id, closing or None) for site_id in all_site_ids(uow))
    click.echo(f"Expired {total} tickets.")


@cli.group()
def stats() -> None:
    """Managers' statistics: the roll-ups behind the reports."""


@stats.command("rebuild")
@click.option("--site", "site_code", help="Only this site (its code); default every site.")
def stats_rebuild(site_code: str | None) -> None:
    """Recompute the statistics roll-ups from the tickets and ratings (after an import,
    or to check them); the live upkeep keeps them right otherwise."""
    from server.adapters.db.models import Site
    from server.services import statistics
    from server.services.unit_of_work import UnitOfWork

    _, db = _database()
    with UnitOfWork(db) as uow:
        site_ids = None
        if site_code:
            site_id = uow.session.scalar(select(Site.id).where(Site.code == site_code))
            if site_id is None:
                raise click.ClickException(f"No site with the code {site_code!r}.")
            site_ids = [site_id]
        read = statistics.rebuild(uow.session, uow.dialect, site_ids)
        uow.commit()
    click.echo(f"Statistics rebuilt from {read} tickets.")


@cli.command()
@click.option("--sites", type=click.IntRange(1, 99), default=1, show_default=True)
@click.option("--days", type=click.IntRange(1, 3660), default=90, show_default=True)
@click.option(
    "--per-day",
    type=click.IntRange(1, 5000),
    default=150,
    show_default=True,
    help="Tickets on an average weekday at an average site.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same history.")
@click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD); default yesterday."
)
@click.option("--passwords", is_flag=True, help="Give the new clerks passwords and print them.")
@click.option("--manager", help="A manager's username: they get the new sites to look after.")
def history(
    sites: int,
    days: int,
    per_day: int,
    seed: int,
    end: datetime | None,
    passwords: bool,
    manager: str | None,
) -> None:
    """Create sites hist-NN with a synthetic past of tickets and ratings (for demos and
    benchmarks; see server/history.py). One transaction; not for a centre at work."""
    from bench.history import fill

    _, db = _database()

    def progress(message: str) -> None:
        click.echo(message, err=True)

    last = end.date() if end else None
    try:
        made = fill(db, sites, days, per_day, seed, last, passwords, progress, manager)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    finally:
        db.dispose()
    codes = ", ".join(code for _, code in made.sites)
    click.echo(
        f"Lịch sử mẫu / synthetic history: {codes}, {made.first} to {made.last}"
        f" ({made.open_days} working days): {made.tickets:,} tickets, {made.ratings:,}"
        f" ratings in {made.insert_seconds:.1f} s, statistics rebuilt in"
        f" {made.rebuild_seconds:.1f} s."
    )
    for username, password in made.passwords.items():
        click.echo(f"  {username:<16} {password}")


@cli.group()
def voice() -> None:
    """The board's voice: the Vietnamese clips it announces calls with."""


@voice.command("build")
@click.option("--force", is_flag=True, help="Make every clip again, even those already there.")
@click.option(
    "--espeak-voice",
    default="vi",
    show_default=True,
    help="espeak-ng voice: vi (northern), vi-vn-x-central or vi-vn-x-south.",
)
def voice_build(force: bool, espeak_voice: str) -> None:
    """Speak the board's clips with espeak-ng into <instance>/voice/; a centre's own
    recordings in <instance>/voice/custom/ are played instead."""
    import shutil

    from display.voice import VoiceError, build_clips
    from server.adapters.voice import custom_folder, voice_folder
    from server.domain.announce import CHIME, CLIP_WORDS

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise click.ClickException("espeak-ng is missing: sudo apt-get install espeak-ng")
    instance = Config.from_env().instance_path
    try:
        report = build_clips(
            voice_folder(instance),
            custom_folder(instance),
            CLIP_WORDS,
            CHIME,
            espeak,
            espeak_voice,
            force,
        )
    except VoiceError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Voice clips in {voice_folder(instance)}: {len(report.made)} made,"
        f" {len(report.kept)} already there."
    )
    if report.custom:
        click.echo(f"The centre's own recordings, played instead: {', '.join(report.custom)}")
    for stray in report.strays:
        click.echo(f"custom/{stray} is not a clip's name (<name>.wav) and is never played")


# -- printing -----------------------------------------------------------------------------


@cli.command()
def devices() -> None:
    """List the registered devices, with each kiosk's printer and its status, and each
    rating tablet's counter."""
    from server.adapters.db.models import Counter, Device, Site

    _, db = _database()
    with db.reading() as session:
        rows = session.execute(
            select(Device, Site.code, Counter.number)
            .join(Site, Site.id == Device.site_id)
            .outerjoin(Counter, Counter.id == Device.counter_id)
            .order_by(Device.id)
        ).all()
        for device, site_code, counter_number in rows:
            line = f"{device.id:>4}  {site_code:<12} {device.kind:<7} {device.name}"
            if counter_number is not None:
                line += f"  [counter {counter_number}]"
            if device.printer_url:
                line += (
                    f"  [{device.printer_url} {device.printer_mode} {device.printer_width}:"
                    f" {device.printer_status}]"
                )
            click.echo(line)
    db.dispose()


@cli.command("set-printer")
@click.option("--device-id", type=int, required=True, help="The kiosk (see `xephang devices`).")
@click.option(
    "--printer",
    "printer_url",
    required=True,
    help="tcp://HOST:9100, usb://VID:PID, serial:///dev/ttyUSB0?baudrate=9600, "
    "file:///dev/usb/lp0, dummy://, or '' for none.",
)
@click.option("--width", type=int, help="Dots per line: 576 for 80 mm paper, 384 for 58 mm.")
@click.option("--mode", type=click.Choice(["image", "text"]), help="image (default) or text.")
def set_printer(device_id: int, printer_url: str, width: int | None, mode: str | None) -> None:
    """Give a kiosk its ticket printer."""
    from server.domain.errors import DomainError
    from server.domain.printing import PrintMode
    from server.services.printing import set_printer as set_kiosk_printer
    from server.services.unit_of_work import UnitOfWork

    _, db = _database()
    try:
        settings = set_kiosk_printer(
            UnitOfWork(db), device_id, printer_url, width, PrintMode(mode) if mode else None
        )
    except DomainError as error:
        raise click.UsageError(error.message_en) from error
    finally:
        db.dispose()
    printer = settings.printer_url or "no printer"
    click.echo(f"{settings.name}: {printer} ({settings.mode}, {settings.width} dots)")


@cli.command("print-sample")
@click.option("--printer", "printer_url", default="dummy://", show_default=True)
@click.option("--width", type=int, default=576, show_default=True)
@click.option("--mode", type=click.Choice(["image", "text"]), default="image", show_default=True)
@click.option("--centre", default="Trung tâm Phục vụ hành chính công", show_default=True)
@click.option("--png", type=click.Path(dir_okay=False), help="Also save the ticket as a PNG.")
def print_sample(printer_url: str, width: int, mode: str, centre: str, png: str | None) -> None:
    """Print a sample ticket straight to a printer, without the server (to check a printer
    and its URL while installing a kiosk)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.printer_url import BadPrinterUrl, parse_printer_url
    from kiosk.printers import deliver
    from server.adapters.printing.escpos import encode_ticket
    from server.adapters.printing.ticket_layout import TicketContent, render_ticket
    from server.domain.printing import PrintMode
    from server.services.printing import TEST_CLOSING, TEST_NUMBER, TEST_SERVICE

    try:
        url = parse_printer_url(printer_url)
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    content = TicketContent(
        centre=centre,
        service=TEST_SERVICE,
        number=TEST_NUMBER,
        issued_at=datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")),  # Vietnam's time, not the PC's
        phone_url="https://dichvucong.gov.vn/",
        people_ahead=0,
        estimated_wait_minutes=0,
        closing_line=TEST_CLOSING,
    )
    if png:
        render_ticket(content, width).save(png)
    try:
        data = encode_ticket(content, url, width, PrintMode(mode))
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    result = deliver(url, data)
    click.echo(f"{url}: {'printed' if result.ok else 'FAILED'} ({result.status}) {result.detail}")
    if not result.ok:
        sys.exit(1)


@cli.command()
@click.option("--server", required=True, help="The XepHang server, e.g. http://192.168.1.10:8000")
@click.option(
    "--token",
    envvar="XEPHANG_DEVICE_TOKEN",
    required=True,
    help="The kiosk's device token (or XEPHANG_DEVICE_TOKEN, kept out of the process list).",
)
@click.option("--printer", "printer_url", required=True, help="usb://VID:PID, serial://…, file://…")
@click.option(
    "--status-seconds",
    type=float,
    default=15.0,
    show_default=True,
    help="How often the printer's status is checked and reported.",
)
def agent(server: str, token: str, printer_url: str, status_seconds: float) -> None:
    """The kiosk print agent: prints its kiosk's tickets on a USB or serial printer."""
    from kiosk.agent import PrintAgent
    from kiosk.printer_url import BadPrinterUrl, parse_printer_url

    try:
        url = parse_printer_url(printer_url)
    except BadPrinterUrl as error:
        raise click.UsageError(error.message_en) from error
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print_agent = PrintAgent(server, token, url, status_seconds)
    try:
        print_agent.run()
    except KeyboardInterrupt:
        print_agent.stop()
