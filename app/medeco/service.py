"""RSA batches: read the grouper's RSA and TRA, link each RSA to its RSS, store, in one transaction.

Batch discipline as RUM batches (app.ingestion.service): the same contents (RSA + TRA, whether sent
as the archive or as two files) give the same batch and store nothing more; an RSA is atomic: any
error in its line, or no usable TRA line for its index, rejects it whole with a located error, and
the others are stored. An RSA whose RSS is not stored yet is stored and reported (`unlinked`).
"""

from __future__ import annotations

import hashlib
from typing import Final

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.config import get_settings
from app.core.gc_policy import rare_full_collections
from app.core.line_errors import LineError
from app.core.problems import InvalidInput, NotFound, PayloadTooLarge
from app.ingestion.intake import already_received
from app.medeco import repository
from app.medeco.models import RsaBatch
from app.medeco.rsa_parser import ArchiveError, ArchiveTooLarge, GrouperOutput, read_archive
from app.medeco.rsa_reader import Delivery, copy_chunks, has_lines, read_links, stream_rows
from app.medeco.schemas import RsaBatchRead

MAX_STORED_ERRORS: Final = 1000
MIN_CAMPAIGN: Final = 2000
MAX_CAMPAIGN: Final = 2100


def open_archive(data: bytes) -> GrouperOutput:
    """The RSA and TRA of a DRUIDES/GENRSA output archive; a 400 (413) problem when unusable."""
    try:
        return read_archive(data, get_settings().max_decompressed_bytes)
    except ArchiveTooLarge as error:
        raise PayloadTooLarge(f"The archive cannot be read: {error}.") from None
    except ArchiveError as error:
        raise InvalidInput(
            f"The archive cannot be read: {error}.",
            errors=[LineError(None, None, "invalid_archive", str(error))],
        ) from None


def content_sha256(output: GrouperOutput) -> str:
    """Of the two contents, not of their envelope: archive or two files, one delivery."""
    digest = hashlib.sha256()
    for part in (output.rsa, output.tra):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def ingest(
    session: Session,
    output: GrouperOutput,
    *,
    principal: Principal,
    source: str,
    campaign: int | None = None,
    idempotency_key: str | None = None,
) -> tuple[RsaBatchRead, bool]:
    """Store one RSA + TRA delivery; (batch, created). The caller commits.

    A re-sent delivery (same contents) answers the existing batch, created False, nothing stored.
    An RSA file without any RSA line is a 400 problem: nothing to store, no batch."""
    if campaign is not None and not MIN_CAMPAIGN <= campaign <= MAX_CAMPAIGN:
        raise InvalidInput(f"campaign {campaign} is outside {MIN_CAMPAIGN}-{MAX_CAMPAIGN}")
    sha256 = content_sha256(output)
    repository.lock_writers(session)
    existing = already_received(
        session, RsaBatch, sha256=sha256, idempotency_key=idempotency_key, principal=principal
    )
    if existing is not None:
        return to_read(existing), False
    if not has_lines(output.rsa):
        raise InvalidInput(
            f"The RSA file {output.rsa_name or ''} holds no RSA line: nothing stored.".replace("  ", " "),
            errors=[LineError(None, None, "empty_file", "no RSA line")],
        )
    # The TRA's links live through the whole import: CPython's full collections, triggered by the
    # objects each RSA line allocates, would scan them again and again (1-1.5 of the 11 µs of Python
    # CPU per RSA).
    with rare_full_collections():
        return _store(session, output, sha256, principal=principal, source=source, campaign=campaign,
                      idempotency_key=idempotency_key)  # fmt: skip


def _store(
    session: Session,
    output: GrouperOutput,
    sha256: str,
    *,
    principal: Principal,
    source: str,
    campaign: int | None,
    idempotency_key: str | None,
) -> tuple[RsaBatchRead, bool]:
    delivery = Delivery()
    links = read_links(output.tra, delivery)
    # Set-based look-up of the TRA's RSS, before the RSA are read, answering the exceptions only:
    # the RSS already holding a current RSA, and the RSS not stored yet (their RSA is stored all the
    # same, and reported). The rows of every other RSA are COPYed as the file is read.
    numbers = [link.rss_number for link in links.values()]
    current, missing = repository.link_state(session, rss_numbers=numbers)
    batch = repository.add_batch(
        session,
        RsaBatch(
            content_sha256=sha256, idempotency_key=idempotency_key, source=source, token_name=principal.name,
            status="completed", campaign=campaign, files={"rsa": output.rsa_name, "tra": output.tra_name},
            rsa_lines=0, tra_lines=0, rsa_accepted=0, rsa_unchanged=0, rsa_rejected=0, rsa_unlinked=0,
            errors_total=0, formats={}, errors=[], unlinked=[],
        ),
    )  # fmt: skip
    repository.insert_rsas(
        session,
        stream_rows(
            delivery, output.rsa, links, campaign, batch_id=batch.id, hold=set(current), missing=missing
        ),
    )
    # The RSA of RSS that already hold one: an unchanged one stores nothing, a changed one
    # supersedes it (after the stream: at most one current RSA per RSS, index uq_rsa_current_rss_number).
    held = delivery.accepted
    changed = [item for item in held if current[item.rss_number][1] != item.content_hash]
    if changed:
        repository.supersede(session, rsa_ids=[current[item.rss_number][0] for item in changed])
        repository.insert_rsas(session, copy_chunks(changed, batch.id))
    _finish(batch, delivery, accepted=delivery.streamed + len(changed), unchanged=len(held) - len(changed))
    session.flush()
    audit_service.record(
        session, principal, action="write", object_type="rsa_batch", object_ids=[str(batch.id)],
    )  # fmt: skip
    return to_read(batch), True


def _finish(batch: RsaBatch, delivery: Delivery, *, accepted: int, unchanged: int) -> None:
    stored = accepted + unchanged
    batch.status = "completed" if delivery.rejected == 0 else "partial" if stored else "rejected"
    batch.rsa_lines = delivery.rsa_lines
    batch.tra_lines = delivery.tra_lines
    batch.rsa_accepted = accepted
    batch.rsa_unchanged = unchanged
    batch.rsa_rejected = delivery.rejected
    batch.rsa_unlinked = len(delivery.unlinked)
    batch.errors_total = len(delivery.errors)
    batch.errors = [
        {"file": file, "line": error.line, "field": error.field, "code": error.code,
         "message": error.message, "rsa_index": rsa_index}
        for file, error, rsa_index in delivery.errors[:MAX_STORED_ERRORS]
    ]  # fmt: skip
    batch.unlinked = [
        {"line": line, "rsa_index": rsa_index, "rss_number": rss_number}
        for line, rsa_index, rss_number in delivery.unlinked[:MAX_STORED_ERRORS]
    ]
    batch.formats = dict(sorted(delivery.formats.items()))


def to_read(batch: RsaBatch) -> RsaBatchRead:
    return RsaBatchRead.model_validate(batch, from_attributes=True)


def get_batch(session: Session, principal: Principal, *, batch_id: int) -> RsaBatchRead:
    """The batch; a read naming RSS numbers (`unlinked`) is patient-level, so audited with them,
    without units (those RSS were not stored when the batch came: shown to unrestricted admins)."""
    batch = repository.get_batch(session, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"No RSA batch {batch_id}.")
    read = to_read(batch)
    named = list(dict.fromkeys(rsa.rss_number for rsa in read.unlinked))
    if named:
        audit_service.record(session, principal, action="read", object_type="rss", object_ids=named)
    return read
