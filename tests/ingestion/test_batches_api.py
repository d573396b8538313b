"""RUM batches over HTTP: idempotency, supersession, atomic RSS, JSON = file, bad input."""

from __future__ import annotations

import dataclasses
import gzip
import json
from typing import Any

import pytest
from sqlalchemy import text

from app.demo.generator import build_structure
from app.ingestion import service
from app.ingestion.writer import write_rss
from bench.rss_ingest import RSS_NUMBER, rss_lines
from tests.ingestion.builders import make_rss

pytestmark = pytest.mark.usefixtures("realistic")

TEXT = {"Content-Type": "text/plain"}


def rss_file(*groups: Any) -> bytes:
    return ("\r\n".join(line for rss in groups for line in write_rss(rss)) + "\r\n").encode()


def post(client: Any, headers: dict[str, str], body: bytes, **extra: str) -> Any:
    return client.post("/api/v1/rum-batches", content=body, headers={**headers, **TEXT, **extra})


def test_new_batch_then_same_body_is_idempotent(client: Any, auth_headers: Any, session: Any) -> None:
    ingest = auth_headers("ingest")
    body = rss_file(make_rss(2, rss_number="1001"), make_rss(1, rss_number="1002"))
    first = post(client, ingest, body)
    assert first.status_code == 201
    created = first.json()
    assert (created["status"], created["lines"], created["rss_accepted"], created["rum_accepted"]) == (
        "completed", 3, 2, 3,
    )  # fmt: skip
    assert created["formats"] == {"022": 3} and created["errors"] == [] and created["rss_rejected"] == 0
    again = post(client, ingest, body)
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert session.execute(text("SELECT count(*) FROM rum")).scalar_one() == 3
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 1


def test_idempotency_key(client: Any, auth_headers: Any, session: Any) -> None:
    ingest = auth_headers("ingest")
    body = rss_file(make_rss(1, rss_number="1001"))
    first = post(client, ingest, body, **{"Idempotency-Key": "orbis-2024-03-01"})
    assert first.status_code == 201
    same = post(client, ingest, body, **{"Idempotency-Key": "orbis-2024-03-01"})
    assert same.status_code == 200 and same.json() == first.json()
    # Without the key, the other body is a new batch.
    assert post(client, ingest, rss_file(make_rss(1, rss_number="1002"))).status_code == 201


def test_a_key_reused_with_another_body_is_a_409_naming_the_batch(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """The key names one delivery: answering the first batch silently dropped the new data."""
    ingest = auth_headers("ingest")
    first = post(client, ingest, rss_file(make_rss(1, rss_number="1001")), **{"Idempotency-Key": "k-03"})
    other = post(client, ingest, rss_file(make_rss(1, rss_number="1002")), **{"Idempotency-Key": "k-03"})
    assert (other.status_code, other.headers["content-type"]) == (409, "application/problem+json")
    assert other.json()["detail"] == (
        f"Idempotency-Key 'k-03' was already used by this token for RUM batch {first.json()['id']}, with "
        "another body: nothing stored. Use a new key to send other content."
    )
    assert session.execute(text("SELECT rss_number FROM rss_version")).scalars().all() == ["1001"]
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 1


def test_idempotency_keys_belong_to_their_token(client: Any, auth_headers: Any, session: Any) -> None:
    """Another token's key is another delivery: its batch is stored, under its own key."""
    orbis, pilot = auth_headers("ingest", name="orbis"), auth_headers("ingest", name="pilot")
    first = post(client, orbis, rss_file(make_rss(1, rss_number="1001")), **{"Idempotency-Key": "2024-03"})
    second = post(client, pilot, rss_file(make_rss(1, rss_number="1002")), **{"Idempotency-Key": "2024-03"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] != first.json()["id"] and second.json()["rss_accepted"] == 1
    assert sorted(session.execute(text("SELECT rss_number FROM rss_version")).scalars()) == ["1001", "1002"]
    # Each token's retry answers its own batch.
    retry = post(client, pilot, rss_file(make_rss(1, rss_number="1002")), **{"Idempotency-Key": "2024-03"})
    assert (retry.status_code, retry.json()["id"]) == (200, second.json()["id"])
    # The same body as another token's batch is that batch, whatever the key: nothing is lost.
    again = post(client, pilot, rss_file(make_rss(1, rss_number="1001")), **{"Idempotency-Key": "other"})
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])


