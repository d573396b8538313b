"""The shared table exports (CSV for Excel-FR, XLSX) and the period split of the RSS summaries."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.activity.export import Column, ExportFormat, Table, render, to_csv, to_xlsx
from app.activity.repository import month_end, split_months

TABLE = Table(
    title="Délais: CR / séjours?",
    filename="délais 2024",
    columns=[Column("Service"), Column("Taux"), Column("Date"), Column("Séjours")],
    rows=[["Cardio; USIC", 0.875, date(2024, 1, 8), 12], ["Pneumo", None, None, 3]],
    totals=["Total", 0.9, None, 15],
)


def test_csv_bytes() -> None:
    assert (
        to_csv(TABLE)
        == (
            "\ufeffService;Taux;Date;Séjours\r\n"
            '"Cardio; USIC";0,875;2024-01-08;12\r\n'
            "Pneumo;;;3\r\n"
            "Total;0,9;;15\r\n"
        ).encode()
    )


def test_xlsx_sheet() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(TABLE))).active
    assert sheet.title == "Délais- CR - séjours-"
    rows = [tuple(c.value for c in r) for r in sheet.iter_rows()]
    assert rows[0] == ("Service", "Taux", "Date", "Séjours")
    assert rows[-1] == ("Total", 0.9, None, 15)
    assert sheet["A1"].font.bold and sheet["A4"].font.bold and not sheet["A2"].font.bold
    assert sheet.freeze_panes == "A2"


def test_render_names_the_download() -> None:
    response = render(TABLE, ExportFormat.CSV)
    assert response.headers["content-disposition"] == 'attachment; filename="d_lais_2024.csv"'
    with pytest.raises(ValueError):
        render(TABLE, ExportFormat.JSON)


@pytest.mark.parametrize(
    ("start", "end", "months", "edges"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), (date(2024, 1, 1), date(2024, 12, 1)), []),
        (
            date(2024, 1, 15),
            date(2024, 3, 10),
            (date(2024, 2, 1), date(2024, 2, 1)),
            [(date(2024, 1, 15), date(2024, 1, 31)), (date(2024, 3, 1), date(2024, 3, 10))],
        ),
        (date(2024, 2, 3), date(2024, 2, 27), None, [(date(2024, 2, 3), date(2024, 2, 27))]),
        (date(2024, 2, 1), date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 1)), []),
        (
            date(2023, 12, 31),
            date(2024, 1, 31),
            (date(2024, 1, 1), date(2024, 1, 1)),
            [(date(2023, 12, 31), date(2023, 12, 31))],
        ),
    ],
)
def test_whole_months_and_edges(
    start: date, end: date, months: tuple[date, date] | None, edges: list[tuple[date, date]]
) -> None:
    assert split_months(start, end) == (months, edges)


def test_month_end() -> None:
    assert [month_end(date(2024, m, 1)).day for m in (1, 2, 4, 12)] == [31, 29, 30, 31]
