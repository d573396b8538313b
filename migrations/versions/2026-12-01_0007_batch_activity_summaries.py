"""RUM batches add their activity summaries once, at the end of the batch; one exit-date index less

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The statement-level INSERT triggers of migration 0005 ran once per COPY chunk, and each run paid
for the whole chunk again (grouping, a join of the transition table on `rss_version`, upserts):
about 30 µs per RUM, a third of PostgreSQL's share of an ingestion. A RUM batch now sets
`dimqa.activity_batch` to its id for its transaction; the INSERT triggers then leave the rows to
`activity_summary_add_batch(batch)`, which the batch calls once before it commits, with the same
upserts over all its rows. Every other write (UPDATE, DELETE, TRUNCATE, inserts outside a batch)
keeps the triggers as they were. `ix_rss_version_current_exit_date` duplicated the key of
`ix_rss_version_current_exit_date_turnaround` (migration 0004), which covers its queries.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _summaries() -> ModuleType:
    """Migration 0005, whose SQL builders define the summary upserts: reused, not copied, so the
    batch-level and trigger-level deltas cannot drift apart."""
    path = Path(__file__).with_name("2026-11-22_0005_rhs_activity.py")
    spec = importlib.util.spec_from_file_location("dimqa_migration_0005", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DEFERRED = "IF coalesce(current_setting('dimqa.activity_batch', true), '') <> '' THEN RETURN NULL; END IF;"

BATCH_RSS = """
    SELECT exit_date, exit_unit, care_type, coalesce(ghm, '') AS ghm, 1 AS sign, seances::bigint AS seances
    FROM rss_version WHERE batch_id = p_batch AND is_current AND exit_date IS NOT NULL
"""

# The batch's versions have ids in [first_id, last_id] (allocated under the RUM writer lock), so
# its RUM are one range of ix_rum_rss_version_id rather than a scan of the whole table.
BATCH_RUM = """
    SELECT r.rss_exit_date, r.unit, r.care_type, 1 AS sign, coalesce(r.exit_date, r.rss_exit_date) AS lo
    FROM rum r JOIN rss_version v ON v.id = r.rss_version_id
    WHERE r.rss_version_id BETWEEN first_id AND last_id
      AND v.batch_id = p_batch AND v.is_current AND r.rss_exit_date IS NOT NULL
"""


def upgrade() -> None:
    summaries = _summaries()
    for name in ("activity_rum_inserted", "activity_rss_version_inserted"):
        body = summaries.FUNCTIONS[name].replace("BEGIN", "BEGIN\n            " + DEFERRED, 1)
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    op.execute(
        f"""
        CREATE FUNCTION activity_summary_add_batch(p_batch bigint) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            first_id bigint;
            last_id bigint;
        BEGIN
            {summaries.LOCK}
            SELECT min(id), max(id) INTO first_id, last_id FROM rss_version WHERE batch_id = p_batch;
            IF first_id IS NULL THEN
                RETURN;
            END IF;
            {summaries._rss_delta(BATCH_RSS)}
            {summaries._rum_delta(BATCH_RUM)}
        END
        $$
        """
    )
    op.drop_index("ix_rss_version_current_exit_date", table_name="rss_version")


def downgrade() -> None:
    op.create_index(
        "ix_rss_version_current_exit_date",
        "rss_version",
        ["exit_date"],
        postgresql_where=sa.text("is_current"),
    )
    op.execute("DROP FUNCTION activity_summary_add_batch(bigint)")
    summaries = _summaries()
    for name in ("activity_rum_inserted", "activity_rss_version_inserted"):
        body = summaries.FUNCTIONS[name]
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
