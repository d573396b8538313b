from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ARRAY, Text, bindparam, func, insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditLog
from app.audit.schemas import AuditEntry, AuditFilter


def add(session: Session, entry: AuditEntry) -> None:
    session.execute(insert(AuditLog).values(**entry.model_dump()))


def list_entries(
    session: Session,
    where: AuditFilter,
    *,
    before_id: int | None,
    limit: int,
    within_units: Sequence[str] | None = None,
) -> list[AuditLog]:
    """Entries newest first; with `within_units`, only those naming units, all among them."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if within_units is not None:
        query = query.where(
            func.cardinality(AuditLog.units) > 0,
            AuditLog.units.op("<@")(bindparam("within_units", list(within_units), type_=ARRAY(Text))),
        )
    if where.token_name:
        query = query.where(AuditLog.token_name == where.token_name)
    if where.action:
        query = query.where(AuditLog.action == where.action)
    if where.object_type:
        query = query.where(AuditLog.object_type == where.object_type)
    if where.object_id:
        query = query.where(AuditLog.object_ids.any(where.object_id))  # type: ignore[arg-type]
    if where.since:
        query = query.where(AuditLog.at >= where.since)
    if where.until:
        query = query.where(AuditLog.at < where.until)
    if before_id:
        query = query.where(AuditLog.id < before_id)
    return list(session.scalars(query))
