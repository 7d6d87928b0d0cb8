#!/bin/sh
# xephang-backup.sh: back up XepHang's database (sao lưu cơ sở dữ liệu), online, while the
# server keeps serving. Run nightly by xephang-backup.timer; see docs/OPERATIONS.md.
#
#   SQLite      an online copy through SQLite's backup API (`sqlite3 DB .backup`, or
#               Python's sqlite3.Connection.backup when the sqlite3 command is missing),
#               checked with PRAGMA integrity_check, saved as one self-contained file.
#               Never copy the live xephang.db alone: in WAL mode the latest changes sit
#               in xephang.db-wal, and a copy taken during a write is torn.
#   PostgreSQL  pg_dump -Fc (custom format, for pg_restore), checked with pg_restore --list.
#
# Settings (environment; xephang-backup.service reads /etc/xephang/xephang.env):
#   XEPHANG_DATABASE_URL      as the server's; default sqlite:///$XEPHANG_INSTANCE/xephang.db
#   XEPHANG_INSTANCE          default /var/lib/xephang
#   XEPHANG_BACKUP_DIR        default /var/backups/xephang
#   XEPHANG_BACKUP_KEEP_DAYS  delete backups older than this many days; default 14
#   XEPHANG_PYTHON            default python3 (reads the database URL; SQLite fallback)
# Prints the new file's path on standard output; exits non-zero (and keeps every older
# backup) when anything fails.
set -eu
umask 077

INSTANCE=${XEPHANG_INSTANCE:-/var/lib/xephang}
URL=${XEPHANG_DATABASE_URL:-sqlite:///$INSTANCE/xephang.db}
BACKUP_DIR=${XEPHANG_BACKUP_DIR:-/var/backups/xephang}
KEEP_DAYS=${XEPHANG_BACKUP_KEEP_DAYS:-14}
PYTHON=${XEPHANG_PYTHON:-python3}
STAMP=$(date +%Y%m%d-%H%M%S)

say() { printf 'xephang-backup: %s\n' "$*" >&2; }
die() { say "LỖI / ERROR: $*"; exit 1; }

case $KEEP_DAYS in '' | *[!0-9]*) die "XEPHANG_BACKUP_KEEP_DAYS must be a whole number of days" ;; esac
case $BACKUP_DIR in *\'* | *\"* | *\\*) die "XEPHANG_BACKUP_DIR must not contain quotes or backslashes" ;; esac
mkdir -p "$BACKUP_DIR"
[ -w "$BACKUP_DIR" ] || die "cannot write to $BACKUP_DIR"

