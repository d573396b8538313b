"""Storage read by the exhaustivity domain. It has no table of its own: coding exhaustivity reads
the turnaround's derived stays and the RSS versions, report transmission the stored document
events. The indexes they need are declared here, on the turnaround's and the ingestion's tables,
because only they read document events by storage time and superseded RSS by stay number."""

from __future__ import annotations

from sqlalchemy import Index

from app.ingestion.models import RssVersion
from app.turnaround.models import DocumentEventRow

# The discharge-report events stored over a window (`recorded_at`), with what the transmission
# figures read, as an index-only range scan (migration 0017).
DOCUMENT_RECORDED_INDEX = Index(
    "ix_document_event_recorded_at",
    DocumentEventRow.recorded_at,
    postgresql_include=["received_at", "source", "document_type", "unit", "stay_number"],
)

# The superseded versions of the period's stays, looked up by their sorted stay numbers (the
# first reception of an RSS for the stay, which the coding delay counts from), as an index-only
# scan; in byte order (the order of collation "C"), so sorting the looked-up numbers costs a
# memcmp per comparison, not a strcoll (migration 0022).
RSS_SUPERSEDED_STAY_INDEX = Index(
    "ix_rss_version_superseded_stay_number_bytes",
    RssVersion.stay_number,
    postgresql_ops={"stay_number": "varchar_pattern_ops"},
    postgresql_include=["received_at"],
    postgresql_where=RssVersion.superseded_at.is_not(None),
)
