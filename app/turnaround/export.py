"""The layout of the weekly turnaround report in CSV and XLSX.

The writing is `app.core.exports`' (CSV `;`, UTF-8 with BOM, decimal comma; every text cell
neutralised against formula injection; tables with formats and frozen headers). What is laid out
here is the deliverable's own: a title above the table, real percentages (fractions in a `0.0%`
format, so Excel can still compute with them) and the late and missing stays after the summary
(a second sheet in XLSX).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from app.core.clock import HOSPITAL_TZ
from app.core.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    Column,
    File,
    Table,
    append_row,
    bold,
    new_workbook,
    to_csv,
    workbook_bytes,
    write_table,
)
from app.core.schemas import StayDetail
from app.turnaround.classify import TurnaroundSummary
from app.turnaround.schemas import UNMAPPED, Attribution, WeeklyReport, WeeklyStay, percent

Summaries = Sequence[tuple[str, str | None, TurnaroundSummary]]

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
    Column("Taux J0", 10, "0.0%"),
    Column("Taux J8", 10, "0.0%"),
    Column("Délai médian", 13, "0.0"),
    Column("Délai p90", 11),
)
# The stay a line of a patient-level detail names (`StayDetail`), as every report's detail shows it.
STAY_COLUMNS: Final = (Column("N° de séjour", 16), Column("Service", 16), Column("UM", 8))
DETAIL_COLUMNS: Final = (
    Column("Statut", 12),
    *STAY_COLUMNS,
    Column("Date de sortie", 14, "DD/MM/YYYY"),
    Column("Jours écoulés", 14),
)
STORED_LATE_COLUMNS: Final = (
    *STAY_COLUMNS,
    Column("Document", 20),
    Column("Canal", 8),
    Column("Envoyé le", 18, "DD/MM/YYYY HH:MM"),
    Column("Enregistré le", 18, "DD/MM/YYYY HH:MM"),
    Column("Décalage (h)", 12),
)
CHANNEL_LABELS: Final = {"hl7v2": "HL7 v2", "fhir": "FHIR", "json": "JSON", "file": "Fichier"}
STATUS_LABELS: Final = {"late": "En retard", "missing": "Manquant"}


def service_label(service: str, label: str | None) -> str:
    if service == UNMAPPED:
        return UNMAPPED_LABEL
    return label or service


def stay_cells(stay: StayDetail) -> list[Cell]:
    """The cells of `STAY_COLUMNS`."""
    return [stay.stay_number, stay.service, stay.unit]


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
            *stay_cells(document),
            document.document_id,
            CHANNEL_LABELS.get(document.channel, document.channel),
            document.sent_at.astimezone(HOSPITAL_TZ).replace(tzinfo=None),
            document.stored_at.astimezone(HOSPITAL_TZ).replace(tzinfo=None),
            round(document.lag_hours, 1),
        ]
        for document in report.detail.stored_late
    ]


def _detail_row(status: str, stay: WeeklyStay) -> list[Cell]:
    return [STATUS_LABELS[status], *stay_cells(stay), stay.discharge_date, stay.days_elapsed]


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


def _summary(
    report: WeeklyReport, summaries: Summaries, total: TurnaroundSummary, *, as_percent: bool
) -> Table:
    return Table(
        title=f"Semaine {report.week}{_note(report)}",
        filename=_filename(report),
        columns=_columns(report),
        rows=[
            _line(service_label(s, label), summary, as_percent=as_percent) for s, label, summary in summaries
        ],
        totals=_line("Total", total, as_percent=as_percent),
    )


def _detail(report: WeeklyReport) -> Table:
    return Table(title="Détail", filename="", columns=DETAIL_COLUMNS, rows=_detail_rows(report))


def _stored_late(report: WeeklyReport) -> Table:
    return Table(
        title="Transmission", filename="", columns=STORED_LATE_COLUMNS, rows=_stored_late_rows(report)
    )


def weekly_csv(report: WeeklyReport, summaries: Summaries, total: TurnaroundSummary) -> File:
    body = to_csv(_summary(report, summaries, total, as_percent=True))
    if report.detail is not None:
        # One file: the detail follows the summary after an empty line, without a second BOM.
        body += b"\r\n" + to_csv(_detail(report), bom=False)
        if report.detail.stored_late:  # a third table only when a transmission went wrong
            body += b"\r\n" + to_csv(_stored_late(report), bom=False)
    return File(body, CSV_MEDIA_TYPE, f"{_filename(report)}.csv")


def weekly_xlsx(report: WeeklyReport, summaries: Summaries, total: TurnaroundSummary) -> File:
    workbook = new_workbook()
    sheet = workbook.active
    sheet.title = f"Semaine {report.week}"
    append_row(sheet, [TITLE.format(week=report.week) + _note(report)], font=bold(14))
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
    write_table(sheet, _summary(report, summaries, total, as_percent=False), frozen_columns=1)
    if report.detail is not None:
        write_table(workbook.create_sheet("Détail"), _detail(report))
        if report.detail.stored_late:
            write_table(workbook.create_sheet("Transmission tardive"), _stored_late(report))
    return File(workbook_bytes(workbook), XLSX_MEDIA_TYPE, f"{_filename(report)}.xlsx")
