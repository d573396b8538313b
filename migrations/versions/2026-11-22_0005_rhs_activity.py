"""RHS (SSR) storage for activity, and the trigger-maintained MCO activity summaries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Summaries of the current RSS versions and their RUM, per discharge day (`activity_rum_day`,
`activity_rss_day`) and rolled up per month (`activity_rum_month`, `activity_rss_month`).
Statement-level triggers with transition tables keep them exact on every INSERT/UPDATE/DELETE/
TRUNCATE of `rum` and `rss_version` (COPY included), so the ingestion code needs no change. Summary
writers take one transaction-scoped advisory lock: concurrent batches serialise on it instead of
deadlocking on summary rows. `activity_summary_rebuild()` recomputes them from scratch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK = "PERFORM pg_advisory_xact_lock(hashtext('dimqa.activity_summary'));"

# A RUM's structure-lookup date: its exit date, or the RSS one when the RUM's is unreadable.
RUM_DATE = "coalesce(r.exit_date, r.rss_exit_date)"
MONTH = "date_trunc('month', {})::date"


def _rum_delta(source: str) -> str:
    """Upserts of signed RUM counts from `source` rows (rss_exit_date, unit, care_type, sign, lo).

    The exit-date bounds only widen: a removed RUM leaves them as they are, which stays correct
    (readers treat them as bounds, not as exact extremes).
    """
    upserts = []
    for table, key, period in (
        ("activity_rum_day", "rss_exit_date", "rss_exit_date"),
        ("activity_rum_month", "month", MONTH.format("rss_exit_date")),
    ):
        upserts.append(
            f"""
    INSERT INTO {table} AS d ({key}, unit, care_type, rum_count, first_rum_exit, last_rum_exit)
    SELECT {period}, unit, care_type, sum(sign),
           min(lo) FILTER (WHERE sign > 0), max(lo) FILTER (WHERE sign > 0)
    FROM ({source}) AS delta
    GROUP BY 1, 2, 3
    HAVING sum(sign) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT ({key}, unit, care_type) DO UPDATE
    SET rum_count = d.rum_count + excluded.rum_count,
        first_rum_exit = least(d.first_rum_exit, excluded.first_rum_exit),
        last_rum_exit = greatest(d.last_rum_exit, excluded.last_rum_exit);"""
        )
    return "\n".join(upserts)


def _rss_delta(source: str) -> str:
    """Upserts of signed RSS counts from `source` rows (exit_date, exit_unit, care_type, ghm, sign,
    seances) into the day table and its month roll-up without the UM."""
    return f"""
    INSERT INTO activity_rss_day AS d (exit_date, exit_unit, care_type, ghm, rss_count, seances)
    SELECT exit_date, exit_unit, care_type, ghm, sum(sign), sum(sign * seances)
    FROM ({source}) AS delta
    GROUP BY 1, 2, 3, 4
    HAVING sum(sign) <> 0 OR sum(sign * seances) <> 0
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (exit_date, exit_unit, care_type, ghm) DO UPDATE
    SET rss_count = d.rss_count + excluded.rss_count, seances = d.seances + excluded.seances;
    INSERT INTO activity_rss_month AS d (month, care_type, ghm, rss_count, seances)
    SELECT {MONTH.format("exit_date")}, care_type, ghm, sum(sign), sum(sign * seances)
    FROM ({source}) AS delta
    GROUP BY 1, 2, 3
    HAVING sum(sign) <> 0 OR sum(sign * seances) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (month, care_type, ghm) DO UPDATE
    SET rss_count = d.rss_count + excluded.rss_count, seances = d.seances + excluded.seances;
    """


def _rum_rows(table: str, sign: int) -> str:
    # RUM of `table` whose RSS version is current now.
    return f"""
        SELECT r.rss_exit_date, r.unit, r.care_type, {sign} AS sign, {RUM_DATE} AS lo
        FROM {table} r JOIN rss_version v ON v.id = r.rss_version_id
        WHERE v.is_current AND r.rss_exit_date IS NOT NULL
    """


def _rss_rows(alias: str, sign: int) -> str:
    # Versions of an UPDATE (o: before, n: after) whose counted attributes changed; an update of
    # superseded_at alone changes nothing.
    return f"""
        SELECT {alias}.exit_date, {alias}.exit_unit, {alias}.care_type, coalesce({alias}.ghm, '') AS ghm,
               {sign} AS sign, {alias}.seances::bigint AS seances
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE {alias}.is_current AND {alias}.exit_date IS NOT NULL
          AND (o.is_current, o.exit_date, o.exit_unit, o.care_type, o.ghm, o.seances)
              IS DISTINCT FROM (n.is_current, n.exit_date, n.exit_unit, n.care_type, n.ghm, n.seances)
    """


INSERTED_RSS = """
    SELECT exit_date, exit_unit, care_type, coalesce(ghm, '') AS ghm, 1 AS sign, seances::bigint AS seances
    FROM new_rows WHERE is_current AND exit_date IS NOT NULL
