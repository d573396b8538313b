"""SQL of the nomenclature tables (the only place that touches them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.bulk import copy_rows
from app.medeco.models import SupplementTariff, TariffCoefficient
from app.reference.campaigns import campaign_of
from app.reference.models import (
    CcamAct,
    Cim10Code,
    CmdLabel,
    GhmLabel,
    GhmMeanStayEntry,
    GhsTariffEntry,
    NomenclatureLoad,
)
from app.reference.tariffs import (
    UNVALUED_GHS,
    GhmMeanStay,
    GhsTariff,
    campaign_start,
    mean_los_of,
)

_Table = (
    type[Cim10Code] | type[CcamAct] | type[GhmLabel] | type[CmdLabel] | type[GhsTariffEntry]
    | type[GhmMeanStayEntry] | type[SupplementTariff] | type[TariffCoefficient]
)  # fmt: skip
TABLES: Final[dict[str, _Table]] = {
    "cim10": Cim10Code,
    "ccam": CcamAct,
    "ghm": GhmLabel,
    "cmd": CmdLabel,
    "ghs_tariffs": GhsTariffEntry,
    "ghm_dms": GhmMeanStayEntry,
    "supplement_tariffs": SupplementTariff,
    "tariff_coefficients": TariffCoefficient,
}
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "cim10": ("year", "code", "label", "type_mco"),
    "ccam": ("year", "code", "label", "valid_from", "valid_to", "activities"),
    "ghm": ("year", "ghm", "label"),
    "cmd": ("year", "cmd", "label"),
    "ghs_tariffs": (
        "year",
        "ghs",
        "ghm",
        "label",
        "low_bound",
        "high_bound",
        "base",
        "exb_forfait",
        "exb_daily",
        "exh_daily",
        "effective_date",
    ),
    "ghm_dms": ("year", "ghm", "ghs", "low_bound", "high_bound", "mean_los"),
    "supplement_tariffs": ("year", "code", "label", "tariff", "effective_date"),
    "tariff_coefficients": ("year", "prudential", "geographic"),
}


def replace_year(session: Session, *, kind: str, year: int, rows: Iterable[Sequence[Any]]) -> int:
    """Every row of (kind, year) replaced by `rows` (tuples in COLUMNS[kind] order)."""
    model = TABLES[kind]
    session.execute(delete(model).where(model.year == year))
    return copy_rows(session, model.__tablename__, COLUMNS[kind], rows)


def add_load(
    session: Session, *, kind: str, year: int, rows: int, source: str, sha256: str, loaded_by: str
) -> NomenclatureLoad:
    load = NomenclatureLoad(
        kind=kind, year=year, rows=rows, source=source, sha256=sha256, loaded_by=loaded_by
    )
    session.add(load)
    session.flush()
    return load


def list_loads(session: Session) -> list[NomenclatureLoad]:
    """The latest load of every (kind, year), by kind then year."""
    query = (
        select(NomenclatureLoad)
        .distinct(NomenclatureLoad.kind, NomenclatureLoad.year)
        .order_by(NomenclatureLoad.kind, NomenclatureLoad.year, NomenclatureLoad.id.desc())
    )
    return list(session.scalars(query))


def generation(session: Session) -> int:
    """Changes whenever a nomenclature is (re)loaded: the id of the latest load, 0 when none."""
    return int(session.scalar(select(func.coalesce(func.max(NomenclatureLoad.id), 0))) or 0)


def cim10_codes(session: Session) -> list[tuple[str, int, int, str]]:
    """(code, year, type_mco, label) of every loaded year, oldest year first."""
    query = select(Cim10Code.code, Cim10Code.year, Cim10Code.type_mco, Cim10Code.label).order_by(
        Cim10Code.year
    )
    return [(code, year, type_mco, label) for code, year, type_mco, label in session.execute(query)]


def ccam_acts(session: Session) -> list[tuple[str, int, date | None, date | None, str | None, str]]:
    """(code, year, valid_from, valid_to, activities, label) of every loaded year, oldest year first."""
    query = select(
        CcamAct.code, CcamAct.year, CcamAct.valid_from, CcamAct.valid_to, CcamAct.activities, CcamAct.label
    ).order_by(CcamAct.year)
    return [
        (code, year, start, end, activities, label)
        for code, year, start, end, activities, label in session.execute(query)
    ]


def ghm_labels(session: Session) -> list[tuple[str, int, str]]:
    """(ghm, year, label) of every loaded year, oldest year first."""
    query = select(GhmLabel.ghm, GhmLabel.year, GhmLabel.label).order_by(GhmLabel.year)
    return [(ghm, year, label) for ghm, year, label in session.execute(query)]


def cmd_labels(session: Session) -> list[tuple[str, int, str]]:
    query = select(CmdLabel.cmd, CmdLabel.year, CmdLabel.label).order_by(CmdLabel.year)
    return [(cmd, year, label) for cmd, year, label in session.execute(query)]


def replace_ghs_tariffs(
    session: Session, *, campaign: int, rows: Sequence[Sequence[Any]], unvalued: bool, valued: bool
) -> int:
    """Replace a campaign's valued GHS rows (`valued`), its GHS 9999 rows (`unvalued`), or both, by
    `rows`; returns the campaign's row count afterwards. The ATIH ships the two as separate files:
    loading the 9999 list must not erase the campaign's tariffs, nor the other way round."""
    query = delete(GhsTariffEntry).where(GhsTariffEntry.year == campaign)
    if valued and not unvalued:
        query = query.where(GhsTariffEntry.ghs != UNVALUED_GHS)
    elif unvalued and not valued:
        query = query.where(GhsTariffEntry.ghs == UNVALUED_GHS)
    session.execute(query)
    copy_rows(session, GhsTariffEntry.__tablename__, COLUMNS["ghs_tariffs"], rows)
    count = select(func.count()).select_from(GhsTariffEntry).where(GhsTariffEntry.year == campaign)
    return int(session.scalar(count) or 0)


