"""GET /api/v1/reports/quarterly: per service and month, beside the previous quarter (JSON, CSV,
XLSX with native charts)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.core.exports import ExportFormat
from app.exhaustivity import export
from app.exhaustivity.schemas import MonthFigures
from tests.exhaustivity.support import load
from tests.turnaround.test_service_support import document, movement

pytestmark = pytest.mark.usefixtures("realistic")

PARAMS = {"quarter": "2022-Q1", "as_of": "2022-03-15"}


@pytest.fixture()
def loaded(client: Any, auth_headers: Any, session: Session) -> Any:
    load(client, auth_headers, session)
    # 2021-Q4: oncology's report the next day, the emergency unit's 19 days late.
    ingest = auth_headers("ingest")
    stays = []
    for stay, unit, discharge in (("P1", "7500", date(2021, 11, 10)), ("P2", "5520", date(2021, 12, 1))):
        stays += [
            movement(f"{stay}-a", "admit", stay, discharge - timedelta(days=1), unit),
            movement(f"{stay}-d", "discharge", stay, discharge, hour=15),
        ]
    assert client.post("/api/v1/stay-events", json={"events": stays}, headers=ingest).status_code == 201
    documents = [
        {**document("P1-cr", "P1", "CR-P1", date(2021, 11, 11)), "unit": "7500"},
        {**document("P2-cr", "P2", "CR-P2", date(2021, 12, 20)), "unit": "5520"},
    ]
    assert (
        client.post("/api/v1/document-events", json={"events": documents}, headers=ingest).status_code == 201
    )
    return client


def _figures(**values: Any) -> dict[str, Any]:
    empty = {
        "stays": 0,
        "reports_within_8_days": 0,
        "late": 0,
        "missing": 0,
        "rate_j8": None,
        "median_delay_days": None,
        "rate_coded": None,
        "not_coded": 0,
        "documents": 0,
        "channel_mix": {"hl7v2": 0, "fhir": 0, "json": 0, "file": 0},
        "lag_median_hours": None,
        "lag_p90_hours": None,
    }
    return {**empty, **values}


def test_the_files_write_lags_to_the_tenth_of_an_hour() -> None:
    figures = MonthFigures.model_validate(
        _figures(documents=3, lag_median_hours=35430.30502842389, lag_p90_hours=0.04999)
    )
    for fmt in ExportFormat:
        assert export._figures(figures, fmt)[-2:] == [35430.3, 0.0]


ONCO_FEBRUARY = _figures(stays=4, missing=4, rate_j8=0.0, rate_coded=0.5, not_coded=2)
ONCO_PREVIOUS = _figures(
    stays=1,
    reports_within_8_days=1,
    rate_j8=1.0,
    median_delay_days=1.0,
    rate_coded=0.0,
    not_coded=1,
    documents=1,
    channel_mix={"hl7v2": 0, "fhir": 0, "json": 1, "file": 0},
    lag_median_hours=0.0,
    lag_p90_hours=0.0,
)


def test_quarterly_json(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get("/api/v1/reports/quarterly", params=PARAMS, headers=auth_headers("reader"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["quarter"], body["previous_quarter"], body["from"], body["to"], body["as_of"]) == (
        "2022-Q1",
        "2021-Q4",
        "2022-01-01",
        "2022-03-31",
        "2022-03-15",
    )
    assert [s["service"] for s in body["services"]] == ["ONCO", "URG", "unmapped"]
    onco = body["services"][0]
    assert onco["label"] == "Oncologie"
    assert onco["months"] == [
        {"month": "2022-01", "figures": _figures()},
        {"month": "2022-02", "figures": ONCO_FEBRUARY},
        {"month": "2022-03", "figures": _figures()},
    ]
    assert onco["quarter"] == ONCO_FEBRUARY
    assert onco["previous_quarter"] == ONCO_PREVIOUS
    assert onco["on_time_change"] == -1.0
    urg = body["services"][1]
    assert (urg["quarter"]["rate_j8"], urg["previous_quarter"]["rate_j8"], urg["on_time_change"]) == (
        0.0,
        0.0,
        0.0,
    )
    assert body["largest_falls"] == ["ONCO"]
    hospital = body["hospital"]
    assert (hospital["service"], hospital["label"]) == ("all", None)
    assert hospital["quarter"]["stays"] == 7 and hospital["previous_quarter"]["stays"] == 2
    assert hospital["previous_quarter"]["rate_j8"] == 0.5 and hospital["quarter"]["rate_j8"] == 0.0
    assert hospital["on_time_change"] == -0.5
    assert [m["figures"]["stays"] for m in hospital["months"]] == [0, 6, 1]


def test_quarterly_csv(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get(
        "/api/v1/reports/quarterly", params={**PARAMS, "format": "csv"}, headers=auth_headers("reader")
    )
    assert response.headers["content-disposition"] == 'attachment; filename="revue-trimestrielle-2022-Q1.csv"'
    lines = response.content.decode("utf-8").splitlines()
    assert lines[0] == (
        "\ufeffService;Séjours;CR ≤ J8;En retard;Manquants;Taux J8;Délai médian;Exhaustivité;Non codés;"
        "Documents;HL7 v2;FHIR;JSON;Fichier;Décalage médian (h);Décalage p90 (h);Taux J8 2021-Q4;"
        "Évolution J8;Exhaustivité 2021-Q4"
    )
    assert lines[1] == "Oncologie;4;0;0;4;0,0;;50,0;2;0;0;0;0;0;;;100,0;-100,0;0,0"
    assert "Oncologie;2022-02;4;0;0;4;0,0;;50,0;2;0;0;0;0;0;;" in lines
    assert lines[-1] == "Oncologie;100,0;0,0;-100,0"


def test_quarterly_xlsx_has_french_titles_and_native_charts(loaded: Any, auth_headers: Any) -> None:
    from openpyxl import load_workbook

    response = loaded.get(
        "/api/v1/reports/quarterly", params={**PARAMS, "format": "xlsx"}, headers=auth_headers("reader")
    )
    assert response.status_code == 200
    # Charts are not read back by openpyxl: they are parts of the package.
    import zipfile

    parts = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(name for name in parts if name.startswith("xl/charts/")) == [
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
        "xl/charts/chart3.xml",
    ]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Synthèse 2022-Q1", "Par mois", "Établissement", "Plus fortes baisses"]
    summary = book.worksheets[0]
    assert summary["A1"].value == "Revue trimestrielle 2022-Q1 — comptes rendus, exhaustivité, transmission"
    assert [cell.value for cell in summary[4]][:3] == ["Service", "Séjours", "CR ≤ J8"]
    assert summary["A5"].value == "Oncologie" and summary["F5"].number_format == "0.0%"
    hospital = [list(row) for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)]
    assert hospital[0] == ["Mois", "Séjours", "Taux J8", "Exhaustivité", "HL7 v2", "FHIR", "JSON", "Fichier"]
    assert hospital[2] == ["2022-02", 6, 0.0, 0.5, 0, 0, 0, 0]
    falls = [list(row) for row in book.worksheets[3].iter_rows(min_row=3, values_only=True)]
    assert falls == [["Oncologie", 1, 0, -1]]


@pytest.mark.parametrize(
    ("quarter", "status"), [("2022-Q5", 422), ("2022Q1", 422), ("0000-Q1", 422), ("2101-Q1", 422)]
)
def test_bad_quarters_are_problems(loaded: Any, auth_headers: Any, quarter: str, status: int) -> None:
    response = loaded.get(
        "/api/v1/reports/quarterly", params={"quarter": quarter}, headers=auth_headers("reader")
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
