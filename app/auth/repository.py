from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import ApiToken


def get_active_by_hash(session: Session, *, token_hash: str) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )


def get_by_name(session: Session, *, name: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.name == name))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def count_active(session: Session) -> int:
    return len(list(session.scalars(select(ApiToken.id).where(ApiToken.revoked_at.is_(None)))))


def create(
    session: Session, *, name: str, role: str, units: list[str] | None, token_hash: str
) -> ApiToken | None:
    """The new token, or None when its name is taken (by a concurrent request: the caller checked)."""
    token = ApiToken(name=name, role=role, units=units, token_hash=token_hash)
    try:
        with session.begin_nested():
            session.add(token)
    except IntegrityError:
        if get_by_name(session, name=name) is None:
            raise
        return None
    return token


def revoke(session: Session, *, name: str) -> bool:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