def _tariff(entry: GhsTariffEntry) -> GhsTariff:
    return GhsTariff(
        entry.year,
        entry.ghs,
        entry.ghm,
        entry.label,
        entry.low_bound,
        entry.high_bound,
        entry.base,
        entry.exb_forfait,
        entry.exb_daily,
        entry.exh_daily,
        entry.effective_date,
    )


def ghs_tariff(session: Session, campaign: int, ghs: str) -> GhsTariff | None:
    """The tariff of one GHS in one campaign; None when that campaign or GHS is not loaded.

    GHS 9999 (several GHMs) gives its first GHM's row: no bounds, no money."""
    query = (
        select(GhsTariffEntry)
        .where(GhsTariffEntry.year == campaign, GhsTariffEntry.ghs == ghs.zfill(4))
        .order_by(GhsTariffEntry.ghm)
        .limit(1)
    )
    entry = session.scalars(query).first()
    return None if entry is None else _tariff(entry)


def ghs_of_ghm(session: Session, campaign: int, ghm: str) -> list[str]:
    """The GHS numbers of a GHM in one campaign, ascending; [] when not loaded. More than one means
    the grouper chooses (a valuation without the RSA cannot)."""
    query = (
        select(GhsTariffEntry.ghs)
        .where(GhsTariffEntry.year == campaign, GhsTariffEntry.ghm == ghm)
        .order_by(GhsTariffEntry.ghs)
    )
    return list(session.scalars(query))


def ghs_tariffs(session: Session, campaign: int | None = None) -> list[GhsTariff]:
    """Every tariff row of one campaign (all campaigns when None), by campaign, GHS, GHM."""
    query = select(GhsTariffEntry).order_by(GhsTariffEntry.year, GhsTariffEntry.ghs, GhsTariffEntry.ghm)
    if campaign is not None:
        query = query.where(GhsTariffEntry.year == campaign)
    return [_tariff(entry) for entry in session.scalars(query)]


def campaign_starts(session: Session) -> dict[int, date]:
    """Loaded campaign -> the day it started (see tariffs.campaign_start)."""
    query = select(GhsTariffEntry.year, GhsTariffEntry.effective_date).distinct()
    dates: dict[int, list[date]] = {}
    for campaign, effective in session.execute(query):
        days = dates.setdefault(campaign, [])
        if effective is not None:
            days.append(effective)
    return {campaign: campaign_start(campaign, days) for campaign, days in dates.items()}


def campaign_in_force(session: Session, day: date) -> int | None:
    """The tariff campaign in force on `day` (campaigns start on 1 March, or on their loaded
    effective date), or None when that campaign is not loaded."""
    starts = campaign_starts(session)
    campaign = campaign_of(day, starts)
    return campaign if campaign in starts else None


def _mean_stay(entry: GhmMeanStayEntry) -> GhmMeanStay:
    return GhmMeanStay(entry.year, entry.ghm, entry.ghs, entry.low_bound, entry.high_bound, entry.mean_los)


def ghm_mean_stays(session: Session, year: int | None = None) -> list[GhmMeanStay]:
    """Every national DMS row of one year (all years when None), by year, GHM, GHS."""
    query = select(GhmMeanStayEntry).order_by(
        GhmMeanStayEntry.year, GhmMeanStayEntry.ghm, GhmMeanStayEntry.ghs
    )
    if year is not None:
        query = query.where(GhmMeanStayEntry.year == year)
    return [_mean_stay(entry) for entry in session.scalars(query)]


def national_mean_los(
    session: Session, ghm: str, *, year: int | None = None, ghs: str | None = None
) -> Decimal | None:
    """The national mean LOS of a GHM: from the newest loaded year not after `year` (the newest
    loaded year when None; the oldest loaded one when all are after `year`), per tariffs.mean_los_of.
    None when no loaded year has the GHM."""
    years = sorted(
        session.scalars(select(GhmMeanStayEntry.year).where(GhmMeanStayEntry.ghm == ghm).distinct())
    )
    if not years:
        return None
    chosen = years[-1] if year is None else max((y for y in years if y <= year), default=years[0])
    query = select(GhmMeanStayEntry).where(GhmMeanStayEntry.ghm == ghm, GhmMeanStayEntry.year == chosen)
    return mean_los_of([_mean_stay(entry) for entry in session.scalars(query)], ghs)
