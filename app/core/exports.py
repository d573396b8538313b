"""Spreadsheet downloads shared by every domain: CSV for Excel-FR and XLSX, safe to open.

A report builds one `Table` (French headers, rows, an optional totals row) and hands it to
`render(table, fmt)`; JSON stays the endpoint's own response model. A file laid out differently
(the weekly turnaround deliverable: title rows, a second sheet) builds its `File` with
`to_csv`, `append_row` and `write_table`, and the router answers it with `download`.

* CSV: UTF-8 with a byte-order mark (Excel otherwise reads it as Windows-1252), `;` separator
  (Excel-FR uses `,` as its decimal mark), CRLF line ends, decimals with a comma, ISO dates; a field
  is quoted when it holds the separator, a double quote or a line break (RFC 4180).
* XLSX (openpyxl): one sheet, header row, data rows, bold totals row, frozen header.

Formula injection (OWASP "CSV injection"): stay numbers, UM codes, labels, coded values and review
comments come from the hospital's systems and users, and a spreadsheet runs a cell that starts
with `=`, `+`, `-` or `@` (or a tab or CR before one) as a formula. Every text cell goes through
`neutralise`, which puts a single quote before such a value, in both formats; XLSX text cells are
also written with the string type, never left to openpyxl's guess (it makes any text starting with
`=` a formula). Numbers stay numbers: only values typed `int`/`float` are numeric cells, so a
negative count is `-3`, while the text "-3" is written `'-3`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from fastapi import Response
from pydantic import BaseModel

from app.core.problems import problem_responses

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM: Final = "\ufeff"

# First characters that make a spreadsheet evaluate a cell (OWASP CSV injection; NUL from ASVS 1.2.10).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r", "\0")

# OpenAPI `responses=` entry for an endpoint that also answers in CSV and XLSX.
EXPORT_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "JSON by default; `format=csv` (`;`, UTF-8 with BOM) or `format=xlsx`",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}

# `responses=` of a report endpoint that also downloads: the formats above, and its 400/422 problems.
EXPORT_READ_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **EXPORT_RESPONSES,
    **problem_responses(400, 422),
}


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


# What a cell may hold: text (neutralised), a number (numeric cell), a date, or nothing.
Cell = str | int | float | date | None


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: int = 12  # XLSX column width, in characters
    number_format: str | None = None  # XLSX format of its data and totals cells ("0.0%")


@dataclass(slots=True)
class Table:
    title: str  # sheet name (cut to Excel's 31 characters)
    filename: str  # without extension; the caller names the period in it
    columns: Sequence[Column]
    rows: list[Sequence[Cell]] = field(default_factory=list)
    totals: Sequence[Cell] | None = None


@dataclass(frozen=True, slots=True)
class File:
    """A rendered export, before it becomes an HTTP download."""

    body: bytes
    media_type: str
    filename: str


def neutralise(text: str) -> str:
    """`text` as a spreadsheet shows it and never evaluates: a single quote before a formula trigger."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


# --- CSV -----------------------------------------------------------------------------------------


