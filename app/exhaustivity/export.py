"""CSV and XLSX renderings of the exhaustivity, transmission and quarterly review reports.

Through the shared `app.core.exports` helpers (CSV `;`, UTF-8 with BOM, decimal comma; every text
cell neutralised against formula injection). Rates are fractions in JSON; the CSV shows them as
percentages rounded to 0.1, the XLSX as true percentages (`0.0%`). The quarterly workbook is laid
out here: French titles above its tables, and native openpyxl charts (the direction reads the
bars in Excel, no image).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from app.core.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Cell,
    Column,
    ExportFormat,
    File,
    Table,
    append_row,
    export_file,
    set_widths,
    to_csv,
    workbook_bytes,
)
from app.exhaustivity.schemas import (
    ExhaustivityCounts,
    ExhaustivityRead,
    MonthFigures,
    QuarterlyRead,
    QuarterlyService,
    TransmissionCounts,
    TransmissionRead,
)
from app.turnaround.export import CHANNEL_LABELS, STAY_COLUMNS, service_label, stay_cells
from app.turnaround.schemas import GroupBy, percent

GROUP_HEADERS: Final = {GroupBy.SERVICE: "Service", GroupBy.POLE: "Pôle", GroupBy.UNIT: "UM"}


def _rate(value: float | None, fmt: ExportFormat) -> float | None:
    return percent(value) if fmt is ExportFormat.CSV else value


def _hours(value: float | None) -> float | None:
    """A lag in hours to the tenth, as the files show it (the API keeps the exact value): the
    direction read 35430.30502842389."""
    return None if value is None else round(value, 1)


# --- Exhaustivity ---------------------------------------------------------------------------------

EXHAUSTIVITY_COLUMNS: Final = (
    Column("Séjours", 10),
    Column("Codés", 10),
    Column("Non codés", 11),
    Column("Non codés > 30 j", 15),
    Column("Délai de codage médian", 14),
    Column("Délai de codage p90", 14),
    Column("Exhaustivité", 12),
)
NOT_CODED_COLUMNS: Final = (*STAY_COLUMNS, Column("Date de sortie", 14), Column("Jours depuis la sortie", 14))


def _exhaustivity_line(name: str, counts: ExhaustivityCounts, fmt: ExportFormat) -> list[Cell]:
    return [
        name,
        counts.stays,
        counts.coded,
        counts.not_coded,
        counts.not_coded_over_30_days,
        counts.coding_delay_median_days,
        counts.coding_delay_p90_days,
        _rate(counts.rate_coded, fmt),
    ]


def exhaustivity_file(report: ExhaustivityRead, fmt: ExportFormat) -> File:
    """The exhaustivity table (and with `detail`, the stays not coded after it)."""
    filename = f"exhaustivite-{report.date_from}-{report.date_to}"
    table = Table(
        title="Exhaustivité",
        filename=filename,
        columns=(Column(GROUP_HEADERS[report.group_by], 34), *EXHAUSTIVITY_COLUMNS),
        rows=[_exhaustivity_line(service_label(row.group, row.label), row, fmt) for row in report.rows],
        totals=_exhaustivity_line("Total", report.total, fmt),
    )
    if report.detail is None:
        return _with_rate_format(table, fmt, rate_columns=(8,))
    detail_rows: list[Sequence[Cell]] = [
        [*stay_cells(stay), stay.discharge_date, stay.days_since_discharge] for stay in report.detail
    ]
    if fmt is ExportFormat.CSV:
        detail = Table(title="Non codés", filename="", columns=NOT_CODED_COLUMNS, rows=detail_rows)
        body = to_csv(table) + b"\r\n" + to_csv(detail, bom=False)
        return File(body, CSV_MEDIA_TYPE, f"{filename}.csv")
    workbook = _workbook_of(table, rate_columns=(8,))
    sheet = workbook.create_sheet("Séjours non codés")
    _table(sheet, NOT_CODED_COLUMNS, detail_rows)
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        row[0].number_format = "DD/MM/YYYY"
    return File(workbook_bytes(workbook), XLSX_MEDIA_TYPE, f"{filename}.xlsx")


# --- Transmission ---------------------------------------------------------------------------------

TRANSMISSION_COLUMNS: Final = (
    Column("Canal", 10),
    Column("Service", 30),
    Column("Documents", 11),
    Column("Stockés > 1 j après", 14),
    Column("Décalage médian (h)", 14),
    Column("Décalage p90 (h)", 14),
)


def _transmission_line(channel: str, service: str, counts: TransmissionCounts) -> list[Cell]:
    return [
        channel,
        service,
        counts.documents,
        counts.stored_late,
        _hours(counts.lag_median_hours),
        _hours(counts.lag_p90_hours),
    ]


def transmission_file(report: TransmissionRead, fmt: ExportFormat) -> File:
    rows: list[Sequence[Cell]] = [
        _transmission_line(CHANNEL_LABELS[row.channel], service_label(row.service, row.label), row)
        for row in report.rows
    ]
    rows += [
        _transmission_line(CHANNEL_LABELS[channel], "Tous", counts)
        for channel, counts in report.channels.items()
    ]
    table = Table(
        title=f"Transmission {report.days} j",
        filename=f"transmission-cr-{report.as_of}-{report.days}j",
        columns=TRANSMISSION_COLUMNS,
        rows=rows,
        totals=_transmission_line("Total", "", report.total),
    )
    return export_file(table, fmt)


# --- Shared XLSX helpers --------------------------------------------------------------------------


def _table(sheet: Any, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *, font: Any = None) -> int:
    """Header and rows at the end of `sheet`; returns the header's row number."""
    from openpyxl.styles import Font

    header = append_row(sheet, [column.header for column in columns], font=Font(bold=True))
    for values in rows:
        append_row(sheet, values, font=font)
    set_widths(sheet, columns)
    return header