"""

FLIPPED_VERSION_RUM = f"""
    SELECT r.rss_exit_date, r.unit, r.care_type,
           CASE WHEN n.is_current THEN 1 ELSE -1 END AS sign, {RUM_DATE} AS lo
    FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN rum r ON r.rss_version_id = n.id
    WHERE o.is_current IS DISTINCT FROM n.is_current AND r.rss_exit_date IS NOT NULL
"""

DELETED_VERSION = """
    SELECT OLD.exit_date AS exit_date, OLD.exit_unit AS exit_unit, OLD.care_type AS care_type,
           coalesce(OLD.ghm, '') AS ghm, -1 AS sign, OLD.seances::bigint AS seances
    WHERE OLD.exit_date IS NOT NULL
"""

DELETED_VERSION_RUM = f"""
    SELECT r.rss_exit_date, r.unit, r.care_type, -1 AS sign, {RUM_DATE} AS lo
    FROM rum r WHERE r.rss_version_id = OLD.id AND r.rss_exit_date IS NOT NULL
"""

FUNCTIONS = {
    "activity_rum_inserted": f"""
        BEGIN
            {LOCK}
            {_rum_delta(_rum_rows("new_rows", 1))}
            RETURN NULL;
        END
    """,
    "activity_rum_deleted": f"""
        BEGIN
            {LOCK}
            {_rum_delta(_rum_rows("old_rows", -1))}
            RETURN NULL;
        END
    """,
    "activity_rum_updated": f"""
        BEGIN
            {LOCK}
            {_rum_delta(_rum_rows("old_rows", -1) + " UNION ALL " + _rum_rows("new_rows", 1))}
            RETURN NULL;
        END
    """,
    "activity_rss_version_inserted": f"""
        BEGIN
            {LOCK}
            {_rss_delta(INSERTED_RSS)}
            RETURN NULL;
        END
    """,
    "activity_rss_version_updated": f"""
        BEGIN
            {LOCK}
            {_rss_delta(_rss_rows("o", -1) + " UNION ALL " + _rss_rows("n", 1))}
            -- The RUM of a version entering or leaving the current set follow it.
            {_rum_delta(FLIPPED_VERSION_RUM)}
            RETURN NULL;
        END
    """,
    # Row-level and BEFORE: the version's RUM still exist (the FK cascade deletes them afterwards,
    # and by then the version is gone, so activity_rum_deleted does not count them twice).
    "activity_rss_version_deleting": f"""
        BEGIN
            {LOCK}
            {_rss_delta(DELETED_VERSION)}
            {_rum_delta(DELETED_VERSION_RUM)}
            RETURN OLD;
        END
    """,
    "activity_rum_truncated": """
        BEGIN
            DELETE FROM activity_rum_day;
            DELETE FROM activity_rum_month;
            RETURN NULL;
        END
    """,
    "activity_rss_version_truncated": """
        BEGIN
            DELETE FROM activity_rss_day;
            DELETE FROM activity_rss_month;
            DELETE FROM activity_rum_day;
            DELETE FROM activity_rum_month;
            RETURN NULL;
        END
    """,
}

TRIGGERS = (
    # (name = its function, event, table, transition tables, FOR EACH ...)
    ("activity_rum_inserted", "AFTER INSERT", "rum", "REFERENCING NEW TABLE AS new_rows", "STATEMENT"),
    (
        "activity_rum_updated",
        "AFTER UPDATE",
        "rum",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "STATEMENT",
    ),
    ("activity_rum_deleted", "AFTER DELETE", "rum", "REFERENCING OLD TABLE AS old_rows", "STATEMENT"),
    ("activity_rum_truncated", "AFTER TRUNCATE", "rum", "", "STATEMENT"),
    (
        "activity_rss_version_inserted",
        "AFTER INSERT",
        "rss_version",
        "REFERENCING NEW TABLE AS new_rows",
        "STATEMENT",
    ),
    (
        "activity_rss_version_updated",
        "AFTER UPDATE",
        "rss_version",
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "STATEMENT",
    ),
    ("activity_rss_version_deleting", "BEFORE DELETE", "rss_version", "", "ROW WHEN (OLD.is_current)"),
    ("activity_rss_version_truncated", "AFTER TRUNCATE", "rss_version", "", "STATEMENT"),
)

REBUILD = f"""
CREATE FUNCTION activity_summary_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM activity_rum_day;
    DELETE FROM activity_rum_month;
    DELETE FROM activity_rss_day;
    DELETE FROM activity_rss_month;
    INSERT INTO activity_rum_day
        (rss_exit_date, unit, care_type, rum_count, first_rum_exit, last_rum_exit)
    SELECT r.rss_exit_date, r.unit, r.care_type, count(*), min({RUM_DATE}), max({RUM_DATE})
    FROM rum r JOIN rss_version v ON v.id = r.rss_version_id
    WHERE v.is_current AND r.rss_exit_date IS NOT NULL
    GROUP BY 1, 2, 3;
    INSERT INTO activity_rum_month (month, unit, care_type, rum_count, first_rum_exit, last_rum_exit)
    SELECT {MONTH.format("rss_exit_date")}, unit, care_type, sum(rum_count), min(first_rum_exit),
           max(last_rum_exit)
    FROM activity_rum_day
    GROUP BY 1, 2, 3;
    INSERT INTO activity_rss_day (exit_date, exit_unit, care_type, ghm, rss_count, seances)
    SELECT exit_date, exit_unit, care_type, coalesce(ghm, ''), count(*), sum(seances)
    FROM rss_version
    WHERE is_current AND exit_date IS NOT NULL
    GROUP BY 1, 2, 3, 4;
    INSERT INTO activity_rss_month (month, care_type, ghm, rss_count, seances)
    SELECT {MONTH.format("exit_date")}, care_type, ghm, sum(rss_count), sum(seances)
    FROM activity_rss_day
    GROUP BY 1, 2, 3;
