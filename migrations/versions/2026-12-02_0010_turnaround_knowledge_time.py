"""Turnaround `as_of` on the knowledge clock, RSS versions in force at a date, admission unit

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- Movements and documents become known at the later of their own time (occurrence, claimed
  reception) and their storage (`recorded_at`): the derived periods (`stay_discharge_period`,
  `document_period`) now change at those times, so an event stored late never changes the figures
  of an earlier `as_of`. Existing databases get every derived row recomputed from the stored
  events under the new rule (the same code as `dimqa turnaround-rebuild`).
- `stay_discharge_period.admission_unit`: the UM of the admission (`attribution=admission`).
- The RSS read by the turnaround is the version in force at the end of `as_of`: the current
  versions (index now carrying the version id, for the first RUM of an RSS-only stay) and the
  versions superseded after `as_of` (new partial index on `superseded_at`). A non-current version
  without `superseded_at` (none is expected: ingestion sets both together) gets the reception of
  the next version of its RSS number, so it is not taken as still in force.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_EXIT_INCLUDE = ["stay_number", "received_at", "care_type", "exit_unit"]


def upgrade() -> None:
    op.add_column("stay_discharge_period", sa.Column("admission_unit", sa.String(20), nullable=True))
    op.drop_index("ix_rss_version_current_exit_date_turnaround", table_name="rss_version")
    op.create_index(
        "ix_rss_version_current_exit_date_turnaround",
        "rss_version",
        ["exit_date"],
        postgresql_include=[*OLD_EXIT_INCLUDE, "id"],
        postgresql_where=sa.text("is_current"),
    )
    op.execute(
        """
        UPDATE rss_version v SET superseded_at = COALESCE((
            SELECT min(n.received_at) FROM rss_version n WHERE n.rss_number = v.rss_number AND n.id > v.id
        ), v.received_at)
        WHERE NOT v.is_current AND v.superseded_at IS NULL
        """
    )
    op.create_index(
        "ix_rss_version_superseded_at_turnaround",
        "rss_version",
        ["superseded_at"],
        postgresql_include=["stay_number", "received_at", "exit_date", "care_type", "exit_unit", "id"],
        postgresql_where=sa.text("superseded_at IS NOT NULL"),
    )
    # Derived rows under the new rule. The application code does it (the replays are Python), on
    # the migration's connection and transaction; an empty database has nothing to do.
    from app.turnaround import service

    session = Session(bind=op.get_bind())
    service.rebuild_derived(session)
    session.flush()


def downgrade() -> None:
    op.drop_index("ix_rss_version_superseded_at_turnaround", table_name="rss_version")
    op.drop_index("ix_rss_version_current_exit_date_turnaround", table_name="rss_version")
    op.create_index(
        "ix_rss_version_current_exit_date_turnaround",
        "rss_version",
        ["exit_date"],
        postgresql_include=OLD_EXIT_INCLUDE,
        postgresql_where=sa.text("is_current"),
    )
    op.drop_column("stay_discharge_period", "admission_unit")
    # The derived periods keep the knowledge clock: `dimqa turnaround-rebuild` on the older code
    # puts them back on the events' own clocks.