def _workbook_of(table: Table, *, rate_columns: Sequence[int]) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.core.exports import sheet_title

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(table.title)
    _table(sheet, table.columns, table.rows)
    if table.totals is not None:
        append_row(sheet, table.totals, font=Font(bold=True))
    _percent(sheet, 2, rate_columns)
    sheet.freeze_panes = "A2"
    return workbook


def _percent(sheet: Any, first_row: int, columns: Sequence[int]) -> None:
    for row in sheet.iter_rows(min_row=first_row, max_row=sheet.max_row):
        for index in columns:
            row[index - 1].number_format = "0.0%"


def _with_rate_format(table: Table, fmt: ExportFormat, *, rate_columns: Sequence[int]) -> File:
    if fmt is ExportFormat.CSV:
        return export_file(table, fmt)
    workbook = _workbook_of(table, rate_columns=rate_columns)
    return File(workbook_bytes(workbook), XLSX_MEDIA_TYPE, f"{table.filename}.xlsx")


# --- Quarterly review -----------------------------------------------------------------------------

QUARTERLY_TITLE: Final = "Revue trimestrielle {quarter} — comptes rendus, exhaustivité, transmission"
FIGURE_COLUMNS: Final = (
    Column("Séjours", 10),
    Column("CR ≤ J8", 10),
    Column("En retard", 10),
    Column("Manquants", 11),
    Column("Taux J8", 10),
    Column("Délai médian", 12),
    Column("Exhaustivité", 12),
    Column("Non codés", 11),
    Column("Documents", 11),
    *(Column(label, 9) for label in CHANNEL_LABELS.values()),
    Column("Décalage médian (h)", 14),
    Column("Décalage p90 (h)", 14),
)


def _figures(figures: MonthFigures, fmt: ExportFormat) -> list[Cell]:
    return [
        figures.stays,
        figures.reports_within_8_days,
        figures.late,
        figures.missing,
        _rate(figures.rate_j8, fmt),
        figures.median_delay_days,
        _rate(figures.rate_coded, fmt),
        figures.not_coded,
        figures.documents,
        *(figures.channel_mix.get(channel, 0) for channel in CHANNEL_LABELS),
        _hours(figures.lag_median_hours),
        _hours(figures.lag_p90_hours),
    ]


