"""Database outage: a real service on its own embedded PostgreSQL, stopped and restarted under it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.core import embedded_pg


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("condition not reached in time")


@pytest.fixture()
def service(tmp_path: Path) -> object:
    data_dir = tmp_path / "pg"
    url = embedded_pg.start(data_dir)
    env = {**os.environ, "DATABASE_URL": url, "DIMQA_VAR_DIR": str(tmp_path), "DIMQA_DEMO": "0"}
    created = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "token", "create", "--name", "probe", "--role", "reader"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = created.stdout.strip().splitlines()[-1]
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: httpx.get(f"{base}/healthz").status_code == 200)
        yield base, {"Authorization": f"Bearer {token}"}, embedded_pg.server_for(data_dir)
    finally:
        process.terminate()
        process.wait(timeout=20)
        embedded_pg.stop_all()


def test_503_with_retry_after_while_the_database_is_down_then_recovery(service: object) -> None:
    base, headers, server = service  # type: ignore[misc]
    assert httpx.get(f"{base}/api/v1/me", headers=headers).status_code == 200
    assert httpx.get(f"{base}/readyz").status_code == 200

    server.stop()
    down = httpx.get(f"{base}/api/v1/me", headers=headers)
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.headers["retry-after"] == "5"
    assert down.json()["type"].endswith("/database-unavailable")
    ready = httpx.get(f"{base}/readyz")
    assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
    assert httpx.get(f"{base}/healthz").status_code == 200  # the process itself is alive

    server.start()
    _wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200)
    assert httpx.get(f"{base}/api/v1/me", headers=headers).json()["name"] == "probe"
