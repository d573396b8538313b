"""RSA batches and RSA rows: the grouper's output (GHS, EXB/EXH days, supplements) per RSS

Revision ID: 0015_rsa
Revises: 0013_hl7_identity
Create Date: 2026-12-04

- `rsa_batch`: one received RSA + TRA pair (archive or two files), idempotent by the SHA-256 of
  their contents and by (token, Idempotency-Key), with its counts, line errors and the RSA whose
  RSS is not stored yet (`unlinked`).
- `rsa`: one row per accepted RSA, keyed to its RSS by the N° de RSS of the TRA (joined at read
  time, not a foreign key: an RSA may arrive before its RSS); at most one current row per RSS.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015_rsa"
down_revision: str | None = "0014_ghs_tariffs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rsa_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("token_name", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.SmallInteger(), nullable=True),
        sa.Column("files", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rsa_lines", sa.Integer(), nullable=False),
        sa.Column("tra_lines", sa.Integer(), nullable=False),
        sa.Column("rsa_accepted", sa.Integer(), nullable=False),
        sa.Column("rsa_unchanged", sa.Integer(), nullable=False),
        sa.Column("rsa_rejected", sa.Integer(), nullable=False),
        sa.Column("rsa_unlinked", sa.Integer(), nullable=False),
        sa.Column("errors_total", sa.Integer(), nullable=False),
        sa.Column("formats", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("unlinked", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsa_batch")),
        sa.UniqueConstraint("content_sha256", name=op.f("uq_rsa_batch_content_sha256")),
        sa.UniqueConstraint("token_name", "idempotency_key", name="uq_rsa_batch_token_idempotency_key"),
    )
    op.create_table(
        "rsa",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("rss_number", sa.String(length=20), nullable=False),
        sa.Column("stay_number", sa.String(length=20), nullable=False),
        sa.Column("rsa_index", sa.String(length=10), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("line_text", sa.Text(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=3), nullable=False),
        sa.Column("campaign", sa.SmallInteger(), nullable=True),
        sa.Column("classification_version", sa.String(length=2), nullable=False),
        sa.Column("ghm", sa.String(length=6), nullable=False),
        sa.Column("return_code", sa.String(length=3), nullable=False),
        sa.Column("exit_month", sa.SmallInteger(), nullable=False),
        sa.Column("exit_year", sa.SmallInteger(), nullable=False),
        sa.Column("los", sa.Integer(), nullable=False),
        sa.Column("seances", sa.Integer(), nullable=False),
        sa.Column("ghs", sa.String(length=4), nullable=True),
        sa.Column("exh_days", sa.Integer(), nullable=False),
        sa.Column("exb_type", sa.String(length=1), nullable=False),
        sa.Column("exb_days", sa.Integer(), nullable=False),
        sa.Column("ghs_minore", sa.Boolean(), nullable=False),
        sa.Column("supplements", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("radiotherapy", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["rsa_batch.id"], name=op.f("fk_rsa_batch_id_rsa_batch"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsa")),
    )
    op.create_index("ix_rsa_batch_id", "rsa", ["batch_id"])
    op.create_index(
        "uq_rsa_current_rss_number",
        "rsa",
        ["rss_number"],
        unique=True,
        postgresql_where=sa.text("is_current"),
    )


def downgrade() -> None:
    op.drop_table("rsa")
    op.drop_table("rsa_batch")
