from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

PROBLEM = "application/problem+json"


def test_me_returns_name_role_and_units(client: Any, auth_headers: Any) -> None:
    headers = auth_headers("reader", units=["7510", "7500"], name="dashboard")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"name": "dashboard", "role": "reader", "units": ["7500", "7510"]}


def test_unrestricted_token_has_null_units(client: Any, auth_headers: Any) -> None:
    response = client.get("/api/v1/me", headers=auth_headers("dim", name="dim-1"))
    assert response.json() == {"name": "dim-1", "role": "dim", "units": None}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "bearer dq_wrong"],
)
def test_missing_or_invalid_token_is_401_problem(client: Any, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["type"].endswith("/unauthenticated")


def test_revoked_token_is_401(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    victim = auth_headers("reader", name="old-dashboard")
    assert client.get("/api/v1/me", headers=victim).status_code == 200
    assert client.delete("/api/v1/tokens/old-dashboard", headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=victim).status_code == 401


def test_insufficient_role_is_403_problem(client: Any, auth_headers: Any) -> None:
    response = client.get("/api/v1/tokens", headers=auth_headers("dim"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert "dim" in response.json()["detail"]


def test_tokens_are_stored_as_keyed_hashes(client: Any, auth_headers: Any, session: Any) -> None:
    response = client.post("/api/v1/tokens", json={"name": "his", "role": "ingest"}, headers=auth_headers())
    assert response.status_code == 201
    secret = response.json()["token"]
    stored = session.execute(text("SELECT token_hash FROM api_token WHERE name = 'his'")).scalar_one()
    assert secret not in stored and len(stored) == 64
    dump = session.execute(text("SELECT string_agg(t::text, '') FROM api_token t")).scalar_one()
    assert secret not in dump
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["role"] == "ingest"


def test_duplicate_token_name_is_409(client: Any, auth_headers: Any) -> None:
    headers = auth_headers()
    assert (
        client.post("/api/v1/tokens", json={"name": "x", "role": "reader"}, headers=headers).status_code
        == 201
    )
    response = client.post("/api/v1/tokens", json={"name": "x", "role": "reader"}, headers=headers)
    assert response.status_code == 409 and response.headers["content-type"] == PROBLEM


def test_audit_log_with_until_before_since_is_a_problem(client: Any, auth_headers: Any) -> None:
    # Swapped bounds answered an empty page: "nobody read anything" to whoever checks the accesses.
    params = {"since": "2026-12-05T00:00:00Z", "until": "2026-12-04T00:00:00Z"}
    response = client.get("/api/v1/audit-log", params=params, headers=auth_headers("admin"))
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [
        {
            "line": None,
            "field": "until",
            "code": "invalid_period",
            "message": "`until` must be on or after `since`",
        }
    ]
    mixed = {"since": "2026-12-05T00:00:00", "until": "2026-12-04T00:00:00Z"}  # naive and aware: no 500
    assert client.get("/api/v1/audit-log", params=mixed, headers=auth_headers("admin")).status_code == 200


def test_token_writes_are_audited_and_the_log_is_append_only(
    client: Any, auth_headers: Any, session: Any
) -> None:
    headers = auth_headers("admin", name="root")
    client.post("/api/v1/tokens", json={"name": "his", "role": "ingest"}, headers=headers)
    page = client.get("/api/v1/audit-log", params={"object_type": "token"}, headers=headers).json()
    assert [(e["token_name"], e["action"], e["endpoint"], e["object_ids"]) for e in page["items"]] == [
        ("root", "write", "/api/v1/tokens", ["his"])
    ]
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("UPDATE audit_log SET token_name = 'someone-else'"))
    session.rollback()
    with pytest.raises(Exception, match="append-only"):
        session.execute(text("DELETE FROM audit_log"))
