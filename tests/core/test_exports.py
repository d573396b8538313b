"""The shared spreadsheet exports (app.core.exports): CSV for Excel-FR, XLSX, formula injection."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.core.exports import (
    Column,
    ExportFormat,
    Table,
    csv_rows,
    neutralise,
    render,
    to_csv,
    to_xlsx,
    xlsx_cell,
)

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


# --------------------------------------------------------------------------- formula injection

# One value per formula trigger (OWASP CSV injection: = + - @ tab CR; NUL from ASVS 1.2.10).
DANGEROUS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1+2", "\r=1+2", "\x00=1+2"]
INJECTED = Table(
    title="Injection",
    filename="injection",
    columns=[Column("=Valeur"), Column("Nombre")],
    rows=[[value, -index] for index, value in enumerate(DANGEROUS, start=1)]
    + [["-3", -3.5], ["#N/A", None], ['a;b"c', 0], ["safe '=1", 7]],
)


def test_neutralise_quotes_every_formula_trigger_and_nothing_else() -> None:
    assert [neutralise(value) for value in DANGEROUS] == ["'" + value for value in DANGEROUS]
    assert [neutralise(value) for value in ("", "1+2", " =1", "'=1", "A=1", "#N/A")] == [
        "",
        "1+2",
        " =1",
        "'=1",
        "A=1",
        "#N/A",
    ]


def test_csv_neutralises_text_and_keeps_numbers() -> None:
    assert (
        to_csv(INJECTED)
        == (
            "\ufeff'=Valeur;Nombre\r\n"
            "'=1+2;-1\r\n"
            "'+1+2;-2\r\n"
            "'-1+2;-3\r\n"
            "'@SUM(A1);-4\r\n"
            "'\t=1+2;-5\r\n"
            '"\'\r=1+2";-6\r\n'
            "'\x00=1+2;-7\r\n"
            "'-3;-3,5\r\n"
            "#N/A;\r\n"
            '"a;b""c";0\r\n'
            "safe '=1;7\r\n"
        ).encode()
    )


def test_xlsx_writes_text_as_strings_and_numbers_as_numbers() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(INJECTED))).active
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]
    assert cells == [
        [("'=Valeur", "s"), ("Nombre", "s")],
        [("'=1+2", "s"), (-1, "n")],
        [("'+1+2", "s"), (-2, "n")],
        [("'-1+2", "s"), (-3, "n")],
        [("'@SUM(A1)", "s"), (-4, "n")],
        [("'\t=1+2", "s"), (-5, "n")],
        [("'\n=1+2", "s"), (-6, "n")],  # XML holds no bare CR: written as the line break it reads as
        [("'\ufffd=1+2", "s"), (-7, "n")],  # nor a NUL
        [("'-3", "s"), (-3.5, "n")],
        [("#N/A", "s"), (None, "n")],  # text, not the error openpyxl would have made of it
        [('a;b"c', "s"), (0, "n")],
        [("safe '=1", "s"), (7, "n")],
    ]


def test_xlsx_cell_types_are_explicit() -> None:
    from openpyxl import Workbook

    sheet = Workbook().active
    assert [
        (cell.value, cell.data_type)
        for cell in (xlsx_cell(sheet, v) for v in ("=A1", 12, -1.5, date(2024, 1, 8), None))
    ] == [("'=A1", "s"), (12, "n"), (-1.5, "n"), (date(2024, 1, 8), "d"), (None, "n")]


def test_csv_rows_without_bom() -> None:
    assert csv_rows([["=x", 1]], bom=False) == b"'=x;1\r\n"
