"""The public ATIH-format samples posted over HTTP (read from ../shared at test time)."""

from __future__ import annotations

from typing import Any

from tests.conftest import shared_file

TEXT = {"Content-Type": "text/plain"}


def test_public_017_sample(client: Any, auth_headers: Any) -> None:
    body = shared_file("pmsi_samples/gpmsi/in/t01rss017.txt").read_bytes()
    result = client.post(
        "/api/v1/rum-batches", content=body, headers={**auth_headers("ingest"), **TEXT}
    ).json()
    assert (result["lines"], result["rum_accepted"], result["rss_rejected"], result["formats"]) == (
        10, 10, 0, {"017": 10},
    )  # fmt: skip
    assert result["rss_accepted"] == 10
    assert (result["status"], result["lines_rejected"], result["errors"], result["errors_total"]) == (
        "completed", 0, [], 0,
    )  # fmt: skip
    # The one finding a DIM expects on this extract: an epidural (activity 4) without documentary extension.
    assert result["findings"]["warning"] == 1
    # First line: N° de RSS 00000000000000000067, UM 6201, 31/12/2016 -> 01/01/2017, DP A083, 2 DA.
    rss = client.get("/api/v1/rss/00000000000000000067", headers=auth_headers("dim")).json()
    assert (rss["entry_date"], rss["exit_date"], rss["care_type"], rss["ghm"]) == (
        "2016-12-31", "2017-01-01", "complete", None,
    )  # fmt: skip
    (rum,) = rss["rums"]
    assert (rum["unit"], rum["dp"], rum["das"], rum["acts"], rum["format"]) == (
        "6201", "A083", ["J108", "E86"], [], "017",
    )  # fmt: skip
    assert (rum["birth_date"], rum["sex"], rum["entry_mode"], rum["exit_mode"]) == (
        "2015-03-29",
        "2",
        "8",
        "8",
    )


def test_public_122_sample(client: Any, auth_headers: Any) -> None:
    body = shared_file("pmsi_samples/gpmsi/inout/RSS_test.txt").read_bytes()
    result = client.post(
        "/api/v1/rum-batches", content=body, headers={**auth_headers("ingest"), **TEXT}
    ).json()
    assert (result["rss_accepted"], result["formats"]) == (1, {"122": 1})
    rss_number = body[15 + 12 : 15 + 32].decode().strip()
    rss = client.get(f"/api/v1/rss/{rss_number}", headers=auth_headers("dim")).json()
    assert (rss["ghm"], rss["cmd"], rss["care_type"]) == ("04M143", "04", "complete")
    assert (rss["entry_date"], rss["exit_date"], rss["return_code"], rss["classification_version"]) == (
        "2023-11-30", "2024-01-03", None, "11",
    )  # fmt: skip
    (rum,) = rss["rums"]
    assert (rum["dp"], rum["unit"], rum["entry_mode"], rum["exit_mode"], rum["destination"]) == (
        "J841", "4002", "8", "7", "2",
    )  # fmt: skip
    assert len(rum["das"]) == 26 and rum["das"][:3] == ["E058", "E43", "E86"]
    assert rum["dads"] == ["F321", "F99"]
    assert [a["code"] for a in rum["acts"]] == ["GEQE007", "YYYY600", "ZZQH033"]
    assert rum["acts"][0] == {
        "date": "2023-11-30", "code": "GEQE007", "extension": "-00", "phase": "0", "activity": "1",
        "doc_extension": "", "modifiers": "", "count": 1, "exceptional_refund": "",
        "unplanned_association": "", "dialysis_start": "", "dialysis_modality": "",
    }  # fmt: skip
    assert rum["format"] == "122" and rum["fields"]["finess"] == body[15:24].decode()
