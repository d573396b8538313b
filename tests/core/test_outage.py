"""Database outage: a real service on its own embedded PostgreSQL, stopped, hung and locked under it."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from app.ingestion.writer import write_rss
from tests.fixtures.live import live_database, wait_until
from tests.ingestion.builders import make_rss

# The promise of docs/hardening.md: a hung database answers 503 within 10 s, /readyz within 5 s.
REQUEST_BOUND = 10.0
READY_BOUND = 5.0


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


@contextmanager
def hung(data_dir: Path) -> Iterator[None]:
    """The whole server (postmaster and every backend) stopped by SIGSTOP, as a frozen host: its
    sockets stay open and the kernel keeps accepting connections, nothing ever answers."""
    postmaster = psutil.Process(int((data_dir / "postmaster.pid").read_text().splitlines()[0]))
    processes = [postmaster, *postmaster.children(recursive=True)]
    for process in processes:
        os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes:
            os.kill(process.pid, signal.SIGCONT)


def _timed(client: httpx.Client, url: str, headers: dict[str, str]) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = client.get(url, headers=headers)
    return time.monotonic() - started, response


def test_a_hung_database_answers_503_within_bounds_then_recovers_without_restart(tmp_path: Path) -> None:
    with live_database(tmp_path) as database:
        headers = database.token("probe", "dim")
        with database.serve() as (base, process), httpx.Client(timeout=60) as client:
            urls = [f"{base}/api/v1/me", f"{base}/api/v1/findings", f"{base}/api/v1/rum-batches"]
            for url in urls:  # the pool now holds connections that will hang
                assert client.get(url, headers=headers).status_code == 200

            with hung(tmp_path / "pg"), ThreadPoolExecutor(max_workers=8) as pool:
                # More requests at once than pooled connections: some wait for the pool as well.
                calls = [pool.submit(_timed, client, urls[i % len(urls)], headers) for i in range(24)]
                ready_elapsed, ready = _timed(client, f"{base}/readyz", {})
                results = [call.result() for call in calls]
                assert httpx.get(f"{base}/healthz").status_code == 200

            assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
            assert ready_elapsed <= READY_BOUND, ready_elapsed
            assert sorted({response.status_code for _, response in results}) == [503]
            for elapsed, response in results:
                assert elapsed <= REQUEST_BOUND, elapsed
                assert response.headers["content-type"] == "application/problem+json"
                assert response.headers["retry-after"] == "5"
                assert response.json()["type"].endswith("/database-unavailable")

            # SIGCONT: the same process serves again, no restart.
            wait_until(lambda: client.get(f"{base}/readyz").status_code == 200)
            for url in urls:
                assert client.get(url, headers=headers).status_code == 200
            assert process.poll() is None


def test_a_table_locked_by_another_session_is_a_503_not_a_hang(tmp_path: Path) -> None:
    with live_database(tmp_path) as database:
        headers = database.token("probe", "reader")
        feed = {**database.token("feed", "ingest"), "Content-Type": "text/plain"}
        # lock_timeout longer than statement_timeout: the statement bound (QueryCanceled) ends the
        # wait in one server, the lock bound (LockNotAvailable) in the other.
        bounds = [
            {"DIMQA_DB_LOCK_TIMEOUT": "2"},
            {"DIMQA_DB_LOCK_TIMEOUT": "30", "DIMQA_DB_STATEMENT_TIMEOUT": "2"},
        ]
        url = database.url.replace("postgresql+psycopg://", "postgresql://")
        for env in bounds:
            with (
                database.serve(DIMQA_INGEST_WORKERS="0", **env) as (base, _process),
                psycopg.connect(url) as blocker,
            ):
                assert httpx.get(f"{base}/api/v1/me", headers=headers).status_code == 200
                blocker.execute("LOCK TABLE api_token IN ACCESS EXCLUSIVE MODE")
                started = time.monotonic()
                blocked = httpx.get(f"{base}/api/v1/me", headers=headers, timeout=60)
                elapsed = time.monotonic() - started
                assert (blocked.status_code, blocked.headers["retry-after"]) == (503, "5"), env
                assert blocked.json()["type"].endswith("/database-unavailable")
                assert 2 <= elapsed <= REQUEST_BOUND, (env, elapsed)
                blocker.rollback()
                assert httpx.get(f"{base}/api/v1/me", headers=headers).status_code == 200
                if env["DIMQA_DB_LOCK_TIMEOUT"] == "2":
                    _a_batch_queues_behind_the_batch_holding_the_writer_lock(base, blocker, feed)


def _a_batch_queues_behind_the_batch_holding_the_writer_lock(
    base: str, other: psycopg.Connection[Any], feed: dict[str, str]
) -> None:
    """Batch ingestion raises its lock bound (LongStatements): waiting 3 s for the ingestion writer
    lock held by another batch is queueing, not an outage, even past DIMQA_DB_LOCK_TIMEOUT (2 s)."""
    body = ("\n".join(write_rss(make_rss(2, rss_number="4242"))) + "\n").encode()
    # Another batch's transaction, as app.ingestion.repository takes it.
    other.execute("SELECT pg_advisory_xact_lock(hashtext('dimqa.rum_ingestion'))")
    release = threading.Timer(3.0, other.rollback)
    release.start()
    started = time.monotonic()
    response = httpx.post(f"{base}/api/v1/rum-batches", content=body, headers=feed, timeout=60)
    elapsed = time.monotonic() - started
    release.join()
    assert response.status_code == 201, response.text
    assert response.json()["rss_accepted"] == 1
    assert elapsed >= 2.5, elapsed  # it did wait for the other batch
