"""intake.batch_read: a stored RUM or RHS batch as its API shape (no database: the rows are built in
memory)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.schemas import LineErrorRead
from app.ingestion.intake import batch_read
from app.ingestion.models import RhsBatch, RumBatch
from app.ingestion.rhs.schemas import RhsBatchRead
from app.ingestion.schemas import FindingTotals, RumBatchRead
from app.ingestion.service import to_read

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STORED_ERROR = {"line": 4, "field": "dp", "code": "not_found", "message": "DP inconnu"}  # no rss_number


def test_rhs_batch_formats_and_errors_converted_the_rest_copied() -> None:
    batch = RhsBatch(
        id=7, received_at=RECEIVED, status="accepted_with_errors", source="file", lines=5, rhs_accepted=4,
        rhs_stored=3, rhs_unchanged=1, rhs_superseded=2, lines_rejected=1, formats={"M0C": 4},
        errors=[STORED_ERROR],
    )  # fmt: skip
    read = batch_read(RhsBatchRead, batch)
    assert read == RhsBatchRead(
        id=7, received_at=RECEIVED, status="accepted_with_errors", source="file", lines=5, rhs_accepted=4,
        rhs_stored=3, rhs_unchanged=1, rhs_superseded=2, lines_rejected=1, formats={"M0C": 4},
        errors=[LineErrorRead(line=4, rss_number=None, field="dp", code="not_found", message="DP inconnu")],
    )  # fmt: skip
    assert read.formats is not batch.formats  # a copy: the response never aliases the row


def test_rum_batch_adds_its_own_conversions() -> None:
    batch = RumBatch(
        id=8, received_at=RECEIVED, status="partial", source="json", lines=3, rss_accepted=1, rum_accepted=2,
        rss_unchanged=0, rss_rejected=1, lines_rejected=1, formats={"022": 3}, errors=[STORED_ERROR],
        errors_total=1, findings=None, skipped_rules=("R1",),
    )  # fmt: skip
    read = to_read(batch)
    assert (read.findings, read.skipped_rules, read.errors_total) == (FindingTotals(), ["R1"], 1)
    assert read.model_dump(exclude={"findings", "skipped_rules"}) == batch_read(
        RumBatchRead, batch, findings=FindingTotals(), skipped_rules=["R1"]
    ).model_dump(exclude={"findings", "skipped_rules"})
    assert read.errors[0].rss_number is None and read.status == "partial"
