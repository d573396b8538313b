from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from app.auth.dependencies import AggregateReader, AllUnitsAdmin
from app.core.config import get_settings
from app.core.db import LongStatements, SessionDep
from app.core.problems import problem_responses
from app.core.uploads import read_capped
from app.reference import service
from app.reference.schemas import NomenclatureKind, NomenclatureList, NomenclatureRead

router = APIRouter(tags=["nomenclatures"], responses=problem_responses(401, 403, 422, 503))

CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "contentMediaType": "application/octet-stream",
                    "description": (
                        "The CSV file, plain or gzip-compressed (layouts in docs/nomenclatures.md)"
                    ),
                    "title": "Body",
                }
            }
        },
    }
}


async def nomenclature_body(request: Request) -> bytes:
    # A CSV compresses five to ten times: the decompressed limit caps the body too, so an oversized
    # body is refused while it streams in, not after.
    return await read_capped(
        request,
        get_settings().max_decompressed_bytes,
        hint="Nomenclature files are limited to DIMQA_MAX_DECOMPRESSED_BYTES, compressed or not.",
    )


@router.get("/nomenclatures", response_model=NomenclatureList)
def list_nomenclatures(session: SessionDep, principal: AggregateReader) -> NomenclatureList:
    """Loaded nomenclatures: the latest load of every (kind, year) with its row count."""
    return NomenclatureList(items=service.list_loaded(session))


@router.post(
    "/nomenclatures/{kind}",
    response_model=NomenclatureRead,
    responses=problem_responses(400, 413),
    openapi_extra=CSV_BODY,
)
def load_nomenclature(
    kind: NomenclatureKind,
    year: Annotated[
        int,
        Query(
            ge=service.MIN_YEAR,
            le=service.MAX_YEAR,
            description="Nomenclature year (the tariff campaign for ghs_tariffs)",
        ),
    ],
    principal: AllUnitsAdmin,  # before the body: no token, nothing read
    body: Annotated[bytes, Depends(nomenclature_body)],
    session: SessionDep,
    _long: LongStatements,
) -> NomenclatureRead:
    """Replace one year of a nomenclature (admin). All or nothing: any unreadable row loads nothing
    and the response lists the first errors with their line and column. A file larger than
    `DIMQA_MAX_DECOMPRESSED_BYTES` (64 MiB), as sent or once decompressed, is a 413 problem.

    Rules needing a nomenclature are reported as skipped until it is loaded; run
    `POST /validation-runs` afterwards to re-check the stored stays."""
    load = service.submit(session, principal, kind=kind, year=year, data=body, source="api")
    return service.to_read(load)
