from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AuditEntry(BaseModel):
    """One entry as written (`audit_log` columns but its id and time)."""

    model_config = ConfigDict(frozen=True)

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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What GET /audit-log narrows the log to; None: no condition."""

    token_name: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class _Stored(BaseModel):
    id: int
    at: datetime


# pydantic orders the fields of its bases last base first: id and at, then the entry's.
class AuditEntryRead(AuditEntry, _Stored):
    pass


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None
