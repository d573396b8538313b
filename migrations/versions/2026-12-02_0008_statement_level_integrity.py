"""RSS versions and RUM checked once per statement instead of once per row; RUM keyed by (version, position)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A RUM batch COPYs one `rss_version` row per RSS and one `rum` row per RUM. Their two foreign keys
(`rum.rss_version_id`, `rss_version.batch_id`) were checked by PostgreSQL's row-level RI
triggers: one index probe and one row lock (FOR KEY SHARE) on the parent per inserted row, about
40 % of PostgreSQL's CPU during an ingestion (docs/benchmarks.md). The same guarantees now come
from statement-level triggers reading the transition tables the activity triggers already build:
an INSERT naming a missing version or batch fails as a foreign key violation (SQLSTATE 23503),
deleting versions deletes their RUM (was ON DELETE CASCADE), deleting a batch that still has
versions fails (was NO ACTION), and the referencing keys can no longer be changed by an UPDATE.
No concurrent-delete race is left open by the missing row locks: a batch, its versions and their
RUM are written in one transaction.

`rum.id` (a sequence value per row, never read) is replaced by the natural key
(rss_version_id, position), whose primary key index also serves the lookups of
`ix_rum_rss_version_id`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = {
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
    "immutable_reference": """
        RAISE foreign_key_violation USING MESSAGE = TG_TABLE_NAME || ': ' || TG_ARGV[0] || ' cannot change';
    """,
}

TRIGGERS = (
    "CREATE TRIGGER rum_version_exists AFTER INSERT ON rum REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION rum_version_exists()",
    "CREATE TRIGGER rss_version_batch_exists AFTER INSERT ON rss_version REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION rss_version_batch_exists()",
    "CREATE TRIGGER rss_version_deleted_cascade AFTER DELETE ON rss_version "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rss_version_deleted_cascade()",
    "CREATE TRIGGER rum_batch_deleted_restrict AFTER DELETE ON rum_batch REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION rum_batch_deleted_restrict()",
    # Column triggers fire only when the UPDATE names the column (superseding a version does not).
    "CREATE TRIGGER rum_version_immutable BEFORE UPDATE OF rss_version_id ON rum FOR EACH ROW "
    "WHEN (OLD.rss_version_id IS DISTINCT FROM NEW.rss_version_id) "
    "EXECUTE FUNCTION immutable_reference('rss_version_id')",
    "CREATE TRIGGER rss_version_keys_immutable BEFORE UPDATE OF id, batch_id ON rss_version FOR EACH ROW "
    "WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.batch_id IS DISTINCT FROM NEW.batch_id) "
    "EXECUTE FUNCTION immutable_reference('id, batch_id')",
)
TRIGGER_TABLES = {
    "rum_version_exists": "rum",
    "rss_version_batch_exists": "rss_version",
    "rss_version_deleted_cascade": "rss_version",
    "rum_batch_deleted_restrict": "rum_batch",
    "rum_version_immutable": "rum",
    "rss_version_keys_immutable": "rss_version",
}


def upgrade() -> None:
    op.drop_constraint("fk_rum_rss_version_id_rss_version", "rum", type_="foreignkey")
    op.drop_constraint("fk_rss_version_batch_id_rum_batch", "rss_version", type_="foreignkey")
    op.drop_constraint("pk_rum", "rum", type_="primary")
    op.drop_column("rum", "id")
    op.drop_index("ix_rum_rss_version_id", table_name="rum")
    op.create_primary_key("pk_rum", "rum", ["rss_version_id", "position"])
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for trigger, table in TRIGGER_TABLES.items():
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
    op.drop_constraint("pk_rum", "rum", type_="primary")
    op.create_index("ix_rum_rss_version_id", "rum", ["rss_version_id"])
    op.add_column("rum", sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False))
    op.create_primary_key("pk_rum", "rum", ["id"])
    op.create_foreign_key(
        "fk_rss_version_batch_id_rum_batch", "rss_version", "rum_batch", ["batch_id"], ["id"]
    )
    op.create_foreign_key(
        "fk_rum_rss_version_id_rss_version",
        "rum",
        "rss_version",
        ["rss_version_id"],
        ["id"],
        ondelete="CASCADE",
    )
