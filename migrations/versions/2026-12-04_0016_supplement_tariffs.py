"""Supplement tariffs and tariff coefficients per campaign; longer nomenclature kind names

Revision ID: 0016_supplement_tariffs
Revises: 0015_rsa
Create Date: 2026-12-04

- `ref_supplement_tariff`: (campaign, supplement code) -> unit price (kind `supplement_tariffs`).
- `ref_tariff_coefficient`: campaign -> coefficient prudentiel and géographique (kind
  `tariff_coefficients`); a campaign without a row is valued with 1 × 1.
- `ref_load_log.kind` widened to 30 characters (`supplement_tariffs` has 18).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_supplement_tariffs"
down_revision: str | None = "0015_rsa"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("ref_load_log", "kind", type_=sa.String(length=30), existing_nullable=False)
    op.create_table(
        "ref_supplement_tariff",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("tariff", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("year", "code", name=op.f("pk_ref_supplement_tariff")),
    )
    op.create_table(
        "ref_tariff_coefficient",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("prudential", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("geographic", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_ref_tariff_coefficient")),
    )


def downgrade() -> None:
    op.drop_table("ref_tariff_coefficient")
    op.drop_table("ref_supplement_tariff")
    op.execute("DELETE FROM ref_load_log WHERE length(kind) > 10")
    op.alter_column("ref_load_log", "kind", type_=sa.String(length=20), existing_nullable=False)
