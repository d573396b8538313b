"""The embedded PostgreSQL stops with the last process using it: on SIGTERM of `dimqa serve`, and
even when an earlier user was killed without leaving (its pid stays in pgserver's list). It runs
with dimqa's shared_buffers (DIMQA_PG_SHARED_BUFFERS, else sized from the machine)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from sqlalchemy import make_url

from app.core import embedded_pg
from app.core.config import get_settings
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


def test_shared_buffers_default_is_a_quarter_of_memory_within_bounds() -> None:
    gib = 1024**3
    assert embedded_pg.default_shared_buffers(24 * gib) == "2048MB"  # capped
    assert embedded_pg.default_shared_buffers(4 * gib) == "1024MB"
    assert embedded_pg.default_shared_buffers(256 * 1024 * 1024) == "128MB"  # PostgreSQL's default


def test_a_shared_buffers_that_is_not_a_size_is_one_line_before_the_server_starts(tmp_path: Path) -> None:
    """It was a ValueError traceback from the embedded server's start."""
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env.update({"DIMQA_VAR_DIR": str(tmp_path), "DIMQA_PG_SHARED_BUFFERS": "lots"})
    result = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "dimqa: invalid configuration: DIMQA_PG_SHARED_BUFFERS: not a size such as 512MB or 2GB\n"
    )
    assert not (tmp_path / "pgdata").exists()


def test_shared_buffers_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)  # with it, the setting is ignored
    get_settings.cache_clear()
    try:
        monkeypatch.setenv("DIMQA_PG_SHARED_BUFFERS", " 1GB ")
        assert embedded_pg.shared_buffers() == "1GB"
        monkeypatch.setenv("DIMQA_PG_SHARED_BUFFERS", "lots")
        get_settings.cache_clear()
        with pytest.raises(ValueError, match="not a size such as 512MB or 2GB"):
            embedded_pg.shared_buffers()
    finally:
        get_settings.cache_clear()


def test_the_embedded_server_runs_with_the_configured_shared_buffers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "pg"
    monkeypatch.setenv("DIMQA_PG_SHARED_BUFFERS", "48MB")
    get_settings.cache_clear()
    try:
        url = embedded_pg.start(data_dir)
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq) as conn:
            assert conn.execute("SHOW shared_buffers").fetchone() == ("48MB",)
    finally:
        embedded_pg.stop(data_dir)
        get_settings.cache_clear()
    wait_until(lambda: not _postgres_running(data_dir), timeout=20)
    # Written once: a restart does not include the file twice.
    embedded_pg.write_settings(data_dir, {"shared_buffers": "64MB"})
    conf = (data_dir / "postgresql.conf").read_text()
    assert conf.count(embedded_pg.SETTINGS_FILE) == 1
    assert (data_dir / embedded_pg.SETTINGS_FILE).read_text().endswith("shared_buffers = '64MB'\n")
