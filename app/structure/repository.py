from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.structure.models import OPEN_START, Pole, Service, Unit, UnitAuthorisation


def replace_structure(
    session: Session,
    *,
    poles: Sequence[dict[str, object]],
    services: Sequence[dict[str, object]],
    units: Sequence[dict[str, object]],
) -> None:
    session.execute(delete(Unit))
    session.execute(delete(Service))
    session.execute(delete(Pole))
    if poles:
        session.execute(insert(Pole), list(poles))
    if services:
        session.execute(insert(Service), list(services))
    if units:
        session.execute(insert(Unit), list(units))


def list_poles(session: Session) -> list[Pole]:
    return list(session.scalars(select(Pole).order_by(Pole.code)))


def list_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.code)))


def list_units(session: Session, *, codes: Iterable[str] | None = None) -> list[Unit]:
    query = select(Unit).order_by(Unit.code, Unit.valid_from)
    if codes is not None:
        query = query.where(Unit.code.in_(list(codes)))
    return list(session.scalars(query))


def list_authorisations(session: Session, *, codes: Iterable[str] | None = None) -> list[UnitAuthorisation]:
    query = select(UnitAuthorisation).order_by(UnitAuthorisation.unit_code, UnitAuthorisation.effect_date)
    if codes is not None:
        query = query.where(UnitAuthorisation.unit_code.in_(list(codes)))
    return list(session.scalars(query))


def upsert_authorisations(session: Session, rows: Sequence[dict[str, object]]) -> int:
    """Insert fichier d'UM lines; a line already known (unit, effect date) with the same content is
    left alone, a changed one is updated. Returns how many rows were inserted or changed."""
    if not rows:
        return 0
    statement = pg_insert(UnitAuthorisation).values(list(rows))
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        constraint="uq_unit_authorisation_unit_code_effect_date",
        set_={
            "finess_geo": excluded.finess_geo,
            "auth_type": excluded.auth_type,
            "beds": excluded.beds,
            "hosp_mode": excluded.hosp_mode,
        },
        where=(
            (UnitAuthorisation.finess_geo != excluded.finess_geo)
            | (UnitAuthorisation.auth_type != excluded.auth_type)
            | (UnitAuthorisation.beds.is_distinct_from(excluded.beds))
            | (UnitAuthorisation.hosp_mode != excluded.hosp_mode)
        ),
    )
    # RETURNING counts the rows really written (rowcount is not reliable for multi-row inserts).
    return len(session.execute(statement.returning(UnitAuthorisation.id)).all())


__all__ = ["OPEN_START"]


def known_unit_codes(session: Session, *, codes: Iterable[str]) -> set[str]:
    """The codes among `codes` that the structure (any validity period) or the fichier d'UM names."""
    wanted = list(codes)
    in_structure = select(Unit.code).where(Unit.code.in_(wanted))
    in_ium = select(UnitAuthorisation.unit_code).where(UnitAuthorisation.unit_code.in_(wanted))
    return set(session.scalars(in_structure.union(in_ium)))