def csv_field(value: Cell) -> str:
    """The text of one CSV field before quoting."""
    if value is None:
        return ""
    if isinstance(value, bool):  # an int subclass, but no spreadsheet number
        return neutralise(str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(value)


def csv_rows(rows: Iterable[Sequence[Cell]], *, bom: bool = True) -> bytes:
    """Rows (the header row included) as the bytes of a CSV file."""
    buffer = io.StringIO()
    if bom:
        buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([csv_field(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _table_rows(table: Table) -> Iterable[Sequence[Cell]]:
    yield [column.header for column in table.columns]
    yield from table.rows
    if table.totals is not None:
        yield table.totals


def to_csv(table: Table, *, bom: bool = True) -> bytes:
    return csv_rows(_table_rows(table), bom=bom)


# --- XLSX ----------------------------------------------------------------------------------------

# Characters an XLSX file cannot hold (openpyxl refuses them): shown as U+FFFD rather than a 500.
_XLSX_ILLEGAL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# XML turns a bare CR into a line feed on reading: written as one, what is read back is what was sent.
_CR: Final = re.compile(r"\r\n?")
_SHEET_FORBIDDEN: Final = re.compile(r"[\[\]:*?/\\]")


def sheet_title(title: str) -> str:
    """A valid sheet name: no `[]:*?/\\`, at most Excel's 31 characters."""
    return _SHEET_FORBIDDEN.sub("-", title)[:31] or "Feuille1"


def xlsx_cell(sheet: Any, value: Cell) -> Any:
    """One openpyxl cell of `sheet` holding `value`, its type set explicitly (text is type "s")."""
    from openpyxl.cell.cell import Cell as XlsxCell

    cell = XlsxCell(sheet)
    if isinstance(value, str | bool):
        cell.value = _XLSX_ILLEGAL.sub("\ufffd", _CR.sub("\n", neutralise(str(value))))
        # Set after the value: openpyxl would have typed a leading "=" as a formula, "#N/A" as an error.
        cell.data_type = "s"
    else:
        cell.value = value  # numbers: "n"; dates: "d" with a date format; None: empty
    return cell


def append_row(sheet: Any, values: Sequence[Cell], *, font: Any = None) -> int:
    """Append `values` as the next row of `sheet`; returns the row's number."""
    cells = [xlsx_cell(sheet, value) for value in values]
    sheet.append(cells)
    if font is not None:
        for cell in cells:
            cell.font = font
    row: int = sheet.max_row
    return row


def set_widths(sheet: Any, columns: Sequence[Column]) -> None:
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width


def workbook_bytes(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bold(size: int | None = None) -> Any:
    from openpyxl.styles import Font

    return Font(bold=True) if size is None else Font(bold=True, size=size)


def write_table(sheet: Any, table: Table, *, frozen_columns: int = 0) -> int:
    """Append `table` to `sheet` (bold header and totals rows, the columns' number formats and
    widths), freeze the panes below its header (and right of `frozen_columns`); returns the
    header's row number."""
    header = bold()
    header_row = append_row(sheet, [c.header for c in table.columns], font=header)
    for row in table.rows:
        append_row(sheet, row)
    if table.totals is not None:
        append_row(sheet, table.totals, font=header)
    for index, column in enumerate(table.columns):
        if column.number_format is not None:
            for (cell,) in sheet.iter_rows(
                min_row=header_row + 1, max_row=sheet.max_row, min_col=index + 1, max_col=index + 1
            ):
                cell.number_format = column.number_format
    set_widths(sheet, table.columns)
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = f"{get_column_letter(frozen_columns + 1)}{header_row + 1}"
    return header_row


def new_workbook() -> Any:
    # Imported here: openpyxl is only needed by the export path, and it is slow to import.
    from openpyxl import Workbook

    return Workbook()


def to_xlsx(table: Table) -> bytes:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.title)
    write_table(sheet, table)
    return workbook_bytes(workbook)


# --- Responses -----------------------------------------------------------------------------------


def download(file: File, *, headers: Mapping[str, str] | None = None) -> Response:
    """`file` as an attachment named `file.filename` (reduced to `[A-Za-z0-9._-]`)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", file.filename)
    return Response(
        content=file.body,
        media_type=file.media_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"', **(headers or {})},
    )


def export_file(table: Table, fmt: ExportFormat) -> File:
    """`table` as a CSV or XLSX file (JSON is the endpoint's own model, not handled here)."""
    if fmt is ExportFormat.CSV:
        return File(to_csv(table), CSV_MEDIA_TYPE, f"{table.filename}.csv")
    if fmt is ExportFormat.XLSX:
        return File(to_xlsx(table), XLSX_MEDIA_TYPE, f"{table.filename}.xlsx")
    raise ValueError(f"render() does not produce {fmt.value}")


def render(table: Table, fmt: ExportFormat) -> Response:
    """The CSV or XLSX download of `table`."""
    return download(export_file(table, fmt))


def json_response(model: BaseModel) -> Response:
    """The JSON FastAPI would write for the endpoint's `response_model` (same serializer, aliases).

    Returned as a model, it would be validated again against the response model first, and for a
    sync route in a thread of its own (another hand-off to the threadpool and back per request).
    """
    return Response(model.model_dump_json(by_alias=True), media_type="application/json")
