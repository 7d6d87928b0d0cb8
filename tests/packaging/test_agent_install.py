"""The print agent installs on a kiosk PC without the server: `pip install ./kiosk` into a
fresh virtual environment gives a working `xephang-agent` and neither Flask nor SQLAlchemy.

pip fetches python-escpos and the Socket.IO client from its cache or the package index, as
on a kiosk PC; the test runs once (`slow`: not in `make check`; `anydb`: not again in the
PostgreSQL pass).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"

pytestmark = [pytest.mark.slow, pytest.mark.anydb]


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Nothing of the work tree may leak in: no PYTHONPATH, and not started from the root.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )


@pytest.mark.timeout(600)
def test_the_agent_installs_alone_and_runs_without_flask_or_sqlalchemy(tmp_path: Path) -> None:
    # A copy, so that the build's own folders (build/, *.egg-info) stay out of the tree.
    source = tmp_path / "kiosk"
    shutil.copytree(
        KIOSK, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    )
    venv = tmp_path / "venv"
    made = run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"

    installed = run(python, "-m", "pip", "install", "--quiet", source, cwd=tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    helped = run(venv / "bin" / "xephang-agent", "--help", cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert "--printer" in helped.stdout and "XEPHANG_DEVICE_TOKEN" in helped.stdout

    # The agent's own modules import (python-escpos, the Socket.IO client)...
    agent = run(python, "-c", "import kiosk.agent, kiosk.printers, socketio, escpos", cwd=tmp_path)
    assert agent.returncode == 0, agent.stderr
    # ...and the server's stack is not there.
    for module in ("flask", "sqlalchemy", "eventlet", "psycopg", "server"):
        missing = run(python, "-c", f"import {module}", cwd=tmp_path)
        assert missing.returncode != 0, f"{module} is installed beside the agent"
        assert "ModuleNotFoundError" in missing.stderr

    # A bad printer URL is refused with the reason, in Vietnamese then English.
    refused = run(
        venv / "bin" / "xephang-agent",
        "--server",
        "http://127.0.0.1:9",
        "--token",
        "t",
        "--printer",
        "lp0",
        cwd=tmp_path,
    )
    assert refused.returncode == 2
    assert "Bad printer URL" in refused.stderr
