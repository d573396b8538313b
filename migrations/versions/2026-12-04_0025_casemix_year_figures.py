"""Case-mix figures kept per calendar year as well

Revision ID: 0025_casemix_year_figures
Revises: 0020_casemix_figures
Create Date: 2026-12-04

- `casemix_figures.grain` 'y': the sums of a calendar year (`period` its 1 January), the month rows
  of that year added up, per kind and key. A year by GHM for a token of one UM read ~4,600 month
  rows (400 GHMs x 12) and their aggregate was most of the request's database time; it reads ~400.
  app.medeco.repository.price_month writes the year's rows again after each month it computes: a
  request reading a year first brings every month of it up to date, so the year rows it reads are
  the sums of current months.
- The upgrade adds the year rows of the month rows already stored (a month still stale then is
  computed on its next read, and its year with it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_casemix_year_figures"
down_revision: str | None = "0020_casemix_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = "unit, service, pole, unit_label, service_label, pole_label, ghm"
_SUMS = (
    "stays", "seances", "days", "los_sum", "national_sum", "national_n", "ipdms_los", "ipdms_reference",
    "ipdms_stays", "below_low_bound", "above_high_bound", "exb_days", "exh_days", "valuation_base",
    "valuation_exb", "valuation_exh", "valuation_supplements", "valuation_total", "not_valued_no_ghm",
    "not_valued_error_ghm", "not_valued_ambiguous_ghs", "not_valued_no_tariff",
)  # fmt: skip


def upgrade() -> None:
    op.execute(
        "ALTER TABLE casemix_figures DROP CONSTRAINT ck_casemix_figures_grain, "
        "ADD CONSTRAINT ck_casemix_figures_grain CHECK (grain IN ('d', 'm', 'y'))"
    )
    op.execute(
        f"INSERT INTO casemix_figures (grain, period, kind, {_KEYS}, {', '.join(_SUMS)}) "
        f"SELECT 'y', date_trunc('year', period)::date, kind, {_KEYS}, "
        f"{', '.join(f'sum({name})' for name in _SUMS)} "
        f"FROM casemix_figures WHERE grain = 'm' GROUP BY date_trunc('year', period), kind, {_KEYS}"
    )


def downgrade() -> None:
    op.execute("DELETE FROM casemix_figures WHERE grain = 'y'")
    op.execute(
        "ALTER TABLE casemix_figures DROP CONSTRAINT ck_casemix_figures_grain, "
        "ADD CONSTRAINT ck_casemix_figures_grain CHECK (grain IN ('d', 'm'))"
    )
