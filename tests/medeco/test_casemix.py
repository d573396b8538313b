"""GET /api/v1/casemix: attribution to the longest RUM, split days and euros, IP-DMS, N-1, exports."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from app.ingestion.writer import write_rss
from tests.ingestion.builders import ddmmyyyy, make_rss
from tests.medeco.test_valuation_api import TARIFFS, load

pytestmark = pytest.mark.usefixtures("realistic")

DMS = "anseqta,ghm,ghs,borne_basse,borne_haute,dms_n\n2018,04M143,,3,53,12.5\n2018,04M144,,8,48,10\n"


def post(client: Any, headers: dict[str, str], *stays: Any) -> None:
    body = ("\n".join(line for rss in stays for line in write_rss(rss)) + "\n").encode()
    response = client.post(
        "/api/v1/rum-batches", content=body, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text


def grouped(number: str, ghm: str, entry: date, days: int, rums: int = 1) -> Any:
    return make_rss(
        rums, rss_number=number, grouped=True, ghm=ghm, return_code="000", entry=entry, days_per_rum=days
    )


@pytest.fixture()
def stays(client: Any, auth_headers: Any) -> dict[str, str]:
    admin = auth_headers("admin")
    load(client, admin, "ghs_tariffs", 2024, TARIFFS)
    load(client, admin, "ghm_dms", 2018, DMS)
    two = grouped("S1", "04M143", date(2024, 4, 2), 2, rums=2)  # 7500: 2 days, then 7501: 4 days
    second = two.rums[1]
    two.rums[1] = replace(second, exit_date=ddmmyyyy(date(2024, 4, 8)))
    s2 = grouped("S2", "04M144", date(2024, 4, 10), 5)
    s3 = grouped("S3", "90Z00Z", date(2024, 4, 12), 2)
    post(client, admin, two, s2, s3, grouped("OLD", "04M143", date(2023, 4, 3), 3))
    return admin


def test_by_unit_with_the_previous_year(client: Any, stays: dict[str, str]) -> None:
    params = {"from": "2024-04-01", "to": "2024-04-30", "group_by": "unit", "compare": "previous_year"}
    body = client.get("/api/v1/casemix", params=params, headers=stays).json()
    assert (body["period"], body["previous_period"], body["group_by"]) == (
        {"from": "2024-04-01", "to": "2024-04-30"}, {"from": "2023-04-01", "to": "2023-04-30"}, "unit",
    )  # fmt: skip
    rows = {row["key"]: row for row in body["rows"]}
    assert sorted(rows) == ["7500", "7501"]
    first, second = rows["7500"], rows["7501"]
    # S1 counts in 7501 (its longest RUM); its 6 days and euros split 2/6 to 7500 and 4/6 to 7501.
    assert (first["stays"], first["days"], second["stays"], second["days"]) == (2, 9.0, 1, 4.0)
    s1 = Decimal("6668.29")
    assert first["valuation_total"] == float((s1 * 2 / 6 + Decimal("7935.58")).quantize(Decimal("0.01")))
    assert second["valuation_total"] == float((s1 * 4 / 6).quantize(Decimal("0.01"))) == 4445.53
    assert (first["below_low_bound"], first["exb_days"], first["valuation_exb"]) == (1, 3, 2534.61)
    assert (first["los_mean"], first["ipdms"], first["ipdms_stays"]) == (3.5, 0.5, 1)
    assert (second["ipdms"], second["los_expected"]) == (0.48, 12.5)
    total = body["total"]
    assert (total["stays"], total["days"], total["valuation_total"], total["ipdms_stays"]) == (
        3,
        13.0,
        14603.87,
        2,
    )
    assert total["ipdms"] == round(11 / 22.5, 4)
    assert body["not_valued"] == {"stays": 1, "by_reason": {"error_ghm": 1}}
    # 2023: one stay, its campaign not loaded.
    assert first["previous"]["stays"] == 1 and first["previous"]["valuation_total"] == 0.0
    assert second["previous"]["stays"] == 0
    assert total["previous"]["stays"] == 1
    assert body["previous_not_valued"] == {"stays": 1, "by_reason": {"no_tariff": 1}}


def test_by_ghm_and_cmd(client: Any, stays: dict[str, str]) -> None:
    params = {"from": "2024-04-01", "to": "2024-04-30", "group_by": "ghm"}
    rows = client.get("/api/v1/casemix", params=params, headers=stays).json()["rows"]
    assert [(r["key"], r["stays"], r["days"], r["valuation_total"]) for r in rows] == [
        ("04M143", 1, 6.0, 6668.29), ("04M144", 1, 5.0, 7935.58), ("90Z00Z", 1, 2.0, 0.0),
    ]  # fmt: skip
    params["group_by"] = "cmd"
    rows = client.get("/api/v1/casemix", params=params, headers=stays).json()["rows"]
    assert [(r["key"], r["stays"]) for r in rows] == [("04", 2), ("90", 1)]
    # Without a CMD nomenclature, the built-in CMD labels, as GET /activity/ghm?level=cmd gives them
    # (the annual report's CMD sheet had no label at all).
    activity = client.get(
        "/api/v1/activity/ghm",
        params={"from": "2024-04-01", "to": "2024-04-30", "level": "cmd"},
        headers=stays,
    ).json()["rows"]
    assert [(r["key"], r["label"]) for r in rows] == [(r["key"], r["label"]) for r in activity] == [
        ("04", "Affections de l'appareil respiratoire"), ("90", "Erreurs et autres séjours inclassables"),
    ]  # fmt: skip


def test_exports_and_access(client: Any, stays: dict[str, str], auth_headers: Any) -> None:
    params = {"from": "2024-04-01", "to": "2024-04-30", "group_by": "unit", "format": "csv"}
    text = client.get("/api/v1/casemix", params=params, headers=auth_headers("reader")).content.decode(
        "utf-8-sig"
    )
    lines = text.splitlines()
    assert lines[0].startswith("UM;Libellé;Séjours;Séances;Journées;DMS;")
    assert lines[-1] == "Total;;3;0;13,0;4,3333;11,25;0,4889;2;1;0;3;0;17138,48;2534,61;0,0;0,0;14603,87"
    params["format"] = "xlsx"
    response = client.get("/api/v1/casemix", params=params, headers=stays)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None and sheet.title == "Case-mix"
    restricted = auth_headers("reader", units=["7501"])
    params.update(format="json")
    body = client.get("/api/v1/casemix", params=params, headers=restricted).json()
    assert [(r["key"], r["stays"], r["days"]) for r in body["rows"]] == [("7501", 1, 4.0)]
    assert client.get("/api/v1/casemix", params=params, headers=auth_headers("ingest")).status_code == 403
    bad = client.get("/api/v1/casemix", params={**params, "to": "2024-03-01"}, headers=stays)
    assert bad.status_code == 400


def test_the_sql_valuation_equals_the_stay_valuation(client: Any, auth_headers: Any) -> None:
    """RSA days and supplements, séances, coefficient: casemix and GET /rss/{n} give the same euros."""
    from tests.medeco.builders import archive, rsa_line, tra_csv
    from tests.medeco.test_valuation_api import SUPPLEMENTS

    admin = auth_headers("admin")
    load(client, admin, "ghs_tariffs", 2024, TARIFFS)
    load(client, admin, "supplement_tariffs", 2024, SUPPLEMENTS)
    load(client, admin, "tariff_coefficients", 2024, "prudential;geographic\n0.993;1.07\n")
    seance = make_rss(
        1, rss_number="SE", grouped=True, ghm="28Z04Z", return_code="000", entry=date(2024, 5, 2),
        days_per_rum=0, seances="12",
    )  # fmt: skip
    post(
        client,
        admin,
        grouped("RA", "04M141", date(2024, 5, 2), 5),
        grouped("LONG", "04M143", date(2024, 4, 1), 30),
        seance,
    )
    line = rsa_line(
        index=1, ghm="04M141", ghs="1185", los=5, exit_month=5, exh_days=1, exb_type="2", exb_days=2,
        supplements={"sup_rea": 2, "sup_nn1": 1}, radiotherapy={"9610": 3},
    )  # fmt: skip
    response = client.post(
        "/api/v1/rsa-batches", content=archive(line.encode(), tra_csv((1, "RA", "S"))),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert response.status_code == 201
    stays = {
        n: client.get(f"/api/v1/rss/{n}", headers=admin).json()["valuation"] for n in ("RA", "LONG", "SE")
    }
    params = {"from": "2024-04-01", "to": "2024-05-31", "group_by": "ghm"}
    rows = {r["key"]: r for r in client.get("/api/v1/casemix", params=params, headers=admin).json()["rows"]}
    for number, ghm in (("RA", "04M141"), ("LONG", "04M143"), ("SE", "28Z04Z")):
        stay, row = stays[number], rows[ghm]
        assert (row["valuation_base"], row["valuation_exb"], row["valuation_exh"]) == (
            stay["base"], stay["exb"], stay["exh"],
        ), number  # fmt: skip
        assert (row["valuation_supplements"], row["valuation_total"]) == (
            stay["supplements"],
            stay["total"],
        ), number
        assert (row["exb_days"], row["exh_days"]) == (stay["exb_days"], stay["exh_days"]), number
    assert (stays["RA"]["exb"], stays["RA"]["exh"], stays["SE"]["base"]) == (0.0, 211.66, 3972.6)
