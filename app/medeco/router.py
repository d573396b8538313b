from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.params import ExportFormatQuery, RssDischargeFrom, RssDischargeTo
from app.auth.dependencies import (
    FEED_WRITERS,
    AggregateReader,
    AllUnitsFeedWriter,
    require_all_units,
)
from app.auth.schemas import PATIENT_READERS, Principal
from app.core.config import get_settings
from app.core.db import LongExports, SessionDep
from app.core.exports import (
    EXPORT_READ_RESPONSES,
    XLSX_MEDIA_TYPE,
    ExportFormat,
    File,
    download,
    json_response,
    render,
)
from app.core.problems import InvalidInput, problem_responses
from app.core.uploads import (
    IdempotencyKey,
    batch_route,
    read_capped,
    received,
    require_media_type,
)
from app.medeco import annual, service
from app.medeco import casemix as casemix_service
from app.medeco.rsa_parser import GrouperOutput
from app.medeco.schemas import AnnualReport, Casemix, CasemixGroup, RsaBatchRead

router = APIRouter(tags=["medeco"], responses=problem_responses(401, 403, 503))

# The feed that sent a batch reads it back; the DIM reads every batch (RSS numbers in `unlinked`).
# The grouper's output covers the whole hospital, and an unlinked RSA has no unit to scope it by:
# tokens restricted to units neither send nor read RSA batches.
RsaBatchReader = Annotated[Principal, Depends(require_all_units(FEED_WRITERS | PATIENT_READERS))]

ARCHIVE_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
BODY = {
    "requestBody": {
        "required": True,
        "description": "The DRUIDES/GENRSA output archive (`*.out.zip`) as the raw body, or a "
        "multipart form with either an `archive` part or the two parts `rsa` (RSA file, formats "
        "218-229) and `tra` (TRA: DRUIDES `.tra.txt` or fixed-width tra2016).",
        "content": {
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "archive": {"type": "string", "format": "binary"},
                        "rsa": {"type": "string", "format": "binary"},
                        "tra": {"type": "string", "format": "binary"},
                    },
                }
            },
        },
    }
}


