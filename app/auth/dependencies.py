"""Authentication and role dependencies. Roles are capability sets, not a strict ladder:
`ingest` may only post feeds; `reader` sees aggregates; `dim` also patient-level rows and reviews;
`admin` everything, plus structure, nomenclatures and tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.schemas import PATIENT_READERS, Principal, Role
from app.core.db import SessionDep
from app.core.problems import Forbidden

bearer = HTTPBearer(auto_error=False, description="API token created with `dimqa token create`")

FEED_WRITERS = frozenset({Role.INGEST, Role.ADMIN})
AGGREGATE_READERS = frozenset({Role.READER, Role.DIM, Role.ADMIN})
REVIEWERS = frozenset({Role.DIM, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})
ANY_ROLE = frozenset(Role)


def get_principal(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    principal = service.authenticate(session, authorization=request.headers.get("authorization"))
    request.state.principal = principal
    return principal


@dataclass(frozen=True, slots=True)
class Access:
    """What a role dependency demands, attached to it (ACCESS) for the endpoint × role table."""

    roles: frozenset[Role]
    all_units: bool = False  # a token restricted to units is refused


ACCESS = "dimqa_access"


def access_of(dependency: object) -> Access | None:
    found = getattr(dependency, ACCESS, None)
    return found if isinstance(found, Access) else None


def require(roles: frozenset[Role]) -> Callable[[Principal], Awaitable[Principal]]:
    allowed = ", ".join(sorted(r.value for r in roles))

    # async: a check without I/O, run on the event loop. FastAPI runs a sync dependency in the
    # threadpool, a hand-off to a worker thread and back (0.1-0.3 ms on two busy cores) on
    # every authenticated request, for a set lookup.
    async def dependency(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"Role {principal.role.value!r} may not do this (allowed: {allowed}).")
        return principal

    setattr(dependency, ACCESS, Access(roles))
    return dependency


def require_all_units(roles: frozenset[Role]) -> Callable[[Principal], Awaitable[Principal]]:
    """`require(roles)`, and a token not restricted to units: for views that cannot be scoped to
    units (Prometheus gauges are labelled with every service)."""
    checked = require(roles)

    # A default rather than Annotated: with postponed annotations FastAPI resolves the annotation
    # in the module's globals, where the local `checked` does not exist.
    async def dependency(principal: Principal = Depends(checked)) -> Principal:  # no I/O: see require
        if principal.units is not None:
            raise Forbidden("A token restricted to units may not do this (it needs every unit).")
        return principal

    setattr(dependency, ACCESS, Access(roles, all_units=True))
    return dependency


def require_detail_reader(principal: Principal) -> None:
    """Refuse stay-level detail (`detail=true` of an aggregate report) to a role that may not read it."""
    if principal.role not in PATIENT_READERS:
        raise Forbidden(
            f"Role {principal.role.value!r} may not read stay-level detail (allowed: admin, dim)."
        )


AnyCaller = Annotated[Principal, Depends(require(ANY_ROLE))]
FeedWriter = Annotated[Principal, Depends(require(FEED_WRITERS))]
AggregateReader = Annotated[Principal, Depends(require(AGGREGATE_READERS))]
PatientReader = Annotated[Principal, Depends(require(PATIENT_READERS))]
Reviewer = Annotated[Principal, Depends(require(REVIEWERS))]
Admin = Annotated[Principal, Depends(require(ADMINS))]
AllUnitsAggregateReader = Annotated[Principal, Depends(require_all_units(AGGREGATE_READERS))]
# Writes to the whole hospital, refused to a token restricted to units: the structure, the fichier
# d'UM and the nomenclatures apply to every unit, and the event feeds carry movements across units
# and documents with no unit at all (docs/access.md).
AllUnitsAdmin = Annotated[Principal, Depends(require_all_units(ADMINS))]
AllUnitsFeedWriter = Annotated[Principal, Depends(require_all_units(FEED_WRITERS))]
# A rescan re-checks (and closes or opens findings of) every unit's stays.
AllUnitsReviewer = Annotated[Principal, Depends(require_all_units(REVIEWERS))]
