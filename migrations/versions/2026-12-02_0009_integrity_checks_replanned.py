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

# Transition tables are visible to dynamic SQL: PL/pgSQL registers them with SPI for the call.
REPLANNED = {
    "rum_version_exists": """
        EXECUTE 'SELECT EXISTS (
            SELECT 1 FROM (SELECT DISTINCT rss_version_id FROM new_rows) AS n
            WHERE NOT EXISTS (SELECT 1 FROM rss_version v WHERE v.id = n.rss_version_id))' INTO missing;
        IF missing THEN
            RAISE foreign_key_violation USING MESSAGE = 'rum.rss_version_id names no rss_version';
        END IF;
        RETURN NULL;
    """,
    "rss_version_batch_exists": """
        EXECUTE 'SELECT EXISTS (
            SELECT 1 FROM (SELECT DISTINCT batch_id FROM new_rows) AS n
            WHERE NOT EXISTS (SELECT 1 FROM rum_batch b WHERE b.id = n.batch_id))' INTO missing;
        IF missing THEN
            RAISE foreign_key_violation USING MESSAGE = 'rss_version.batch_id names no rum_batch';
        END IF;
        RETURN NULL;
    """,
    "rss_version_deleted_cascade": """
        EXECUTE 'DELETE FROM rum WHERE rss_version_id IN (SELECT id FROM old_rows)';
        RETURN NULL;
    """,
    "rum_batch_deleted_restrict": """
        EXECUTE 'SELECT EXISTS (
            SELECT 1 FROM rss_version v WHERE v.batch_id IN (SELECT id FROM old_rows))' INTO missing;
        IF missing THEN
            RAISE foreign_key_violation USING MESSAGE = 'rum_batch still referenced by rss_version';
        END IF;
        RETURN NULL;
    """,
}

# The bodies of 0008, restored by the downgrade.
STATIC = {
    "rum_version_exists": """
        IF EXISTS (
            SELECT 1 FROM (SELECT DISTINCT rss_version_id FROM new_rows) AS n
            WHERE NOT EXISTS (SELECT 1 FROM rss_version v WHERE v.id = n.rss_version_id)
        ) THEN
            RAISE foreign_key_violation USING MESSAGE = 'rum.rss_version_id names no rss_version';
        END IF;
        RETURN NULL;
    """,
    "rss_version_batch_exists": """
        IF EXISTS (
            SELECT 1 FROM (SELECT DISTINCT batch_id FROM new_rows) AS n
            WHERE NOT EXISTS (SELECT 1 FROM rum_batch b WHERE b.id = n.batch_id)
        ) THEN
            RAISE foreign_key_violation USING MESSAGE = 'rss_version.batch_id names no rum_batch';
        END IF;
        RETURN NULL;
    """,
    "rss_version_deleted_cascade": """
        DELETE FROM rum WHERE rss_version_id IN (SELECT id FROM old_rows);
        RETURN NULL;
    """,
    "rum_batch_deleted_restrict": """
        IF EXISTS (SELECT 1 FROM rss_version v WHERE v.batch_id IN (SELECT id FROM old_rows)) THEN
            RAISE foreign_key_violation USING MESSAGE = 'rum_batch still referenced by rss_version';
        END IF;
        RETURN NULL;
    """,
}


def upgrade() -> None:
    for name, body in REPLANNED.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ DECLARE missing boolean; BEGIN {body} END $$"
        )


def downgrade() -> None:
    for name, body in STATIC.items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
        )
