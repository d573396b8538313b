from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import AggregateReader, AllUnitsAdmin
from app.core.db import LongStatements, SessionDep
from app.core.problems import problem_responses
from app.core.uploads import FILE_MEDIA_TYPES, file_body, require_media_type, spool_request
from app.structure import service
from app.structure.schemas import IumLoadResult, StructureIn, StructureRead, StructureSummary

router = APIRouter(tags=["structure"], responses=problem_responses(401, 403, 503))


@router.get("/structure", response_model=StructureRead)
def read_structure(session: SessionDep, principal: AggregateReader) -> StructureRead:
    """Pôles, services, UMs (with validity periods) and the fichier d'UM history.

    A unit-restricted token sees only its units."""
    return service.read_structure(session, principal)


@router.put("/structure", response_model=StructureSummary, responses=problem_responses(400, 422))
def replace_structure(
    body: StructureIn, session: SessionDep, _long: LongStatements, principal: AllUnitsAdmin
) -> StructureSummary:
    """Replace pôles, services and UMs in one transaction (the fichier d'UM history is kept)."""
    return service.submit_structure(session, principal, body)


IUM_BODY = file_body(
    "A fichier d'UM (ATIH): 28-character lines, unit, FINESS géographique, "
    "type d'autorisation, date d'effet, lits, mode d'hospitalisation"
)


@router.post(
    "/structure/ium",
    response_model=IumLoadResult,
    responses=problem_responses(400, 413, 415),
    openapi_extra=IUM_BODY,
)
async def load_ium(
    request: Request, session: SessionDep, _long: LongStatements, principal: AllUnitsAdmin
) -> IumLoadResult:
    """Load a fichier d'UM into the authorisation history (kept across loads; re-loading is harmless)."""
    require_media_type(request, FILE_MEDIA_TYPES)
    upload = await spool_request(request)
    with upload.file:
        body = upload.file.read()
    return await run_in_threadpool(service.submit_ium, session, principal, body)
