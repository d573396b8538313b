from __future__ import annotations

import json
from typing import Any

from app.core.line_errors import LineError
from app.core.problems import ProblemErrorItem, problem_response
from tests.fixtures import logs


def test_healthz_needs_no_token(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {
        "status": "ok",
        "database": None,
        "migrations": None,
    }


def test_readyz_reports_database_and_migrations(client: Any) -> None:
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "migrations": "head"}


def test_unknown_route_is_a_404_problem(client: Any) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not found"


def test_validation_errors_name_the_field(client: Any, auth_headers: Any) -> None:
    response = client.post("/api/v1/tokens", json={"name": "", "role": "boss"}, headers=auth_headers())
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.name", "body.role"}


def test_metrics_need_a_token_and_count_by_route_template(client: Any, auth_headers: Any) -> None:
    assert client.get("/metrics").status_code == 401
    headers = auth_headers("reader")
    client.get("/api/v1/me", headers=headers)
    text = client.get("/metrics", headers=headers).text
    assert 'dimqa_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
    assert "dimqa_http_request_duration_seconds_bucket" in text


def test_metrics_follow_the_role_model(client: Any, auth_headers: Any) -> None:
    """Aggregate readers with every unit: the turnaround gauges are labelled with all services."""
    for role in ("reader", "dim", "admin"):
        assert client.get("/metrics", headers=auth_headers(role)).status_code == 200, role
    assert client.get("/metrics", headers=auth_headers("ingest")).status_code == 403
    for role in ("reader", "dim", "admin"):
        refused = client.get("/metrics", headers=auth_headers(role, units=["7500"]))
        assert refused.status_code == 403, role
        assert refused.headers["content-type"] == "application/problem+json"
        assert "restricted to units" in refused.json()["detail"]


def test_every_response_carries_a_request_id(client: Any) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"


def test_an_unexpected_error_keeps_its_request_id_in_the_answer_and_the_log(
    client: Any, auth_headers: Any, monkeypatch: Any
) -> None:
    """The 500 was answered and logged outside the request middleware: no X-Request-Id and no
    Cache-Control on the answer, no request_id on the "unhandled error" line, so the id a caller
    reports could not be found in the log."""
    from app.auth import service as auth_service

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(auth_service, "list_tokens", broken)
    response = client.get("/api/v1/tokens", headers={**auth_headers("admin"), "X-Request-Id": "ticket-4711"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/internal-error")
    assert (response.headers["x-request-id"], response.headers["cache-control"]) == (
        "ticket-4711",
        "no-store",
    )
    records = [json.loads(line) for line in logs.worker_log().read_text(encoding="utf-8").splitlines()]
    mine = [
        (r["logger"], r["msg"], r.get("exc_type")) for r in records if r.get("request_id") == "ticket-4711"
    ]
    assert mine == [
        ("app.core.problems", "unhandled error", "RuntimeError"),
        ("dimqa.access", "request", None),
    ]


def test_body_over_the_limit_is_413(client: Any, auth_headers: Any, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from app.core.config import Settings
    from app.main import create_app

    small = TestClient(create_app(Settings(max_body_bytes=100)), raise_server_exceptions=False)
    response = small.post("/api/v1/tokens", content=b"x" * 101, headers=auth_headers())
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_problem_error_items_carry_the_fg_code_only_when_there_is_one() -> None:
    errors = [
        LineError(4, "n_da", "not_numeric", "counter n_da is not numeric: 'A2'", "77", "C056"),
        LineError(5, "body.rums", "missing", "Field required"),
    ]
    response = problem_response(400, "invalid-input", "Invalid input", "2 errors", errors=errors)
    items = json.loads(response.body)["errors"]
    assert items == [
        {
            "line": 4,
            "field": "n_da",
            "code": "not_numeric",
            "fg_code": "C056",
            "message": "counter n_da is not numeric: 'A2'",
        },
        {"line": 5, "field": "body.rums", "code": "missing", "message": "Field required"},
    ]
    assert [ProblemErrorItem.model_validate(item).fg_code for item in items] == ["C056", None]
