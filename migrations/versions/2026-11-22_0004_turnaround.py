"""stay movements, document events, turnaround

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stay_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("event_id", sa.String(400), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("stay_number", sa.String(50), nullable=False),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_class", sa.String(20), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stay_event"),
        sa.UniqueConstraint("source", "event_id", name="uq_stay_event_source_event_id"),
    )
    op.create_index("ix_stay_event_stay_number", "stay_event", ["stay_number"])
    op.create_table(
        "document_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("event_id", sa.String(400), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("stay_number", sa.String(50), nullable=False),
        sa.Column("document_id", sa.String(200), nullable=False),
        sa.Column("document_type", sa.String(50), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit", sa.String(20), nullable=True),
        sa.Column("parent_document_id", sa.String(200), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_document_event"),
        sa.UniqueConstraint("source", "event_id", name="uq_document_event_source_event_id"),
    )
    op.create_index("ix_document_event_stay_number", "document_event", ["stay_number"])
    op.create_table(
        "stay",
        sa.Column("stay_number", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("discharge_unit", sa.String(20), nullable=True),
        sa.Column("last_unit", sa.String(20), nullable=True),
        sa.Column("patient_class", sa.String(20), nullable=True),
        sa.Column("discharge_known_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("stay_number", name="pk_stay"),
    )
    op.create_table(
        "stay_discharge_period",
        sa.Column("stay_number", sa.String(50), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("effective_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discharged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=False),
        sa.Column("discharge_unit", sa.String(20), nullable=True),
        sa.Column("care_type_hint", sa.String(10), nullable=False),
        sa.Column("report_key", sa.String(16), nullable=True),
        sa.Column("report_count", sa.SmallInteger(), nullable=False),
        sa.Column("report_received", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("report_from", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("report_until", postgresql.ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.PrimaryKeyConstraint("stay_number", "effective_from", name="pk_stay_discharge_period"),
    )
    op.create_index("ix_stay_discharge_period_discharge_date", "stay_discharge_period", ["discharge_date"])
    op.create_table(
        "document_period",
        sa.Column("stay_number", sa.String(50), nullable=False),
        sa.Column("document_key", sa.String(200), nullable=False),
        sa.Column("alive_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alive_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.String(200), nullable=False),
        sa.Column("document_type", sa.String(50), nullable=False),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stay_number", "document_key", "alive_from", name="pk_document_period"),
    )
    # On the ingestion domain's table, for the turnaround queries (see app/turnaround/models.py).
    op.create_index(
        "ix_rss_version_current_exit_date_turnaround",
        "rss_version",
        ["exit_date"],
        postgresql_include=["stay_number", "received_at", "care_type", "exit_unit"],
        postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_index("ix_rss_version_current_exit_date_turnaround", table_name="rss_version")
    op.drop_table("document_period")
    op.drop_index("ix_stay_discharge_period_discharge_date", table_name="stay_discharge_period")
    op.drop_table("stay_discharge_period")
    op.drop_table("stay")
    op.drop_index("ix_document_event_stay_number", table_name="document_event")
    op.drop_table("document_event")
    op.drop_index("ix_stay_event_stay_number", table_name="stay_event")
    op.drop_table("stay_event")
