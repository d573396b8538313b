"""`Cache-Control: no-store` on patient-level answers (and every other API answer), never cached by a
browser or a proxy on a shared workstation; the documentation's static assets stay cacheable."""

from __future__ import annotations

from typing import Any

import pytest

from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

WEEK = {"week": "2024-W10", "as_of": "2024-03-20", "detail": "true"}
YEAR = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture()
def stored(client: Any, auth_headers: Any) -> dict[str, Any]:
    """One RSS ("100", UM 7500-7501, a finding for UM 9999 unknown to the structure) in batch 1."""
    admin = auth_headers("admin")
    structure = {"units": [{"code": "7500", "label": "Oncologie"}, {"code": "7501", "label": "Cardio"}]}
    assert client.put("/api/v1/structure", json=structure, headers=admin).status_code == 200
    body = "\n".join(
        [*write_rss(make_rss(2, rss_number="100")), *write_rss(make_rss(1, rss_number="200", unit="9999"))]
    )
    response = client.post(
        "/api/v1/rum-batches",
        content=body + "\n",
        headers={**auth_headers("ingest"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    return {"batch": response.json()["id"]}


@pytest.mark.parametrize(
    ("role", "path", "params", "status"),
    [
        ("dim", "/api/v1/rss/100", {}, 200),
        ("dim", "/api/v1/rss/999", {}, 404),
        ("dim", "/api/v1/findings", {}, 200),
        ("dim", "/api/v1/findings", {"format": "csv"}, 200),
        ("dim", "/api/v1/rum-batches", {}, 200),
        ("dim", "/api/v1/rum-batches/{batch}", {}, 200),
        ("ingest", "/api/v1/rum-batches/{batch}", {}, 200),
        ("dim", "/api/v1/reports/weekly-turnaround", WEEK, 200),
        ("dim", "/api/v1/reports/weekly-turnaround", {**WEEK, "format": "csv"}, 200),
        ("dim", "/api/v1/reports/weekly-turnaround", {**WEEK, "format": "xlsx"}, 200),
        ("admin", "/api/v1/audit-log", {}, 200),
        ("reader", "/api/v1/activity/units", {**YEAR, "format": "xlsx"}, 200),
        ("reader", "/api/v1/rss/100", {}, 403),
        (None, "/api/v1/findings", {}, 401),
        (None, "/healthz", {}, 200),
    ],
)
def test_answers_are_not_stored(
    client: Any,
    auth_headers: Any,
    stored: dict[str, Any],
    role: str | None,
    path: str,
    params: dict[str, str],
    status: int,
) -> None:
    headers = auth_headers(role) if role else {}
    response = client.get(path.format(**stored), params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers.get_list("cache-control") == ["no-store"]


def test_patient_level_answers_hold_patient_data(
    client: Any, auth_headers: Any, stored: dict[str, Any]
) -> None:
    """The answers above are the patient-level ones: they carry the RSS numbers."""
    dim = auth_headers("dim")
    assert client.get("/api/v1/rss/100", headers=dim).json()["rss_number"] == "100"
    assert client.get("/api/v1/findings", params={"format": "csv"}, headers=dim).text.count(";200;") == 1


def test_documentation_assets_stay_cacheable(client: Any) -> None:
    response = client.get("/docs-assets/swagger-ui.css")
    assert response.status_code == 200
    assert "cache-control" not in response.headers
    assert response.headers["etag"]
