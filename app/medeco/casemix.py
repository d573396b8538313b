"""Case-mix by pôle, service, UM, GHM or CMD over a discharge period (docs/casemix.md).

The aggregates are SQL (app.medeco.repository.casemix); this module shapes them, adds the same
dates one year back on request, and renders the CSV/XLSX table.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.activity import labels
from app.activity.schemas import Period, Scope
from app.auth.schemas import Principal
from app.core.dates import check_order
from app.core.exports import Column, Table
from app.medeco import repository
from app.medeco.schemas import Casemix, CasemixFigures, CasemixGroup, NotValued
from app.reference import repository as reference_repository

_MONEY = (
    "valuation_base", "valuation_exb", "valuation_exh", "valuation_supplements", "valuation_total",
)  # fmt: skip
_AS_READ = ("stays", "seances", "days", "ipdms_stays", "below_low_bound", "above_high_bound", "exb_days",
            "exh_days", *_MONEY)  # fmt: skip


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    """The API's figures of an aggregate row: the repository already gives the counts as integers
    and days and euros rounded to the cent; the means and the IP-DMS are computed here."""
    figures = {name: row[name] for name in _AS_READ}
    stays = figures["stays"]
    reference = row["ipdms_reference"]
    expected = row["los_expected"]
    figures["los_mean"] = round(row["los_sum"] / stays, 4) if stays else None
    figures["los_expected"] = None if expected is None else round(expected, 4)
    figures["ipdms"] = round(row["ipdms_los"] / reference, 4) if reference else None
    return figures


_EMPTY = {
    "stays": 0, "seances": 0, "days": 0.0, "los_sum": 0, "los_expected": None, "ipdms_los": 0,
    "ipdms_reference": None, "ipdms_stays": 0, "below_low_bound": 0, "above_high_bound": 0, "exb_days": 0,
    "exh_days": 0, **dict.fromkeys(_MONEY, 0.0),
}  # fmt: skip


Dates = tuple[date, date]  # first and last discharge dates
# Periods already priced in this transaction (temporary tables), by (start, end): the annual report
# aggregates one year several ways and prices it once (when the stored figures cannot serve it).
Priced = dict[Dates, str]


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _split(start: date, end: date) -> tuple[list[date], list[date]]:
    """The whole months of [start, end] (first days) and its days outside them."""
    months: list[date] = []
    days: list[date] = []
    month = start.replace(day=1)
    while month <= end:
        last = _month_end(month)
        if start <= month and last <= end:
            months.append(month)
        else:
            first = max(start, month)
            days.extend(first + timedelta(days=n) for n in range((min(end, last) - first).days + 1))
        month = last + timedelta(days=1)
    return months, days


def _stored(
    session: Session, group_by: CasemixGroup, periods: list[Dates], units: list[str] | None
) -> list[tuple[list[dict[str, Any]], dict[str, int]]]:
    """The figures of each period from `casemix_figures` (one statement), each month of the periods
    computed first if it changed since it was stored (docs/casemix.md, "Performance")."""
    split = [_split(start, end) for start, end in periods]
    touched = sorted({month for months, _ in split for month in months} | {
        day.replace(day=1) for _, days in split for day in days
    })  # fmt: skip
    if repository.stale_months(session, months=touched):
        repository.lock_figures(session)
        stale = repository.stale_months(session, months=touched)  # another request may have done it
        if stale:
            starts = reference_repository.campaign_starts(session)
            months_due = [(month, _month_end(month), changes) for month, changes in sorted(stale.items())]
            repository.price_months(session, stale=months_due, campaign_starts=starts)
            repository.analyze_figures(session)
    return repository.stored_casemix(
        session, group_by=group_by.value, periods=[_stored_period(*parts) for parts in split], units=units
    )


def _stored_period(months: list[date], days: list[date]) -> repository.StoredPeriod:
    """A whole calendar year is read from its year rows (12 times fewer than its month rows)."""
    years = [month for month in months if month.month == 1 and _whole_year(month, months)]
    rest = [month for month in months if month.replace(month=1) not in years]
    return repository.StoredPeriod(years=years, months=rest, days=days)


def _whole_year(january: date, months: list[date]) -> bool:
    return all(january.replace(month=n) in months for n in range(2, 13))


Figures = tuple[dict[str, dict[str, Any]], dict[str, Any], NotValued]


def _periods(
    session: Session, group_by: CasemixGroup, periods: list[Dates], units: list[str] | None, priced: Priced
) -> list[Figures]:
    """(rows by key, total row, not valued) of each period."""
    if group_by in (CasemixGroup.GHM, CasemixGroup.CMD) and units is not None and len(units) != 1:
        # Stored per GHM for every UM or one: a stay through two of several UMs would count twice.
        results = []
        for start, end in periods:
            table = priced.get((start, end))
            if table is None:
                starts = reference_repository.campaign_starts(session)
                table = priced[(start, end)] = repository.price_stays(
                    session, start=start, end=end, campaign_starts=starts
                )
            results.append(repository.casemix(session, priced=table, group_by=group_by.value, units=units))
    else:
        results = _stored(session, group_by, periods, units)
    figures = []
    for rows, reasons in results:
        total = next((row for row in rows if row["is_total"]), _EMPTY)
        keyed = {str(row["key"]): row for row in rows if not row["is_total"]}
        figures.append((keyed, total, NotValued(stays=sum(reasons.values()), by_reason=reasons)))
    return figures


def _year_back(day: date) -> date:
    return (
        day.replace(year=day.year - 1)
        if not (day.month == 2 and day.day == 29)
        else date(day.year - 1, 2, 28)
    )


def casemix(
    session: Session,
    principal: Principal,
    *,
    group_by: CasemixGroup,
    start: date,
    end: date,
    compare: bool,
    priced: Priced | None = None,
) -> Casemix:
    check_order(start, end)
    priced = {} if priced is None else priced
    units = sorted(principal.units) if principal.units is not None else None
    before = (_year_back(start), _year_back(end))
    figures = _periods(
        session, group_by, [(start, end), before] if compare else [(start, end)], units, priced
    )
    rows, total, not_valued = figures[0]
    previous_rows: dict[str, dict[str, Any]] = {}
    previous_total: dict[str, Any] | None = None
    previous_not_valued = previous_period = None
    if compare:
        previous_rows, previous_total, previous_not_valued = figures[1]
        previous_period = Period(start=before[0], end=before[1])
    keys = sorted(rows) if not compare else sorted(set(rows) | set(previous_rows))
    # Validated as one document: a model built per row cost a third more (400 GHMs, N-1).
    return Casemix.model_validate({
        "period": Period(start=start, end=end), "previous_period": previous_period,
        "scope": Scope(units=units), "group_by": group_by,
        "rows": [
            {
                "key": key,
                "label": (rows.get(key) or previous_rows[key])["label"] or _builtin(group_by, key),
                **_figures(rows.get(key, _EMPTY)),
                "previous": _figures(previous_rows.get(key, _EMPTY)) if compare else None,
            }
            for key in keys
        ],
        "total": {
            **_figures(total),
            "previous": _figures(previous_total) if previous_total is not None else None,
        },
        "not_valued": not_valued, "previous_not_valued": previous_not_valued,
    })  # fmt: skip


def _builtin(group_by: CasemixGroup, key: str) -> str | None:
    """The built-in label of a CMD or CMD 28 GHM, as the activity tables show it, when the loaded
    nomenclature has none (app/activity/labels.py)."""
    if group_by == CasemixGroup.CMD:
        return labels.CMD_LABELS.get(key)
    if group_by == CasemixGroup.GHM:
        return labels.ghm_fallback_label(key)
    return None


_COLUMNS = (
    ("Séjours", "stays"), ("Séances", "seances"), ("Journées", "days"), ("DMS", "los_mean"),
    ("DMS nationale", "los_expected"), ("IP-DMS", "ipdms"), ("Séjours IP-DMS", "ipdms_stays"),
    ("Sous la borne basse", "below_low_bound"), ("Au-delà de la borne haute", "above_high_bound"),
    ("Journées EXB", "exb_days"), ("Journées EXH", "exh_days"), ("GHS (€)", "valuation_base"),
    ("EXB (€)", "valuation_exb"), ("EXH (€)", "valuation_exh"), ("Suppléments (€)", "valuation_supplements"),
    ("Total (€)", "valuation_total"),
)  # fmt: skip
_GROUP_TITLES = {"pole": "Pôle", "service": "Service", "unit": "UM", "ghm": "GHM", "cmd": "CMD"}


def casemix_table(result: Casemix) -> Table:
    """The rows with French headers; with compare, each figure also for the year before."""
    compare = result.previous_period is not None
    columns = [Column(_GROUP_TITLES[result.group_by.value], 10), Column("Libellé", 40)]
    for header, _ in _COLUMNS:
        columns.append(Column(header, 14))
        if compare:
            columns.append(Column(f"{header} N-1", 14))

    def cells(figures: CasemixFigures, previous: CasemixFigures | None) -> list[Any]:
        out: list[Any] = []
        for _, name in _COLUMNS:
            out.append(getattr(figures, name))
            if compare:
                out.append(getattr(previous, name) if previous is not None else None)
        return out

    period = f"{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}"
    return Table(
        title="Case-mix",
        filename=f"casemix-{result.group_by.value}-{period}",
        columns=columns,
        rows=[[row.key, row.label, *cells(row, row.previous)] for row in result.rows],
        totals=["Total", None, *cells(result.total, result.total.previous)],
    )