PARTIAL=
cleanup() { [ -z "$PARTIAL" ] || rm -f "$PARTIAL" "$PARTIAL-journal"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

backup_sqlite() {
    case $URL in sqlite*:///?*) ;; *) die "cannot read a SQLite file from the URL $URL" ;; esac
    db=${URL#*:///}   # sqlite:////var/lib/xephang/xephang.db -> /var/lib/xephang/xephang.db
    db=${db%%\?*}     # drop ?query options
    case $db in /*) ;; *) die "use an absolute path in XEPHANG_DATABASE_URL (sqlite:////path/xephang.db)" ;; esac
    # Checked first: opening a missing file would create an empty database.
    [ -f "$db" ] || die "no database file $db"
    # Opening the database may create its -wal and -shm files; made by another user (root),
    # they would lock the server out. Run as the file's owner (the service runs as xephang).
    [ -n "$(find "$db" -prune -user "$(id -u)")" ] ||
        die "run as the owner of $db (sudo -u xephang …, or systemctl start xephang-backup)"

    final=$BACKUP_DIR/xephang-$STAMP.db
    PARTIAL=$BACKUP_DIR/.xephang-$STAMP.db.partial
    rm -f "$PARTIAL"
    if command -v sqlite3 >/dev/null 2>&1; then
        # .timeout: wait (10 s) rather than fail if the server holds a lock at that moment.
        sqlite3 -bail "$db" ".timeout 10000" ".backup '$PARTIAL'" >/dev/null ||
            die "sqlite3 .backup of $db failed"
        tool="sqlite3 .backup"
    else
        "$PYTHON" -c '
import pathlib, sqlite3, sys
src = sqlite3.connect(pathlib.Path(sys.argv[1]).resolve().as_uri() + "?mode=rw", uri=True, timeout=10)
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)  # all pages in one step: one consistent read of the live database
dst.close()
src.close()
' "$db" "$PARTIAL" || die "Python sqlite3 backup of $db failed"
        tool="python3 sqlite3.backup"
    fi
    # The copy keeps the source's WAL mode; switch it to a plain rollback journal so the
    # backup is one file, then check every page and index.
    check=$(sqlite_query "$PARTIAL" "PRAGMA journal_mode=DELETE; PRAGMA integrity_check;") ||
        die "could not open the copy $PARTIAL"
    [ "$check" = "delete
ok" ] || die "integrity_check of the copy failed: $check"
    tickets=$(sqlite_query "$PARTIAL" "SELECT count(*) FROM tickets;" 2>/dev/null) || tickets="?"
    mv "$PARTIAL" "$final"
    PARTIAL=
    say "SQLite $db -> $final ($tool, integrity_check ok, $tickets tickets)"
    echo "$final"
}

# sqlite_query FILE SQL: the rows, one per line, with the sqlite3 command or Python.
sqlite_query() {
    if command -v sqlite3 >/dev/null 2>&1; then
        sqlite3 -bail "$1" ".timeout 10000" "$2"
    else
        "$PYTHON" -c '
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=10)
for statement in filter(None, (s.strip() for s in sys.argv[2].split(";"))):
    for row in con.execute(statement):
        print("|".join(str(v) for v in row))
con.close()
' "$1" "$2"
    fi
}

# pg COMMAND ARGS...: run a PostgreSQL client with --dbname built from XEPHANG_DATABASE_URL
# (the SQLAlchemy "+psycopg" driver part dropped). The password goes to the client in
# PGPASSWORD, never on a command line where `ps` would show it.
pg() {
    XEPHANG_DATABASE_URL=$URL "$PYTHON" -c '
import os, sys
from urllib.parse import unquote, urlsplit
url = urlsplit(os.environ["XEPHANG_DATABASE_URL"])
env = dict(os.environ)
netloc = url.netloc
if "@" in netloc:
    credentials, host = netloc.rsplit("@", 1)
    user, has_password, password = credentials.partition(":")
    if has_password:
        env["PGPASSWORD"] = unquote(password)
    netloc = user + "@" + host
dbname = "postgresql://" + netloc + url.path + ("?" + url.query if url.query else "")
os.execvpe(sys.argv[1], [sys.argv[1], "--dbname=" + dbname, *sys.argv[2:]], env)
' "$@"
}

backup_postgres() {
    command -v pg_dump >/dev/null 2>&1 || die "pg_dump is missing: apt-get install postgresql-client"
    final=$BACKUP_DIR/xephang-$STAMP.dump
    PARTIAL=$BACKUP_DIR/.xephang-$STAMP.dump.partial
    pg pg_dump --format=custom --file="$PARTIAL" || die "pg_dump failed"
    # A readable table of contents means the archive is complete enough for pg_restore.
    toc=$(pg_restore --list "$PARTIAL") || die "pg_restore cannot read the dump $PARTIAL"
    entries=$(printf '%s\n' "$toc" | grep -c 'TABLE DATA' || true)
    mv "$PARTIAL" "$final"
    PARTIAL=
    say "PostgreSQL -> $final (pg_dump -Fc, $entries tables of data)"
    echo "$final"
}

case $URL in
    sqlite*) backup_sqlite ;;
    postgresql*) backup_postgres ;;
    *) die "unsupported database URL (sqlite:/// or postgresql+psycopg://): ${URL%%:*}:…" ;;
esac

# Only after a good backup: delete those older than KEEP_DAYS, and stale partial files.
find "$BACKUP_DIR" -maxdepth 1 -type f \( -name 'xephang-*.db' -o -name 'xephang-*.dump' \) \
    -mtime +"$KEEP_DAYS" -print -exec rm -f {} + | sed 's/^/xephang-backup: deleted old /' >&2
find "$BACKUP_DIR" -maxdepth 1 -type f -name '.xephang-*.partial' -mtime +0 -exec rm -f {} +
