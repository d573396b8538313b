"""rum_batch: errors_total (the stored error list is capped) and rss_unchanged

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rum_batch", sa.Column("errors_total", sa.Integer(), server_default="0", nullable=False))
    op.add_column("rum_batch", sa.Column("rss_unchanged", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("rum_batch", "rss_unchanged")
    op.drop_column("rum_batch", "errors_total")