def test_later_batch_supersedes_and_identical_rss_creates_no_version(
    client: Any, auth_headers: Any, session: Any
) -> None:
    ingest, dim = auth_headers("ingest"), auth_headers("dim")
    v1 = make_rss(1, rss_number="2001", dp="J189")
    v2 = make_rss(1, rss_number="2001", dp="J159")
    post(client, ingest, rss_file(v1))
    second = post(client, ingest, rss_file(v2, make_rss(1, rss_number="2002"))).json()
    assert (second["rss_accepted"], second["rss_unchanged"]) == (2, 0)
    body = client.get("/api/v1/rss/2001", headers=dim).json()
    assert body["rums"][0]["dp"] == "J159"
    assert [v["is_current"] for v in body["versions"]] == [False, True]
    # The same RSS again inside a different file: accepted, unchanged, no new version.
    third = post(client, ingest, rss_file(v2, make_rss(1, rss_number="2003"))).json()
    assert (third["rss_accepted"], third["rss_unchanged"]) == (2, 1)
    assert len(client.get("/api/v1/rss/2001", headers=dim).json()["versions"]) == 2
    current = session.execute(text("SELECT count(*) FROM rss_version WHERE is_current")).scalar_one()
    assert current == 3


def test_structural_error_rejects_the_whole_rss_only(client: Any, auth_headers: Any, session: Any) -> None:
    good_before, broken, good_after = (
        make_rss(1, rss_number="3001"), make_rss(2, rss_number="3002"), make_rss(1, rss_number="3003"),
    )  # fmt: skip
    lines = [*write_rss(good_before), *write_rss(broken), *write_rss(good_after)]
    lines[2] = lines[2][:-3]  # second RUM of 3002 truncated in its last act zone beyond tolerance
    lines[2] = lines[2][:150]
    result = post(client, auth_headers("ingest"), ("\n".join(lines) + "\n").encode()).json()
    assert (result["status"], result["rss_accepted"], result["rss_rejected"], result["lines_rejected"]) == (
        "partial", 2, 1, 2,
    )  # fmt: skip
    assert result["errors"] == [
        {
            "line": 3,
            "rss_number": "3002",
            "field": None,
            "code": "line_length",
            "fg_code": "C059",  # the grouper's "format de RUM inconnu", as the DIM knows it
            "message": "line of 150 characters is shorter than the fixed part of format 022 (177 characters)",
        }
    ]
    stored_batch = client.get(f"/api/v1/rum-batches/{result['id']}", headers=auth_headers("dim")).json()
    assert stored_batch["errors"] == result["errors"]
    stored = session.execute(text("SELECT rss_number FROM rss_version ORDER BY rss_number")).scalars().all()
    assert stored == ["3001", "3003"]


def test_duplicate_rss_number_in_one_batch(client: Any, auth_headers: Any) -> None:
    a, b = make_rss(1, rss_number="4001"), make_rss(1, rss_number="4002")
    result = post(client, auth_headers("ingest"), rss_file(a, b, a)).json()
    assert result["rss_accepted"] == 2
    assert [(e["line"], e["code"], e["fg_code"]) for e in result["errors"]] == [
        (3, "duplicate_rss_in_batch", None)  # no FG control is this check
    ]


