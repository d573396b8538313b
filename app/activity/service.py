"""Activity breakdowns (MCO from the RUM/RSS summaries, SSR from the stored RHS).

Counting rules (docs/activity.md): an RSS belongs to the period of its discharge date and its RUM
follow it; a RUM's UM maps to the structure row valid on the RUM's exit date; a UM unknown to the
structure is reported under the "unmapped" pôle. For a unit-restricted token, RUM are counted when
their UM is one of its units and RSS when their exit UM (the UM of the last RUM) is. An RHS belongs
to the period containing the Monday of its week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy.orm import Session

from app.activity import labels, repository
from app.activity.schemas import (
    CareTypeRow,
    CareTypesActivity,
    GhmActivity,
    GhmRow,
    Period,
    PoleRum,
    RssTotal,
    RumRss,
    RumTotal,
    Scope,
    SeanceRow,
    SeancesActivity,
    SeanceTotal,
    SsrCmActivity,
    SsrCmRow,
    SsrCmTotal,
    UnitRum,
    UnitsActivity,
)
from app.auth.schemas import Principal
from app.core.dates import check_order
from app.core.exports import Column, Table

_BOM = b"\xef\xbb\xbf"


def _context(principal: Principal, start: date, end: date) -> tuple[Period, Scope]:
    check_order(start, end)
    scope = Scope(units=sorted(principal.units) if principal.units is not None else None)
    return Period(start=start, end=end), scope


# --- Structure-shaped results -------------------------------------------------------------------


class _Straddle:
    """A group of RUM whose exit dates span a change of structure of their UM."""


STRADDLE = _Straddle()


class StructureIndex:
    """The validity rows of each UM, to attribute an aggregated group to the row valid on its dates."""

    def __init__(self, rows: Iterable[repository.StructureRow]) -> None:
        self.by_code: dict[str, list[repository.StructureRow]] = {}
        self.by_id: dict[int, repository.StructureRow] = {}
        for row in rows:
            self.by_code.setdefault(row.code, []).append(row)
            self.by_id[row.id] = row

    def resolve(
        self, code: str, lo: date | None, hi: date | None
    ) -> repository.StructureRow | _Straddle | None:
        """The row valid over all of [lo, hi]; None when no row overlaps it (UM unknown on those
        dates); STRADDLE when several do."""
        if lo is None or hi is None:
            return None
        overlapping = [
            row
            for row in self.by_code.get(code, ())
            if row.valid_from <= hi and (row.valid_to is None or row.valid_to >= lo)
        ]
        if not overlapping:
            return None
        if len(overlapping) == 1 and overlapping[0].valid_from <= lo:
            row = overlapping[0]
            if row.valid_to is None or row.valid_to >= hi:
                return row
        # Covered only partly (a gap in the UM's history) counts as a straddle too: the exact
        # recount then puts the RUM of the gap under "unmapped".
        return STRADDLE


@dataclass(slots=True)
class _UnitAcc:
    label: str | None = None
    valid_from: date | None = None
    count: int = 0
    seances: int = 0


@dataclass(slots=True)
class _PoleAcc:
    label: str
    units: dict[str, _UnitAcc] = field(default_factory=dict)


class _ByPole:
    """Counts grouped by pôle then UM; a renamed UM keeps its latest label of the period."""

    def __init__(self) -> None:
        self.poles: dict[str, _PoleAcc] = {}

    def add(self, code: str, row: repository.StructureRow | None, count: int, seances: int = 0) -> None:
        if row is None:
            key, pole_label = labels.UNMAPPED_POLE, labels.UNMAPPED_POLE_LABEL
        elif row.pole is None:
            key, pole_label = labels.NO_POLE, labels.NO_POLE_LABEL
        else:
            key, pole_label = row.pole, row.pole_label or row.pole
        pole = self.poles.setdefault(key, _PoleAcc(pole_label))
        unit = pole.units.setdefault(code, _UnitAcc())
        unit.count += count
        unit.seances += seances
        if row is not None and (unit.valid_from is None or row.valid_from > unit.valid_from):
            unit.valid_from, unit.label = row.valid_from, row.label

    def sorted(self) -> list[tuple[str, _PoleAcc]]:
        last = {labels.NO_POLE: 1, labels.UNMAPPED_POLE: 2}
        items = [(k, p) for k, p in self.poles.items() if any(u.count for u in p.units.values())]
        return sorted(items, key=lambda item: (last.get(item[0], 0), item[0]))


def _rum_by_pole(session: Session, principal: Principal, start: date, end: date) -> _ByPole:
    """RUM per structure row valid on each RUM's exit date.

    Summary groups carry bounds of their RUM exit dates. A UM whose RUM of the period lie inside one
    of its validity rows is attributed whole (almost every UM). For a UM whose structure changed
    within the bounds, months then days are resolved one by one, and only the days straddling the
    change are recounted RUM by RUM.
    """
    index = StructureIndex(repository.structure_rows(session))
    result = _ByPole()
    straddling: list[str] = []
    for code, count, lo, hi in repository.rum_unit_ranges(
        session, start=start, end=end, units=principal.units
    ):
        row = index.resolve(code, lo, hi)
        if isinstance(row, _Straddle):
            straddling.append(code)
        else:
            result.add(code, row, count)
    if not straddling:
        return result
    months, edges = repository.split_months(start, end)
    day_ranges = [(code, a, b) for code in straddling for a, b in edges]
    if months is not None:
        for month, code, count, lo, hi in repository.rum_month_ranges(
            session, months=months, units=straddling
        ):
            row = index.resolve(code, lo, hi)
            if isinstance(row, _Straddle):
                day_ranges.append((code, month, repository.month_end(month)))
            else:
                result.add(code, row, count)
    pairs: list[tuple[date, str]] = []
    for day, code, count, lo, hi in repository.rum_day_ranges(session, ranges=day_ranges):
        row = index.resolve(code, lo, hi)
        if isinstance(row, _Straddle):
            pairs.append((day, code))
        else:
            result.add(code, row, count)
    for code, rum_exit, count in repository.rum_exit_dates(session, pairs=pairs):
        row = index.resolve(code, rum_exit, rum_exit)
        result.add(code, None if isinstance(row, _Straddle) else row, count)
    return result


def units_activity(session: Session, principal: Principal, *, start: date, end: date) -> UnitsActivity:
    period, scope = _context(principal, start, end)
    poles = [
        PoleRum(
            pole=key,
            label=pole.label,
            rum=sum(u.count for u in pole.units.values()),
            units=[
                UnitRum(unit=code, label=u.label, rum=u.count)
                for code, u in sorted(pole.units.items())
                if u.count
            ],
        )
        for key, pole in _rum_by_pole(session, principal, start, end).sorted()
    ]
    return UnitsActivity(
        period=period, scope=scope, poles=poles, total=RumTotal(rum=sum(p.rum for p in poles))
    )


def care_types_activity(
    session: Session, principal: Principal, *, start: date, end: date
) -> CareTypesActivity:
    period, scope = _context(principal, start, end)
    rum = repository.rum_by_care_type(session, start=start, end=end, units=principal.units)
    rss = repository.rss_by_care_type(session, start=start, end=end, units=principal.units)
    rows = [
        CareTypeRow(care_type=care_type, label=label, rum=rum.get(care_type, 0), rss=rss.get(care_type, 0))  # type: ignore[arg-type]
        for care_type, label in labels.CARE_TYPE_LABELS.items()
    ]
    total = RumRss(rum=sum(r.rum for r in rows), rss=sum(r.rss for r in rows))
    return CareTypesActivity(period=period, scope=scope, rows=rows, total=total)


def _ghm_label(ghm: str, loaded: dict[str, str]) -> str | None:
    return loaded.get(ghm) or labels.ghm_fallback_label(ghm)


def seances_activity(
    session: Session, principal: Principal, *, start: date, end: date, by: str
) -> SeancesActivity:
    period, scope = _context(principal, start, end)
    rows: list[SeanceRow] = []
    if by == "unit":
        index = StructureIndex(repository.structure_rows(session))
        by_pole = _ByPole()
        for code, structure_id, rss, seances in repository.seances_by_structure(
            session, start=start, end=end, units=principal.units
        ):
            by_pole.add(code, index.by_id.get(structure_id) if structure_id else None, rss, seances)
        for key, pole in by_pole.sorted():
            for code, unit in sorted(pole.units.items()):
                if not unit.count:
                    continue
                rows.append(
                    SeanceRow(
                        key=code,
                        label=unit.label,
                        pole=key,
                        pole_label=pole.label,
                        rss=unit.count,
                        seances=unit.seances,
                    )
                )
    else:
        by_ghm = repository.seances_by_ghm(session, start=start, end=end, units=principal.units)
        loaded = repository.ghm_labels(session, codes=[g for g, _, _ in by_ghm], year=end.year)
        for ghm, rss, seances in by_ghm:
            label = _ghm_label(ghm, loaded) if ghm else labels.NO_GHM_LABEL
            rows.append(SeanceRow(key=ghm or None, label=label, rss=rss, seances=seances))
        # Largest first; séances without GHM after the GHMs with as many RSS.
        rows.sort(key=lambda r: (-r.rss, r.key is None, r.key or ""))
    total = SeanceTotal(rss=sum(r.rss for r in rows), seances=sum(r.seances for r in rows))
    return SeancesActivity(period=period, scope=scope, by=by, rows=rows, total=total)  # type: ignore[arg-type]


def ghm_activity(
    session: Session, principal: Principal, *, start: date, end: date, level: str
) -> GhmActivity:
    period, scope = _context(principal, start, end)
    counts = repository.rss_by_ghm(session, start=start, end=end, units=principal.units, level=level)
    codes = [code for code, _ in counts]
    rows: list[GhmRow] = []
    if level == "cmd":
        loaded = repository.cmd_labels(session, codes=codes, year=end.year)
        for cmd, rss in counts:
            cmd_label = (loaded.get(cmd) or labels.cmd_label(cmd)) if cmd else labels.NO_GHM_LABEL
            rows.append(GhmRow(key=cmd or None, label=cmd_label, rss=rss))
    else:
        loaded = repository.ghm_labels(session, codes=codes, year=end.year)
        for ghm, rss in counts:
            label = _ghm_label(ghm, loaded) if ghm else labels.NO_GHM_LABEL
            rows.append(GhmRow(key=ghm or None, label=label, rss=rss))
    # Ungrouped RSS last, after the codes.
    rows.sort(key=lambda r: (r.key is None, r.key or ""))
    return GhmActivity(
        period=period,
        scope=scope,
        level=level,
        rows=rows,
        total=RssTotal(rss=sum(r.rss for r in rows)),
    )


def ssr_cm_activity(session: Session, principal: Principal, *, start: date, end: date) -> SsrCmActivity:
    period, scope = _context(principal, start, end)
    counts = repository.ssr_by_cm(session, start=start, end=end, units=principal.units)
    rows = [
        SsrCmRow(cm=cm, label=labels.ssr_cm_label(cm), weeks=weeks, days=days, stays=stays)
        for cm, weeks, days, stays in counts
    ]
    weeks, days, stays = repository.ssr_totals(session, start=start, end=end, units=principal.units)
    return SsrCmActivity(
        period=period, scope=scope, rows=rows, total=SsrCmTotal(weeks=weeks, days=days, stays=stays)
    )


# --- Export tables (French headers, as the DIM's tables) ----------------------------------------


# The pôle and UM of a structure-shaped row (RUM per UM, séances per UM), first columns of its table.
UNIT_COLUMNS: Final = (
    Column("Pôle", 10),
    Column("Libellé du pôle", 30),
    Column("UM", 8),
    Column("Libellé de l'UM", 40),
)


def _filename(name: str, period: Period) -> str:
    return f"{name}_{period.start.isoformat()}_{period.end.isoformat()}"


def units_table(result: UnitsActivity) -> Table:
    rows: list[list[Any]] = [
        [pole.pole, pole.label, unit.unit, unit.label, unit.rum]
        for pole in result.poles
        for unit in pole.units
    ]
    return Table(
        title="RUM par pôle et UM",
        filename=_filename("activite-rum-par-um", result.period),
        columns=[*UNIT_COLUMNS, Column("RUM", 10)],
        rows=rows,  # type: ignore[arg-type]
        totals=["Total", None, None, None, result.total.rum],
    )


def care_types_table(result: CareTypesActivity) -> Table:
    return Table(
        title="Types de prise en charge",
        filename=_filename("activite-types-de-prise-en-charge", result.period),
        columns=[Column("Type de prise en charge", 40), Column("RUM", 10), Column("RSS", 10)],
        rows=[[r.label, r.rum, r.rss] for r in result.rows],
        totals=["Total", result.total.rum, result.total.rss],
    )


def seances_table(result: SeancesActivity) -> Table:
    if result.by == "unit":
        columns = [*UNIT_COLUMNS, Column("RSS-séances", 12), Column("Séances", 10)]
        rows: list[list[Any]] = [
            [r.pole, r.pole_label, r.key, r.label, r.rss, r.seances] for r in result.rows
        ]
        totals: list[Any] = ["Total", None, None, None, result.total.rss, result.total.seances]
    else:
        columns = [Column("GHM", 8), Column("Libellé", 60), Column("RSS-séances", 12), Column("Séances", 10)]
        rows = [[r.key, r.label, r.rss, r.seances] for r in result.rows]
        totals = ["Total", None, result.total.rss, result.total.seances]
    return Table(
        title=f"Séances par {'UM' if result.by == 'unit' else 'GHM'}",
        filename=_filename(f"activite-seances-par-{'um' if result.by == 'unit' else 'ghm'}", result.period),
        columns=columns,
        rows=rows,  # type: ignore[arg-type]
        totals=totals,
    )


def ghm_table(result: GhmActivity) -> Table:
    code = "CMD" if result.level == "cmd" else "GHM"
    return Table(
        title=f"RSS par {code}",
        filename=_filename(f"activite-rss-par-{code.lower()}", result.period),
        columns=[Column(code, 8), Column("Libellé", 70), Column("RSS", 10)],
        rows=[[r.key, r.label, r.rss] for r in result.rows],
        totals=["Total", None, result.total.rss],
    )


def ssr_cm_table(result: SsrCmActivity) -> Table:
    return Table(
        title="SMR par CM",
        filename=_filename("activite-smr-par-cm", result.period),
        columns=[
            Column("CM", 6),
            Column("Libellé", 60),
            Column("Semaines (RHS)", 14),
            Column("Journées de présence", 20),
            Column("Séjours", 10),
        ],
        rows=[[r.cm, r.label, r.weeks, r.days, r.stays] for r in result.rows],
        totals=["Total", None, result.total.weeks, result.total.days, result.total.stays],
    )
