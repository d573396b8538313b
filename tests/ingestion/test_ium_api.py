"""POST /api/v1/structure/ium: the ATIH fichier d'UM into the authorisation history."""

from __future__ import annotations

import zipfile
from typing import Any

from sqlalchemy import text

from tests.conftest import shared_file

TEXT = {"Content-Type": "text/plain"}
DRUIDES_INPUT = "pmsi_samples/gpmsi/inout/910019447.2024.0.20250130112254.in.zip"


def druides_ium() -> bytes:
    with zipfile.ZipFile(shared_file(DRUIDES_INPUT)) as archive:
        return archive.read(next(n for n in archive.namelist() if n.lower().endswith("ium.txt")))


def post_ium(client: Any, headers: dict[str, str], body: bytes) -> Any:
    return client.post("/api/v1/structure/ium", content=body, headers={**headers, **TEXT})


def test_druides_sample_then_history_across_loads(client: Any, auth_headers: Any) -> None:
    body = druides_ium()
    admin = auth_headers("admin")
    first = post_ium(client, admin, body)
    assert first.status_code == 200
    assert first.json() == {
        "lines": 49, "authorisations_added_or_changed": 49, "authorisations_unchanged": 0,
        "lines_rejected": 0, "errors": [], "warnings": [],
    }  # fmt: skip
    again = post_ium(client, admin, body).json()
    assert (again["authorisations_added_or_changed"], again["authorisations_unchanged"]) == (0, 49)
    # A later file: unit 4002 changes authorisation from 01/01/2025; its earlier line stays.
    unit_line = next(line for line in body.decode().splitlines() if line.startswith("4002"))
    later = (unit_line[:13] + "29 " + "01012025" + "020C").encode() + b"\r\n"
    assert post_ium(client, admin, later).json()["authorisations_added_or_changed"] == 1
    history = client.get("/api/v1/structure", headers=auth_headers("reader")).json()["authorisations"]
    assert len(history) == 50
    unit = [(a["auth_type"], a["effect_date"], a["beds"]) for a in history if a["unit"] == "4002"]
    assert len(unit) == 2 and unit[-1] == ("29", "2025-01-01", 20)


def test_rejected_lines_warnings_and_duplicates(client: Any, auth_headers: Any, session: Any) -> None:
    body = (
        b"750091000000129 01012024020C\n"  # stored
        b"750091000000153 01012024010C\n"  # same unit and date d'effet: rejected, first kept
        b"7600910000001ZZ 01012024010C\n"  # unknown type: stored with a warning
        b"770091000000129 31022024010C\n"  # impossible date: rejected
        b"short\n"
    )
    result = post_ium(client, auth_headers("admin"), body).json()
    assert (result["lines"], result["authorisations_added_or_changed"], result["lines_rejected"]) == (5, 2, 3)
    assert [(e["line"], e["code"]) for e in result["errors"]] == [
        (2, "duplicate_effect_date"), (4, "invalid_date"), (5, "line_length"),
    ]  # fmt: skip
    assert [(w["line"], w["code"]) for w in result["warnings"]] == [(3, "unknown_authorisation_type")]
    rows = session.execute(text("SELECT unit_code, auth_type FROM unit_authorisation ORDER BY 1")).all()
    assert [tuple(row) for row in rows] == [("7500", "29"), ("7600", "ZZ")]


def test_admin_only_audited_and_bad_bodies(client: Any, auth_headers: Any) -> None:
    line = b"750091000000129 01012024020C\n"
    for role in ("ingest", "reader", "dim"):
        assert post_ium(client, auth_headers(role), line).status_code == 403
    admin = auth_headers("admin", name="dim-admin")
    empty = post_ium(client, admin, b"")
    assert empty.status_code == 400 and empty.headers["content-type"] == "application/problem+json"
    garbage = post_ium(client, admin, b"garbage\n\x00\xff\n")
    assert garbage.status_code == 400 and [e["line"] for e in garbage.json()["errors"]] == [1, 2]
    wrong_type = client.post(
        "/api/v1/structure/ium", content=line, headers={**admin, "Content-Type": "image/png"}
    )
    assert wrong_type.status_code == 415
    assert post_ium(client, admin, line).status_code == 200
    log = client.get("/api/v1/audit-log", headers=admin).json()["items"]
    assert [(e["token_name"], e["action"], e["object_type"]) for e in log if e["object_type"] == "ium"] == [
        ("dim-admin", "write", "ium")
    ]


def test_a_file_without_any_readable_line_lists_the_first_errors_only(client: Any, auth_headers: Any) -> None:
    """An RSS file sent here by mistake: the problem listed every one of its lines (200,000 lines,
    a 20 MB answer); the RHS and RUM feeds list the first 100 and count them all."""
    response = post_ium(client, auth_headers("admin"), b"not a fichier d'UM line\n" * 2000)
    assert response.status_code == 400
    problem = response.json()
    assert problem["detail"] == "No readable line in the fichier d'UM (2000 line(s) rejected)."
    assert [e["line"] for e in problem["errors"]] == list(range(1, 101))