def test_a_resend_cut_in_the_last_rss_number_keeps_the_stored_rss_whole(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """A transfer cut at column 25 of its last line: the RSS before the cut used to be stored as a
    new version without its last RUM."""
    ingest = auth_headers("ingest")
    lines = write_rss(make_rss(3, rss_number="4201"))
    assert post(client, ingest, ("\r\n".join(lines) + "\r\n").encode()).status_code == 201
    cut = post(client, ingest, ("\r\n".join([*lines[:2], lines[2][:25]]) + "\r\n").encode()).json()
    assert (cut["rss_accepted"], cut["rss_rejected"], cut["lines_rejected"]) == (0, 1, 3)
    assert [(e["line"], e["rss_number"], e["field"], e["code"]) for e in cut["errors"]] == [
        (3, "4201", "rss_number", "line_length")
    ]
    stored = client.get("/api/v1/rss/4201", headers=auth_headers("dim")).json()
    assert (len(stored["rums"]), len(stored["versions"])) == (3, 1)


def test_an_rss_whose_lines_are_not_consecutive_is_rejected_whole(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """X1 RUM 1, X2, X1 RUM 2: X1's first part used to be stored as a complete RSS (wrong exit date)
    and only its second part rejected. Now every line of X1 is rejected, each with its error."""
    x1 = write_rss(make_rss(3, rss_number="4101"))
    x2 = write_rss(make_rss(1, rss_number="4102"))
    body = ("\n".join([x1[0], x1[1], *x2, "", x1[2]]) + "\n").encode()  # a blank line counts too
    result = post(client, auth_headers("ingest"), body).json()
    assert (result["status"], result["lines"], result["rss_accepted"], result["rum_accepted"]) == (
        "partial", 4, 1, 1,
    )  # fmt: skip
    assert (result["rss_rejected"], result["lines_rejected"], result["errors_total"]) == (2, 3, 3)
    assert [(e["line"], e["rss_number"], e["field"], e["code"]) for e in result["errors"]] == [
        (1, "4101", "rss_number", "split_rss"),
        (2, "4101", "rss_number", "split_rss"),
        (5, "4101", "rss_number", "split_rss"),
    ]
    assert result["errors"][0]["message"] == (
        "the lines of N° de RSS 4101 are not consecutive (groups from lines 1, 5): "
        "none of its lines is stored"
    )
    stored = session.execute(text("SELECT rss_number FROM rss_version")).scalars().all()
    assert stored == ["4102"]
    assert session.execute(text("SELECT count(*) FROM rum")).scalar_one() == 1


def test_a_number_repeated_many_times_names_a_few_groups(client: Any, auth_headers: Any) -> None:
    groups = []
    for k in range(7):
        groups += [make_rss(1, rss_number="4120", dp=f"K35{k}"), make_rss(1, rss_number=f"413{k}")]
    result = post(client, auth_headers("ingest"), rss_file(*groups)).json()
    assert (result["rss_accepted"], result["rss_rejected"], result["errors_total"]) == (7, 7, 7)
    assert {e["message"] for e in result["errors"]} == {
        "the lines of N° de RSS 4120 are not consecutive (groups from lines 1, 3, 5, 7, 9 and 2 more): "
        "none of its lines is stored"
    }


def test_a_split_rss_is_rejected_whole_across_blocks(
    client: Any, auth_headers: Any, session: Any, monkeypatch: Any
) -> None:
    """The storage decides block by block: the first part, in an earlier block, is refused too."""
    from app.ingestion import blocks

    monkeypatch.setattr(blocks, "BLOCK_BYTES", 500)
    others = [make_rss(1, rss_number=f"42{k:02d}") for k in range(10)]
    x1 = make_rss(2, rss_number="4150")
    first, second = (dataclasses.replace(x1, rums=[rum]) for rum in x1.rums)
    result = post(client, auth_headers("ingest"), rss_file(first, *others, second)).json()
    assert (result["rss_accepted"], result["rss_rejected"], result["lines_rejected"]) == (10, 2, 2)
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(1, "split_rss"), (12, "split_rss")]
    stored = session.execute(text("SELECT rss_number FROM rss_version ORDER BY 1")).scalars().all()
    assert stored == [f"42{k:02d}" for k in range(10)]


def test_a_repeated_copy_is_refused_line_by_line_and_the_first_kept(client: Any, auth_headers: Any) -> None:
    a, b = make_rss(2, rss_number="4160"), make_rss(1, rss_number="4161")
    result = post(client, auth_headers("ingest"), rss_file(a, b, a)).json()
    assert (result["rss_accepted"], result["rum_accepted"], result["rss_rejected"]) == (2, 3, 1)
    assert [(e["line"], e["code"], e["message"]) for e in result["errors"]] == [
        (line, "duplicate_rss_in_batch",
         "N° de RSS 4160 already appeared earlier in the batch, line for line the same (from line 1): "
         "this copy is not stored")
        for line in (4, 5)
    ]  # fmt: skip


def test_json_records_of_one_rss_apart_are_a_split_rss(client: Any, auth_headers: Any, session: Any) -> None:
    records = []
    for number in ("4170", "4171", "4170"):
        record = dataclasses.asdict(make_rss(1, rss_number=number).rums[0])
        record.pop("line")
        records.append(record)
    records[2]["dp"] = "K359"
    result = client.post("/api/v1/rum-batches", json={"rums": records}, headers=auth_headers("ingest")).json()
    assert [(e["line"], e["code"]) for e in result["errors"]] == [(1, "split_rss"), (3, "split_rss")]
    assert session.execute(text("SELECT rss_number FROM rss_version")).scalars().all() == ["4171"]


def test_rss_numbers_alike_as_numbers_are_distinct_rss_in_one_batch(client: Any, auth_headers: Any) -> None:
    """ "4010", "04010" and "4010A" stay three RSS; "4010" met again, identical, is the copy."""
    numbers = ["4010", "04010", "4010A", "0", "00", "4011", "4010"]
    body = rss_file(*[make_rss(1, rss_number=number) for number in numbers])
    result = post(client, auth_headers("ingest"), body).json()
    assert result["rss_accepted"] == 6
    assert [(e["line"], e["rss_number"], e["code"]) for e in result["errors"]] == [
        (7, "4010", "duplicate_rss_in_batch")
    ]


def test_json_batch_is_stored_like_the_file(client: Any, auth_headers: Any, session: Any) -> None:
    rss = make_rss(2, rss_number="5001")
    rums = []
    for rum in rss.rums:
        record = dataclasses.asdict(rum)
        record.pop("line")
        rums.append(record)
    response = client.post("/api/v1/rum-batches", json={"rums": rums}, headers=auth_headers("ingest"))
    assert response.status_code == 201 and response.json()["rum_accepted"] == 2
    stored = session.execute(text("SELECT line_text FROM rum ORDER BY position")).scalars().all()
    assert stored == write_rss(rss)


def test_a_json_batch_written_with_a_utf8_bom_is_read(client: Any, auth_headers: Any, session: Any) -> None:
    """Windows tools write a BOM before UTF-8 JSON: the file and event feeds skip it, the JSON
    RUM batch answered 400 "Invalid JSON: expected value at line 1 column 1"."""
    record = dataclasses.asdict(make_rss(1, rss_number="5003").rums[0])
    record.pop("line")
    body = b"\xef\xbb\xbf" + json.dumps({"rums": [record]}).encode()
    headers = {**auth_headers("ingest"), "Content-Type": "application/json"}
    response = client.post("/api/v1/rum-batches", content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert (response.json()["rss_accepted"], response.json()["errors"]) == (1, [])
    stored = session.execute(text("SELECT line_text FROM rum")).scalars().all()
    assert stored == write_rss(make_rss(1, rss_number="5003"))
    assert client.post("/api/v1/rum-batches", content=body, headers=headers).status_code == 200


def test_json_value_too_long_rejects_its_rss(client: Any, auth_headers: Any) -> None:
    rum = dataclasses.asdict(make_rss(1, rss_number="5002").rums[0])
    rum.pop("line")
    rum["dp"] = "X" * 9
    response = client.post("/api/v1/rum-batches", json={"rums": [rum]}, headers=auth_headers("ingest"))
    body = response.json()
    assert (body["status"], body["rss_rejected"]) == ("rejected", 1)
    error = body["errors"][0]
    assert (error["code"], error["field"], error["line"], error["rss_number"]) == (
        "too_long",
        "dp",
        1,
        "5002",
    )
    assert body["lines"] == body["lines_rejected"] == 1


def test_bad_inputs_never_500(client: Any, auth_headers: Any) -> None:
    ingest = auth_headers("ingest")
    empty = post(client, ingest, b"")
    assert empty.status_code == 400 and empty.headers["content-type"] == "application/problem+json"
    garbage = post(client, ingest, bytes(range(256)) * 40)
    assert garbage.status_code == 201 and garbage.json()["status"] == "rejected"
    unknown = post(client, ingest, rss_file(make_rss(1, version="022")).replace(b"022", b"024", 1))
    assert unknown.json()["errors"][0]["code"] == "unknown_format"
    wrong_type = client.post(
        "/api/v1/rum-batches", content=b"x", headers={**ingest, "Content-Type": "image/png"}
    )
    assert wrong_type.status_code == 415
    bad_json = client.post(
        "/api/v1/rum-batches",
        content=b'{"rums": [{"nope": 1}]}',
        headers={**ingest, "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400 and bad_json.json()["errors"][0]["line"] == 1


def test_a_gzip_body_is_refused_saying_so_and_stores_no_batch(
    client: Any, auth_headers: Any, session: Any
) -> None:
    """A gzipped RSS file was stored as a rejected batch (201) whose only error was "control
    character 0x1F at column 1", and its re-send answered that batch."""
    body = gzip.compress(rss_file(make_rss(1, rss_number="5004")))
    for headers in ({}, {"Content-Encoding": "gzip"}):
        response = post(client, auth_headers("ingest"), body, **headers)
        assert (response.status_code, response.headers["content-type"]) == (415, "application/problem+json")
        assert response.json()["detail"] == (
            "The body is gzip-compressed: send the RSS file uncompressed (text/plain or "
            "application/octet-stream); nothing was stored."
        )
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 0


def test_impossible_dates_are_stored_and_reported_as_findings(client: Any, auth_headers: Any) -> None:
    rss = make_rss(1, rss_number="6001")
    rss.rums[0].exit_date = "31022024"
    result = post(client, auth_headers("ingest"), rss_file(rss)).json()
    assert result["rss_accepted"] == 1 and result["findings"]["blocking"] >= 1


def test_noise_file_of_40_mb(client: Any, auth_headers: Any) -> None:
    import random

    noise = random.Random(7).randbytes(40 * 1024 * 1024)
    response = post(client, auth_headers("ingest"), noise)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "rejected" and body["rss_accepted"] == 0
    assert len(body["errors"]) == 1000 and body["errors_total"] >= 1000


def test_roles_and_audit(client: Any, auth_headers: Any) -> None:
    ingest = auth_headers("ingest", name="orbis")
    batch = post(client, ingest, rss_file(make_rss(1, rss_number="7001"))).json()
    assert client.get(f"/api/v1/rum-batches/{batch['id']}", headers=ingest).json() == batch
    assert client.get("/api/v1/rum-batches", headers=ingest).status_code == 403
    assert client.get("/api/v1/rss/7001", headers=auth_headers("reader")).status_code == 403
    dim = auth_headers("dim", name="dr-dim")
    assert client.get("/api/v1/rss/7001", headers=dim).status_code == 200
    assert client.get("/api/v1/rum-batches", headers=dim).json()["items"][0]["id"] == batch["id"]
    admin = auth_headers("admin")
    log = client.get("/api/v1/audit-log", headers=admin).json()["items"]
    seen = {(e["token_name"], e["action"], e["object_type"], tuple(e["object_ids"])) for e in log}
    assert ("orbis", "write", "rum_batch", (str(batch["id"]),)) in seen
    assert ("dr-dim", "read", "rss", ("7001",)) in seen


def test_unit_restricted_token_gets_404_for_other_units(client: Any, auth_headers: Any) -> None:
    post(client, auth_headers("ingest"), rss_file(make_rss(1, rss_number="8001", unit="7500")))
    assert client.get("/api/v1/rss/8001", headers=auth_headers("dim", units=["7600"])).status_code == 404
    assert client.get("/api/v1/rss/8001", headers=auth_headers("dim", units=["7500"])).status_code == 200


def test_batch_errors_name_only_the_rss_the_caller_may_read(client: Any, auth_headers: Any) -> None:
    ingest = auth_headers("ingest")
    post(
        client,
        ingest,
        rss_file(make_rss(1, rss_number="8101", unit="7500"), make_rss(1, rss_number="8102", unit="7600")),
    )
    # Both RSS sent again with a broken line, and one never stored: the batch rejects all three.
    lines = [
        write_rss(make_rss(1, rss_number=n, unit=u))[0][:-40]
        for n, u in (("8101", "7500"), ("8102", "7600"), ("8103", "7500"))
    ]
    batch = post(client, ingest, "\n".join(lines).encode()).json()
    assert [e["rss_number"] for e in batch["errors"]] == ["8101", "8102", "8103"]  # to the sender itself

    def named(headers: dict[str, str]) -> list[list[str | None]]:
        one = client.get(f"/api/v1/rum-batches/{batch['id']}", headers=headers).json()
        listed = client.get("/api/v1/rum-batches", headers=headers)
        pages = [one] + ([listed.json()["items"][0]] if listed.status_code == 200 else [])
        for page in pages:  # the rest of the batch is the same for every caller
            assert {k: v for k, v in page.items() if k != "errors"} == {
                k: v for k, v in batch.items() if k != "errors"
            }
            assert [(e["line"], e["code"]) for e in page["errors"]] == [
                (1, "line_length"),
                (2, "line_length"),
                (3, "line_length"),
            ]
        return [[e["rss_number"] for e in page["errors"]] for page in pages]

    assert named(auth_headers("dim")) == [["8101", "8102", "8103"]] * 2
    assert named(auth_headers("admin", units=["7600"])) == [[None, "8102", None]] * 2
    # 8103 was never accepted: its units are unknown, so a unit-restricted token is not told it.
    assert named(auth_headers("dim", units=["7500"])) == [["8101", None, None]] * 2
    assert named(auth_headers("reader")) == [[None, None, None]]  # the list is 403 for reader
    assert named(ingest) == [[None, None, None]]


def test_batch_reads_naming_rss_numbers_are_audited(client: Any, auth_headers: Any, session: Any) -> None:
    """GET /rum-batches[/{id}] give dim and admin the RSS numbers of line errors: patient-level reads."""
    ingest = auth_headers("ingest", name="orbis")
    post(
        client,
        ingest,
        rss_file(make_rss(1, rss_number="8101", unit="7500"), make_rss(1, rss_number="8102", unit="7600")),
    )
    lines = [
        write_rss(make_rss(1, rss_number=n, unit=u))[0][:-40]
        for n, u in (("8101", "7500"), ("8102", "7600"), ("8103", "7500"))
    ]
    batch = post(client, ingest, "\n".join(lines).encode()).json()

    def reads() -> list[tuple[Any, ...]]:
        query = text(
            "SELECT token_name, method, endpoint, object_ids, units FROM audit_log "
            "WHERE action = 'read' ORDER BY id"
        )
        return [tuple(row) for row in session.execute(query)]

    by_id = f"/api/v1/rum-batches/{batch['id']}"
    assert client.get(by_id, headers=ingest).status_code == 200  # no RSS number given: no entry
    assert client.get(by_id, headers=auth_headers("reader")).status_code == 200
    assert reads() == []
    dim = auth_headers("dim", name="dr-dim")
    assert client.get(by_id, headers=dim).status_code == 200
    assert client.get("/api/v1/rum-batches", headers=dim).status_code == 200
    onco = auth_headers("dim", units=["7500"], name="onco-dim")
    assert client.get("/api/v1/rum-batches", headers=onco).status_code == 200
    template = "/api/v1/rum-batches/{batch_id}"
    # 8103 was never accepted: its units are unknown, and so are the entry's.
    assert reads() == [
        ("dr-dim", "GET", template, ["8101", "8102", "8103"], None),
        ("dr-dim", "GET", "/api/v1/rum-batches", ["8101", "8102", "8103"], None),
        ("onco-dim", "GET", "/api/v1/rum-batches", ["8101"], ["7500"]),
    ]


def test_batch_list_pages_with_a_cursor(client: Any, auth_headers: Any) -> None:
    ingest, dim = auth_headers("ingest"), auth_headers("dim")
    ids = [post(client, ingest, rss_file(make_rss(1, rss_number=f"90{n}"))).json()["id"] for n in range(3)]
    first = client.get("/api/v1/rum-batches", params={"limit": 2}, headers=dim).json()
    assert [b["id"] for b in first["items"]] == ids[::-1][:2] and first["next_cursor"] is not None
    last = client.get("/api/v1/rum-batches", params={"limit": 2, "cursor": first["next_cursor"]}, headers=dim)
    assert [b["id"] for b in last.json()["items"]] == ids[:1] and last.json()["next_cursor"] is None
    assert client.get(f"/api/v1/rum-batches/{ids[0]}", headers=dim).json()["rss_accepted"] == 1
    assert client.get("/api/v1/rum-batches/999999", headers=dim).status_code == 404
    bad = client.get("/api/v1/rum-batches", params={"cursor": "abc"}, headers=dim)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


def test_a_large_file_after_a_structure_put_goes_through_the_workers(
    client: Any, auth_headers: Any, session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15, defect 1: once a structure was loaded, every file of 4 MiB or more answered 500, the
    workers failing to unpickle the structure and the fichier d'UM of the rules' context."""
    monkeypatch.setattr(service, "PARALLEL_MIN_BYTES", 4 << 20)  # the served threshold, not the tests' 0
    admin = auth_headers("admin")
    put = client.put("/api/v1/structure", json=build_structure().model_dump(mode="json"), headers=admin)
    assert put.status_code == 200, put.text
    lines = list(rss_lines(24_000, seed=15))
    body = ("\r\n".join(lines) + "\r\n").encode()
    assert len(body) >= service.PARALLEL_MIN_BYTES
    rss = len({line[RSS_NUMBER] for line in lines})
    response = post(client, auth_headers("ingest"), body)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert (batch["status"], batch["lines"], batch["rss_accepted"], batch["rum_accepted"]) == (
        "completed", 24_000, rss, 24_000,
    )  # fmt: skip
    assert (batch["rss_rejected"], batch["lines_rejected"], batch["errors"]) == (0, 0, [])
    assert session.execute(text("SELECT count(*) FROM rum")).scalar_one() == 24_000
    assert session.execute(text("SELECT count(*) FROM rss_version WHERE is_current")).scalar_one() == rss
