"""rules findings and nomenclatures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ref_cim10",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("type_mco", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", "code", name="pk_ref_cim10"),
    )
    op.create_table(
        "ref_ccam",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(7), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("activities", sa.String(5), nullable=True),
        sa.PrimaryKeyConstraint("year", "code", name="pk_ref_ccam"),
    )
    op.create_table(
        "ref_ghm",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "ghm", name="pk_ref_ghm"),
    )
    op.create_table(
        "ref_cmd",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("cmd", sa.String(2), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year", "cmd", name="pk_ref_cmd"),
    )
    op.create_table(
        "ref_load_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("loaded_by", sa.String(100), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ref_load_log"),
    )
    op.create_index("ix_ref_load_log_kind_year", "ref_load_log", ["kind", "year"])
    op.create_table(
        "rule_finding",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("rss_version_id", sa.BigInteger(), nullable=False),
        sa.Column("rss_number", sa.String(20), nullable=False),
        sa.Column("rule_code", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("rum_number", sa.String(10), nullable=True),
        sa.Column("rum_index", sa.SmallInteger(), nullable=True),
        sa.Column("field", sa.String(40), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("rss_exit_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(12), server_default="open", nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(100), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rule_finding"),
        sa.ForeignKeyConstraint(
            ["rss_version_id"],
            ["rss_version.id"],
            name="fk_rule_finding_rss_version_id_rss_version",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rule_finding_rss_version_id", "rule_finding", ["rss_version_id"])
    op.create_index("ix_rule_finding_rss_number", "rule_finding", ["rss_number"])
    op.create_index(
        "ix_rule_finding_open_exit_date",
        "rule_finding",
        ["rss_exit_date"],
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        "ix_rule_finding_open_rule_code",
        "rule_finding",
        ["rule_code"],
        postgresql_where=sa.text("closed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("rule_finding")
    op.drop_table("ref_load_log")
    op.drop_table("ref_cmd")
    op.drop_table("ref_ghm")
    op.drop_table("ref_ccam")
    op.drop_table("ref_cim10")
