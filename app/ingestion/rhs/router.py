"""The RHS (SSR/SMR) batch feed: receive an RHS file, list and read the batches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.auth.dependencies import AnyCaller, FeedWriter, PatientReader
from app.core.db import LongStatements, SessionDep
from app.core.problems import problem_responses
from app.core.uploads import (
    FILE_MEDIA_TYPES,
    IdempotencyKey,
    batch_route,
    file_body,
    received,
    require_media_type,
    spool_request,
)
from app.ingestion.rhs import service
from app.ingestion.rhs.schemas import RhsBatchPage, RhsBatchRead

router = APIRouter(tags=["rhs"], responses=problem_responses(401, 403, 503))

RHS_BODY = file_body("An RHS file (M09 to M0D, grouped M19 to M1D), one RHS per line")


@batch_route(router, "/rhs-batches", RhsBatchRead, RHS_BODY)
async def create_rhs_batch(
    request: Request,
    response: Response,
    session: SessionDep,
    _long: LongStatements,
    principal: FeedWriter,
    idempotency_key: IdempotencyKey = None,
) -> RhsBatchRead:
    """Receive an RHS file (SSR/SMR weekly summaries), grouped or not.

    201 with the new batch; 200 with the existing one when the same body (SHA-256) was already
    received, or this token's Idempotency-Key with the same body; the token's key with another
    body is a 409 problem naming the batch. Unreadable lines are reported in `errors` (capped) and
    the others stored; a later batch's RHS for a stay and week supersede the earlier ones. A token
    restricted to units writes only the stay-weeks whose RHS, sent and stored, are all in its units
    (`unit_out_of_scope` line errors for the others; docs/access.md)."""
    require_media_type(request, FILE_MEDIA_TYPES)
    # The body is spooled (memory, then disk) without blocking the event loop; parsing and SQL are
    # synchronous and run in the thread pool.
    upload = await spool_request(request)
    with upload.file:
        batch, created = await run_in_threadpool(
            service.ingest_rhs_file,
            session,
            upload.file,
            principal=principal,
            source="file",
            idempotency_key=idempotency_key,
        )
    return received(response, batch, created)


@router.get("/rhs-batches", response_model=RhsBatchPage, responses=problem_responses(400, 422))
def list_rhs_batches(
    session: SessionDep,
    principal: PatientReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RhsBatchPage:
    """RHS batches, newest first, `limit` per page; pass `next_cursor` back as `cursor` for the next page.

    Same paging and roles as `GET /rum-batches`: dim and admin."""
    return service.list_rhs_batches(session, cursor=cursor, limit=limit)


@router.get(
    "/rhs-batches/{batch_id}",
    response_model=RhsBatchRead,
    responses=problem_responses(404, 422),
)
def read_rhs_batch(batch_id: int, session: SessionDep, _principal: AnyCaller) -> RhsBatchRead:
    """An RHS batch: counts, formats and line errors (no patient data)."""
    return service.get_rhs_batch(session, batch_id=batch_id)
