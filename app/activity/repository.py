"""Activity SQL: aggregates over the trigger-maintained day summaries and the current RHS.

Every aggregate is computed in PostgreSQL; callers only shape the rows. `units` arguments restrict
the counting to a token's UMs (None: every UM).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    func,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from app.activity.models import RssDay, RssMonth, RumDay, RumMonth
from app.ingestion.models import Rhs, RssVersion, Rum
from app.reference.models import CmdLabel, GhmLabel
from app.structure.models import Pole, Unit


@dataclass(frozen=True, slots=True)
class StructureRow:
    id: int
    code: str
    label: str
    pole: str | None
    pole_label: str | None
    valid_from: date
    valid_to: date | None  # inclusive; None = open


def structure_rows(session: Session) -> list[StructureRow]:
    """Every validity row of every UM, with its pôle label (a few hundred rows)."""
    query = (
        select(Unit.id, Unit.code, Unit.label, Unit.pole_code, Pole.label, Unit.valid_from, Unit.valid_to)
        .outerjoin(Pole, Pole.code == Unit.pole_code)
        .order_by(Unit.code, Unit.valid_from)
    )
    return [StructureRow(*row) for row in session.execute(query)]


def _unit_filter(column: Any, units: Sequence[str] | None) -> list[ColumnElement[bool]]:
    return [] if units is None else [column.in_(list(units))]


def split_months(start: date, end: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split [start, end] into its whole calendar months (first days of the first and the last one)
    and the day ranges left at its edges."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after_end = end + timedelta(days=1)
    last_end = end if after_end.day == 1 else end.replace(day=1) - timedelta(days=1)
    if first > last_end:
        return None, [(start, end)]
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if last_end < end:
        edges.append((last_end + timedelta(days=1), end))
    return (first, last_end.replace(day=1)), edges


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


_Row = TypeVarTuple("_Row")


def _rolled_up(
    name: str,
    start: date,
    end: date,
    *,
    month_rows: Select[*_Row],
    month: InstrumentedAttribute[date],
    day_rows: Select[*_Row],
    day: InstrumentedAttribute[date],
) -> Any:
    """Subquery `name` covering [start, end]: `month_rows` of its whole months (`month`: first day of
    the month), `day_rows` of the days left at its edges (`day`), the two with the same columns."""
    months, edges = split_months(start, end)
    parts = []
    if months is not None:
        parts.append(month_rows.where(month.between(*months)))
    if edges:
        parts.append(day_rows.where(or_(*(day.between(a, b) for a, b in edges))))
    return union_all(*parts).subquery(name)


def _rum_columns(table: type[RumMonth | RumDay]) -> tuple[Any, ...]:
    """(unit, care_type, n, lo, hi): the columns the month roll-up and the day table share."""
    return (
        table.unit,
        table.care_type,
        table.rum_count.label("n"),
        table.first_rum_exit.label("lo"),
        table.last_rum_exit.label("hi"),
    )


def _rum_source(start: date, end: date, units: Sequence[str] | None) -> Any:
    """Rows (unit, care_type, n, lo, hi) covering the RUM of the RSS discharged in [start, end]."""
    return _rolled_up(
        "rum",
        start,
        end,
        month_rows=select(*_rum_columns(RumMonth)).where(*_unit_filter(RumMonth.unit, units)),
        month=RumMonth.month,
        day_rows=select(*_rum_columns(RumDay)).where(*_unit_filter(RumDay.unit, units)),
        day=RumDay.rss_exit_date,
    )


def rum_unit_ranges(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> list[tuple[str, int, date | None, date | None]]:
    """(UM, RUM, bounds of their exit dates) of the RSS discharged in the period, per UM."""
    rum = _rum_source(start, end, units)
    query = select(rum.c.unit, func.sum(rum.c.n), func.min(rum.c.lo), func.max(rum.c.hi)).group_by(rum.c.unit)
    return [(unit, int(n), lo, hi) for unit, n, lo, hi in session.execute(query)]


def rum_month_ranges(
    session: Session, *, months: tuple[date, date], units: Sequence[str]
) -> list[tuple[date, str, int, date | None, date | None]]:
    """As rum_unit_ranges per month of discharge, for a few UMs (those whose structure changed)."""
    return _ranges(
        session,
        RumMonth,
        RumMonth.month,
        and_(RumMonth.month.between(*months), RumMonth.unit.in_(list(units))),
    )


def rum_day_ranges(
    session: Session, *, ranges: Sequence[tuple[str, date, date]]
) -> list[tuple[date, str, int, date | None, date | None]]:
    """As rum_unit_ranges per discharge day, for (UM, first day, last day) ranges."""
    if not ranges:
        return []
    day = RumDay.rss_exit_date
    return _ranges(
        session, RumDay, day, or_(*(and_(RumDay.unit == u, day.between(a, b)) for u, a, b in ranges))
    )


def _ranges(
    session: Session,
    table: type[RumMonth | RumDay],
    key: InstrumentedAttribute[date],
    condition: ColumnElement[bool],
) -> list[tuple[date, str, int, date | None, date | None]]:
    """(key, UM, RUM, bounds of their exit dates) of the `table` rows matching `condition`."""
    query = (
        select(
            key,
            table.unit,
            func.sum(table.rum_count),
            func.min(table.first_rum_exit),
            func.max(table.last_rum_exit),
        )
        .where(condition)
        .group_by(key, table.unit)
    )
    return [(at, unit, int(n), lo, hi) for at, unit, n, lo, hi in session.execute(query)]


def rum_exit_dates(session: Session, *, pairs: Sequence[tuple[date, str]]) -> list[tuple[str, date, int]]:
    """(UM, RUM exit date, RUM) of the current RSS discharged on the given (day, UM) pairs."""
    if not pairs:
        return []
    rum_date = func.coalesce(Rum.exit_date, Rum.rss_exit_date)
    query = (
        select(Rum.unit, rum_date, func.count())
        .join(RssVersion, RssVersion.id == Rum.rss_version_id)
        .where(RssVersion.is_current, tuple_(Rum.rss_exit_date, Rum.unit).in_(list(pairs)))
        .group_by(Rum.unit, rum_date)
    )
    return [(unit, day, int(n)) for unit, day, n in session.execute(query)]


def rum_by_care_type(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> dict[str, int]:
    return _by_care_type(session, _rum_source(start, end, units))


def _rss_columns(table: type[RssMonth | RssDay]) -> tuple[Any, ...]:
    """(care_type, ghm, n, seances): the columns the month roll-up and the day table share."""
    return (table.care_type, table.ghm, table.rss_count.label("n"), table.seances.label("seances"))


def _rss_source(start: date, end: date, units: Sequence[str] | None, *, seances_only: bool = False) -> Any:
    """Rows (care_type, ghm, n, seances) of the current RSS discharged in the period.

    Whole-hospital: month roll-up for the whole months, day table for the edges. Unit-restricted:
    the day table of the token's exit UMs.
    """
    day_filters: list[ColumnElement[bool]] = []
    month_filters: list[ColumnElement[bool]] = []
    if seances_only:
        day_filters.append(RssDay.care_type == "seance")
        month_filters.append(RssMonth.care_type == "seance")
    if units is not None:
        return (
            select(*_rss_columns(RssDay))
            .where(RssDay.exit_date.between(start, end), RssDay.exit_unit.in_(list(units)), *day_filters)
            .subquery("rss")
        )
    return _rolled_up(
        "rss",
        start,
        end,
        month_rows=select(*_rss_columns(RssMonth)).where(*month_filters),
        month=RssMonth.month,
        day_rows=select(*_rss_columns(RssDay)).where(*day_filters),
        day=RssDay.exit_date,
    )


def rss_by_care_type(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> dict[str, int]:
    return _by_care_type(session, _rss_source(start, end, units))


def _by_care_type(session: Session, source: Any) -> dict[str, int]:
    """Σ n per care type of a `_rum_source` or `_rss_source` subquery."""
    query = select(source.c.care_type, func.sum(source.c.n)).group_by(source.c.care_type)
    return {care_type: int(n) for care_type, n in session.execute(query)}


def seances_by_structure(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> list[tuple[str, int | None, int, int]]:
    """(exit UM, structure row valid on the discharge day or None, RSS-séances, séances)."""
    unit = aliased(Unit)
    valid = and_(
        unit.code == RssDay.exit_unit,
        unit.valid_from <= RssDay.exit_date,
        or_(unit.valid_to.is_(None), unit.valid_to >= RssDay.exit_date),
    )
    query = (
        select(RssDay.exit_unit, unit.id, func.sum(RssDay.rss_count), func.sum(RssDay.seances))
        .select_from(RssDay)
        .outerjoin(unit, valid)
        .where(
            RssDay.exit_date.between(start, end),
            RssDay.care_type == "seance",
            *_unit_filter(RssDay.exit_unit, units),
        )
        .group_by(RssDay.exit_unit, unit.id)
    )
    return [(code, sid, int(n), int(se)) for code, sid, n, se in session.execute(query)]


def seances_by_ghm(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> list[tuple[str, int, int]]:
    """(GHM or '' when not grouped, RSS-séances, séances), largest first."""
    rss = _rss_source(start, end, units, seances_only=True)
    total = func.sum(rss.c.n)
    query = (
        select(rss.c.ghm, total, func.sum(rss.c.seances))
        .group_by(rss.c.ghm)
        .having(total > 0)
        .order_by(total.desc(), rss.c.ghm)
    )
    return [(ghm, int(n), int(s)) for ghm, n, s in session.execute(query)]


def rss_by_ghm(
    session: Session, *, start: date, end: date, units: Sequence[str] | None, level: str
) -> list[tuple[str, int]]:
    """(GHM, or its CMD when level="cmd"; '' when not grouped, RSS), by code."""
    rss = _rss_source(start, end, units)
    key = func.substr(rss.c.ghm, 1, 2) if level == "cmd" else rss.c.ghm
    total = func.sum(rss.c.n)
    query = select(key, total).group_by(key).having(total > 0).order_by(key)
    return [(code, int(n)) for code, n in session.execute(query)]


def _labels(
    session: Session,
    code: InstrumentedAttribute[str],
    label: InstrumentedAttribute[str],
    year_column: InstrumentedAttribute[int],
    *,
    codes: Iterable[str],
    year: int,
) -> dict[str, str]:
    """Labels of a nomenclature loaded per year: the year's, else the closest earlier, else later."""
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    query = (
        select(code, label)
        .where(code.in_(wanted))
        .distinct(code)
        .order_by(code, (year_column <= year).desc(), year_column.desc())
    )
    return {str(key): str(text) for key, text in session.execute(query)}


