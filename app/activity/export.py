"""Table exports shared by the activity endpoints and the other reports (CSV for Excel-FR, XLSX).

A report builds one `Table` (French headers, rows, an optional totals row) and hands it to
`render(table, fmt)`; JSON stays the endpoint's own response model.

* CSV: UTF-8 with a byte-order mark (Excel otherwise reads it as Windows-1252), `;` separator
  (Excel-FR uses `,` as its decimal mark), CRLF line ends, decimals with a comma, ISO dates.
* XLSX (openpyxl): one sheet, header row, data rows, bold totals row, frozen header.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from fastapi import Response

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM: Final = "\ufeff"

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


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


Cell = str | int | float | date | None


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: int = 12  # XLSX column width, in characters


@dataclass(slots=True)
class Table:
    title: str  # sheet name (cut to Excel's 31 characters)
    filename: str  # without extension; the caller names the period in it
    columns: Sequence[Column]
    rows: list[Sequence[Cell]] = field(default_factory=list)
    totals: Sequence[Cell] | None = None


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    if table.totals is not None:
        writer.writerow([_csv_cell(v) for v in table.totals])
    return buffer.getvalue().encode("utf-8")


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(table: Table) -> bytes:
    # Imported here: openpyxl is only needed by the export path, and it is slow to import.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _SHEET_FORBIDDEN.sub("-", table.title)[:31] or "Feuille1"
    bold = Font(bold=True)
    sheet.append([c.header for c in table.columns])
    for cell in sheet[1]:
        cell.font = bold
    for row in table.rows:
        sheet.append(list(row))
    if table.totals is not None:
        sheet.append(list(table.totals))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: ExportFormat) -> Response:
    """The CSV or XLSX download of `table` (JSON is the endpoint's own model, not handled here)."""
    if fmt is ExportFormat.CSV:
        body, media_type, extension = to_csv(table), CSV_MEDIA_TYPE, "csv"
    elif fmt is ExportFormat.XLSX:
        body, media_type, extension = to_xlsx(table), XLSX_MEDIA_TYPE, "xlsx"
    else:
        raise ValueError(f"render() does not produce {fmt.value}")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", table.filename) + "." + extension
    return Response(
        content=body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
