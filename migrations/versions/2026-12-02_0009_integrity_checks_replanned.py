"""The statement-level reference checks of 0008 planned at each statement, not once per session

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

PL/pgSQL prepares a static query once per session and reuses its plan. The checks of 0008 were
first planned while `rss_version` was small (a fresh database, the first block of a batch), as a
hash anti-join reading the whole table; kept for the session, that plan read every version at each
COPY of `rum`: in one batch of 1,000,000 RUM the COPY of a block's RUM went from 185 ms to 740 ms
between the first and the last fifth of the file (quadratic in the table's size). Run through
EXECUTE, each check is planned for the tables as they are: index probes once they are large.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (condition of a violation, its message) per check; None: the cascade, a DELETE.
CHECKS: dict[str, tuple[str, str] | None] = {
    "rum_version_exists": (
        "EXISTS (SELECT 1 FROM (SELECT DISTINCT rss_version_id FROM new_rows) AS n "
        "WHERE NOT EXISTS (SELECT 1 FROM rss_version v WHERE v.id = n.rss_version_id))",
        "rum.rss_version_id names no rss_version",
    ),
    "rss_version_batch_exists": (
        "EXISTS (SELECT 1 FROM (SELECT DISTINCT batch_id FROM new_rows) AS n "
        "WHERE NOT EXISTS (SELECT 1 FROM rum_batch b WHERE b.id = n.batch_id))",
        "rss_version.batch_id names no rum_batch",
    ),
    "rss_version_deleted_cascade": None,
    "rum_batch_deleted_restrict": (
        "EXISTS (SELECT 1 FROM rss_version v WHERE v.batch_id IN (SELECT id FROM old_rows))",
        "rum_batch still referenced by rss_version",
    ),
}
CASCADE = "DELETE FROM rum WHERE rss_version_id IN (SELECT id FROM old_rows)"


def _body(check: tuple[str, str] | None, *, replanned: bool) -> str:
    """The function body: through EXECUTE (this migration), or static as 0008 wrote it."""
    if check is None:
        return f"EXECUTE '{CASCADE}'; RETURN NULL;" if replanned else f"{CASCADE}; RETURN NULL;"
    condition, message = check
    # Transition tables are visible to dynamic SQL: PL/pgSQL registers them with SPI for the call.
    test = f"EXECUTE 'SELECT {condition}' INTO missing; IF missing" if replanned else f"IF {condition}"
    return f"{test} THEN RAISE foreign_key_violation USING MESSAGE = '{message}'; END IF; RETURN NULL;"


def _replace(*, replanned: bool) -> None:
    for name, check in CHECKS.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ DECLARE missing boolean; BEGIN {_body(check, replanned=replanned)} END $$"
        )


def upgrade() -> None:
    _replace(replanned=True)


def downgrade() -> None:
    _replace(replanned=False)
