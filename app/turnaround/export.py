"""CSV and XLSX renderings of the weekly turnaround report.

Both go through the shared `app.core.exports` helpers (CSV `;`, UTF-8 with BOM, decimal comma;
every text cell neutralised against formula injection). The spreadsheet is laid out here because
the deliverable needs what the shared table writer does not do: a title above the table, real
percentages (fractions in a `0.0%` format, so Excel can still compute with them) and a second
sheet for the late and missing stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fastapi import Response

from app.core.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    Column,
    Table,
    append_row,
    download,
    set_widths,
    to_csv,
    workbook_bytes,
)
from app.turnaround.classify import TurnaroundSummary
from app.turnaround.events import HOSPITAL_TZ
from app.turnaround.schemas import UNMAPPED, Attribution, WeeklyReport, WeeklyStay, percent

TITLE: Final = "Délai de réception des comptes rendus — semaine {week}"
UNMAPPED_LABEL: Final = "Non rattaché"
COLUMNS: Final = (
    Column("Service", 34),
    Column("Séjours", 10),
    Column("CR à J0", 10),
    Column("CR ≤ J8", 10),
    Column("En retard", 11),
    Column("Manquants", 11),
    Column("En attente", 11),
    Column("Taux J0", 10),
    Column("Taux J8", 10),
    Column("Délai médian", 13),
    Column("Délai p90", 11),
)
DETAIL_COLUMNS: Final = (
    Column("Statut", 12),
    Column("N° de séjour", 16),
    Column("Service", 16),
    Column("UM", 8),
    Column("Date de sortie", 14),
    Column("Jours écoulés", 14),
)
STORED_LATE_COLUMNS: Final = (
    Column("N° de séjour", 16),
    Column("Service", 16),
    Column("UM", 8),
    Column("Document", 20),
    Column("Canal", 8),
    Column("Envoyé le", 18),
    Column("Enregistré le", 18),
    Column("Décalage (h)", 12),
)
CHANNEL_LABELS: Final = {"hl7v2": "HL7 v2", "fhir": "FHIR", "json": "JSON", "file": "Fichier"}
STATUS_LABELS: Final = {"late": "En retard", "missing": "Manquant"}
_RATE_COLUMNS: Final = (8, 9)  # 1-based columns holding rates (percent format)


def service_label(service: str, label: str | None) -> str:
    if service == UNMAPPED:
        return UNMAPPED_LABEL
    return label or service


def _line(name: str, summary: TurnaroundSummary, *, as_percent: bool) -> list[Cell]:
    def rate(value: float | None) -> float | None:
        return percent(value) if as_percent else value

    return [
        name,
        summary["stays"],
        summary["on_time_j0"],
        summary["on_time_j8"],
        summary["late"],
        summary["missing"],
        summary["pending"],
        rate(summary["rate_j0"]),
        rate(summary["rate_j8"]),
        summary["median_delay_days"],
        summary["p90_delay_days"],
    ]


def _detail_rows(report: WeeklyReport) -> list[Sequence[Cell]]:
    if report.detail is None:
        return []
    rows: list[Sequence[Cell]] = []
    for status, stays in (("late", report.detail.late), ("missing", report.detail.missing)):
        rows.extend(_detail_row(status, stay) for stay in stays)
    return rows


def _stored_late_rows(report: WeeklyReport) -> list[Sequence[Cell]]:
    """Report events stored more than a day after their sender's time, in hospital time (an
    XLSX cell holds no time zone)."""
    if report.detail is None:
        return []
    return [
        [
            document.stay_number,
            document.service,
            document.unit,
            document.document_id,
            CHANNEL_LABELS.get(document.channel, document.channel),
            document.sent_at.astimezone(HOSPITAL_TZ).replace(tzinfo=None),
            document.stored_at.astimezone(HOSPITAL_TZ).replace(tzinfo=None),
            round(document.lag_hours, 1),
        ]
        for document in report.detail.stored_late
    ]


def _detail_row(status: str, stay: WeeklyStay) -> list[Cell]:
    return [
        STATUS_LABELS[status],
        stay.stay_number,
        stay.service,
        stay.unit,
        stay.discharge_date,
        stay.days_elapsed,
    ]


def _filename(report: WeeklyReport) -> str:
    suffix = "-admission" if report.attribution is Attribution.ADMISSION else ""
    return f"delai-cr-{report.week}{suffix}"


# Said in the titles and the first header only when the request chose the admission: the default
# files stay as the direction knows them.
_ADMISSION_NOTE: Final = " (service d'admission)"


def _note(report: WeeklyReport) -> str:
    return _ADMISSION_NOTE if report.attribution is Attribution.ADMISSION else ""


def _columns(report: WeeklyReport) -> tuple[Column, ...]:
    if report.attribution is Attribution.ADMISSION:
        return (Column("Service d'admission", COLUMNS[0].width), *COLUMNS[1:])
    return COLUMNS


def weekly_csv(
    report: WeeklyReport,
    summaries: Sequence[tuple[str, str | None, TurnaroundSummary]],
    total: TurnaroundSummary,
) -> Response:
    table = Table(
        title=f"Semaine {report.week}{_note(report)}",
        filename=_filename(report),
        columns=_columns(report),
        rows=[_line(service_label(s, label), summary, as_percent=True) for s, label, summary in summaries],
        totals=_line("Total", total, as_percent=True),
    )
    body = to_csv(table)
    if report.detail is not None:
        detail = Table(title="Détail", filename="", columns=DETAIL_COLUMNS, rows=_detail_rows(report))
        # One file: the detail follows the summary after an empty line, without a second BOM.
        body += b"\r\n" + to_csv(detail, bom=False)
        if report.detail.stored_late:  # a third table only when a transmission went wrong
            stored_late = Table(
                title="Transmission", filename="", columns=STORED_LATE_COLUMNS, rows=_stored_late_rows(report)
            )
            body += b"\r\n" + to_csv(stored_late, bom=False)
    return download(body, CSV_MEDIA_TYPE, f"{_filename(report)}.csv")


def weekly_xlsx(
    report: WeeklyReport,
    summaries: Sequence[tuple[str, str | None, TurnaroundSummary]],
    total: TurnaroundSummary,
) -> Response:
    # Imported here: openpyxl is slow to import and only the export path needs it.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Semaine {report.week}"
    bold = Font(bold=True)
    append_row(sheet, [TITLE.format(week=report.week) + _note(report)], font=Font(bold=True, size=14))
    append_row(
        sheet,
        [
            f"Sorties du {report.date_from:%d/%m/%Y} au {report.date_to:%d/%m/%Y}, "
            f"situation au {report.as_of:%d/%m/%Y}. Taux calculés sur les séjours dont le délai "
            "de 8 jours est écoulé (en attente exclus)."
            + (
                " Séjours attribués au service de leur UM d'admission."
                if report.attribution is Attribution.ADMISSION
                else ""
            )
        ],
    )
    sheet.append([])
    header_row = append_row(sheet, [column.header for column in _columns(report)], font=bold)
    for service, label, summary in summaries:
        append_row(sheet, _line(service_label(service, label), summary, as_percent=False))
    append_row(sheet, _line("Total", total, as_percent=False), font=bold)
    for row in sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row):
        for index in _RATE_COLUMNS:
            row[index - 1].number_format = "0.0%"
        row[9].number_format = "0.0"
    set_widths(sheet, COLUMNS)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)

    if report.detail is not None:
        detail = workbook.create_sheet("Détail")
        append_row(detail, [column.header for column in DETAIL_COLUMNS], font=bold)
        for values in _detail_rows(report):
            append_row(detail, values)
        for row in detail.iter_rows(min_row=2, min_col=5, max_col=5):
            row[0].number_format = "DD/MM/YYYY"
        set_widths(detail, DETAIL_COLUMNS)
        detail.freeze_panes = "A2"
        if report.detail.stored_late:
            stored_late = workbook.create_sheet("Transmission tardive")
            append_row(stored_late, [column.header for column in STORED_LATE_COLUMNS], font=bold)
            for values in _stored_late_rows(report):
                append_row(stored_late, values)
            for row in stored_late.iter_rows(min_row=2, min_col=6, max_col=7):
                for cell in row:
                    cell.number_format = "DD/MM/YYYY HH:MM"
            set_widths(stored_late, STORED_LATE_COLUMNS)
            stored_late.freeze_panes = "A2"

    return download(workbook_bytes(workbook), XLSX_MEDIA_TYPE, f"{_filename(report)}.xlsx")
