"""`valuation` of GET /api/v1/rss/{n}: every branch end to end, and the 2024 DRUIDES sample against
the public 2024 tariff table, computed here from the table's own row."""

from __future__ import annotations

import csv
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from app.ingestion.writer import write_rss
from tests.conftest import shared_file
from tests.ingestion.builders import make_rss
from tests.medeco.builders import archive, rsa_line, tra_csv

pytestmark = pytest.mark.usefixtures("realistic")

TARIFFS = (
    "anseqta,ghs,ghm,libelle_ghm,borne_basse,borne_haute,tarif_base,forfait_exb,tarif_exb,tarif_exh,date_effet\n"
    "2024,1187,04M143,Pneumopathies interstitielles niveau 3,0,26,6668.29,0,0,172.81,01/03/2024\n"
    "2024,1188,04M144,Pneumopathies interstitielles niveau 4,8,48,10470.19,0,844.87,368.37,01/03/2024\n"
    "2024,0025,01C034,Craniotomies niveau 4,12,124,18069.12,1500,450.98,334.74,01/03/2024\n"
    "2024,1185,04M141,Pneumopathies interstitielles niveau 1,0,7,1792.53,0,0,211.66,01/03/2024\n"
    "2024,5197,04M141,Pneumopathies interstitielles niveau 1,0,0,418.45,0,0,0,01/03/2024\n"
    "2024,9605,28Z04Z,Hémodialyse en séances,0,0,331.05,0,0,0,01/03/2024\n"
)
SUPPLEMENTS = "campaign;code;label;tariff\n2024;REA;Réanimation;1009.97\n2024;9610;Radiothérapie;120\n"
CSV = {"Content-Type": "text/csv"}


def load(client: Any, headers: dict[str, str], kind: str, year: int, body: str | bytes) -> None:
    response = client.post(
        f"/api/v1/nomenclatures/{kind}", params={"year": year}, content=body, headers={**headers, **CSV}
    )
    assert response.status_code == 200, response.text


