"""Streaming request bodies to a spooled temporary file (memory first, then disk), hashed on the fly."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Header, Request, Response
from fastapi.types import DecoratedCallable

from app.core.problems import InvalidInput, PayloadTooLarge, UnsupportedMediaType, problem_responses

# The header every batch upload takes: a key naming one delivery of the token sending it.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=200, description="Client key for safe retries")
]

SPOOL_IN_MEMORY = 8 * 1024 * 1024

T = TypeVar("T")


@dataclass(slots=True)
class Upload:
    file: IO[bytes]
    sha256: str
    size: int


async def spool_request(request: Request) -> Upload:
    """Read the body chunk by chunk: a 1,000,000-RUM file never sits in memory whole.

    The caller closes `upload.file`. The middleware's body limit raises 413 while streaming."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    try:
        async for chunk in request.stream():
            if chunk:
                digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    if size == 0:
        spool.close()
        raise InvalidInput("The request body is empty.")
    return Upload(spool, digest.hexdigest(), size)


async def read_capped(request: Request, limit: int, *, hint: str = "") -> bytes:
    """The whole body, for routes that parse it in memory, refused (413) once it exceeds `limit`.

    A declared Content-Length over the limit is refused before reading; a streamed body as soon as
    the chunks received pass it, so an oversized body is never held whole."""
    declared = request.headers.get("content-length", "")
    refusal = f"The body exceeds the limit of {limit} bytes for this endpoint.{' ' + hint if hint else ''}"
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(refusal)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(refusal)
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_media_type(request: Request, accepted: tuple[str, ...]) -> str:
    kind = media_type(request)
    if kind not in accepted:
        raise UnsupportedMediaType(
            f"Send the body as {', '.join(accepted)}; got {kind or 'no Content-Type'}."
        )
    return kind


def inline_schema(model: Any) -> dict[str, Any]:
    """JSON schema of a pydantic model with its $defs inlined, for `openapi_extra` request bodies.

    Routes that read raw bodies (fixed-width files, HL7, FHIR, JSON) cannot let FastAPI document the
    JSON variant from a parameter, and pydantic's `#/$defs/...` references would dangle in OpenAPI."""
    schema: dict[str, Any] = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


# What a route reading a fixed-width file as its raw body accepts (the media types are not parsed).
FILE_MEDIA_TYPES: Final = ("text/plain", "application/octet-stream")


def file_body(description: str, also: dict[str, Any] | None = None) -> dict[str, Any]:
    """`openapi_extra=` of a route reading a file as its raw body: `FILE_MEDIA_TYPES`, and the media
    types `also` documents (JSON records, for instance)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                **(also or {}),
            },
        }
    }


def received(response: Response, batch: T, created: bool) -> T:
    """The answer of a route receiving a batch: 201 (the route's status) for a new batch, 200 for the
    one already received (`received_responses`)."""
    if not created:
        response.status_code = 200
    return batch


def batch_route(
    router: APIRouter, path: str, model: type[Any], body: dict[str, Any], **route: Any
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The decorator of a route receiving a file as a batch (RUM, RHS, RSA): POST `path`, 201 with
    `model` or 200 with the batch already received (`received`), the raw `body` documented."""
    return router.post(
        path,
        status_code=201,
        response_model=model,
        responses=received_responses(model),
        openapi_extra=body,
        **route,
    )


def received_responses(model: type[Any]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` of a route receiving a file as a batch (RUM, RHS, RSA): 201 is the new
    batch, 200 the one already received, and the problems of a body refused."""
    return {
        200: {"model": model, "description": "Already received: the existing batch, nothing stored"},
        **problem_responses(400, 409, 413, 415, 422),
    }