$$
"""


def upgrade() -> None:
    op.create_table(
        "rhs_batch",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("token_name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("rhs_accepted", sa.Integer(), nullable=False),
        sa.Column("rhs_stored", sa.Integer(), nullable=False),
        sa.Column("rhs_unchanged", sa.Integer(), nullable=False),
        sa.Column("rhs_superseded", sa.Integer(), nullable=False),
        sa.Column("lines_rejected", sa.Integer(), nullable=False),
        sa.Column("formats", postgresql.JSONB(), nullable=False),
        sa.Column("errors", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rhs_batch"),
        sa.UniqueConstraint("content_sha256", name="uq_rhs_batch_content_sha256"),
        sa.UniqueConstraint("idempotency_key", name="uq_rhs_batch_idempotency_key"),
    )
    op.create_index("ix_rhs_batch_received_at", "rhs_batch", ["received_at"])
    op.create_table(
        "rhs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("line_text", sa.Text(), nullable=False),
        sa.Column("version", sa.String(3), nullable=False),
        sa.Column("finess", sa.String(9), nullable=False),
        sa.Column("ssr_stay_number", sa.String(20), nullable=False),
        sa.Column("admin_number", sa.String(20), nullable=False),
        sa.Column("week_date", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("cm", sa.String(2), nullable=True),
        sa.Column("gme", sa.String(10), nullable=True),
        sa.Column("days_present", sa.SmallInteger(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_rhs"),
        sa.ForeignKeyConstraint(["batch_id"], ["rhs_batch.id"], name="fk_rhs_batch_id_rhs_batch"),
    )
    op.create_index("ix_rhs_batch_id", "rhs", ["batch_id"])
    op.create_index(
        "ix_rhs_current_stay_week",
        "rhs",
        ["ssr_stay_number", "week_date"],
        postgresql_where=sa.text("is_current"),
    )
    op.create_index(
        "ix_rhs_current_week_date",
        "rhs",
        ["week_date"],
        postgresql_where=sa.text("is_current"),
        postgresql_include=["cm", "unit", "days_present", "ssr_stay_number"],
    )

    op.create_table(
        "activity_rum_day",
        sa.Column("rss_exit_date", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("rum_count", sa.Integer(), nullable=False),
        sa.Column("first_rum_exit", sa.Date(), nullable=True),
        sa.Column("last_rum_exit", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("rss_exit_date", "unit", "care_type", name="pk_activity_rum_day"),
    )
    op.create_index("ix_activity_rum_day_unit", "activity_rum_day", ["unit", "rss_exit_date"])
    op.create_table(
        "activity_rum_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("rum_count", sa.Integer(), nullable=False),
        sa.Column("first_rum_exit", sa.Date(), nullable=True),
        sa.Column("last_rum_exit", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("month", "unit", "care_type", name="pk_activity_rum_month"),
    )
    op.create_table(
        "activity_rss_day",
        sa.Column("exit_date", sa.Date(), nullable=False),
        sa.Column("exit_unit", sa.String(10), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=False),
        sa.Column("rss_count", sa.Integer(), nullable=False),
        sa.Column("seances", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("exit_date", "exit_unit", "care_type", "ghm", name="pk_activity_rss_day"),
    )
    op.create_index("ix_activity_rss_day_exit_unit", "activity_rss_day", ["exit_unit", "exit_date"])
    op.create_index(
        "ix_activity_rss_day_seance",
        "activity_rss_day",
        ["exit_date"],
        postgresql_where=sa.text("care_type = 'seance'"),
    )
    op.create_table(
        "activity_rss_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("care_type", sa.String(10), nullable=False),
        sa.Column("ghm", sa.String(6), nullable=False),
        sa.Column("rss_count", sa.Integer(), nullable=False),
        sa.Column("seances", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "care_type", "ghm", name="pk_activity_rss_month"),
    )

    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
    for name, event, table, referencing, level in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} {event} ON {table} {referencing} "
            f"FOR EACH {level} EXECUTE FUNCTION {name}()"
        )
    op.execute(REBUILD)
    # Data loaded before this migration.
    op.execute("SELECT activity_summary_rebuild()")


def downgrade() -> None:
    for name, _event, table, _referencing, _level in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS activity_summary_rebuild()")
    op.drop_table("activity_rss_month")
    op.drop_table("activity_rss_day")
    op.drop_table("activity_rum_month")
    op.drop_table("activity_rum_day")
    op.drop_table("rhs")
    op.drop_table("rhs_batch")
