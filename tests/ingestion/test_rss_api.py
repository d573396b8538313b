"""GET /api/v1/rss/{rss_number}: the current version with every field, its history, scope and audit."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

import pytest

from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_act, make_rss

pytestmark = pytest.mark.usefixtures("realistic")


def post(client: Any, headers: dict[str, str], *groups: Any) -> Any:
    body = ("\n".join(line for rss in groups for line in write_rss(rss)) + "\n").encode()
    response = client.post(
        "/api/v1/rum-batches", content=body, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_every_field_of_a_two_rum_grouped_rss(client: Any, auth_headers: Any) -> None:
    rss = make_rss(
        2, rss_number="RSS 42", grouped=True, ghm="28Z07Z", return_code="000", das=["C509", "Z452"],
        acts=[make_act(code="EBLA003", date="04032024", count="02", modifiers="F")],
    )  # fmt: skip
    batch = post(client, auth_headers("ingest"), rss)
    body = client.get(f"/api/v1/rss/{quote('RSS 42   ')}", headers=auth_headers("dim")).json()
    keys = ("rss_number", "batch_id", "ghm", "cmd", "return_code", "care_type")
    assert {key: body[key] for key in keys} == {
        "rss_number": "RSS 42", "batch_id": batch["id"], "ghm": "28Z07Z", "cmd": "28", "return_code": "000",
        "care_type": "seance",
    }  # fmt: skip
    assert (body["entry_date"], body["exit_date"], body["stay_number"]) == (
        "2024-03-04",
        "2024-03-08",
        "2024000001",
    )
    first, second = body["rums"]
    assert (first["unit"], first["entry_date"], first["exit_date"]) == ("7500", "2024-03-04", "2024-03-06")
    assert (first["exit_mode"], first["destination"]) == ("6", "1")
    assert (second["unit"], second["entry_mode"], second["provenance"], second["format"]) == (
        "7501",
        "6",
        "1",
        "122",
    )
    assert first["das"] == ["C509", "Z452"] and first["dp"] == "J189" and first["seances"] == 0
    assert first["acts"] == [
        {
            "date": "2024-03-04", "code": "EBLA003", "extension": "", "phase": "0", "activity": "1",
            "doc_extension": "", "modifiers": "F", "count": 2, "exceptional_refund": "",
            "unplanned_association": "", "dialysis_start": "", "dialysis_modality": "",
        }
    ]  # fmt: skip
    assert first["fields"]["postcode"] == "75013" and first["fields"]["classification_version"] == "11"
    assert [v["batch_id"] for v in body["versions"]] == [batch["id"]]


def test_history_lists_every_version_oldest_first(client: Any, auth_headers: Any) -> None:
    ingest, dim = auth_headers("ingest"), auth_headers("dim")
    first = post(client, ingest, make_rss(1, rss_number="500", dp="J189"))
    second = post(client, ingest, make_rss(1, rss_number="500", dp="J159"), make_rss(1, rss_number="501"))
    post(client, ingest, make_rss(1, rss_number="500", dp="J159"), make_rss(1, rss_number="502"))  # unchanged
    body = client.get("/api/v1/rss/500", headers=dim).json()
    assert body["batch_id"] == second["id"] and body["rums"][0]["dp"] == "J159"
    assert [(v["batch_id"], v["is_current"]) for v in body["versions"]] == [
        (first["id"], False),
        (second["id"], True),
    ]


def test_scope_roles_and_audit(client: Any, auth_headers: Any) -> None:
    ingest = auth_headers("ingest")
    post(client, ingest, make_rss(2, rss_number="600"))  # units 7500 then 7501
    assert client.get("/api/v1/rss/600", headers=ingest).status_code == 403
    assert client.get("/api/v1/rss/600", headers=auth_headers("reader")).status_code == 403
    assert client.get("/api/v1/rss/600", headers=auth_headers("dim", units=["9999"])).status_code == 404
    second_unit = auth_headers("dim", units=["7501"], name="referent-7501")
    assert len(client.get("/api/v1/rss/600", headers=second_unit).json()["rums"]) == 1
    missing = client.get("/api/v1/rss/unknown", headers=auth_headers("admin"))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    log = client.get("/api/v1/audit-log", headers=auth_headers("admin")).json()["items"]
    reads = [
        (e["token_name"], e["object_ids"], e["units"])
        for e in log
        if e["action"] == "read" and e["object_type"] == "rss"
    ]
    assert reads == [("referent-7501", ["600"], ["7501"])]


def test_a_unit_restricted_token_reads_only_its_units_rums(client: Any, auth_headers: Any) -> None:
    """The RUMs of other units (their DP, DA, acts) are withheld; `rums_withheld` counts them."""
    rss = make_rss(3, rss_number="700", dp="C509", das=["Z511"])  # units 7500, then Q9Z8, 7502
    rss.rums[1] = dataclasses.replace(
        rss.rums[1], unit="Q9Z8", dp="K359", das=["E119"], acts=[make_act(code="HHFA016", date="06032024")]
    )
    post(client, auth_headers("ingest"), rss)
    everything = client.get("/api/v1/rss/700", headers=auth_headers("dim")).json()
    assert [rum["unit"] for rum in everything["rums"]] == ["7500", "Q9Z8", "7502"]
    assert everything["rums_withheld"] == 0
    ends = auth_headers("dim", units=["7500", "7502"])
    body = client.get("/api/v1/rss/700", headers=ends)
    assert body.status_code == 200
    assert [(rum["unit"], rum["rum_number"]) for rum in body.json()["rums"]] == [("7500", "1"), ("7502", "3")]
    assert body.json()["rums_withheld"] == 1
    assert [value for value in ("Q9Z8", "K359", "E119", "HHFA016") if value in body.text] == []
    middle = client.get("/api/v1/rss/700", headers=auth_headers("admin", units=["Q9Z8"])).json()
    assert [rum["dp"] for rum in middle["rums"]] == ["K359"] and middle["rums_withheld"] == 2


def test_format_023_act_dialysis_fields(client: Any, auth_headers: Any) -> None:
    rss = make_rss(
        1, rss_number="D23", version="023",
        acts=[make_act(code="JVJF008", dialysis_start="2", dialysis_modality="21")],  # night, adult centre
    )  # fmt: skip
    post(client, auth_headers("ingest"), rss)
    (rum,) = client.get("/api/v1/rss/D23", headers=auth_headers("dim")).json()["rums"]
    (act,) = rum["acts"]
    assert (rum["format"], act["code"], act["dialysis_start"], act["dialysis_modality"]) == (
        "023",
        "JVJF008",
        "2",
        "21",
    )
