"""Request size limit (declared or streamed) and truncated uploads: a clear 413, nothing half-stored."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import make_url, text

from app.core.config import Settings
from app.ingestion.writer import write_rss
from app.main import create_app
from tests.fixtures.live import live_database
from tests.ingestion.builders import make_rss


def test_streamed_body_over_the_limit_is_413_and_stores_nothing(
    client: Any, auth_headers: Any, session: Any
) -> None:
    small = TestClient(create_app(Settings(max_body_bytes=1000)), raise_server_exceptions=False)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while streaming
        for _ in range(10):
            yield b"x" * 200

    headers = {**auth_headers("ingest"), "Content-Type": "text/plain"}
    response = small.post("/api/v1/rum-batches", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    declared = small.post("/api/v1/rum-batches", content=b"x" * 1001, headers=headers)
    assert declared.status_code == 413
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 0


def test_truncated_upload_leaves_nothing_then_a_full_upload_works(tmp_path: Path) -> None:
    body = ("\n".join(write_rss(make_rss(2, rss_number="4242"))) + "\n").encode()
    with live_database(tmp_path) as database:
        token = database.token("his", "ingest")
        with database.serve() as (base, _process):
            port = int(base.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port)) as raw:
                head = (
                    f"POST /api/v1/rum-batches HTTP/1.1\r\nHost: x\r\n{_header(token)}\r\n"
                    f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
                )
                raw.sendall(head.encode() + body[: len(body) // 2])  # then the client goes away
            libpq = make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(libpq) as conn:
                assert conn.execute("SELECT count(*) FROM rum_batch").fetchone() == (0,)
            full = httpx.post(
                f"{base}/api/v1/rum-batches", content=body, headers={**token, "Content-Type": "text/plain"}
            )
            assert (full.status_code, full.json()["rum_accepted"]) == (201, 2)


def _header(token: dict[str, str]) -> str:
    return f"Authorization: {token['Authorization']}"


def test_a_client_gone_during_its_upload_is_not_a_server_error(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """It was logged as an unhandled error and counted as a 500: the DimqaServerErrors alert
    (deploy/prometheus) fired for an interface engine's timeout or a closed browser."""
    from prometheus_client import REGISTRY

    from tests.fixtures import logs

    def counted(status: str) -> float:
        labels = {"method": "POST", "route": "/api/v1/rum-batches", "status": status}
        return REGISTRY.get_sample_value("dimqa_http_requests_total", labels) or 0.0

    before = {status: counted(status) for status in ("499", "500")}
    headers = {**auth_headers("ingest"), "Content-Type": "text/plain", "X-Request-Id": "gone-4242"}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/v1/rum-batches", "raw_path": b"/api/v1/rum-batches", "query_string": b"",
        "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    incoming = iter(
        [{"type": "http.request", "body": b"1104M131 122", "more_body": True}, {"type": "http.disconnect"}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(client.app(scope, receive, send))
    assert sent == []  # nobody to answer
    assert (counted("499") - before["499"], counted("500") - before["500"]) == (1.0, 0.0)
    records = [json.loads(line) for line in logs.worker_log().read_text(encoding="utf-8").splitlines()]
    mine = [(r["logger"], r["level"], r.get("status")) for r in records if r.get("request_id") == "gone-4242"]
    assert mine == [("dimqa.access", "info", 499)]
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 0