def stay(client: Any, headers: dict[str, str], number: str, ghm: str, days: int, **overrides: Any) -> None:
    overrides = {
        "grouped": True,
        "ghm": ghm,
        "return_code": "000",
        "classification_version": "11",
        **overrides,
    }
    if not overrides["grouped"]:
        overrides.update(ghm="", return_code="", classification_version="")
    rss = make_rss(1, rss_number=number, entry=date(2024, 4, 2), days_per_rum=days, **overrides)
    body = ("\n".join(write_rss(rss)) + "\n").encode()
    response = client.post(
        "/api/v1/rum-batches", content=body, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 201, response.text


def valuation(client: Any, headers: dict[str, str], number: str) -> tuple[Any, Any]:
    body = client.get(f"/api/v1/rss/{number}", headers=headers).json()
    return body["valuation"], body["not_valued_reason"]


@pytest.fixture()
def tariffs(client: Any, auth_headers: Any) -> dict[str, str]:
    admin = auth_headers("admin")
    load(client, admin, "ghs_tariffs", 2024, TARIFFS)
    load(client, admin, "supplement_tariffs", 2024, SUPPLEMENTS)
    return admin


def test_branches_without_rsa(client: Any, tariffs: dict[str, str]) -> None:
    admin = tariffs
    stay(client, admin, "EXH", "04M143", 30)
    stay(client, admin, "EXB", "04M144", 5)
    stay(client, admin, "FORFAIT", "01C034", 3)
    stay(client, admin, "AMBIGUOUS", "04M141", 2)
    stay(client, admin, "NOTARIFF", "05M091", 2)
    stay(client, admin, "ERROR", "90Z00Z", 2)
    stay(client, admin, "NOGHM", "", 2, grouped=False)
    stay(client, admin, "SEANCES", "28Z04Z", 0, seances="12")
    exh, _ = valuation(client, admin, "EXH")
    assert exh == {
        "campaign": 2024, "ghs": "1187", "ghs_source": "tariff", "los": 30, "base": 6668.29, "exb_days": 0,
        "exb": 0.0, "exh_days": 4, "exh": 691.24, "supplements": 0.0, "coefficient": 1.0, "total": 7359.53,
        "ghs_minore": False, "supplement_details": [], "supplements_without_tariff": [],
    }  # fmt: skip
    exb, _ = valuation(client, admin, "EXB")
    assert (exb["exb_days"], exb["exb"], exb["total"]) == (3, 2534.61, 7935.58)
    forfait, _ = valuation(client, admin, "FORFAIT")
    assert (forfait["exb_days"], forfait["exb"], forfait["total"]) == (9, 1500.0, 16569.12)
    seances, _ = valuation(client, admin, "SEANCES")
    assert (seances["base"], seances["total"]) == (3972.6, 3972.6)
    assert [valuation(client, admin, n) for n in ("AMBIGUOUS", "NOTARIFF", "ERROR", "NOGHM")] == [
        (None, "ambiguous_ghs"), (None, "no_tariff"), (None, "error_ghm"), (None, "no_ghm"),
    ]  # fmt: skip


def test_the_rsa_gives_ghs_days_and_supplements_and_the_coefficient_applies(
    client: Any, tariffs: dict[str, str]
) -> None:
    admin = tariffs
    stay(client, admin, "WITHRSA", "04M141", 5)  # ambiguous on its own: the RSA says 1185
    line = rsa_line(
        index=1, ghm="04M141", ghs="1185", los=5, exit_month=4, exh_days=0, ghs_minore=True,
        supplements={"sup_rea": 2, "sup_nn1": 1}, radiotherapy={"9610": 3},
    )  # fmt: skip
    response = client.post(
        "/api/v1/rsa-batches", content=archive(line.encode(), tra_csv((1, "WITHRSA", "S"))),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert response.status_code == 201 and response.json()["rsa_unlinked"] == 0
    value, reason = valuation(client, admin, "WITHRSA")
    assert reason is None
    assert (value["ghs"], value["ghs_source"], value["ghs_minore"], value["supplements"]) == (
        "1185", "rsa", True, 2379.94,
    )  # fmt: skip
    assert value["supplements_without_tariff"] == ["NN1"]
    assert value["total"] == 4172.47  # 1792.53 + 2 × 1009.97 + 3 × 120
    load(client, admin, "tariff_coefficients", 2024, "prudential;geographic\n0.993;1.07\n")
    value, _ = valuation(client, admin, "WITHRSA")
    # (1792.53 + 2379.94) × 0.993 × 1.07 = 4433.2910997
    assert (value["coefficient"], value["total"]) == (1.06251, 4433.29)


def test_the_2024_druides_sample_against_the_public_2024_table(client: Any, auth_headers: Any) -> None:
    table = shared_file("nomenclatures/tarifs_mco_ghs_public_2024_2025.csv")
    out = shared_file("pmsi_samples/gpmsi/inout/910019447.2024.0.20250130112254.out.zip")
    admin = auth_headers("admin")
    load(client, admin, "ghs_tariffs", 2024, table.read_bytes())
    rss = shared_file("pmsi_samples/gpmsi/inout/RSS_test.txt").read_bytes()
    assert (
        client.post(
            "/api/v1/rum-batches", content=rss, headers={**admin, "Content-Type": "text/plain"}
        ).status_code
        == 201
    )
    # The stay left on 3 January 2024: campaign 2023 by its date, which is not loaded.
    assert valuation(client, admin, "308461") == (None, "no_tariff")
    batch = client.post(
        "/api/v1/rsa-batches", params={"campaign": 2024}, content=out.read_bytes(),
        headers={**admin, "Content-Type": "application/zip"},
    )  # fmt: skip
    assert batch.status_code == 201, batch.text
    with zipfile.ZipFile(out) as zipped:
        rsa = zipped.read("910019447.2024.0.rsa").decode("latin-1")
    ghs, exh_days = rsa[95:99], int(rsa[99:103])  # NGHS 96-99, NJBEH 100-103 (format 228)
    with table.open(encoding="utf-8") as stream:
        row = next(r for r in csv.DictReader(stream) if r["anseqta"] == "2024" and r["ghs"] == ghs)
    los = (date(2024, 1, 3) - date(2023, 11, 30)).days
    assert (ghs, row["ghm"], los, exh_days) == ("1187", "04M143", 34, los - int(row["borne_haute"]))
    expected = Decimal(row["tarif_base"]) + exh_days * Decimal(row["tarif_exh"])
    value, reason = valuation(client, admin, "308461")
    assert reason is None
    assert (value["campaign"], value["ghs"], value["ghs_source"], value["los"]) == (2024, "1187", "rsa", 34)
    assert (value["exh_days"], value["exb_days"], value["exb"]) == (8, 0, 0.0)
    assert value["total"] == float(expected) == 8050.77
