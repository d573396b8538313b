"""structure (pôles, services, UMs, fichier d'UM) and RUM/RSS storage

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_pole",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_structure_pole"),
    )
    op.create_table(
        "structure_service",
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("pole_code", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("code", name="pk_structure_service"),
        sa.ForeignKeyConstraint(
            ["pole_code"], ["structure_pole.code"], name="fk_structure_service_pole_code_structure_pole"
        ),
    )
    op.create_table(
        "structure_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("pole_code", sa.String(20), nullable=True),
        sa.Column("service_code", sa.String(20), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_structure_unit"),
        sa.UniqueConstraint("code", "valid_from", name="uq_structure_unit_code_valid_from"),
        sa.ForeignKeyConstraint(
            ["pole_code"], ["structure_pole.code"], name="fk_structure_unit_pole_code_structure_pole"
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["structure_service.code"],
            name="fk_structure_unit_service_code_structure_service",
        ),
    )
    op.create_index("ix_structure_unit_code", "structure_unit", ["code"])
    op.create_table(
        "unit_authorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("finess_geo", sa.String(9), nullable=False),
        sa.Column("auth_type", sa.String(3), nullable=False),
        sa.Column("effect_date", sa.Date(), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=True),
        sa.Column("hosp_mode", sa.String(1), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unit_authorisation"),
        sa.UniqueConstraint("unit_code", "effect_date", name="uq_unit_authorisation_unit_code_effect_date"),
    )
    op.create_table(
        "rum_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("token_name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("rss_accepted", sa.Integer(), nullable=False),
        sa.Column("rum_accepted", sa.Integer(), nullable=False),
        sa.Column("rss_rejected", sa.Integer(), nullable=False),
        sa.Column("lines_rejected", sa.Integer(), nullable=False),
        sa.Column("formats", postgresql.JSONB(), nullable=False),
        sa.Column("errors", postgresql.JSONB(), nullable=False),
        sa.Column("findings", postgresql.JSONB(), nullable=False),
        sa.Column("skipped_rules", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rum_batch"),
        sa.UniqueConstraint("content_sha256", name="uq_rum_batch_content_sha256"),
        sa.UniqueConstraint("idempotency_key", name="uq_rum_batch_idempotency_key"),
    )
    op.create_index("ix_rum_batch_received_at", "rum_batch", ["received_at"])
    op.create_table(
        "rss_version",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("rss_number", sa.String(20), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("finess", sa.String(9), nullable=False),
        sa.Column("stay_number", sa.String(20), nullable=False),
        sa.Column("format", sa.String(3), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=True),
        sa.Column("cmd", sa.String(2), nullable=True),
        sa.Column("return_code", sa.String(3), nullable=True),
        sa.Column("classification_version", sa.String(2), nullable=True),
        sa.Column("seances", sa.Integer(), nullable=False),
        sa.Column("rum_count", sa.SmallInteger(), nullable=False),
        sa.Column("exit_unit", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rss_version"),
        sa.ForeignKeyConstraint(["batch_id"], ["rum_batch.id"], name="fk_rss_version_batch_id_rum_batch"),
    )
    op.create_index(
        "uq_rss_version_current",
        "rss_version",
        ["rss_number"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )
    op.create_index("ix_rss_version_rss_number", "rss_version", ["rss_number"])
    op.create_index(
        "ix_rss_version_current_exit_date",
        "rss_version",
        ["exit_date"],
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "ix_rss_version_current_stay_number",
        "rss_version",
        ["stay_number"],
        postgresql_where=sa.text("is_current"),
    )
    op.create_index("ix_rss_version_batch_id", "rss_version", ["batch_id"])
    op.create_table(
        "rum",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("rss_version_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("line_text", sa.Text(), nullable=False),
        sa.Column("rum_number", sa.String(10), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=True),
        sa.Column("exit_date", sa.Date(), nullable=True),
        sa.Column("rss_exit_date", sa.Date(), nullable=True),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("dp", sa.String(8), nullable=False),
        sa.Column("dr", sa.String(8), nullable=False),
        sa.Column("das", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("seances", sa.Integer(), nullable=False),
        sa.Column("acts", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rum"),
        sa.ForeignKeyConstraint(
            ["rss_version_id"],
            ["rss_version.id"],
            name="fk_rum_rss_version_id_rss_version",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rum_rss_version_id", "rum", ["rss_version_id"])
    op.create_index("ix_rum_rss_exit_date_unit", "rum", ["rss_exit_date", "unit"])


def downgrade() -> None:
    op.drop_table("rum")
    op.drop_table("rss_version")
    op.drop_table("rum_batch")
    op.drop_table("unit_authorisation")
    op.drop_table("structure_unit")
    op.drop_table("structure_service")
    op.drop_table("structure_pole")
