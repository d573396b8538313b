from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import FEED_WRITERS, AllUnitsFeedWriter, require
from app.auth.schemas import PATIENT_READERS, Principal
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.problems import InvalidInput, problem_responses
from app.core.uploads import read_capped, received_responses, require_media_type
from app.medeco import service
from app.medeco.rsa_parser import GrouperOutput
from app.medeco.schemas import RsaBatchRead

router = APIRouter(tags=["medeco"], responses=problem_responses(401, 403, 503))

# The feed that sent a batch reads it back; the DIM reads every batch (RSS numbers in `unlinked`).
RsaBatchReader = Annotated[Principal, Depends(require(FEED_WRITERS | PATIENT_READERS))]

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


@router.post(
    "/rsa-batches",
    status_code=201,
    response_model=RsaBatchRead,
    responses=received_responses(RsaBatchRead),
    openapi_extra=BODY,
)
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
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=200, description="Client key for safe retries")
    ] = None,
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
    if not created:
        response.status_code = 200
    return batch


@router.get("/rsa-batches/{batch_id}", response_model=RsaBatchRead, responses=problem_responses(404, 422))
def read_rsa_batch(batch_id: int, session: SessionDep, principal: RsaBatchReader) -> RsaBatchRead:
    """One RSA batch with its counts, line errors and the RSA whose RSS is not stored (ingest, dim, admin)."""
    return service.get_batch(session, batch_id=batch_id)
