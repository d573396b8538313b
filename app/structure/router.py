from __future__ import annotations

from fastapi import APIRouter, Request

from app.audit import service as audit_service
from app.auth.dependencies import Admin, AggregateReader
from app.core.db import SessionDep
from app.core.problems import problem_responses
from app.structure import service
from app.structure.schemas import StructureIn, StructureRead, StructureSummary

router = APIRouter(tags=["structure"], responses=problem_responses(401, 403, 503))


@router.get("/structure", response_model=StructureRead)
def read_structure(session: SessionDep, principal: AggregateReader) -> StructureRead:
    """Pôles, services, UMs (with validity periods) and the fichier d'UM history.

    A unit-restricted token sees only its units."""
    return service.read_structure(session, principal)


@router.put("/structure", response_model=StructureSummary, responses=problem_responses(400, 422))
def replace_structure(
    body: StructureIn, session: SessionDep, principal: Admin, request: Request
) -> StructureSummary:
    """Replace pôles, services and UMs in one transaction (the fichier d'UM history is kept)."""
    summary = service.replace_structure(session, body)
    audit_service.record(
        session,
        principal,
        action="write",
        object_type="structure",
        object_ids=[u.code for u in body.units],
        request=request,
    )
    return summary
