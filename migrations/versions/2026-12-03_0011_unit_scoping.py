"""Unit scoping: audit entries name their units, Idempotency-Keys belong to a token, no empty scope

Revision ID: 0011_unit_scoping
Revises: 0010
Create Date: 2026-12-03

- `audit_log.units`: the UMs whose data an entry concerns, so that an admin token restricted to
  units reads only the entries about its units. Existing entries keep NULL (not tied to units):
  only unrestricted admins see them.
- `rum_batch` and `rhs_batch`: an Idempotency-Key is unique per token (`token_name`), no longer
  across the hospital: another token's key can no longer make a batch answer as someone else's
  delivery and drop its data.
- `api_token.units`: an empty array is refused (NULL means every unit; an empty list was taken
  for it).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_unit_scoping"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE audit_log ADD COLUMN units text[]")
    for table in ("rum_batch", "rhs_batch"):
        op.drop_constraint(f"uq_{table}_idempotency_key", table, type_="unique")
        op.create_unique_constraint(
            f"uq_{table}_token_idempotency_key", table, ["token_name", "idempotency_key"]
        )
    op.create_check_constraint(
        "ck_api_token_units_not_empty", "api_token", "units IS NULL OR cardinality(units) > 0"
    )


def downgrade() -> None:
    op.drop_constraint("ck_api_token_units_not_empty", "api_token", type_="check")
    # Fails if two tokens used the same key since the upgrade: the old schema cannot hold both.
    for table in ("rum_batch", "rhs_batch"):
        op.drop_constraint(f"uq_{table}_token_idempotency_key", table, type_="unique")
        op.create_unique_constraint(f"uq_{table}_idempotency_key", table, ["idempotency_key"])
    op.drop_column("audit_log", "units")
