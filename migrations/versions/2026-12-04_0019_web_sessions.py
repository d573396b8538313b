"""Web interface sessions: one row per signed-in browser, keyed by a hash of its session id

Revision ID: 0019_web_sessions
Revises: 0017_transmission_index
Create Date: 2026-12-04

- `web_session`: the browser holds a random session id in an HttpOnly cookie; only its keyed hash
  is stored, so a copy of the database cannot be replayed as a cookie. A session belongs to the
  API token it was opened with (same role and units) and dies with it (ON DELETE CASCADE; a revoked
  token is refused at each request). `expires_at` slides with use up to `absolute_expires_at`.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_web_sessions"
down_revision: str | None = "0017_transmission_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE web_session (
            id bigserial CONSTRAINT pk_web_session PRIMARY KEY,
            session_hash varchar(64) NOT NULL CONSTRAINT uq_web_session_session_hash UNIQUE,
            token_id integer NOT NULL
                CONSTRAINT fk_web_session_token_id_api_token REFERENCES api_token (id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL,
            absolute_expires_at timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_web_session_expires_at ON web_session (expires_at)")
    op.execute("CREATE INDEX ix_web_session_token_id ON web_session (token_id)")


def downgrade() -> None:
    op.execute("DROP TABLE web_session")
