"""API shapes of the RHS batches."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.schemas import LineErrorRead


class RhsBatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    status: Literal["accepted", "accepted_with_errors"]
    source: str
    lines: int = Field(description="Non-blank lines read")
    rhs_accepted: int = Field(description="Lines read as valid RHS")
    rhs_stored: int = Field(description="RHS stored as new current versions")
    rhs_unchanged: int = Field(description="RHS identical to the current version of their stay and week")
    rhs_superseded: int = Field(description="Earlier RHS replaced by this batch (same stay and week)")
    lines_rejected: int
    formats: dict[str, int] = Field(description="Accepted RHS per format (M0C, M1C, ...)")
    errors: list[LineErrorRead] = Field(description="First line errors (capped; see lines_rejected)")


class RhsBatchPage(BaseModel):
    items: list[RhsBatchRead]
    next_cursor: str | None = Field(description="Pass back as `cursor` for the next page; null on the last")
