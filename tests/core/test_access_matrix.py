"""Every endpoint × every role, called for real; and `reader` never sees patient-level values."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from app.api.access_matrix import ROLES, operations, readme_block, render_markdown, served, web_operations
from app.core.config import PROJECT_ROOT
from app.ingestion.writer import write_rss
from app.main import create_app
from tests.ingestion.builders import make_rss

APP = create_app()
OPERATIONS = sorted(operations(APP), key=lambda o: (o.path, o.method))
PARAMS = {"rss_number": "1", "batch_id": "1", "finding_id": "1", "name": "nobody", "kind": "cim10"}
QUERY = {"from": "2024-01-01", "to": "2024-12-31", "week": "2024-W10"}


def _call(client: Any, method: str, path: str, headers: dict[str, str]) -> int:
    url = re.sub(r"{(\w+)}", lambda m: PARAMS.get(m.group(1), "1"), path)
    body = {"json": {}} if method in {"PUT", "PATCH"} else {"content": b""}
    return int(client.request(method, url, params=QUERY, headers=headers, **body).status_code)


def test_docs_access_md_is_current() -> None:
    committed = (PROJECT_ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    assert committed == render_markdown(APP), "docs/access.md is stale: run `make openapi`"


def test_readme_carries_the_current_table() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block(APP) in readme, "README.md's access table is stale: run `make openapi`"
    assert readme.count("<!-- access-matrix:start") == 1


def test_every_operation_is_covered() -> None:
    """Every route the app answers is in a table: the documented ones, FastAPI's own pages, and
    the web interface's pages (outside the OpenAPI document, tested in tests/web)."""
    documented = {(m.upper(), p) for p, ops in APP.openapi()["paths"].items() for m in ops}
    listed = {(o.method, o.path) for o in OPERATIONS}
    web = {(o.method, o.path) for o in web_operations(APP)}
    assert {(o.method, o.path) for o in OPERATIONS if o.documented} == documented
    assert not listed & web
    assert listed | web == served(APP)


def test_exactly_these_paths_are_public(client: Any) -> None:
    """Health probes and the documentation pages (they describe the API, they hold no data)."""
    public = {(o.method, o.path) for o in OPERATIONS if o.roles is None}
    assert public == {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/docs"),
        ("GET", "/redoc"),
        ("GET", "/openapi.json"),
        ("GET", "/docs-assets/{path}"),
    }
    for _method, path in sorted(public):
        assert client.get(path.replace("{path}", "favicon.png")).status_code == 200, path
    assert client.get("/docs/oauth2-redirect").status_code == 404  # turned off: bearer tokens only


def test_every_cell_of_the_matrix(client: Any, auth_headers: Any) -> None:
    headers = {role: auth_headers(role.value) for role in ROLES}
    restricted = {role: auth_headers(role.value, units=["7500"]) for role in ROLES}
    mismatches = []
    for op in OPERATIONS:
        if op.roles is None:
            assert _call(client, op.method, op.path, {}) not in (401, 403), op
            continue
        for label, hdrs, expected in (
            ("no token", {}, 401),
            ("invalid token", {"Authorization": "Bearer dq_not-a-token"}, 401),
        ):
            status = _call(client, op.method, op.path, hdrs)
            if status != expected:
                mismatches.append((op.method, op.path, label, status))
        for role in ROLES:
            status = _call(client, op.method, op.path, headers[role])
            allowed = role in op.roles
            if (allowed and status in (401, 403)) or (not allowed and status != 403):
                mismatches.append((op.method, op.path, role.value, status))
            if allowed:  # the same role restricted to a unit: 403 only where "all units" is required
                status = _call(client, op.method, op.path, restricted[role])
                if (status == 403) != op.all_units or status == 401:
                    mismatches.append((op.method, op.path, f"{role.value} --unit", status))
    assert mismatches == []


def _readable(response: Any) -> bytes:
    """The body as searchable bytes: an xlsx workbook is a zip, so its cells are read back."""
    if not response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        return bytes(response.content)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    return " ".join(cells).encode()


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_reader_never_receives_patient_level_values(client: Any, auth_headers: Any, fmt: str) -> None:
    rss = make_rss(2, rss_number="918273645", admin_number="564738291", birth_date="07081936")
    # A rejected RSS too (truncated line): the batch's errors name it (GET /rum-batches/1 is open to reader).
    broken = write_rss(make_rss(1, rss_number="827364519"))[0][:-40]
    lines = "\n".join([*write_rss(rss), broken]).encode()
    posted = client.post(
        "/api/v1/rum-batches", content=lines, headers={**auth_headers("ingest"), "Content-Type": "text/plain"}
    )
    assert posted.json()["id"] == 1 and posted.json()["errors"][0]["rss_number"] == "827364519"
    secrets = [b"918273645", b"564738291", b"07081936", b"1936-08-07", b"827364519"]
    reader = auth_headers("reader")
    exit_year = rss.exit_date.year if rss.exit_date else 2024
    period = {"from": f"{exit_year}-01-01", "to": f"{exit_year}-12-31", "format": fmt}
    checked = 0
    for op in OPERATIONS:
        if op.method != "GET" or op.roles is None or "reader" not in {r.value for r in op.roles}:
            continue
        url = re.sub(r"{(\w+)}", lambda m: PARAMS.get(m.group(1), "1"), op.path)
        params = {**period, "week": f"{exit_year}-W10", "quarter": f"{exit_year}-Q1"}
        response = client.get(url, params=params, headers=reader)
        assert response.status_code != 500, url
        content = _readable(response)
        for secret in secrets:
            assert secret not in content, (url, secret)
        checked += 1
    assert checked >= 10
    detail = client.get(
        "/api/v1/reports/weekly-turnaround",
        params={"week": f"{exit_year}-W10", "detail": "true"},
        headers=reader,
    )
    assert detail.status_code == 403
    detail = client.get("/api/v1/exhaustivity", params={**period, "detail": "true"}, headers=reader)
    assert detail.status_code == 403
