"""The annual medico-economic report (tender §6.3): one call, every table of the year, one workbook.

Each sheet is a table built from the services that already compute it (activity, case-mix,
turnaround, findings): the report adds no figure of its own, so it always agrees with the endpoints
a DIM can query one by one. Main sheets carry a native Excel bar chart (openpyxl).
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.activity import service as activity_service
from app.auth.schemas import Principal
from app.core.exports import Cell, sheet_title
from app.medeco import casemix as casemix_service
from app.medeco.schemas import AnnualReport, AnnualSheet, CasemixGroup, CasemixRow, CasemixTotal
from app.rules import service as rules_service
from app.turnaround import reports as turnaround_reports
from app.turnaround.schemas import GroupBy

TOP_GHM = 30
# Sheet names (Excel cuts them at 31 characters); the full French title is in cell A1.
SHEET_NAMES = {
    "care_types": "Types de prise en charge", "poles": "RUM par pôle", "units": "RUM par UM",
    "seances": "Séances", "top_ghm": "Premiers GHM", "cmd": "CMD", "valuation_poles": "Valorisation pôles",
    "valuation_services": "Valorisation services", "turnaround": "Délais CR", "findings": "Constats",
}  # fmt: skip
# Rates (fractions in JSON) shown as percentages in the workbook, as in every file for the direction.
PERCENT_COLUMNS = frozenset({"Taux ≤ 8 jours"})
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def _valuation_sheet(
    session: Session,
    principal: Principal,
    key: str,
    title: str,
    group: CasemixGroup,
    period: tuple[date, date],
    priced: casemix_service.Priced,
) -> AnnualSheet:
    start, end = period
    result = casemix_service.casemix(
        session, principal, group_by=group, start=start, end=end, compare=True, priced=priced
    )
    rows: list[list[Cell]] = []
    figures: list[CasemixRow | CasemixTotal] = [*result.rows, result.total]
    for row in figures:
        previous = row.previous
        rows.append(
            [
                getattr(row, "key", "Total"),
                getattr(row, "label", None),
                row.stays,
                previous.stays if previous else None,
                row.days,
                row.los_mean,
                row.ipdms,
                previous.ipdms if previous else None,
                row.valuation_total,
                previous.valuation_total if previous else None,
            ]
        )
    return AnnualSheet(
        key=key,
        title=title,
        columns=[
            "Code",
            "Libellé",
            "Séjours",
            "Séjours N-1",
            "Journées",
            "DMS",
            "IP-DMS",
            "IP-DMS N-1",
            "Valorisation (€)",
            "Valorisation N-1 (€)",
        ],
        rows=rows,
        chart="Valorisation N et N-1 (€)",
        chart_columns=[9, 10],
    )


def annual_report(session: Session, principal: Principal, *, year: int) -> AnnualReport:
    start, end = date(year, 1, 1), date(year, 12, 31)
    priced: casemix_service.Priced = {}  # each year priced once, aggregated six ways
    sheets: list[AnnualSheet] = []
    care = activity_service.care_types_activity(session, principal, start=start, end=end)
    sheets.append(
        AnnualSheet(
            key="care_types",
            title="Activité par type de prise en charge",
            columns=["Type", "RUM", "RSS"],
            rows=[[r.label, r.rum, r.rss] for r in care.rows] + [["Total", care.total.rum, care.total.rss]],
            chart="RSS par type de prise en charge",
            chart_columns=[3],
        )
    )
    units = activity_service.units_activity(session, principal, start=start, end=end)
    sheets.append(
        AnnualSheet(
            key="poles",
            title="RUM par pôle",
            columns=["Pôle", "Libellé", "RUM"],
            rows=[[p.pole, p.label, p.rum] for p in units.poles],
            chart="RUM par pôle",
            chart_columns=[3],
        )
    )
    sheets.append(
        AnnualSheet(
            key="units",
            title="RUM par UM",
            columns=["Pôle", "UM", "Libellé", "RUM"],
            rows=[[p.pole, u.unit, u.label, u.rum] for p in units.poles for u in p.units],
        )
    )
    seances = activity_service.seances_activity(session, principal, start=start, end=end, by="ghm")
    sheets.append(
        AnnualSheet(
            key="seances",
            title="Séances par GHM",
            columns=["GHM", "Libellé", "RSS", "Séances"],
            rows=[[r.key, r.label, r.rss, r.seances] for r in seances.rows],
            chart="Séances par GHM",
            chart_columns=[4],
        )
    )
    by_ghm = casemix_service.casemix(
        session, principal, group_by=CasemixGroup.GHM, start=start, end=end, compare=False, priced=priced
    )
    top = sorted(by_ghm.rows, key=lambda r: (-r.stays, r.key))[:TOP_GHM]
    sheets.append(
        AnnualSheet(
            key="top_ghm",
            title=f"Case-mix : {TOP_GHM} premiers GHM",
            columns=["GHM", "Libellé", "Séjours", "DMS", "DMS nationale", "IP-DMS", "Valorisation (€)"],
            rows=[
                [r.key, r.label, r.stays, r.los_mean, r.los_expected, r.ipdms, r.valuation_total] for r in top
            ],
            chart="Séjours des premiers GHM",
            chart_columns=[3],
        )
    )
    by_cmd = casemix_service.casemix(
        session, principal, group_by=CasemixGroup.CMD, start=start, end=end, compare=False, priced=priced
    )
    sheets.append(
        AnnualSheet(
            key="cmd",
            title="Case-mix par CMD",
            columns=["CMD", "Libellé", "Séjours", "Journées", "Valorisation (€)"],
            rows=[[r.key, r.label, r.stays, r.days, r.valuation_total] for r in by_cmd.rows],
            chart="Séjours par CMD",
            chart_columns=[3],
        )
    )
    sheets.append(
        _valuation_sheet(
            session,
            principal,
            "valuation_poles",
            "Valorisation et IP-DMS par pôle",
            CasemixGroup.POLE,
            (start, end),
            priced,
        )
    )
    sheets.append(
        _valuation_sheet(
            session,
            principal,
            "valuation_services",
            "Valorisation et IP-DMS par service",
            CasemixGroup.SERVICE,
            (start, end),
            priced,
        )
    )
    sheets.append(_turnaround_sheet(session, principal, year))
    summary = rules_service.summarise(session, principal, date_from=start, date_to=end)
    by_rule: dict[str, list[int]] = {}
    for item in summary:
        counts = by_rule.setdefault(item.rule, [0, 0, 0, 0])
        for index, value in enumerate((item.open, item.acknowledged, item.dismissed, item.findings)):
            counts[index] += value
    sheets.append(
        AnnualSheet(
            key="findings",
            title="Constats de codage par règle",
            columns=["Règle", "Ouverts", "Pris en compte", "Écartés", "Constats"],
            rows=[[rule, *counts] for rule, counts in sorted(by_rule.items())],
            chart="Constats par règle",
            chart_columns=[5],
        )
    )
    return AnnualReport(
        year=year, scope_units=sorted(principal.units) if principal.units else None, sheets=sheets
    )


def _turnaround_sheet(session: Session, principal: Principal, year: int) -> AnnualSheet:
    """Report turnaround per month of discharge and service: stays, on time within 8 days, rate."""
    rows: list[list[Cell]] = []
    for month in range(1, 13):
        result = turnaround_reports.turnaround(
            session,
            principal,
            # As of today, as GET /turnaround answers by default: as_of is dimqa's knowledge clock,
            # so a fixed day after the year would hide every report, movement and RSS stored since
            # (December's RSS sent in January, a back-load of the year) and count them as absent.
            turnaround_reports.PeriodScope(date(year, month, 1), _month_end(year, month), as_of=None),
            group_by=GroupBy.SERVICE,
        )
        for row in result.rows:
            rows.append(
                [
                    MONTHS[month - 1],
                    row.group,
                    row.label,
                    row.stays,
                    row.on_time_j8,
                    row.late,
                    row.missing,
                    row.rate_j8,
                ]
            )
        total = result.total
        rows.append(
            [
                MONTHS[month - 1],
                "Total",
                None,
                total.stays,
                total.on_time_j8,
                total.late,
                total.missing,
                total.rate_j8,
            ]
        )
    return AnnualSheet(
        key="turnaround",
        title="Délais des comptes rendus par mois et service",
        columns=[
            "Mois",
            "Service",
            "Libellé",
            "Séjours",
            "CR ≤ 8 jours",
            "CR en retard",
            "CR manquants",
            "Taux ≤ 8 jours",
        ],
        rows=rows,
    )


def to_xlsx(report: AnnualReport) -> bytes:
    """One sheet per table, French titles, a native bar chart on the main ones."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    from app.core.exports import append_row

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    bold = Font(bold=True)
    for item in report.sheets:
        sheet = workbook.create_sheet(sheet_title(SHEET_NAMES.get(item.key, item.title)))
        sheet.append([item.title])
        sheet["A1"].font = Font(bold=True, size=13)
        append_row(sheet, item.columns, font=bold)
        percent = [index for index, column in enumerate(item.columns, start=1) if column in PERCENT_COLUMNS]
        for row in item.rows:
            number = append_row(sheet, row)
            for index in percent:
                sheet.cell(row=number, column=index).number_format = "0.0%"
        for index, _ in enumerate(item.columns, start=1):
            sheet.column_dimensions[sheet.cell(row=2, column=index).column_letter].width = (
                16 if index > 1 else 24
            )
        last = len(item.rows) + 2
        if item.chart and item.rows:
            chart = BarChart()
            chart.title = item.chart
            chart.height, chart.width = 9, 18
            for column in item.chart_columns:
                chart.add_data(
                    Reference(sheet, min_col=column, min_row=2, max_row=last), titles_from_data=True
                )
            chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=last))
            sheet.add_chart(chart, f"{sheet.cell(row=1, column=len(item.columns) + 2).column_letter}2")
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
