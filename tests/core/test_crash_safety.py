"""SIGKILL during a large batch's ingestion: nothing of it is stored, and a re-send stores one copy."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import make_url

from app.ingestion.writer import write_rss
from tests.fixtures.live import live_database
from tests.ingestion.builders import make_rss

RSS_COUNT = 30_000  # two RUM each: several COPY chunks, seconds of ingestion
# The server's ingestion transaction once it streams rows (COPY) and before it commits. Rows not
# committed are invisible to other connections, so the probe is the server's backend, not a table.
COPY_IN_PROGRESS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid()
      AND state = 'active' AND query ILIKE 'COPY%'
"""


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _counts(url: str) -> tuple[int, int, int]:
    with psycopg.connect(_libpq(url)) as conn:
        batches = conn.execute("SELECT count(*), coalesce(sum(rum_accepted), 0) FROM rum_batch").fetchone()
        rums = conn.execute("SELECT count(*) FROM rum").fetchone()
    assert batches is not None and rums is not None
    return int(batches[0]), int(batches[1]), int(rums[0])


def _wait_for_copy(url: str, sender: threading.Thread, timeout: float = 30.0) -> None:
    """Return as soon as the server runs a COPY of the batch; fail if the request ends first."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(_libpq(url), autocommit=True) as conn:  # autocommit: a fresh snapshot each time
        while time.monotonic() < deadline:
            found = conn.execute(COPY_IN_PROGRESS).fetchone()
            if found is not None and found[0]:
                return
            if not sender.is_alive():
                raise AssertionError("the batch was stored before its COPY was seen: nothing was killed")
            time.sleep(0.005)
    raise AssertionError("no COPY from the server within the timeout")


def test_sigkill_during_ingestion_stores_nothing_and_resend_stores_one_copy(tmp_path: Path) -> None:
    template = write_rss(make_rss(2, rss_number="1"))
    lines = []
    for number in range(1, RSS_COUNT + 1):
        key = f"{number:<20}"
        lines.extend(line[:12] + key + line[32:] for line in template)
    body = ("\r\n".join(lines) + "\r\n").encode()

    with live_database(tmp_path) as database:
        headers = {**database.token("his", "ingest"), "Content-Type": "text/plain"}
        with database.serve() as (base, process):
            sender = threading.Thread(
                target=lambda: _post_ignoring_disconnect(base, body, headers), daemon=True
            )
            sender.start()
            _wait_for_copy(database.url, sender)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            sender.join(timeout=30)

        # Killed inside the batch's transaction: not a row of it may remain, not even the batch.
        assert _counts(database.url) == (0, 0, 0), "part of a killed batch survived the crash"

        with database.serve() as (base, _process):
            response = httpx.post(f"{base}/api/v1/rum-batches", content=body, headers=headers, timeout=300)
            assert response.status_code in (200, 201)
            assert response.json()["rum_accepted"] == 2 * RSS_COUNT
            again = httpx.post(f"{base}/api/v1/rum-batches", content=body, headers=headers, timeout=300)
            assert again.status_code == 200
        assert _counts(database.url) == (1, 2 * RSS_COUNT, 2 * RSS_COUNT)


def _post_ignoring_disconnect(base: str, body: bytes, headers: dict[str, str]) -> None:
    # The server is killed under the request: that is the point.
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{base}/api/v1/rum-batches", content=body, headers=headers, timeout=60)