def _service_line(name: str, s: QuarterlyService, fmt: ExportFormat) -> list[Cell]:
    return [
        name,
        *_figures(s.quarter, fmt),
        _rate(s.previous_quarter.rate_j8, fmt),
        _rate(s.on_time_change, fmt),
        _rate(s.previous_quarter.rate_coded, fmt),
    ]


def _summary_rows(report: QuarterlyRead, fmt: ExportFormat) -> list[Sequence[Cell]]:
    return [_service_line(service_label(s.service, s.label), s, fmt) for s in report.services]


def _summary_columns(report: QuarterlyRead) -> tuple[Column, ...]:
    return (
        Column("Service", 30),
        *FIGURE_COLUMNS,
        Column(f"Taux J8 {report.previous_quarter}", 12),
        Column("Évolution J8", 12),
        Column(f"Exhaustivité {report.previous_quarter}", 14),
    )


def _total_row(report: QuarterlyRead, fmt: ExportFormat) -> list[Cell]:
    return _service_line("Total", report.hospital, fmt)


MONTH_COLUMNS: Final = (Column("Service", 30), Column("Mois", 9), *FIGURE_COLUMNS)
FALL_COLUMNS: Final = (
    Column("Service", 30),
    Column("Taux J8 avant", 13),
    Column("Taux J8", 10),
    Column("Évolution", 11),
)


def _month_rows(report: QuarterlyRead, fmt: ExportFormat) -> list[Sequence[Cell]]:
    return [
        [service_label(s.service, s.label), month.month, *_figures(month.figures, fmt)]
        for s in report.services
        for month in s.months
    ]


def _fall_rows(report: QuarterlyRead, fmt: ExportFormat) -> list[Sequence[Cell]]:
    by_code = {s.service: s for s in report.services}
    return [
        [
            service_label(code, by_code[code].label),
            _rate(by_code[code].previous_quarter.rate_j8, fmt),
            _rate(by_code[code].quarter.rate_j8, fmt),
            _rate(by_code[code].on_time_change, fmt),
        ]
        for code in report.largest_falls
    ]


def quarterly_file(report: QuarterlyRead, fmt: ExportFormat) -> File:
    filename = f"revue-trimestrielle-{report.quarter}"
    if fmt is ExportFormat.CSV:
        summary = Table(
            title=f"Trimestre {report.quarter}",
            filename=filename,
            columns=_summary_columns(report),
            rows=_summary_rows(report, fmt),
            totals=_total_row(report, fmt),
        )
        per_month = Table(title="Par mois", filename="", columns=MONTH_COLUMNS, rows=_month_rows(report, fmt))
        falls = Table(title="Baisses", filename="", columns=FALL_COLUMNS, rows=_fall_rows(report, fmt))
        body = b"\r\n".join([to_csv(summary), to_csv(per_month, bom=False), to_csv(falls, bom=False)])
        return File(body, CSV_MEDIA_TYPE, f"{filename}.csv")
    return File(_quarterly_workbook(report), XLSX_MEDIA_TYPE, f"{filename}.xlsx")


def _place(sheet: Any, anchor: str, chart: Any, categories: Any, *series: Any) -> None:
    """`chart` of `series` (each titled by its first cell) over `categories`, at `anchor` of `sheet`."""
    for data in series:
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    sheet.add_chart(chart, anchor)


