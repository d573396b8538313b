"""GET /api/v1/reports/annual: every table of the year in one call, JSON and XLSX with charts."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.medeco.test_casemix import stays  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("realistic")

KEYS = [
    "care_types", "poles", "units", "seances", "top_ghm", "cmd", "valuation_poles", "valuation_services",
    "turnaround", "findings",
]  # fmt: skip


def test_json_sheets(client: Any, stays: dict[str, str]) -> None:  # noqa: F811
    body = client.get("/api/v1/reports/annual", params={"year": 2024}, headers=stays).json()
    assert body["year"] == 2024 and [sheet["key"] for sheet in body["sheets"]] == KEYS
    sheets = {sheet["key"]: sheet for sheet in body["sheets"]}
    assert sheets["care_types"]["rows"][-1] == ["Total", 4, 3]
    assert [row[:3] for row in sheets["top_ghm"]["rows"]] == [
        ["04M143", None, 1], ["04M144", None, 1], ["90Z00Z", None, 1],
    ]  # fmt: skip
    total = sheets["valuation_poles"]["rows"][-1]
    assert (total[0], total[2], total[3], total[8], total[9]) == ("Total", 3, 1, 14603.87, 0.0)
    months = [row[0] for row in sheets["turnaround"]["rows"] if row[1] == "Total"]
    assert len(months) == 12 and months[3] == "avr."


def test_xlsx_has_a_sheet_per_table_and_charts(client: Any, stays: dict[str, str], auth_headers: Any) -> None:  # noqa: F811
    response = client.get(
        "/api/v1/reports/annual", params={"year": 2024, "format": "xlsx"}, headers=auth_headers("reader")
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="rapport-annuel-2024.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert len(workbook.sheetnames) == 10
    assert workbook.sheetnames[:3] == ["Types de prise en charge", "RUM par pôle", "RUM par UM"]
    assert workbook["Valorisation pôles"]["A1"].value == "Valorisation et IP-DMS par pôle"
    charted = [name for name in workbook.sheetnames if workbook[name]._charts]
    # Every main sheet with rows has its chart (no séance in this year: no séances chart).
    assert charted == [
        "Types de prise en charge", "RUM par pôle", "Premiers GHM", "CMD", "Valorisation pôles",
        "Valorisation services", "Constats",
    ]  # fmt: skip
    assert (
        client.get(
            "/api/v1/reports/annual", params={"year": 2024}, headers=auth_headers("ingest")
        ).status_code
        == 403
    )


def test_turnaround_sheet_is_what_the_turnaround_endpoint_gives(
    client: Any,
    stays: dict[str, str],  # noqa: F811
) -> None:
    # The sheet must agree with GET /turnaround for each month (as of today, its default): read as
    # of 9 January of the next year, it saw none of the stays and reports stored since (a back-load,
    # December's RSS sent in mid-January), and showed them as absent.
    body = client.get("/api/v1/reports/annual", params={"year": 2024}, headers=stays).json()
    sheet = next(sheet for sheet in body["sheets"] if sheet["key"] == "turnaround")
    april = [row for row in sheet["rows"] if row[0] == "avr."]
    figures = client.get(
        "/api/v1/turnaround", params={"from": "2024-04-01", "to": "2024-04-30"}, headers=stays
    ).json()
    total = figures["total"]
    assert total["stays"] == 1
    assert april[-1] == [
        "avr.", "Total", None, total["stays"], total["on_time_j8"], total["late"], total["missing"],
        total["rate_j8"],
    ]  # fmt: skip
    assert [row[1:4] for row in april[:-1]] == [
        [row["group"], row["label"], row["stays"]] for row in figures["rows"]
    ]


def test_xlsx_writes_the_turnaround_rate_as_a_percentage(
    client: Any,
    stays: dict[str, str],  # noqa: F811
) -> None:
    # The direction's files show rates as percentages (README): the sheet showed 0.7638888888888888.
    response = client.get("/api/v1/reports/annual", params={"year": 2024, "format": "xlsx"}, headers=stays)
    sheet = load_workbook(io.BytesIO(response.content))["Délais CR"]
    assert sheet["H2"].value == "Taux ≤ 8 jours"
    rates = [row[7] for row in sheet.iter_rows(min_row=3) if row[7].value is not None]
    assert rates and {(cell.value, cell.number_format) for cell in rates} == {(0.0, "0.0%")}
