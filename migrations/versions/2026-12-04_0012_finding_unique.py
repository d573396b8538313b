"""Findings: one open finding per RSS version, rule, RUM, field and value

Revision ID: 0012_finding_unique
Revises: 0011_unit_scoping
Create Date: 2026-12-04

Validation runs started at the same moment each opened the findings of the same RSS versions
(three parallel runs: every finding three times). Runs are now serialised (an advisory lock,
app.rules.repository), and the schema makes a duplicate impossible whatever the caller:
`uq_rule_finding_open_location` is unique over the open findings (`closed_at IS NULL`) on
(rss_version_id, rule_code, rum_index, field, value) — the RUM by its position, since two RUMs of
a faulty RSS may share a number.

Existing open duplicates are closed first, keeping the oldest of each group (the one a reviewer
saw first) and, when one of them was reviewed, the reviewed one with its status and comment.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_finding_unique"
down_revision: str | None = "0011_unit_scoping"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCATION = "rss_version_id, rule_code, coalesce(rum_index, -1), coalesce(field, ''), coalesce(value, '')"


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE rule_finding AS f SET closed_at = now()
        FROM (
            SELECT id, row_number() OVER (
                PARTITION BY {LOCATION}
                ORDER BY (reviewed_at IS NULL), id
            ) AS rank
            FROM rule_finding
            WHERE closed_at IS NULL
        ) AS ranked
        WHERE f.id = ranked.id AND ranked.rank > 1
        """
    )
    op.execute(
        f"CREATE UNIQUE INDEX uq_rule_finding_open_location ON rule_finding ({LOCATION}) "
        "WHERE closed_at IS NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_rule_finding_open_location")
