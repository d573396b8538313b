"""Transmission of reports: document events read by storage time

Revision ID: 0017_transmission_index
Revises: 0013_hl7_identity
Create Date: 2026-12-04

- `ix_document_event_recorded_at` on `document_event (recorded_at)`, including the claimed
  reception, source, type, UM and stay number: the transmission figures (per channel and
  service, lag between the time the sender gives and storage) read the events stored over a
  window in one index-only range scan. The events already keep both times (`received_at`, the
  sender's; `recorded_at`, dimqa's): no column is added.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_transmission_index"
down_revision: str | None = "0016_supplement_tariffs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_document_event_recorded_at ON document_event (recorded_at) "
        "INCLUDE (received_at, source, document_type, unit, stay_number)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_document_event_recorded_at")
