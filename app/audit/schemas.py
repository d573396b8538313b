from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry as written (`audit_log` columns but its id and time)."""

    token_name: str
    role: str
    action: str
    method: str
    endpoint: str
    object_type: str
    object_ids: list[str]
    units: list[str] | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What GET /audit-log narrows the log to; None: no condition."""

    token_name: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditEntryRead(BaseModel):
    id: int
    at: datetime
    token_name: str
    role: str
    action: str
    method: str
    endpoint: str
    object_type: str
    object_ids: list[str]
    units: list[str] | None = Field(
        description="UMs whose data the entry concerns; null when it cannot be told (hospital-wide)"
    )
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None
