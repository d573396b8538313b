"""Token lifecycle and authentication. Tokens are shown once and stored as keyed hashes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.auth import repository
from app.auth.models import ApiToken
from app.auth.schemas import Principal, Role
from app.core.problems import Conflict, NotFound, Unauthenticated
from app.core.security import generate_token, hash_token, hashes_match


def create_token(
    session: Session, *, name: str, role: Role, units: list[str] | None = None
) -> tuple[ApiToken, str]:
    if repository.get_by_name(session, name=name) is not None:
        raise Conflict(f"A token named {name!r} already exists.")
    secret = generate_token()
    clean_units = sorted({u.strip() for u in units if u.strip()}) if units else None
    token = repository.create(
        session, name=name, role=role.value, units=clean_units or None, token_hash=hash_token(secret)
    )
    return token, secret


def revoke_token(session: Session, *, name: str) -> None:
    if not repository.revoke(session, name=name):
        raise NotFound(f"No active token named {name!r}.")


def list_tokens(session: Session) -> list[ApiToken]:
    return repository.list_tokens(session)


def has_active_tokens(session: Session) -> bool:
    return repository.count_active(session) > 0


def authenticate(session: Session, *, authorization: str | None) -> Principal:
    if not authorization:
        raise Unauthenticated("Missing Authorization header; send 'Authorization: Bearer <token>'.")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("The Authorization header must use the Bearer scheme.")
    candidate = hash_token(secret.strip())
    token = repository.get_active_by_hash(session, token_hash=candidate)
    if token is None or not hashes_match(token.token_hash, candidate):
        raise Unauthenticated("Invalid or revoked token.")
    return Principal(
        name=token.name, role=Role(token.role), units=tuple(token.units) if token.units else None
    )
