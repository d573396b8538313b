from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEntryRead, AuditFilter, AuditPage
from app.auth.dependencies import Admin
from app.core.dates import BoundedDatetime
from app.core.db import SessionDep
from app.core.problems import problem_responses

router = APIRouter(tags=["audit"], responses=problem_responses(401, 403, 422, 503))


@router.get("/audit-log", response_model=AuditPage)
def list_audit_log(
    session: SessionDep,
    principal: Admin,
    token_name: str | None = None,
    action: Literal["read", "write"] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: BoundedDatetime | None = None,
    until: BoundedDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Read the audit trail, newest first (admin only). The log cannot be altered through the API.

    Each entry names the UMs whose data it concerns (`units`, null when it cannot be told: writes
    to the whole hospital, entries older than this field). An admin token restricted to units gets
    only the entries whose `units` are non-empty and all among its own."""
    where = AuditFilter(token_name, action, object_type, object_id, since, until)
    rows, next_cursor = service.list_entries(session, principal, where, cursor=cursor, limit=limit)
    return AuditPage(
        items=[AuditEntryRead.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor
    )
