from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import AnyCaller, FeedWriter, PatientReader
from app.core.db import LongStatements, SessionDep
from app.core.problems import PayloadTooLarge, problem_responses
from app.core.uploads import (
    FILE_MEDIA_TYPES,
    IdempotencyKey,
    batch_route,
    file_body,
    inline_schema,
    received,
    require_media_type,
    spool_request,
)
from app.ingestion import json_intake, reads, service, visibility
from app.ingestion.schemas import RssRead, RumBatchIn, RumBatchPage, RumBatchRead
from app.medeco import pricing

router = APIRouter(tags=["ingestion"], responses=problem_responses(401, 403, 503))

BATCH_BODY = file_body(
    "A whole RSS file (one RUM per line, formats 016-023, grouped 116-123; "
    "LF or CRLF; UTF-8, else Latin-1), or the same records as JSON.",
    also={"application/json": {"schema": inline_schema(RumBatchIn)}},
)


@batch_route(router, "/rum-batches", RumBatchRead, BATCH_BODY)
async def create_rum_batch(
    request: Request,
    response: Response,
    session: SessionDep,
    _long: LongStatements,
    principal: FeedWriter,
    idempotency_key: IdempotencyKey = None,
) -> RumBatchRead:
    """Receive a RUM/RSS batch: a fixed-width RSS file or JSON `{"rums": [...]}`.

    201 with the new batch; 200 with the existing batch, nothing stored, when the same body
    (SHA-256) was already received. An Idempotency-Key names one delivery of the token sending it
    (keys are per token): a retry under it with the same body answers that delivery's batch; the
    same key with another body is a 409 problem naming the batch, nothing stored. Use a new key (or
    none) to send other content.

    A token restricted to units writes only the RSS whose RUMs are all in its units, in the version
    sent and in the current version it would replace; the others are rejected whole with a
    `unit_out_of_scope` line error (docs/access.md).

    An RSS with a structural error in any of its lines is rejected whole and reported in `errors`
    (the first 1,000; `errors_total` counts them all); the other RSS are stored, a later version of
    an RSS superseding the current one, and checked by the rules (`findings`). A body with no RUM
    line is a 400 problem; JSON records (`line` = 1-based position in `rums`) are written as
    fixed-width lines and parsed exactly like a file."""
    kind = require_media_type(request, (*FILE_MEDIA_TYPES, "application/json"))
    upload = await spool_request(request)
    with upload.file:
        if kind == "application/json":
            if upload.size > json_intake.MAX_JSON_BYTES:
                raise PayloadTooLarge(
                    f"A JSON batch is limited to {json_intake.MAX_JSON_BYTES} bytes (it is validated whole); "
                    "send large batches as an RSS file (text/plain)."
                )
            body = upload.file.read()
            batch, created = await run_in_threadpool(
                lambda: json_intake.ingest_rum_json(
                    session, body, principal=principal, source="json", sha256=upload.sha256,
                    idempotency_key=idempotency_key,
                )
            )  # fmt: skip
        else:
            batch, created = await run_in_threadpool(
                lambda: service.ingest_rss_file(
                    session, upload.file, principal=principal, source="file", sha256=upload.sha256,
                    idempotency_key=idempotency_key,
                )
            )  # fmt: skip
    return received(response, batch, created)


@router.get("/rum-batches", response_model=RumBatchPage, responses=problem_responses(400, 422))
def list_rum_batches(
    session: SessionDep,
    principal: PatientReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RumBatchPage:
    """RUM batches, newest first, `limit` per page; pass `next_cursor` back as `cursor` for the next page.

    Browsing every batch is for the DIM (dim, admin), as for RHS batches. A token restricted to
    units gets an error's `rss_number` only for the RSS whose current version has a RUM in its
    units; null otherwise. A page naming RSS numbers is recorded in the audit log with them."""
    page = reads.list_batches(session, cursor=cursor, limit=limit)
    items = visibility.shown_to(session, principal, page.items)
    return page.model_copy(update={"items": items})


@router.get(
    "/rum-batches/{batch_id}",
    response_model=RumBatchRead,
    responses=problem_responses(404, 422),
)
def read_rum_batch(batch_id: int, session: SessionDep, principal: AnyCaller) -> RumBatchRead:
    """One RUM batch with its counts, formats, line errors and findings totals.

    Every role, as for RHS batches: a feed reads back the batch its POST created. An error's
    `rss_number` is given only to callers who may read that RSS (dim and admin; with a token
    restricted to units, only the RSS with a RUM of its units): null for the others. A read that
    names RSS numbers is recorded in the audit log with them."""
    batch = visibility.shown_to(session, principal, [reads.get_batch(session, batch_id=batch_id)])[0]
    return batch


@router.get("/rss/{rss_number}", response_model=RssRead, responses=problem_responses(404))
def read_rss(rss_number: str, session: SessionDep, principal: PatientReader) -> RssRead:
    """The current version of an RSS with every field of its RUMs and its version history, and
    its `valuation` in euros (GHS, bounds, supplements: docs/tariffs.md) or `not_valued_reason`.

    Patient-level data: dim and admin only; every read is written to the audit log."""
    rss = reads.read_rss(session, principal, rss_number=rss_number)
    valuation, reason = pricing.value_rss(session, rss_number=rss.rss_number)
    return rss.model_copy(update={"valuation": valuation, "not_valued_reason": reason})
