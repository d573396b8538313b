"""Logs never carry tokens or patient data; tokens are keyed hashes compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import inspect
import logging
from typing import Any

from app.core import security
from app.core.logging import JsonFormatter
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss


def test_a_full_scenario_logs_no_token_and_no_patient_value(
    client: Any, auth_headers: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = auth_headers("admin")
    created = client.post("/api/v1/tokens", json={"name": "his", "role": "ingest"}, headers=admin).json()
    ingest = {"Authorization": f"Bearer {created['token']}", "Content-Type": "text/plain"}
    rss = make_rss(2, rss_number="918273645", admin_number="564738291", birth_date="07081936", dp="C509")
    body = "\n".join(write_rss(rss)).encode()
    client.post("/api/v1/rum-batches", content=body, headers=ingest)
    client.post("/api/v1/rum-batches", content=b"\x00garbage 918273645", headers=ingest)
    client.get("/api/v1/rss/918273645", headers=admin)
    client.get("/api/v1/rss/918273645?x=564738291", headers={"Authorization": "Bearer dq_wrong-secret-value"})
    client.get("/api/v1/findings", params={"rss_number": "918273645"}, headers=admin)
    formatter = JsonFormatter()
    # httpx is the test's own client logging its URLs; everything else is the service's.
    text = "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith("httpx"))
    assert "request" in text  # the access log did run
    secrets = [created["token"], admin["Authorization"].split()[1], "dq_wrong-secret-value"]
    patient = ["918273645", "564738291", "07081936", "C509"]
    for value in secrets + patient:
        assert value not in text, value


def test_token_hash_is_an_hmac_with_the_server_key() -> None:
    token = "dq_example"
    key = security._server_key()
    assert security.hash_token(token) == hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    assert security.hash_token(token) != hashlib.sha256(token.encode()).hexdigest()
    assert "compare_digest" in inspect.getsource(security.hashes_match)
