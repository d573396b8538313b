from __future__ import annotations

from fastapi import APIRouter, status

from app.auth import service
from app.auth.dependencies import Admin, AnyCaller
from app.auth.schemas import MeRead, TokenCreate, TokenCreated, TokenRead
from app.core.db import SessionDep
from app.core.problems import problem_responses

router = APIRouter(tags=["auth"], responses=problem_responses(401, 403, 503))


@router.get("/me", response_model=MeRead)
def read_me(principal: AnyCaller) -> MeRead:
    """The caller's token name, role and units: integrations use it to test their credentials."""
    return MeRead(
        name=principal.name, role=principal.role, units=list(principal.units) if principal.units else None
    )


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: SessionDep, principal: Admin) -> list[TokenRead]:
    """List API tokens (never their secrets). An admin token restricted to units lists only the
    tokens restricted to some of its units."""
    return [
        TokenRead.model_validate(t, from_attributes=True) for t in service.list_tokens(session, principal)
    ]


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 422),
)
def create_token(body: TokenCreate, session: SessionDep, principal: Admin) -> TokenCreated:
    """Create a token; the secret is returned once and stored only as a keyed hash.

    Within the caller's scope: an admin token restricted to units creates only tokens restricted to
    some of its units (403 otherwise, and for a token on every unit). Every unit code must be in the
    structure or the fichier d'UM (422 naming it); a taken name is a 409."""
    token, secret = service.grant_token(session, principal, name=body.name, role=body.role, units=body.units)
    return TokenCreated(**TokenRead.model_validate(token, from_attributes=True).model_dump(), token=secret)


@router.delete("/tokens/{name}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404))
def revoke_token(name: str, session: SessionDep, principal: Admin) -> None:
    """Revoke a token: it stops working at once. An admin token restricted to units revokes only
    the tokens restricted to some of its units: any other answers 404, as a missing one."""
    service.revoke_token(session, principal, name=name)
