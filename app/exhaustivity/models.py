"""Storage read by the exhaustivity domain. It has no table of its own: coding exhaustivity reads
the turnaround's derived stays and the RSS versions, report transmission the stored document
events. The index the transmission figures need is declared here, on the turnaround's table,
because only they read document events by storage time."""

from __future__ import annotations

from sqlalchemy import Index

from app.turnaround.models import DocumentEventRow

# The discharge-report events stored over a window (`recorded_at`), with what the transmission
# figures read, as an index-only range scan (migration 0017).
DOCUMENT_RECORDED_INDEX = Index(
    "ix_document_event_recorded_at",
    DocumentEventRow.recorded_at,
    postgresql_include=["received_at", "source", "document_type", "unit", "stay_number"],
)
