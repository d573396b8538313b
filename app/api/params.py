"""Query parameters that routes of several domains declare alike.

Declared once so that the same parameter reads the same in every route and in OpenAPI; a parameter
whose meaning differs by route (its description says so) stays in that route's module."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.dates import BoundedDate
from app.core.exports import ExportFormat

# The stays discharged in a period, known from the movements or an RSS (turnaround, exhaustivity).
DischargeFrom = Annotated[BoundedDate, Query(alias="from", description="First discharge date (inclusive)")]
DischargeTo = Annotated[BoundedDate, Query(alias="to", description="Last discharge date (inclusive)")]

# The RSS discharged in a period (case-mix).
RssDischargeFrom = Annotated[
    BoundedDate, Query(alias="from", description="First RSS discharge date (inclusive)")
]
RssDischargeTo = Annotated[BoundedDate, Query(alias="to", description="Last RSS discharge date (inclusive)")]

# Aggregate reads that answer JSON or a file to download.
ExportFormatQuery = Annotated[
    ExportFormat, Query(alias="format", description="json, or csv (`;`, UTF-8 with BOM) / xlsx to download")
]
