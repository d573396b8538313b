"""Case-mix figures kept per day and per month, and the changes that make a month's figures stale

Revision ID: 0020_casemix_figures
Revises: 0021_rss_superseded_stay_index
Create Date: 2026-12-04

- `casemix_figures`: the additive sums of `GET /casemix` (stays, days, LOS, IP-DMS terms, EXB/EXH,
  euros, not-valued counts) of the stays discharged on one day (`grain` 'd') or in one month ('m'),
  per UM with its service and pôle ('unit'), per GHM ('ghm'), and per GHM and each UM the stay went
  through ('ghm_unit', for tokens restricted to one UM). Written by app.medeco.repository, which
  computes a month with the pricing SQL of the case-mix when it is stale.
- `casemix_month`: one row per month that ever had a change. `changes` grows with every change of
  what the month's figures depend on; `priced` is the `changes` the stored figures were computed
  at; stale when they differ. A month without a row never had a stay: nothing to price. The
  upgrade adds a row (stale) for every month the stored RSS already cover.
- Statement triggers bump `changes`: an RSS version inserted, updated or deleted (the months of its
  exit dates, old and new), an RSA inserted, updated or deleted (the months of its current RSS),
  and any change of the tariffs, supplement tariffs, coefficients, national mean LOS or structure
  (every month). They run in the writer's transaction, whoever the writer is (ingestion, RSA
  batches, nomenclature loads, the demo, a DBA), so no writer has to remember the cache.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020_casemix_figures"
down_revision: str | None = "0021_rss_superseded_stay_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVERY_MONTH_TABLES = (
    "ref_ghs_tariff", "ref_supplement_tariff", "ref_tariff_coefficient", "ref_ghm_dms", "structure_unit",
    "structure_service", "structure_pole",
)  # fmt: skip


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE casemix_month (
            month date CONSTRAINT pk_casemix_month PRIMARY KEY,
            changes bigint NOT NULL DEFAULT 1,
            priced bigint
        );
        CREATE TABLE casemix_figures (
            grain char(1) NOT NULL CONSTRAINT ck_casemix_figures_grain CHECK (grain IN ('d', 'm')),
            period date NOT NULL,
            kind varchar(8) NOT NULL,
            unit varchar(10),
            service varchar(40),
            pole varchar(40),
            unit_label text,
            service_label text,
            pole_label text,
            ghm varchar(6),
            stays bigint NOT NULL,
            seances bigint NOT NULL,
            days numeric NOT NULL,
            los_sum bigint NOT NULL,
            national_sum numeric,
            national_n bigint NOT NULL,
            ipdms_los bigint NOT NULL,
            ipdms_reference numeric,
            ipdms_stays bigint NOT NULL,
            below_low_bound bigint NOT NULL,
            above_high_bound bigint NOT NULL,
            exb_days bigint NOT NULL,
            exh_days bigint NOT NULL,
            valuation_base numeric NOT NULL,
            valuation_exb numeric NOT NULL,
            valuation_exh numeric NOT NULL,
            valuation_supplements numeric NOT NULL,
            valuation_total numeric NOT NULL,
            not_valued_no_ghm bigint NOT NULL,
            not_valued_error_ghm bigint NOT NULL,
            not_valued_ambiguous_ghs bigint NOT NULL,
            not_valued_no_tariff bigint NOT NULL
        );
        CREATE INDEX ix_casemix_figures_kind_grain_period ON casemix_figures (kind, grain, period);
        CREATE INDEX ix_casemix_figures_kind_unit ON casemix_figures (kind, unit, grain, period)
            WHERE unit IS NOT NULL;
        CREATE INDEX ix_casemix_figures_period ON casemix_figures (period);
        INSERT INTO casemix_month (month)
        SELECT DISTINCT date_trunc('month', exit_date)::date FROM rss_version WHERE exit_date IS NOT NULL;

        -- Months in ascending order: two writers touching the same months lock them in one order.
        CREATE FUNCTION casemix_touch(months date[]) RETURNS void LANGUAGE sql AS $$
            INSERT INTO casemix_month (month)
            SELECT DISTINCT m FROM unnest(months) m WHERE m IS NOT NULL ORDER BY m
            ON CONFLICT (month) DO UPDATE SET changes = casemix_month.changes + 1
        $$;

        CREATE FUNCTION casemix_rss_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM casemix_touch(ARRAY(
                    SELECT DISTINCT date_trunc('month', exit_date)::date FROM new_rows));
            END IF;
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                PERFORM casemix_touch(ARRAY(
                    SELECT DISTINCT date_trunc('month', exit_date)::date FROM old_rows));
            END IF;
            RETURN NULL;
        END $$;

        CREATE FUNCTION casemix_rsa_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM casemix_touch(ARRAY(
                    SELECT DISTINCT date_trunc('month', v.exit_date)::date
                    FROM rss_version v JOIN (SELECT DISTINCT rss_number FROM new_rows) n USING (rss_number)
                    WHERE v.is_current));
            END IF;
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                PERFORM casemix_touch(ARRAY(
                    SELECT DISTINCT date_trunc('month', v.exit_date)::date
                    FROM rss_version v JOIN (SELECT DISTINCT rss_number FROM old_rows) n USING (rss_number)
                    WHERE v.is_current));
            END IF;
            RETURN NULL;
        END $$;

        CREATE FUNCTION casemix_every_month_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE casemix_month SET changes = changes + 1;
            RETURN NULL;
        END $$;

        CREATE TRIGGER casemix_rss_inserted AFTER INSERT ON rss_version
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION casemix_rss_changed();
        CREATE TRIGGER casemix_rss_updated AFTER UPDATE ON rss_version
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION casemix_rss_changed();
        CREATE TRIGGER casemix_rss_deleted AFTER DELETE ON rss_version
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION casemix_rss_changed();
        CREATE TRIGGER casemix_rss_truncated AFTER TRUNCATE ON rss_version
            FOR EACH STATEMENT EXECUTE FUNCTION casemix_every_month_changed();
        CREATE TRIGGER casemix_rsa_inserted AFTER INSERT ON rsa
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION casemix_rsa_changed();
        CREATE TRIGGER casemix_rsa_updated AFTER UPDATE ON rsa
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION casemix_rsa_changed();
        CREATE TRIGGER casemix_rsa_deleted AFTER DELETE ON rsa
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION casemix_rsa_changed();
        CREATE TRIGGER casemix_rsa_truncated AFTER TRUNCATE ON rsa
            FOR EACH STATEMENT EXECUTE FUNCTION casemix_every_month_changed();
        """
    )
    for table in _EVERY_MONTH_TABLES:
        op.execute(
            f"CREATE TRIGGER casemix_{table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION casemix_every_month_changed()"
        )


def downgrade() -> None:
    for table in _EVERY_MONTH_TABLES:
        op.execute(f"DROP TRIGGER casemix_{table}_changed ON {table}")
    op.execute(
        """
        DROP TRIGGER casemix_rss_inserted ON rss_version;
        DROP TRIGGER casemix_rss_updated ON rss_version;
        DROP TRIGGER casemix_rss_deleted ON rss_version;
        DROP TRIGGER casemix_rss_truncated ON rss_version;
        DROP TRIGGER casemix_rsa_inserted ON rsa;
        DROP TRIGGER casemix_rsa_updated ON rsa;
        DROP TRIGGER casemix_rsa_deleted ON rsa;
        DROP TRIGGER casemix_rsa_truncated ON rsa;
        DROP FUNCTION casemix_every_month_changed();
        DROP FUNCTION casemix_rsa_changed();
        DROP FUNCTION casemix_rss_changed();
        DROP FUNCTION casemix_touch(date[]);
        DROP TABLE casemix_figures;
        DROP TABLE casemix_month;
        """
    )
