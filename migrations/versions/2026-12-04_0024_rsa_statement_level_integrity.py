"""RSA rows checked once per statement instead of once per row; the case-mix feed of RSA rows cheaper

Revision ID: 0024_rsa_statement_integrity
Revises: 0022_rss_superseded_stay_bytes
Create Date: 2026-12-04

An RSA batch COPYs one `rsa` row per RSA (200,000 for a year). Its foreign key `rsa.batch_id`
was checked by PostgreSQL's row-level RI trigger: one index probe and one row lock (FOR KEY SHARE)
on `rsa_batch` per row, about 15 % of PostgreSQL's CPU in the import (docs/benchmarks.md). As
migration 0008 did for `rss_version` and `rum`, the same guarantees now come from statement-level
triggers reading the transition table the case-mix trigger (0020) already builds: an INSERT naming
a missing batch fails as a foreign key violation (SQLSTATE 23503), deleting a batch deletes its
RSA (was ON DELETE CASCADE), and `rsa.batch_id` can no longer be changed by an UPDATE (superseding
an RSA does not name it). No concurrent-delete race is left open by the missing row lock: the
batch and its RSA are written in one transaction, under the RSA writers' advisory lock.

`casemix_rsa_changed()` (0020) touches the months of the current RSS of the inserted, updated or
deleted RSA. It joined the RSS versions to the distinct N° de RSS of the transition table, which
has no statistics: the planner took them for 200 and probed the RSS index once per RSA (0.7 s of a
200,000-row COPY). It now joins the transition table itself (estimated at its real size: a hash
join), and truncates each distinct exit date to its month once: the same months, a fifth of the time.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_rsa_statement_integrity"
down_revision: str | None = "0022_rss_superseded_stay_bytes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = {
    "rsa_batch_exists": """
        IF EXISTS (
            SELECT 1 FROM (SELECT DISTINCT batch_id FROM new_rows) AS n
            WHERE NOT EXISTS (SELECT 1 FROM rsa_batch b WHERE b.id = n.batch_id)
        ) THEN
            RAISE foreign_key_violation USING MESSAGE = 'rsa.batch_id names no rsa_batch';
        END IF;
        RETURN NULL;
    """,
    "rsa_batch_deleted_cascade": """
        DELETE FROM rsa WHERE batch_id IN (SELECT id FROM old_rows);
        RETURN NULL;
    """,
}

TRIGGERS = {
    "rsa_batch_exists": "CREATE TRIGGER rsa_batch_exists AFTER INSERT ON rsa "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rsa_batch_exists()",
    "rsa_batch_deleted_cascade": "CREATE TRIGGER rsa_batch_deleted_cascade AFTER DELETE ON rsa_batch "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rsa_batch_deleted_cascade()",
    # immutable_reference() is migration 0008's; a column trigger fires only when the UPDATE names it.
    "rsa_batch_id_immutable": "CREATE TRIGGER rsa_batch_id_immutable BEFORE UPDATE OF batch_id ON rsa "
    "FOR EACH ROW WHEN (OLD.batch_id IS DISTINCT FROM NEW.batch_id) "
    "EXECUTE FUNCTION immutable_reference('batch_id')",
}
TRIGGER_TABLES = {
    "rsa_batch_exists": "rsa",
    "rsa_batch_deleted_cascade": "rsa_batch",
    "rsa_batch_id_immutable": "rsa",
}


def _touch_months(rows: str) -> str:
    """The months of the current RSS of the RSA in the transition table `rows`."""
    return f"""
        PERFORM casemix_touch(ARRAY(
            SELECT DISTINCT date_trunc('month', d.exit_date)::date FROM (
                SELECT DISTINCT v.exit_date FROM rss_version v JOIN {rows} n ON n.rss_number = v.rss_number
                WHERE v.is_current
            ) AS d));"""


_CASEMIX_RSA_CHANGED = f"""
CREATE OR REPLACE FUNCTION casemix_rsa_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN{_touch_months("new_rows")}
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN{_touch_months("old_rows")}
    END IF;
    RETURN NULL;
END $$
"""


def _touch_months_0020(rows: str) -> str:
    return f"""
        PERFORM casemix_touch(ARRAY(
            SELECT DISTINCT date_trunc('month', v.exit_date)::date
            FROM rss_version v JOIN (SELECT DISTINCT rss_number FROM {rows}) n USING (rss_number)
            WHERE v.is_current));"""


# 0020's body, restored by the downgrade.
_CASEMIX_RSA_CHANGED_0020 = _CASEMIX_RSA_CHANGED.replace(
    _touch_months("new_rows"), _touch_months_0020("new_rows")
).replace(_touch_months("old_rows"), _touch_months_0020("old_rows"))


def upgrade() -> None:
    op.drop_constraint("fk_rsa_batch_id_rsa_batch", "rsa", type_="foreignkey")
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")
    for statement in TRIGGERS.values():
        op.execute(statement)
    op.execute(_CASEMIX_RSA_CHANGED)


def downgrade() -> None:
    op.execute(_CASEMIX_RSA_CHANGED_0020)
    for trigger, table in TRIGGER_TABLES.items():
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}()")
    op.create_foreign_key(
        "fk_rsa_batch_id_rsa_batch", "rsa", "rsa_batch", ["batch_id"], ["id"], ondelete="CASCADE"
    )
