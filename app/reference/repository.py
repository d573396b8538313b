"""SQL of the nomenclature tables (the only place that touches them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.medeco.models import SupplementTariff, TariffCoefficient
from app.reference.models import CcamAct, Cim10Code, CmdLabel, GhmLabel, NomenclatureLoad

_Table = (
    type[Cim10Code] | type[CcamAct] | type[GhmLabel] | type[CmdLabel] | type[SupplementTariff]
    | type[TariffCoefficient]
)  # fmt: skip
TABLES: Final[dict[str, _Table]] = {
    "cim10": Cim10Code,
    "ccam": CcamAct,
    "ghm": GhmLabel,
    "cmd": CmdLabel,
    "supplement_tariffs": SupplementTariff,
    "tariff_coefficients": TariffCoefficient,
}
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "cim10": ("year", "code", "label", "type_mco"),
    "ccam": ("year", "code", "label", "valid_from", "valid_to", "activities"),
    "ghm": ("year", "ghm", "label"),
    "cmd": ("year", "cmd", "label"),
    "supplement_tariffs": ("year", "code", "label", "tariff", "effective_date"),
    "tariff_coefficients": ("year", "prudential", "geographic"),
}


def copy_rows(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into `table` on the session's connection (inside its transaction); returns the count.

    `table` and `columns` are code constants, never user input."""
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None  # a checked-out pool connection always has its driver connection
    count = 0
    with dbapi.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


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