def _form_parts(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """name -> (file name, bytes) of a multipart/form-data body (stdlib parser: no extra dependency)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidInput("The multipart body cannot be read (boundary missing or wrong).")
    parts: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            parts[name] = (str(part.get_filename() or name), payload)
    return parts


def _output(content_type: str, kind: str, body: bytes) -> tuple[GrouperOutput, str]:
    if kind != "multipart/form-data":
        return service.open_archive(body), "archive"
    parts = _form_parts(content_type, body)
    if "archive" in parts:
        return service.open_archive(parts["archive"][1]), "archive"
    missing = [name for name in ("rsa", "tra") if name not in parts]
    if missing:
        raise InvalidInput(
            f"The form lacks the part(s) {', '.join(missing)}: send `archive`, or both `rsa` and `tra`."
        )
    (rsa_name, rsa), (tra_name, tra) = parts["rsa"], parts["tra"]
    return GrouperOutput(rsa, tra, rsa_name, tra_name), "files"


@batch_route(router, "/rsa-batches", RsaBatchRead, BODY)
async def create_rsa_batch(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: AllUnitsFeedWriter,
    campaign: Annotated[
        int | None,
        Query(
            ge=service.MIN_CAMPAIGN,
            le=service.MAX_CAMPAIGN,
            description="Tariff campaign these RSA were valued in; default: the one in force at exit",
        ),
    ] = None,  # fmt: skip
    idempotency_key: IdempotencyKey = None,
) -> RsaBatchRead:
    """Receive the grouper's output: the DRUIDES/GENRSA archive, or its RSA and TRA files.

    201 with the new batch; 200 with the existing batch, nothing stored, when the same RSA and TRA
    contents were already received (archive or separate files alike). An Idempotency-Key reused
    by the same token with other contents is a 409 problem.

    Each RSA is linked to its RSS by the TRA (index → N° de RSS, N° administratif). An RSA with an
    error in its line, or without a TRA line, is rejected whole and reported in `errors` (file,
    line, field, reason); the others are stored, the latest batch's RSA of an RSS becoming its
    current one. An RSA whose RSS is not stored yet is stored and listed in `unlinked`. An
    unreadable archive or an RSA file without any RSA line is a 400 problem.

    Written for the whole hospital: a token restricted to units may not send RSA files."""
    kind = require_media_type(request, (*ARCHIVE_TYPES, "multipart/form-data"))
    body = await read_capped(
        request, get_settings().max_decompressed_bytes, hint="Send the archive, which is smaller."
    )
    output, source = _output(request.headers.get("content-type", ""), kind, body)
    batch, created = await run_in_threadpool(
        lambda: service.ingest(
            session, output, principal=principal, source=source, campaign=campaign,
            idempotency_key=idempotency_key,
        )
    )  # fmt: skip
    return received(response, batch, created)


@router.get("/rsa-batches/{batch_id}", response_model=RsaBatchRead, responses=problem_responses(404, 422))
def read_rsa_batch(batch_id: int, session: SessionDep, principal: RsaBatchReader) -> RsaBatchRead:
    """One RSA batch with its counts, line errors and the RSA whose RSS is not stored (ingest, dim,
    admin; on every unit)."""
    return service.get_batch(session, principal, batch_id=batch_id)


@router.get("/casemix", response_model=Casemix, responses=EXPORT_READ_RESPONSES)
def read_casemix(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    start: RssDischargeFrom,
    end: RssDischargeTo,
    group_by: CasemixGroup = CasemixGroup.POLE,
    compare: Annotated[
        Literal["previous_year"] | None,
        Query(description="previous_year: each row also for the same dates one year back (`previous`)"),
    ] = None,
    fmt: ExportFormatQuery = ExportFormat.JSON,
) -> Any:
    """Case-mix of the stays discharged in the period: stays, séances, days, LOS against the national
    mean (IP-DMS), stays beyond the bounds, and euros (GHS, EXB, EXH, supplements, total), by pôle,
    service, UM, GHM or CMD (rules in docs/casemix.md).

    A stay counts once, in the UM of its longest RUM; its days and euros are split across its RUMs
    by their days. Stays that cannot be valued count in the rows without euros and in `not_valued`
    by reason. Aggregates only (reader, dim, admin); a token restricted to units sees its UMs' RUMs
    (by UM, service, pôle) or the stays with a RUM in its UMs (by GHM, CMD)."""
    result = casemix_service.casemix(
        session, principal, group_by=group_by, start=start, end=end, compare=compare is not None
    )
    if fmt is ExportFormat.JSON:
        return json_response(result)
    return render(casemix_service.casemix_table(result), fmt)


@router.get("/reports/annual", response_model=AnnualReport, responses=EXPORT_READ_RESPONSES)
def read_annual_report(
    session: SessionDep,
    _long: LongExports,
    principal: AggregateReader,
    year: Annotated[int, Query(ge=1900, le=2100, description="Calendar year of discharge")],
    fmt: Annotated[
        Literal["json", "xlsx"],
        Query(alias="format", description="json, or xlsx (one sheet per table, charts)"),
    ] = "json",
) -> Any:
    """The annual medico-economic report for the CME and the direction: activity (types of care,
    pôles, UMs, séances), case-mix (top GHMs, CMD), valuation and IP-DMS by pôle and service with
    the previous year, report turnaround by month and service, coding findings by rule.

    Each table is what the corresponding endpoint gives for the year (docs/casemix.md); the XLSX
    has one sheet per table with French titles and a native bar chart on the main ones."""
    report = annual.annual_report(session, principal, year=year)
    if fmt == "json":
        return report
    return download(File(annual.to_xlsx(report), XLSX_MEDIA_TYPE, f"rapport-annuel-{year}.xlsx"))
