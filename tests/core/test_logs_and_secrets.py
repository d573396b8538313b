"""Logs never carry tokens or patient data; tokens are keyed hashes compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
import uuid
from pathlib import Path
from typing import Any

from app.core import security
from app.core.logging import JsonFormatter
from app.ingestion.writer import write_rss
from tests.fixtures import logs
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


def test_an_hl7_value_python_hl7_cannot_unescape_is_not_logged(
    client: Any, auth_headers: Any, caplog: Any
) -> None:
    """python-hl7 logged the whole field it failed to unescape, a stay number here, at error level."""
    caplog.set_level(logging.DEBUG)
    message = (
        b"MSH|^~\\&|GAM|X|DPI|X|20240306||ADT^A03|91|P|2.5\r"
        b"PV1|1|I|7500||||||||||||||||564738291\\Q\\^^^X^VN\r"
    )
    headers = {**auth_headers("ingest"), "Content-Type": "x-application/hl7-v2+er7"}
    response = client.post("/api/v1/stay-events", content=message, headers=headers)
    assert b"MSA|AA|91" in response.content
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in caplog.records if not r.name.startswith("httpx"))
    assert "request" in text and "564738291" not in text


def test_the_run_log_holds_the_service_records_formatted_as_the_service_does(
    client: Any, auth_headers: Any
) -> None:
    request_id = uuid.uuid4().hex
    client.get("/api/v1/rum-batches", headers={**auth_headers("dim"), "X-Request-Id": request_id})
    records = [json.loads(line) for line in logs.worker_log().read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if r.get("request_id") == request_id]
    assert [(r["logger"], r["msg"], r["route"], r["status"]) for r in mine] == [
        ("dimqa.access", "request", "/api/v1/rum-batches", 200)
    ]
    assert not any(r["logger"].startswith("httpx") for r in records)  # the test client's own URLs


def test_the_end_of_run_check_finds_tokens_and_patient_values(tmp_path: Path) -> None:
    log = tmp_path / "gw9.jsonl"
    lines = [
        '{"msg": "request", "request_id": "ab1000001cd", "duration_ms": 10000012, "n": 2024000001}',
        '{"msg": "dimqa_http_requests_total", "field": "odq_abcdef"}',
        '{"msg": "auth", "header": "Bearer dq_abcDEF-123_x"}',
        '{"msg": "read", "path": "/api/v1/rss/1000001"}',
        '{"msg": "born 15061950, 07081936"}',
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = [(leak.line, leak.kind) for leak in logs.scan([log])]
    assert found == [
        (1, logs.PATIENT_VALUES["2024000001"]),
        (3, "token secret (dq_...)"),
        (4, logs.PATIENT_VALUES["1000001"]),
        (5, logs.PATIENT_VALUES["15061950"]),
        (5, logs.PATIENT_VALUES["07081936"]),
    ]


def test_token_hash_is_an_hmac_with_the_server_key() -> None:
    token = "dq_example"
    key = security._server_key()
    assert security.hash_token(token) == hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
    assert security.hash_token(token) != hashlib.sha256(token.encode()).hexdigest()
    assert "compare_digest" in inspect.getsource(security.hashes_match)
