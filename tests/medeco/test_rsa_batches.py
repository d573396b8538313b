"""POST/GET /api/v1/rsa-batches: the grouper's archive or RSA + TRA files, linked to stored RSS."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.core import db
from app.medeco import repository
from app.medeco.models import Rsa
from tests.conftest import shared_file
from tests.medeco.builders import archive, rsa_line, tra_csv, tra_fixed

pytestmark = pytest.mark.usefixtures("realistic")

SAMPLE = "pmsi_samples/gpmsi/inout/910019447.2024.0.20250130112254.out.zip"
ZIP = {"Content-Type": "application/zip"}


def post_zip(client: Any, headers: dict[str, str], body: bytes, **params: Any) -> Any:
    return client.post("/api/v1/rsa-batches", content=body, headers={**headers, **ZIP}, params=params)


def post_files(client: Any, headers: dict[str, str], rsa: bytes, tra: bytes) -> Any:
    files = {"rsa": ("x.rsa", rsa, "text/plain"), "tra": ("x.tra.txt", tra, "text/plain")}
    return client.post("/api/v1/rsa-batches", files=files, headers=headers)


def post_rss(client: Any, headers: dict[str, str], body: bytes) -> None:
    response = client.post(
        "/api/v1/rum-batches", content=body, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text


def current_rsa() -> list[tuple[str, str | None, bool, int]]:
    with db.new_session() as session:
        rows = session.execute(select(Rsa.rss_number, Rsa.ghs, Rsa.is_current, Rsa.batch_id).order_by(Rsa.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_druides_sample_links_to_its_rss_and_is_idempotent(client: Any, auth_headers: Any) -> None:
    body = shared_file(SAMPLE).read_bytes()
    post_rss(
        client, auth_headers("ingest"), shared_file("pmsi_samples/gpmsi/inout/RSS_test.txt").read_bytes()
    )
    first = post_zip(client, auth_headers("ingest"), body)
    assert first.status_code == 201, first.text
    batch = first.json()
    assert {k: batch[k] for k in ("status", "source", "rsa_lines", "tra_lines", "rsa_accepted",
                                  "rsa_rejected", "rsa_unlinked", "formats", "errors", "unlinked")} == {
        "status": "completed", "source": "archive", "rsa_lines": 1, "tra_lines": 1, "rsa_accepted": 1,
        "rsa_rejected": 0, "rsa_unlinked": 0, "formats": {"228": 1}, "errors": [], "unlinked": [],
    }  # fmt: skip
    assert batch["files"] == {"rsa": "910019447.2024.0.rsa", "tra": "910019447.2024.0.tra.txt"}
    again = post_zip(client, auth_headers("ingest"), body)
    assert (again.status_code, again.json()["id"]) == (200, batch["id"])
    # The same two files sent apart are the same delivery.
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(body)) as zipped:
        rsa, tra = zipped.read("910019447.2024.0.rsa"), zipped.read("910019447.2024.0.tra.txt")
    apart = post_files(client, auth_headers("ingest"), rsa, tra)
    assert (apart.status_code, apart.json()["id"]) == (200, batch["id"])
    assert current_rsa() == [("308461", "1187", True, batch["id"])]
    read = client.get(f"/api/v1/rsa-batches/{batch['id']}", headers=auth_headers("dim"))
    assert read.status_code == 200 and read.json()["rsa_accepted"] == 1


def test_an_rsa_of_an_unknown_rss_is_stored_and_reported(client: Any, auth_headers: Any) -> None:
    rsa = (rsa_line(index=1) + "\n" + rsa_line(index=2, ghs="1188", ghm="04M144") + "\n").encode()
    tra = tra_csv((1, "NOPE-1", "S1"), (2, "NOPE-2", "S2"))
    response = post_zip(client, auth_headers("ingest"), archive(rsa, tra))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["rsa_accepted"], body["rsa_unlinked"]) == ("completed", 2, 2)
    assert body["unlinked"] == [
        {"line": 1, "rsa_index": "0000000001", "rss_number": "NOPE-1"},
        {"line": 2, "rsa_index": "0000000002", "rss_number": "NOPE-2"},
    ]
    assert [row[:3] for row in current_rsa()] == [("NOPE-1", "1187", True), ("NOPE-2", "1188", True)]
    # Reading the batch back names those RSS numbers: a patient-level read, in the audit log.
    dim = auth_headers("dim", name="dr-dim")
    read = client.get(f"/api/v1/rsa-batches/{body['id']}", headers=dim)
    assert read.json()["unlinked"] == body["unlinked"]
    log = client.get("/api/v1/audit-log", headers=auth_headers("admin")).json()["items"]
    reads = [
        (e["token_name"], e["object_type"], e["object_ids"], e["units"]) for e in log if e["action"] == "read"
    ]
    assert reads == [("dr-dim", "rss", ["NOPE-1", "NOPE-2"], None)]


def test_each_rsa_is_atomic_and_errors_are_located(client: Any, auth_headers: Any) -> None:
    good = rsa_line(index=1)
    short = rsa_line(index=2)[:-30]
    orphan = rsa_line(index=3)
    bad_number = rsa_line(index=4)
    bad_number = bad_number[:70] + "00x4" + bad_number[74:]  # DUTSP (los), 71-74
    lines = "\n".join((good, short, orphan, bad_number, rsa_line(index=5))) + "\n"
    tra = tra_csv((1, "A1", "S1"), (2, "A2", "S2"), (4, "A4", "S4"), (5, "A1", "S5")) + b"oops\n"
    body = post_files(client, auth_headers("ingest"), lines.encode(), tra).json()
    assert (body["status"], body["source"], body["rsa_accepted"], body["rsa_rejected"]) == (
        "partial", "files", 1, 4,
    )  # fmt: skip
    assert [(e["file"], e["line"], e["field"], e["code"], e["rsa_index"]) for e in body["errors"]] == [
        ("tra", 5, None, "line_length", None),
        ("rsa", 2, None, "line_length", None),
        ("rsa", 4, "los", "not_numeric", None),
        ("rsa", 3, "rsa_index", "no_tra_line", "0000000003"),
        ("rsa", 5, "tra.rss_number", "duplicate_rss", "0000000005"),
    ]
    assert body["errors_total"] == 5


def test_a_later_batch_supersedes_and_an_identical_rsa_is_unchanged(client: Any, auth_headers: Any) -> None:
    headers = auth_headers("ingest")
    first = post_zip(client, headers, archive(rsa_line(index=1).encode(), tra_csv((1, "R1", "S1")))).json()
    # Same RSA for R1 plus one more: R1 unchanged; then R1 regrouped into another GHS: superseded.
    both = (rsa_line(index=1) + "\n" + rsa_line(index=2) + "\n").encode()
    second = post_zip(client, headers, archive(both, tra_csv((1, "R1", "S1"), (2, "R2", "S2")))).json()
    assert (second["rsa_accepted"], second["rsa_unchanged"]) == (1, 1)
    regrouped = rsa_line(index=1, ghs="1188", ghm="04M144").encode()
    third = post_files(client, headers, regrouped, tra_fixed((1, "R1", "S1"))).json()
    assert (third["rsa_accepted"], third["rsa_unchanged"], third["status"]) == (1, 0, "completed")
    assert current_rsa() == [
        ("R1", "1187", False, first["id"]),
        ("R2", "1187", True, second["id"]),
        ("R1", "1188", True, third["id"]),
    ]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (b"not a zip", "application/zip", 400, "not a readable ZIP"),
        (archive(b"", tra_csv((1, "R", "S"))), "application/zip", 400, "holds no RSA line"),
        (b"x", "text/csv", 415, "Send the body as"),
    ],
)
def test_malformed_deliveries_are_problems(
    client: Any, auth_headers: Any, body: bytes, content_type: str, status: int, detail: str
) -> None:
    response = client.post(
        "/api/v1/rsa-batches", content=body, headers={**auth_headers("ingest"), "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]


def test_an_archive_without_tra_and_a_form_without_tra_are_refused(client: Any, auth_headers: Any) -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("a.rsa", rsa_line())
    response = post_zip(client, auth_headers("ingest"), buffer.getvalue())
    assert response.status_code == 400 and "exactly one TRA" in response.json()["detail"]
    files = {"rsa": ("x.rsa", rsa_line().encode(), "text/plain")}
    response = client.post("/api/v1/rsa-batches", files=files, headers=auth_headers("ingest"))
    assert response.status_code == 400 and "lacks the part(s) tra" in response.json()["detail"]


def test_roles_and_unit_restricted_tokens(client: Any, auth_headers: Any) -> None:
    body = archive(rsa_line().encode(), tra_csv((1, "R1", "S1")))
    assert post_zip(client, auth_headers("dim"), body).status_code == 403
    assert post_zip(client, auth_headers("ingest", units=["7500"]), body).status_code == 403
    created = post_zip(client, auth_headers("admin"), body, campaign=2023).json()
    assert created["campaign"] == 2023
    assert (
        client.get(f"/api/v1/rsa-batches/{created['id']}", headers=auth_headers("reader")).status_code == 403
    )
    assert client.get("/api/v1/rsa-batches/999999", headers=auth_headers("dim")).status_code == 404
    restricted = auth_headers("dim", units=["7500"])
    assert client.get(f"/api/v1/rsa-batches/{created['id']}", headers=restricted).status_code == 403


def test_the_look_ups_of_a_year_file_carry_more_rss_than_a_statement_has_parameters() -> None:
    """A year's RSA file names about 200,000 RSS: each look-up sends one array, not one parameter
    per RSS (PostgreSQL's protocol carries at most 65,535; bench.rsa_import found it)."""
    numbers = [f"{index:09d}" for index in range(70_000)]
    with db.new_session() as session:
        assert repository.link_state(session, rss_numbers=numbers) == ({}, set(numbers))
        repository.supersede(session, rsa_ids=list(range(1, 70_001)))


def _refused(session: Any, statement: str) -> str:
    """The message of the foreign key violation `statement` raises (inside a savepoint)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        session.execute(text(statement))
    assert raised.value.orig is not None and raised.value.orig.sqlstate == "23503"
    return str(raised.value.orig)


def test_rsa_rows_name_an_existing_batch_checked_per_statement(client: Any, auth_headers: Any) -> None:
    """Migration 0024: no row-level foreign key on rsa.batch_id; statement-level triggers refuse an
    unknown batch, forbid changing it, and deleting a batch deletes its RSA."""
    from sqlalchemy import text

    body = archive(
        (rsa_line(index=1) + "\n" + rsa_line(index=2) + "\n").encode(),
        tra_csv((1, "R1", "S1"), (2, "R2", "S2")),
    )
    batch_id = post_zip(client, auth_headers("ingest"), body).json()["id"]
    columns = (
        "rss_number, stay_number, rsa_index, line, line_text, is_current, content_hash, format, campaign, "
        "classification_version, ghm, return_code, exit_month, exit_year, los, seances, ghs, exh_days, "
        "exb_type, exb_days, ghs_minore, supplements, radiotherapy"
    )
    with db.new_session() as session, session.begin():
        copied = columns.replace("rss_number", "rss_number || 'x'", 1)
        message = _refused(
            session, f"INSERT INTO rsa (batch_id, {columns}) SELECT batch_id + 1000, {copied} FROM rsa"
        )
        assert "rsa.batch_id names no rsa_batch" in message
        assert "batch_id cannot change" in _refused(session, "UPDATE rsa SET batch_id = batch_id + 1")
        session.execute(text("UPDATE rsa SET is_current = false"))  # superseding is not affected
        session.execute(text("DELETE FROM rsa_batch WHERE id = :id"), {"id": batch_id})
        assert session.execute(text("SELECT count(*) FROM rsa")).scalar_one() == 0
