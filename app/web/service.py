"""Web sessions: sign-in with an API token, the session a cookie names, CSRF tokens, sign-out.

The browser holds only a random session id (HttpOnly cookie); the database holds its keyed hash
(app.core.security.hash_token) and the API token it was opened with, whose role and units the
pages apply, exactly as the API does for a bearer token. A revoked token closes its sessions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth import repository as auth_repository
from app.auth.schemas import Principal, Role
from app.core.config import get_settings
from app.core.security import hash_token, hashes_match
from app.web import repository


@dataclass(frozen=True, slots=True)
class Opened:
    """A new session: the id for the cookie (shown once) and the principal it signs in."""

    session_id: str
    principal: Principal
    max_age: int  # seconds, for the cookie


def _session_hash(session_id: str) -> str:
    # A prefix keeps session hashes apart from token hashes made with the same key.
    return hash_token("web-session:" + session_id)


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: derived from its id with the server key, so nothing more is
    stored and a page cannot forge another session's token."""
    return hash_token("web-csrf:" + session_id)


def csrf_matches(session_id: str, submitted: str | None) -> bool:
    return bool(submitted) and hashes_match(csrf_token(session_id), submitted or "")


def sign_in(session: Session, *, secret: str) -> Opened | None:
    """A session for the API token `secret`, or None when it is unknown or revoked. Expired
    sessions are swept here: sign-ins are rare, pages are not."""
    secret = secret.strip()
    if not secret:
        return None
    candidate = hash_token(secret)
    token = auth_repository.get_active_by_hash(session, token_hash=candidate)
    if token is None or not hashes_match(token.token_hash, candidate):
        return None
    settings = get_settings()
    now = datetime.now(UTC)
    lifetime = timedelta(hours=settings.web_session_max_hours)
    idle = timedelta(minutes=settings.web_session_idle_minutes)
    session_id = secrets.token_urlsafe(32)
    repository.delete_expired(session)
    repository.create_session(
        session,
        session_hash=_session_hash(session_id),
        token_id=token.id,
        expires_at=now + min(idle, lifetime),
        absolute_expires_at=now + lifetime,
    )
    principal = Principal(
        name=token.name, role=Role(token.role), units=tuple(token.units) if token.units is not None else None
    )
    audit_service.record(session, principal, action="write", object_type="web_session")
    return Opened(session_id, principal, int(lifetime.total_seconds()))


def resolve(session: Session, *, session_id: str) -> Principal | None:
    """The principal of a live session (its idle expiry pushed back), or None: unknown, expired,
    or its token revoked."""
    if not session_id or len(session_id) > 100:
        return None
    idle = timedelta(minutes=get_settings().web_session_idle_minutes)
    row = repository.touch_session(session, session_hash=_session_hash(session_id), idle=idle)
    if row is None:
        return None
    return Principal(
        name=row.name, role=Role(row.role), units=tuple(row.units) if row.units is not None else None
    )


def sign_out(session: Session, *, session_id: str) -> None:
    repository.delete_session(session, session_hash=_session_hash(session_id))
