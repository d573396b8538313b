from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ARRAY, Text, bindparam, func, insert, select
from sqlalchemy.orm import Session

from app.audit.models import AuditLog


def add(
    session: Session,
    *,
    token_name: str,
    role: str,
    action: str,
    method: str,
    endpoint: str,
    object_type: str,
    object_ids: Sequence[str],
    units: Sequence[str] | None,
    request_id: str | None,
) -> None:
    session.execute(
        insert(AuditLog).values(
            token_name=token_name,
            role=role,
            action=action,
            method=method,
            endpoint=endpoint,
            object_type=object_type,
            object_ids=list(object_ids),
            units=list(units) if units is not None else None,
            request_id=request_id,
        )
    )


def list_entries(
    session: Session,
    *,
    token_name: str | None,
    action: str | None,
    object_type: str | None,
    object_id: str | None,
    since: datetime | None,
    until: datetime | None,
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
    if token_name:
        query = query.where(AuditLog.token_name == token_name)
    if action:
        query = query.where(AuditLog.action == action)
    if object_type:
        query = query.where(AuditLog.object_type == object_type)
    if object_id:
        query = query.where(AuditLog.object_ids.any(object_id))  # type: ignore[arg-type]
    if since:
        query = query.where(AuditLog.at >= since)
    if until:
        query = query.where(AuditLog.at < until)
    if before_id:
        query = query.where(AuditLog.id < before_id)
    return list(session.scalars(query))
