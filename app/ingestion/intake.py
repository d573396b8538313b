"""What every received file goes through, RUM or RHS: the "already received" check that makes
re-sends idempotent, the caps on the line errors kept, how a message names many lines, and the
batch as the API shows it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.copying import copied
from app.core.problems import Conflict
from app.core.schemas import LineErrorRead
from app.ingestion import repository
from app.ingestion.models import BatchColumns
from app.ingestion.repository import B

_Read = TypeVar("_Read", bound=BaseModel)

MAX_STORED_ERRORS = 1000  # line errors kept in a batch (its counters count them all)
MAX_PROBLEM_ERRORS = 100  # line errors listed in a 4xx problem


def some_lines(lines: Sequence[int], shown: int = 5) -> str:
    """The first `shown` of `lines`, and how many more: a hostile file may repeat a number 10,000
    times, and each of its lines gets the message."""
    text = ", ".join(str(line) for line in lines[:shown])
    return text if len(lines) <= shown else f"{text} and {len(lines) - shown} more"


def received_digest(sha256: str, units: Sequence[str] | None) -> str:
    """The `content_sha256` a batch of this body is stored under: the body's SHA-256 for a token on
    every unit; for a token restricted to units, a digest of the body's and of those units. Such a
    batch stores only their data, so it must not answer the same body sent later by a wider token
    (the hospital's feed was answered "already received" and the other units' data never stored)."""
    if units is None:
        return sha256
    return hashlib.sha256(f"{sha256}\nunits:{','.join(sorted(set(units)))}".encode()).hexdigest()


def already_received(
    session: Session,
    model: type[B],
    *,
    sha256: str,
    idempotency_key: str | None,
    principal: Principal,
) -> B | None:
    """The batch a retry refers to: the one this token sent under the same Idempotency-Key (a key
    is the sender's own: another token's key is another delivery), else the one with the same body
    (SHA-256) received on every unit, else (a token restricted to units) the one with the same
    body received on the same units (`received_digest`).

    Conflict when this token already used the key for another body: answering the first batch
    would drop the new data, storing it would make the key name two deliveries."""
    digest = received_digest(sha256, principal.units)
    if idempotency_key is not None:
        by_key = repository.get_batch_by_idempotency_key(
            session, model, key=idempotency_key, token_name=principal.name
        )
        if by_key is not None:
            if by_key.content_sha256 not in (sha256, digest):
                raise Conflict(
                    f"Idempotency-Key {idempotency_key!r} was already used by this token for {model.what} "
                    f"{by_key.id}, with another body: nothing stored. Use a new key to send other content."
                )
            return by_key
    found = repository.get_batch_by_sha256(session, model, sha256=sha256)
    if found is None and digest != sha256:
        found = repository.get_batch_by_sha256(session, model, sha256=digest)
    return found


def batch_read(read: type[_Read], batch: BatchColumns, **values: Any) -> _Read:
    """A RUM or RHS batch as its API shape: the format counts and the stored line errors converted,
    every other field copied by name (`values`: those that differ, as in `copied`)."""
    return copied(
        read,
        batch,
        formats=dict(batch.formats),
        errors=[LineErrorRead.stored(e) for e in batch.errors],
        **values,
    )
