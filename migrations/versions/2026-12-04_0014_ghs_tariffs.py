"""GHS tariffs per campaign and national mean lengths of stay per GHM, as versioned nomenclatures

Revision ID: 0014_ghs_tariffs
Revises: 0013_hl7_identity
Create Date: 2026-12-04

- `ref_ghs_tariff`: one row per (campaign, GHS, GHM): bounds, base tariff, EXB forfait or per day,
  EXH per day, effective date. GHS 9999 (GHMs not valued) has several GHMs and no money.
- `ref_ghm_dms`: national mean LOS per (year, GHM, GHS), GHS '' for the GHM as a whole.
- `ref_load_log.kind` widened to 20 characters (`ghs_tariffs` has 11).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_ghs_tariffs"
down_revision: str | None = "0013_hl7_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ref_ghs_tariff",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("ghs", sa.String(4), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("low_bound", sa.SmallInteger(), nullable=True),
        sa.Column("high_bound", sa.SmallInteger(), nullable=True),
        sa.Column("base", sa.Numeric(10, 2), nullable=True),
        sa.Column("exb_forfait", sa.Numeric(10, 2), nullable=True),
        sa.Column("exb_daily", sa.Numeric(10, 2), nullable=True),
        sa.Column("exh_daily", sa.Numeric(10, 2), nullable=True),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("year", "ghs", "ghm", name="pk_ref_ghs_tariff"),
    )
    op.create_index("ix_ref_ghs_tariff_year_ghm", "ref_ghs_tariff", ["year", "ghm"])
    op.create_table(
        "ref_ghm_dms",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=False),
        sa.Column("ghs", sa.String(4), nullable=False),
        sa.Column("low_bound", sa.SmallInteger(), nullable=True),
        sa.Column("high_bound", sa.SmallInteger(), nullable=True),
        sa.Column("mean_los", sa.Numeric(8, 4), nullable=False),
        sa.PrimaryKeyConstraint("year", "ghm", "ghs", name="pk_ref_ghm_dms"),
    )
    # Widening a varchar is a catalogue change: no table rewrite.
    op.alter_column("ref_load_log", "kind", type_=sa.String(20), existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM ref_load_log WHERE kind IN ('ghs_tariffs', 'ghm_dms')")
    op.alter_column("ref_load_log", "kind", type_=sa.String(10), existing_nullable=False)
    op.drop_table("ref_ghm_dms")
    op.drop_index("ix_ref_ghs_tariff_year_ghm", table_name="ref_ghs_tariff")
    op.drop_table("ref_ghs_tariff")
