"""Token lifecycle and authentication. Tokens are shown once and stored as keyed hashes.

Scope: a token restricted to units only manages tokens within its own scope. It creates tokens
of a role it holds the capabilities of, restricted to some of its own units (never an
unrestricted one), and lists and revokes only the tokens restricted to some of its units. An
unrestricted admin manages every token."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth import repository
from app.auth.models import ApiToken
from app.auth.schemas import Principal, Role
from app.core.line_errors import LineError
from app.core.problems import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from app.core.security import generate_token, hash_token, hashes_match
from app.structure import repository as structure_repository

# The roles whose capabilities a role holds (app.auth.dependencies: roles are capability sets, not
# a ladder): dim reads every aggregate a reader does; ingest and reader hold only their own.
GRANTABLE: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.DIM: frozenset({Role.DIM, Role.READER}),
    Role.READER: frozenset({Role.READER}),
    Role.INGEST: frozenset({Role.INGEST}),
}


def clean_units(units: Sequence[str] | None) -> list[str] | None:
    """The UM codes a token is restricted to (stripped, sorted, once each); None: every unit.

    An empty list or a blank code is refused: taken as "no restriction", it made a token meant for
    one unit see them all."""
    if units is None:
        return None
    if not units:
        raise InvalidInput(
            "`units` is empty: name at least one UM, or omit it for a token on every unit.",
            errors=[LineError(None, "units", "empty_units", "an empty list of units restricts nothing")],
            status=422,
        )
    blank = [
        LineError(index, "units", "blank_unit", "a UM code is empty or blank")
        for index, unit in enumerate(units, start=1)
        if not unit.strip()
    ]
    if blank:
        raise InvalidInput(f"{len(blank)} blank UM code(s) in `units`.", errors=blank, status=422)
    return sorted({unit.strip() for unit in units})


def create_token(
    session: Session, *, name: str, role: Role, units: Sequence[str] | None = None
) -> tuple[ApiToken, str]:
    """A new token; returns it with its secret. Checks the name and the shape of `units` only:
    `grant_token` also checks the creator's scope and that the units exist (the API and CLI go
    through it)."""
    scope = clean_units(units)
    if repository.get_by_name(session, name=name) is not None:
        raise Conflict(f"A token named {name!r} already exists.")
    secret = generate_token()
    token = repository.create(session, name=name, role=role.value, units=scope, token_hash=hash_token(secret))
    if token is None:  # created by a concurrent request since the check above
        raise Conflict(f"A token named {name!r} already exists.")
    return token, secret


def grant_token(
    session: Session, creator: Principal, *, name: str, role: Role, units: Sequence[str] | None = None
) -> tuple[ApiToken, str]:
    """A token created by `creator`: within its scope (Forbidden otherwise), restricted to UM codes
    known from the structure or the fichier d'UM (InvalidInput 422 naming each unknown one).
    Audited, as the revocation."""
    scope = clean_units(units)
    if role not in GRANTABLE[creator.role]:
        raise Forbidden(f"A {creator.role.value!r} token may not create a {role.value!r} token.")
    if creator.units is not None:
        if scope is None:
            raise Forbidden(
                "A token restricted to units may not create a token on every unit: name some of its units."
            )
        outside = [unit for unit in scope if unit not in creator.units]
        if outside:
            raise Forbidden(
                f"Units {', '.join(outside)} are outside this token's units: it may only create tokens "
                "restricted to some of its own units."
            )
    if units is not None and scope is not None:
        known = structure_repository.known_unit_codes(session, codes=scope)
        unknown = [
            LineError(
                index,
                "units",
                "unknown_unit",
                f"UM {unit.strip()!r} is neither in the structure nor in the fichier d'UM",
            )  # fmt: skip
            for index, unit in enumerate(units, start=1)  # positions as sent
            if unit.strip() not in known
        ]
        if unknown:
            raise InvalidInput(
                f"{len(unknown)} unknown UM code(s) in `units`: load the structure or the fichier d'UM "
                "first (PUT /api/v1/structure, POST /api/v1/structure/ium; dimqa ingest structure|ium).",
                errors=unknown,
                status=422,
            )
    token, secret = create_token(session, name=name, role=role, units=scope)
    _audit(session, creator, token.name, token.units)
    return token, secret


def create_first_admin(session: Session, creator: Principal) -> tuple[ApiToken, str]:
    """The admin token `dimqa serve` creates on a database without tokens, audited."""
    token, secret = create_token(session, name="admin", role=Role.ADMIN)
    _audit(session, creator, token.name, None)
    return token, secret


def _audit(session: Session, principal: Principal, name: str, units: list[str] | None) -> None:
    audit_service.record(
        session, principal, action="write", object_type="token", object_ids=[name], units=units
    )


def manages(principal: Principal, token: ApiToken) -> bool:
    """Whether `principal` may see and revoke `token`: every token for an unrestricted caller, else
    the tokens restricted to some of its units."""
    if principal.units is None:
        return True
    return token.units is not None and bool(token.units) and set(token.units) <= set(principal.units)


def revoke_token(session: Session, principal: Principal, *, name: str) -> ApiToken:
    """Revoke a token `principal` manages; returns it. A token outside its scope answers as a
    missing one (NotFound)."""
    token = repository.get_by_name(session, name=name)
    if token is None or not manages(principal, token) or not repository.revoke(session, name=name):
        raise NotFound(f"No active token named {name!r}.")
    _audit(session, principal, name, token.units)
    return token


def list_tokens(session: Session, principal: Principal) -> list[ApiToken]:
    return [token for token in repository.list_tokens(session) if manages(principal, token)]


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
    # Only NULL means every unit: an empty array (refused by clean_units and by a CHECK constraint)
    # would give a token that sees no unit, never one that sees them all.
    return Principal(
        name=token.name, role=Role(token.role), units=tuple(token.units) if token.units is not None else None
    )
