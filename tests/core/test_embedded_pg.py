"""The embedded PostgreSQL stops with the last process using it: on SIGTERM of `dimqa serve`, and
even when an earlier user was killed without leaving (its pid stays in pgserver's list)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from app.core import embedded_pg
from tests.fixtures.live import free_port, wait_until


def _postgres_running(data_dir: Path) -> bool:
    marker = str(data_dir.resolve())
    for process in psutil.process_iter(attrs=("name", "cmdline")):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and marker in cmdline:
            return True
    return False


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not psutil.pid_exists(process.pid)
    return process.pid


def test_sigterm_on_serve_stops_the_embedded_server(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "DIMQA_VAR_DIR": str(tmp_path), "DIMQA_DEMO": "0"}
    env.pop("DATABASE_URL", None)
    serve = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200, timeout=60)
        assert _postgres_running(tmp_path / "pgdata")
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if serve.poll() is None:
            serve.kill()
    wait_until(lambda: not _postgres_running(tmp_path / "pgdata"), timeout=20)
    assert json.loads((tmp_path / "pgdata" / embedded_pg.HANDLES).read_text()) == []


def test_a_user_killed_without_leaving_does_not_keep_the_server_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "pg"
    embedded_pg.start(data_dir)
    handles = data_dir / embedded_pg.HANDLES
    dead = _dead_pid()
    handles.write_text(json.dumps([dead, *json.loads(handles.read_text())]))
    assert _postgres_running(data_dir)

    embedded_pg.stop(data_dir)

    wait_until(lambda: not _postgres_running(data_dir), timeout=20)
    assert json.loads(handles.read_text()) == []
