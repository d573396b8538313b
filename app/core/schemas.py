"""API shapes shared by several domains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

from app.core.line_errors import LineError


class LineErrorRead(BaseModel):
    """A line error as the batch and load responses list it (app.core.line_errors.LineError): the
    RUM, RHS and IUM readers' errors alike. `rss_number` and `fg_code` are null where they do not
    apply (RHS and IUM lines have no N° de RSS nor grouper control)."""

    line: int | None
    rss_number: str | None
    field: str | None
    code: str
    fg_code: str | None = Field(
        None,
        description="The official grouper control making the same check (C011, C055-C059), when "
        "there is one; null for the other line errors and in batches received before it existed",
        examples=["C056"],
    )
    message: str

    @classmethod
    def stored(cls, error: Mapping[str, Any]) -> LineErrorRead:
        """From a stored error (a batch's `errors` JSON, which may predate `rss_number`/`fg_code`)."""
        return cls.model_validate({"rss_number": None, **error})

    @classmethod
    def of(cls, error: LineError) -> LineErrorRead:
        return cls(
            line=error.line, rss_number=error.rss_number, field=error.field, code=error.code,
            fg_code=error.fg_code, message=error.message,
        )  # fmt: skip


class StayDetail(BaseModel):
    """The stay a line of a report's patient-level detail (`detail=true`) names: its N° administratif,
    and the service and UM the report counts it under (null when the UM is not known)."""

    stay_number: str
    service: str
    unit: str | None
