"""Running the server: init (the database), serve, demo (the demo centre and its URLs),
and expire (the tickets a day left open)."""

from __future__ import annotations

import gc
import socket

import click
from sqlalchemy import make_url

from server.adapters.db.engine import Database
from server.cli.instance import open_database


@click.command()
def init() -> None:
    """Create the database, or bring it up to date with the migrations."""
    config, _ = open_database()
    shown = make_url(config.database_url).render_as_string(hide_password=True)
    click.echo(f"Database up to date: {shown}")


@click.command()
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
    from server.web.notify_sender import start_notify_sender
    from server.web.sweeper import run_sweeper

    # Before anything else: a second server on the same port must not start at all.
    listener = _claim_port(host, port)
    config, db = open_database()
    if demo:
        _print_demo(db, host, port)
    db.dispose()
    app = create_app(config)
    if config.sweep_seconds > 0:
        socketio.start_background_task(run_sweeper, app)
    if config.sweep_seconds > 0:  # the sweeping server also sends the messages (issue 15)
        start_notify_sender(app)
    _settle_garbage_collector()
    click.echo(f"XepHang serving on http://{host}:{port} ({config.async_mode})", err=True)
    if config.async_mode == "eventlet":
        import eventlet.wsgi

        _allow_open_files(config.max_connections + 256)
        # What socketio.run does for eventlet, on our own socket: eventlet.listen's
        # default SO_REUSEPORT would let a second server share the port silently.
        eventlet.wsgi.server(listener, app, log_output=False, max_size=config.max_connections)
        return
    listener.close()
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)


# The collector's generation thresholds once serving (Python's defaults: 700, 10, 10).
GC_THRESHOLDS = (10_000, 10, 100)


def _settle_garbage_collector() -> None:
    """Keep the collector's pauses out of the fan-out of live events (issue 12: at 1,000
    boards, its pauses kept the fan-out's p99 over 100 ms). A collection stops the whole
    process, every green thread with it, and a full one walks every object alive, most of
    them built at start-up and kept for good (modules, the app, the models, SQLAlchemy's
    compiled statements). So: collect once, then freeze what is alive into the permanent
    generation, which no collection walks again; collect the young generation every 10,000
    new objects instead of 700 (at worst about a millisecond each, when all of them are
    still alive: most of a request's objects are freed as it ends, collector or not), and
    consider a full collection ten times less often. Cyclic garbage is still collected,
    in larger batches."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _claim_port(host: str, port: int) -> socket.socket:
    """The listening socket of the server, bound without SO_REUSEPORT: if another process
    holds the port, stop with a clear message (two servers would split the connections
    between them, and a board would miss calls). Under eventlet, `socket` is eventlet's
    green socket (server/entry.py patched it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    # SO_REUSEADDR only lets a restart bind while old connections linger in TIME_WAIT; it
    # never lets two listeners share a port.
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise click.ClickException(
            f"Cổng {port} trên {host} đang được dùng (có thể XepHang đã chạy) / "
            f"port {port} on {host} is already in use (is XepHang already running?): "
            f"{error.strerror}"
        ) from None
    return listener


def _allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files towards `wanted` (each connection is one), as far
    as the hard limit allows; systemd's default soft limit is 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Host used in the URLs.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port used in the URLs.")
def demo(host: str, port: int) -> None:
    """Create the demo centre (or renew its passwords and device tokens) and print its URLs."""
    _, db = open_database()
    _print_demo(db, host, port)


def _print_demo(db: Database, host: str, port: int) -> None:
    from server.cli.demo import create_demo_centre

    with db.write_session() as session, session.begin():
        creds = create_demo_centre(session)
    base = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}"

    def screen(kind: str, note: str = "") -> str:
        # A demo device an administrator revoked, paired or changed is theirs now: its
        # address is not the demo's to print.
        token = creds.device_tokens.get(kind)
        if token is None:
            return (
                "– (thiết bị mẫu đã được quản trị thay đổi: ghép nối thiết bị ở "
                f"{base}/admin/devices / the demo's device was changed by an administrator: "
                "pair one there)"
            )
        return f"{base}/{kind}?device={token}{note}"

    lines = [
        "",
        "Trung tâm mẫu / demo centre: phường Tân Định",
        f"  Kiosk (lấy số):        {screen('kiosk')}",
        f"  Màn hình (board):      {screen('board')}",
        f"  Đánh giá (rating):     {screen('rating', '   (quầy 1 / counter 1)')}",
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


@click.command()
@click.option("--closing", is_flag=True, help="Also expire today's tickets still waiting.")
def expire(closing: bool) -> None:
    """Expire the tickets the day left open (the server also does this by itself)."""
    from server.services.tickets import all_site_ids, expire_leftovers
    from server.services.unit_of_work import UnitOfWork

    _, db = open_database()
    uow = UnitOfWork(db)
    total = sum(expire_leftovers(uow, site_id, closing or None) for site_id in all_site_ids(uow))
    click.echo(f"Expired {total} tickets.")
