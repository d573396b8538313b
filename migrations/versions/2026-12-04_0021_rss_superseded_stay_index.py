"""Exhaustivity of coding: superseded RSS versions read by stay number

Revision ID: 0021_rss_superseded_stay_index
Revises: 0018_alerts
Create Date: 2026-12-04

- `ix_rss_version_superseded_stay_number` on `rss_version (stay_number)` of the superseded
  versions, including their reception: the coding delay counts from the first RSS received for
  a stay, so the exhaustivity reads the earlier versions of the period's coded stays. Read by
  stay number, it costs what the period costs (a month: a few dozen index descents over the
  sorted numbers); without it the query scanned every superseded version of the history
  (the superseded-at index), which grows with each corrected RSS re-sent.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_rss_superseded_stay_index"
down_revision: str | None = "0018_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_rss_version_superseded_stay_number ON rss_version (stay_number) "
        "INCLUDE (received_at) WHERE superseded_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_rss_version_superseded_stay_number")
