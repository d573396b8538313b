"""The audit trail: every patient-level read and every write, with the caller's token name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from fastapi import Request
from sqlalchemy.orm import Session

from app.audit import repository
from app.audit.models import AuditLog
from app.auth.schemas import Principal
from app.core.logging import request_id_var
from app.core.observability import route_template
from app.core.pagination import id_cursor, next_page


def record(
    session: Session,
    principal: Principal,
    *,
    action: Literal["read", "write"],
    object_type: str,
    object_ids: Sequence[str | int] = (),
    request: Request | None = None,
    endpoint: str | None = None,
    method: str | None = None,
) -> None:
    """Add an audit entry in the caller's transaction, so it commits with the work it describes."""
    repository.add(
        session,
        token_name=principal.name,
        role=principal.role.value,
        action=action,
        method=method or (request.method if request is not None else "CLI"),
        endpoint=endpoint or (route_template(request.scope) if request is not None else "cli"),
        object_type=object_type,
        object_ids=[str(i) for i in object_ids],
        request_id=request_id_var.get(),
    )


def list_entries(
    session: Session,
    *,
    token_name: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[AuditLog], str | None]:
    rows = repository.list_entries(
        session,
        token_name=token_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        before_id=id_cursor(cursor),
        limit=limit + 1,
    )
    return next_page(rows, limit)