def ghm_labels(session: Session, *, codes: Iterable[str], year: int) -> dict[str, str]:
    """Labels from the loaded GHM nomenclature (`_labels`)."""
    return _labels(session, GhmLabel.ghm, GhmLabel.label, GhmLabel.year, codes=codes, year=year)


def cmd_labels(session: Session, *, codes: Iterable[str], year: int) -> dict[str, str]:
    """Labels from the loaded CMD nomenclature (`_labels`)."""
    return _labels(session, CmdLabel.cmd, CmdLabel.label, CmdLabel.year, codes=codes, year=year)


def _rhs_filters(start: date, end: date, units: Sequence[str] | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [Rhs.week_date.between(start, end)]
    if units is not None:
        filters.append(Rhs.unit.in_(list(units)))
    return filters


def ssr_by_cm(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> list[tuple[str | None, int, int, int]]:
    """(CM, RHS, days of presence, distinct stays) of the RHS whose week date is in the period."""
    query = (
        select(
            Rhs.cm,
            func.count(),
            func.coalesce(func.sum(Rhs.days_present), 0),
            func.count(Rhs.ssr_stay_number.distinct()),
        )
        .where(Rhs.is_current, *_rhs_filters(start, end, units))
        .group_by(Rhs.cm)
        .order_by(Rhs.cm.nulls_last())
    )
    return [(cm, int(w), int(d), int(s)) for cm, w, d, s in session.execute(query)]


def ssr_totals(
    session: Session, *, start: date, end: date, units: Sequence[str] | None
) -> tuple[int, int, int]:
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Rhs.days_present), 0),
            func.count(Rhs.ssr_stay_number.distinct()),
        ).where(Rhs.is_current, *_rhs_filters(start, end, units))
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
