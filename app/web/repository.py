"""SQL of the web interface: its sessions, and the one default a page needs from the stays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, delete, func, select, text
from sqlalchemy.orm import Session

from app.web.models import WebSession


def create_session(
    session: Session, *, session_hash: str, token_id: int, expires_at: datetime, absolute_expires_at: datetime
) -> None:
    session.add(
        WebSession(
            session_hash=session_hash,
            token_id=token_id,
            expires_at=expires_at,
            absolute_expires_at=absolute_expires_at,
        )
    )
    session.flush()


# One round trip per page: the session is found, its idle expiry pushed back (never past its
# absolute expiry) and its token's role and units read, or nothing when expired or revoked.
_TOUCH_SQL = text(
    """
    UPDATE web_session AS s
    SET expires_at = LEAST(now() + :idle, s.absolute_expires_at)
    FROM api_token AS t
    WHERE s.session_hash = :session_hash
      AND s.expires_at > now()
      AND t.id = s.token_id
      AND t.revoked_at IS NULL
    RETURNING t.name, t.role, t.units
    """
)


def touch_session(session: Session, *, session_hash: str, idle: timedelta) -> Row[Any] | None:
    return session.execute(_TOUCH_SQL, {"session_hash": session_hash, "idle": idle}).first()


def delete_session(session: Session, *, session_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.session_hash == session_hash))


def delete_expired(session: Session) -> int:
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= func.now()))
    return int(result.rowcount)  # type: ignore[attr-defined]


def latest_discharge_date(session: Session) -> date | None:
    """The last discharge date the movements know: the weekly page opens on its week when the
    data stops before today (a demo year, a test database)."""
    latest: date | None = session.scalar(text("SELECT max(discharge_date) FROM stay_discharge_period"))
    return latest


def count_sessions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(WebSession)) or 0)
