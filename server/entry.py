"""The `xephang` console command's entry point.

eventlet must monkey-patch the standard library before anything else imports it, so this
module imports nothing of ours until it has decided whether the command serves.
"""

from __future__ import annotations

import os
import sys
import warnings

SERVING_COMMANDS = {"serve"}


def main() -> None:
    args = sys.argv[1:]
    async_mode = os.environ.get("XEPHANG_ASYNC_MODE", "eventlet")
    if args and args[0] in SERVING_COMMANDS and async_mode == "eventlet":
        # The product owner chose eventlet knowing it is in bugfix-only maintenance; the
        # async mode stays one setting (XEPHANG_ASYNC_MODE=threading) so it can be replaced.
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
        # psycopg waits for PostgreSQL in C, blocking the whole worker, unless it sees a
        # patched select (it only recognises gevent's): make it wait through eventlet's
        # green select, which has no 1,024-descriptor limit (docs/BENCHMARKS.md, section 4).
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    from server.cli.main import cli

    cli(prog_name="xephang")


if __name__ == "__main__":
    main()
