"""Activity breakdowns (aggregates only) and the RHS (SSR/SMR) batch feed."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.activity import service
from app.activity.schemas import (
    CareTypesActivity,
    GhmActivity,
    RhsBatchPage,
    RhsBatchRead,
    SeancesActivity,
    SsrCmActivity,
    UnitsActivity,
)
from app.auth.dependencies import AggregateReader, AnyCaller, FeedWriter, PatientReader
from app.core.dates import BoundedDate
from app.core.db import LongExports, LongStatements, SessionDep
from app.core.exports import EXPORT_RESPONSES, ExportFormat, Table, render
from app.core.problems import problem_responses
from app.core.uploads import require_media_type, spool_request

router = APIRouter(responses=problem_responses(401, 403, 503))

Start = Annotated[
    BoundedDate, Query(alias="from", description="First RSS discharge date of the period (inclusive)")
]
End = Annotated[
    BoundedDate, Query(alias="to", description="Last RSS discharge date of the period (inclusive)")
]
Format = Annotated[
    ExportFormat, Query(alias="format", description="json, or csv (`;`, UTF-8 with BOM) / xlsx to download")
]
READ_RESPONSES: dict[int | str, dict[str, Any]] = {**EXPORT_RESPONSES, **problem_responses(400, 422)}


def _answer(result: Any, fmt: ExportFormat, table: Any) -> Any:
    if fmt is ExportFormat.JSON:
        return result
    built: Table = table(result)
    return render(built, fmt)


@router.get("/activity/units", tags=["activity"], response_model=UnitsActivity, responses=READ_RESPONSES)
def activity_units(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: Start,
    end: End,
    fmt: Format = ExportFormat.JSON,
) -> Any:
    """RUM per pôle and per UM, each RUM through the structure valid on its exit date.

    RUM of the RSS discharged in the period (current versions). UMs unknown to the structure on that
    date are listed under the pôle `unmapped`; UMs without a pôle under `no_pole`."""
    result = service.units_activity(session, principal, start=start, end=end)
    return _answer(result, fmt, service.units_table)


@router.get(
    "/activity/care-types", tags=["activity"], response_model=CareTypesActivity, responses=READ_RESPONSES
)
def activity_care_types(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: Start,
    end: End,
    fmt: Format = ExportFormat.JSON,
) -> Any:
    """RUM and RSS per type of care: hospitalisation complète, 0 jour (hors séance), séances.

    A unit-restricted token counts the RUM of its UMs and the RSS whose last RUM is in one of them."""
    result = service.care_types_activity(session, principal, start=start, end=end)
    return _answer(result, fmt, service.care_types_table)


@router.get("/activity/seances", tags=["activity"], response_model=SeancesActivity, responses=READ_RESPONSES)
def activity_seances(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: Start,
    end: End,
    by: Annotated[
        Literal["unit", "ghm"], Query(description="Break down per exit UM (with pôle) or GHM")
    ] = "unit",
    fmt: Format = ExportFormat.JSON,
) -> Any:
    """RSS-séances and the sum of their `nombre de séances`, per pôle and UM or per GHM.

    Séances: RSS grouped in CMD 28, or without GHM and with séances > 0. Per UM, an RSS-séance is
    attributed to the UM of its last RUM (an RSS-séance has one RUM), so rows add up to the total."""
    result = service.seances_activity(session, principal, start=start, end=end, by=by)
    return _answer(result, fmt, service.seances_table)


@router.get("/activity/ghm", tags=["activity"], response_model=GhmActivity, responses=READ_RESPONSES)
def activity_ghm(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: Start,
    end: End,
    level: Annotated[Literal["ghm", "cmd"], Query(description="Per GHM or per CMD")] = "ghm",
    fmt: Format = ExportFormat.JSON,
) -> Any:
    """Case-mix: RSS per GHM (or CMD), labelled from the loaded GHM nomenclature of the period's last
    year, else the built-in CMD and CMD 28 labels. RSS without GHM are the `key: null` row."""
    result = service.ghm_activity(session, principal, start=start, end=end, level=level)
    return _answer(result, fmt, service.ghm_table)


@router.get("/activity/ssr-cm", tags=["activity"], response_model=SsrCmActivity, responses=READ_RESPONSES)
def activity_ssr_cm(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: Annotated[BoundedDate, Query(alias="from", description="First RHS week date (Monday), inclusive")],
    end: Annotated[BoundedDate, Query(alias="to", description="Last RHS week date (Monday), inclusive")],
    fmt: Format = ExportFormat.JSON,
) -> Any:
    """SSR/SMR activity per catégorie majeure (CM) of the grouped RHS: weeks (RHS), days of presence,
    distinct stays. An RHS belongs to the period containing the Monday of its week."""
    result = service.ssr_cm_activity(session, principal, start=start, end=end)
    return _answer(result, fmt, service.ssr_cm_table)


_ACCEPTED_MEDIA = ("text/plain", "application/octet-stream")

RHS_BODY = {
    "requestBody": {
        "required": True,
        "description": "An RHS file (M09 to M0D, grouped M19 to M1D), one RHS per line",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "/rhs-batches",
    tags=["rhs"],
    status_code=201,
    response_model=RhsBatchRead,
    responses={
        200: {"model": RhsBatchRead, "description": "Already received: the existing batch, nothing stored"},
        **problem_responses(400, 409, 413, 415, 422),
    },
    openapi_extra=RHS_BODY,
)
async def create_rhs_batch(
    request: Request,
    response: Response,
    session: SessionDep,
    _long: LongStatements,
    principal: FeedWriter,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=200, description="Client key for retries")
    ] = None,
) -> RhsBatchRead:
    """Receive an RHS file (SSR/SMR weekly summaries), grouped or not.

    201 with the new batch; 200 with the existing one when the same body (SHA-256) was already
    received, or this token's Idempotency-Key with the same body; the token's key with another
    body is a 409 problem naming the batch. Unreadable lines are reported in `errors` (capped) and
    the others stored; a later batch's RHS for a stay and week supersede the earlier ones. A token
    restricted to units writes only the stay-weeks whose RHS, sent and stored, are all in its units
    (`unit_out_of_scope` line errors for the others; docs/access.md)."""
    require_media_type(request, _ACCEPTED_MEDIA)
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
    if not created:
        response.status_code = 200
    return batch


@router.get("/rhs-batches", tags=["rhs"], response_model=RhsBatchPage, responses=problem_responses(400, 422))
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
    tags=["rhs"],
    response_model=RhsBatchRead,
    responses=problem_responses(404, 422),
)
def read_rhs_batch(batch_id: int, session: SessionDep, _principal: AnyCaller) -> RhsBatchRead:
    """An RHS batch: counts, formats and line errors (no patient data)."""
    return service.get_rhs_batch(session, batch_id=batch_id)
