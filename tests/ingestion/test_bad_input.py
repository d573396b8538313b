"""Hostile and broken RSS files: a 4xx problem or a batch listing the bad lines, never a 500, and
every valid RSS of the same file stored."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.ingestion import json_intake, service
from app.ingestion.writer import write_rss, write_rum
from tests.ingestion.builders import make_rss, make_rum

PROBLEM = "application/problem+json"


def post(client: Any, headers: dict[str, str], body: bytes, media_type: str = "text/plain") -> Any:
    return client.post("/api/v1/rum-batches", content=body, headers={**headers, "Content-Type": media_type})


def stored_numbers(session: Session) -> list[str]:
    return session.execute(text("SELECT rss_number FROM rss_version ORDER BY rss_number")).scalars().all()  # type: ignore[return-value]


def test_every_kind_of_broken_line_beside_valid_rss(client: Any, auth_headers: Any, session: Any) -> None:
    good = [write_rum(make_rum(rss_number=f"10{k}")) for k in range(6)]
    line = write_rum(make_rum(rss_number="2001"))
    broken = {
        "truncated": line[:150],
        "counters": line[:118] + "0A" + line[120:],  # nDA not numeric
        "counters_vs_content": line[:118] + "05" + line[120:],  # says 5 DA, holds 1
        "unknown_version": line[:9] + "099" + line[12:],
        "binary": "\x00\x01\x02 garbage \x7f",
    }
    lines = [good[0]]
    for index, bad in enumerate(broken.values(), start=1):
        bad = bad.replace("2001", f"200{index}", 1)
        lines += [bad, good[index]]
    body = "\n".join(lines).encode("latin-1") + b"\n\xff\xfe\xfd\n"  # and a line of undecodable bytes
    result = post(client, auth_headers("ingest"), body).json()
    assert (result["status"], result["lines"], result["rss_accepted"], result["rum_accepted"]) == (
        "partial", 12, 6, 6,
    )  # fmt: skip
    assert (result["rss_rejected"], result["lines_rejected"], result["errors_total"]) == (6, 6, 6)
    assert [(e["line"], e["code"], e["fg_code"]) for e in result["errors"]] == [
        (2, "line_length", "C059"), (4, "not_numeric", "C056"), (6, "line_length", "C059"),
        (8, "unknown_format", "C059"), (10, "invalid_character", None), (12, "line_length", "C059"),
    ]  # fmt: skip
    assert result["errors"][1]["field"] == "n_da" and result["errors"][1]["rss_number"] == "2002"
    assert stored_numbers(session) == [f"10{k}" for k in range(6)]


def test_impossible_dates_and_bad_codes_are_stored_as_findings_not_rejected(
    client: Any, auth_headers: Any, session: Any
) -> None:
    rss = make_rss(1, rss_number="3001", entry_date="30022024", dp="??", sex="9")
    result = post(client, auth_headers("ingest"), "\n".join(write_rss(rss)).encode()).json()
    assert (result["rss_accepted"], result["rss_rejected"], result["errors"]) == (1, 0, [])
    assert result["findings"]["blocking"] >= 2
    entry_date = session.execute(text("SELECT entry_date FROM rum")).scalar_one()
    assert entry_date is None  # not a date: NULL in the typed column, the text stays in line_text


@pytest.mark.parametrize(
    ("body", "media_type", "status"),
    [
        (b"", "text/plain", 400),
        (b"\r\n  \n\n", "text/plain", 400),
        (b"\x00" * 100, "application/octet-stream", 201),  # a batch with one rejected line
        (b"{}", "application/json", 400),
        (b'{"rums": []}', "application/json", 400),
        (b'{"rums": [{"rss_number": 5}]}', "application/json", 400),
        (b"not json", "application/json", 400),
        (b"<xml/>", "application/xml", 415),
        (b"x", "", 415),
    ],
)
def test_bodies_answered_by_a_problem(
    client: Any, auth_headers: Any, body: bytes, media_type: str, status: int
) -> None:
    response = post(client, auth_headers("ingest"), body, media_type)
    assert response.status_code == status, response.text
    if status != 201:
        assert response.headers["content-type"] == PROBLEM
    else:
        assert response.json()["status"] == "rejected"


def test_json_over_its_cap_is_413(client: Any, auth_headers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_intake, "MAX_JSON_BYTES", 1000)
    rum = dataclasses.asdict(make_rum())
    rum.pop("line")
    response = client.post("/api/v1/rum-batches", json={"rums": [rum] * 5}, headers=auth_headers("ingest"))
    assert response.status_code == 413 and response.headers["content-type"] == PROBLEM


def test_idempotency_key_too_long_is_422(client: Any, auth_headers: Any) -> None:
    headers = {**auth_headers("ingest"), "Idempotency-Key": "k" * 201, "Content-Type": "text/plain"}
    response = client.post("/api/v1/rum-batches", content=write_rum(make_rum()).encode(), headers=headers)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_errors_are_capped_and_counted(
    client: Any, auth_headers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_STORED_ERRORS", 5)
    body = b"\n".join(b"broken line %d" % n for n in range(12)) + b"\n" + write_rum(make_rum()).encode()
    result = post(client, auth_headers("ingest"), body).json()
    assert (len(result["errors"]), result["errors_total"], result["lines_rejected"]) == (5, 12, 12)
    assert result["rum_accepted"] == 1


def test_rss_number_repeated_after_a_rejected_group_stores_neither(
    client: Any, auth_headers: Any, session: Any
) -> None:
    broken = write_rss(make_rss(1, rss_number="5001"))[0][:150]
    lines = [broken, *write_rss(make_rss(1, rss_number="5002")), *write_rss(make_rss(1, rss_number="5001"))]
    result = post(client, auth_headers("ingest"), "\n".join(lines).encode()).json()
    assert [(e["line"], e["code"], e["rss_number"]) for e in result["errors"]] == [
        (1, "line_length", "5001"), (1, "split_rss", "5001"), (3, "split_rss", "5001"),
    ]  # fmt: skip
    assert stored_numbers(session) == ["5002"]


def test_a_nul_in_an_rss_number_rejects_that_rss_alone_with_a_located_error(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """It used to reject the whole batch (400, no line named): the number went raw into the batch's
    jsonb errors, which PostgreSQL refuses (and logs). The number is shown escaped."""
    lines = [*write_rss(make_rss(1, rss_number="6001")), *write_rss(make_rss(2, rss_number="6002"))]
    lines += write_rss(make_rss(1, rss_number="6003"))
    lines[1:3] = [line.replace("6002", "60\x002", 1) for line in lines[1:3]]
    response = post(client, auth_headers("ingest"), "\n".join(lines).encode())
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["status"], result["rss_accepted"], result["rss_rejected"], result["lines_rejected"]) == (
        "partial", 2, 1, 2,
    )  # fmt: skip
    assert [(e["line"], e["field"], e["code"], e["rss_number"]) for e in result["errors"]] == [
        (2, "rss_number", "invalid_character", "60\\x002"),
        (3, "rss_number", "invalid_character", "60\\x002"),
    ]
    assert result["errors"][0]["message"] == "control character 0x00 at column 15 (field rss_number)"
    assert stored_numbers(session) == ["6001", "6003"]
    stored = client.get(f"/api/v1/rum-batches/{result['id']}", headers=auth_headers("dim")).json()
    assert stored["errors"] == result["errors"]


def test_a_nul_in_a_json_rss_number_is_a_located_error_too(
    client: Any, auth_headers: Any, session: Any
) -> None:
    records = []
    for number in ("6101", "61\x0002"):
        record = dataclasses.asdict(make_rum(rss_number=number))
        record.pop("line")
        records.append(record)
    response = client.post("/api/v1/rum-batches", json={"rums": records}, headers=auth_headers("ingest"))
    assert response.status_code == 201, response.text
    assert [(e["line"], e["field"], e["code"], e["rss_number"]) for e in response.json()["errors"]] == [
        (2, "rss_number", "invalid_character", "61\\x0002"),
    ]
    assert stored_numbers(session) == ["6101"]
