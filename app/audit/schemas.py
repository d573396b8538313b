from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
