"""HL7 event identity: the digest of the message stored beside each HL7 event

Revision ID: 0013_hl7_identity
Revises: 0011_unit_scoping
Create Date: 2026-12-04

- `stay_event.message_digest`, `document_event.message_digest`: SHA-256 of the HL7 v2 message an
  event came from, its MSH-7 (sending time) blanked. A retry the sender stamps with a new MSH-7
  carries other dates (MDM/ORU reception is MSH-7), so its events hash differently; with the same
  digest it is the same message: a duplicate, acknowledged AA, not a reuse of the control id.
  NULL for JSON and FHIR events, and for HL7 events stored before (their ids have the former
  `MSH-3|MSH-9|MSH-10` form, which the new `MSH-3|MSH-4|MSH-9|MSH-10` never equals).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_hl7_identity"
down_revision: str | None = "0012_finding_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without default: a catalogue change, no table rewrite.
    for table in ("stay_event", "document_event"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN message_digest varchar(64)")


def downgrade() -> None:
    for table in ("stay_event", "document_event"):
        op.drop_column(table, "message_digest")