def _quarterly_workbook(report: QuarterlyRead) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font

    fmt = ExportFormat.XLSX
    bold = Font(bold=True)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Synthèse {report.quarter}"
    append_row(sheet, [QUARTERLY_TITLE.format(quarter=report.quarter)], font=Font(bold=True, size=14))
    append_row(
        sheet,
        [
            f"Sorties du {report.date_from:%d/%m/%Y} au {report.date_to:%d/%m/%Y}, situation au "
            f"{report.as_of:%d/%m/%Y}; comparaison avec le trimestre {report.previous_quarter}. "
            "Taux J8 sur les séjours dont le délai de 8 jours est écoulé; exhaustivité = séjours "
            "codés (RSS reçu) / séjours sortis; décalage = enregistrement par dimqa − heure donnée "
            "par l'émetteur."
        ],
    )
    sheet.append([])
    columns = _summary_columns(report)
    header = _table(sheet, columns, _summary_rows(report, fmt))
    append_row(sheet, _total_row(report, fmt), font=bold)
    _percent(sheet, header + 1, (6, 8, 17, 18, 19))
    sheet.freeze_panes = sheet.cell(row=header + 1, column=2)
    last_service = header + len(report.services)
    if report.services:
        chart = BarChart()
        chart.type = "bar"
        chart.title = f"Taux de CR reçus sous 8 jours : {report.previous_quarter} et {report.quarter}"
        chart.y_axis.title = "Taux J8"
        chart.y_axis.number_format = "0%"
        chart.height, chart.width = 4 + 0.6 * len(report.services), 18
        names = Reference(sheet, min_col=1, min_row=header + 1, max_row=last_service)
        # The previous quarter first, so the current bar sits on top.
        series = [
            Reference(sheet, min_col=column, min_row=header, max_row=last_service) for column in (17, 6)
        ]
        _place(sheet, f"A{last_service + 4}", chart, names, *series)

    months = workbook.create_sheet("Par mois")
    append_row(months, [f"Par service et par mois — {report.quarter}"], font=Font(bold=True, size=14))
    header = _table(months, MONTH_COLUMNS, _month_rows(report, fmt))
    _percent(months, header + 1, (7, 9))
    months.freeze_panes = months.cell(row=header + 1, column=3)

    hospital = workbook.create_sheet("Établissement")
    append_row(hospital, [f"Établissement par mois — {report.quarter}"], font=Font(bold=True, size=14))
    month_labels = [month.month for month in report.hospital.months]
    header = _table(
        hospital,
        (Column("Mois", 9), Column("Séjours", 10), Column("Taux J8", 10), Column("Exhaustivité", 12),
         *(Column(label, 9) for label in CHANNEL_LABELS.values())),
        [
            [month.month, month.figures.stays, month.figures.rate_j8, month.figures.rate_coded,
             *(month.figures.channel_mix.get(channel, 0) for channel in CHANNEL_LABELS)]
            for month in report.hospital.months
        ],
    )  # fmt: skip
    _percent(hospital, header + 1, (3, 4))
    if month_labels:
        last = header + len(month_labels)
        categories = Reference(hospital, min_col=1, min_row=header + 1, max_row=last)
        rates = LineChart()
        rates.title = "Taux J8 et exhaustivité du codage par mois"
        rates.y_axis.number_format = "0%"
        rates_series = Reference(hospital, min_col=3, max_col=4, min_row=header, max_row=last)
        _place(hospital, f"A{last + 3}", rates, categories, rates_series)
        mix = BarChart()
        mix.type = "col"
        mix.grouping = "stacked"
        mix.overlap = 100
        mix.title = "Canal de transmission des comptes rendus"
        mix.y_axis.title = "Documents"
        _place(
            hospital,
            f"J{last + 3}",
            mix,
            categories,
            Reference(hospital, min_col=5, max_col=8, min_row=header, max_row=last),
        )

    falls = workbook.create_sheet("Plus fortes baisses")
    append_row(
        falls,
        [f"Services dont le taux J8 a le plus baissé depuis {report.previous_quarter}"],
        font=Font(bold=True, size=14),
    )
    header = _table(falls, FALL_COLUMNS, _fall_rows(report, fmt))
    _percent(falls, header + 1, (2, 3, 4))
    return workbook_bytes(workbook)
