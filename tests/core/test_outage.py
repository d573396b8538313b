"""Database outage: a real service on its own embedded PostgreSQL, stopped and restarted under it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.fixtures.live import live_database, wait_until


def test_503_with_retry_after_while_the_database_is_down_then_recovery(tmp_path: Path) -> None:
    with live_database(tmp_path) as database:
        headers = database.token("probe", "reader")
        with database.serve() as (base, _process):
            assert httpx.get(f"{base}/api/v1/me", headers=headers).status_code == 200
            assert httpx.get(f"{base}/readyz").status_code == 200

            database.server.stop()
            down = httpx.get(f"{base}/api/v1/me", headers=headers)
            assert down.status_code == 503
            assert down.headers["content-type"] == "application/problem+json"
            assert down.headers["retry-after"] == "5"
            assert down.json()["type"].endswith("/database-unavailable")
            ready = httpx.get(f"{base}/readyz")
            assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
            assert httpx.get(f"{base}/healthz").status_code == 200  # the process itself is alive

            database.server.start()
            wait_until(lambda: httpx.get(f"{base}/readyz").status_code == 200)
            assert httpx.get(f"{base}/api/v1/me", headers=headers).json()["name"] == "probe"
