"""RSA batches: read the grouper's RSA and TRA, link each RSA to its RSS, store, in one transaction.

Batch discipline as RUM batches (app.ingestion.service): the same contents (RSA + TRA, whether sent
as the archive or as two files) give the same batch and store nothing more; an RSA is atomic: any
error in its line, or no usable TRA line for its index, rejects it whole with a located error, and
the others are stored. An RSA whose RSS is not stored yet is stored and reported (`unlinked`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.config import get_settings
from app.core.line_errors import LineError
from app.core.problems import InvalidInput, NotFound, PayloadTooLarge
from app.ingestion.intake import already_received
from app.medeco import repository
from app.medeco.models import RsaBatch
from app.medeco.rsa_parser import (
    ArchiveError,
    ArchiveTooLarge,
    GrouperOutput,
    RsaRecord,
    TraRecord,
    read_archive,
    read_rsa,
    read_tra,
)
from app.medeco.schemas import RsaBatchError, RsaBatchRead, UnlinkedRsa

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


@dataclass(slots=True)
class _Tally:
    rsa_lines: int = 0
    tra_lines: int = 0
    accepted: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors_total: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    unlinked: list[dict[str, Any]] = field(default_factory=list)
    unlinked_total: int = 0
    formats: Counter[str] = field(default_factory=Counter)

    def error(self, file: str, error: LineError, rsa_index: str | None = None) -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append(
                {"file": file, "line": error.line, "field": error.field, "code": error.code,
                 "message": error.message, "rsa_index": rsa_index}
            )  # fmt: skip


def _links(tra: bytes, tally: _Tally) -> dict[str, TraRecord]:
    links: dict[str, TraRecord] = {}
    for item in read_tra(tra):
        tally.tra_lines += 1
        if isinstance(item, LineError):
            tally.error("tra", item)
        elif item.rsa_index in links:
            tally.error(
                "tra",
                LineError(item.line, "tra.rsa_index", "duplicate_index",
                          f"RSA index {item.rsa_index} already linked by TRA line "
                          f"{links[item.rsa_index].line}"),
                item.rsa_index,
            )  # fmt: skip
        else:
            links[item.rsa_index] = item
    return links


def _row(record: RsaRecord, link: TraRecord, campaign: int | None, batch_id: int) -> dict[str, Any]:
    digest = hashlib.sha256(
        "\0".join((record.text, link.rss_number, link.stay_number, str(campaign))).encode("latin-1")
    ).hexdigest()
    return {
        "batch_id": batch_id, "rss_number": link.rss_number, "stay_number": link.stay_number,
        "rsa_index": record.rsa_index, "line": record.line, "line_text": record.text, "is_current": True,
        "content_hash": digest, "format": record.format, "campaign": campaign,
        "classification_version": record.classification_version, "ghm": record.ghm,
        "return_code": record.return_code, "exit_month": record.exit_month, "exit_year": record.exit_year,
        "los": record.los, "seances": record.seances, "ghs": record.ghs, "exh_days": record.exh_days,
        "exb_type": record.exb_type, "exb_days": record.exb_days, "ghs_minore": record.ghs_minore,
        "supplements": record.supplements, "radiotherapy": record.radiotherapy,
    }  # fmt: skip


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
        session, RsaBatch, sha256=sha256, idempotency_key=idempotency_key, token_name=principal.name
    )
    if existing is not None:
        return to_read(existing), False
    tally = _Tally()
    links = _links(output.tra, tally)
    records: list[RsaRecord] = []
    for item in read_rsa(output.rsa):
        tally.rsa_lines += 1
        if isinstance(item, LineError):
            tally.rejected += 1
            tally.error("rsa", item)
        else:
            records.append(item)
    if tally.rsa_lines == 0:
        raise InvalidInput(
            f"The RSA file {output.rsa_name or ''} holds no RSA line: nothing stored.".replace("  ", " "),
            errors=[LineError(None, None, "empty_file", "no RSA line")],
        )
    batch = repository.add_batch(
        session,
        RsaBatch(
            content_sha256=sha256, idempotency_key=idempotency_key, source=source, token_name=principal.name,
            status="completed", campaign=campaign, files={"rsa": output.rsa_name, "tra": output.tra_name},
            rsa_lines=0, tra_lines=0, rsa_accepted=0, rsa_unchanged=0, rsa_rejected=0, rsa_unlinked=0,
            errors_total=0, formats={}, errors=[], unlinked=[],
        ),
    )  # fmt: skip
    accepted = _accept(records, links, tally, campaign, batch.id)
    current = repository.current_hashes(session, rss_numbers=[row["rss_number"] for row in accepted])
    fresh = [row for row in accepted if current.get(row["rss_number"], (0, ""))[1] != row["content_hash"]]
    tally.unchanged = len(accepted) - len(fresh)
    repository.supersede(
        session, rsa_ids=[current[row["rss_number"]][0] for row in fresh if row["rss_number"] in current]
    )
    repository.insert_rsas(session, fresh)
    tally.accepted = len(fresh)
    stored = repository.stored_rss(session, rss_numbers=[row["rss_number"] for row in accepted])
    for row in accepted:
        if row["rss_number"] not in stored:
            tally.unlinked_total += 1
            if len(tally.unlinked) < MAX_STORED_ERRORS:
                tally.unlinked.append(
                    {"line": row["line"], "rsa_index": row["rsa_index"], "rss_number": row["rss_number"]}
                )
    _finish(batch, tally)
    session.flush()
    audit_service.record(
        session, principal, action="write", object_type="rsa_batch", object_ids=[str(batch.id)],
    )  # fmt: skip
    return to_read(batch), True


def _accept(
    records: list[RsaRecord], links: dict[str, TraRecord], tally: _Tally, campaign: int | None, batch_id: int
) -> list[dict[str, Any]]:
    """The RSA rows to store: each linked by the TRA, one per index and one per RSS."""
    accepted: list[dict[str, Any]] = []
    seen_index: dict[str, int] = {}
    seen_rss: dict[str, int] = {}
    for record in records:
        link = links.get(record.rsa_index)
        problem: LineError | None = None
        if record.rsa_index in seen_index:
            problem = LineError(
                record.line, "rsa_index", "duplicate_index",
                f"RSA index {record.rsa_index} already on line {seen_index[record.rsa_index]}",
            )  # fmt: skip
        elif link is None:
            problem = LineError(
                record.line, "rsa_index", "no_tra_line",
                f"no usable TRA line for RSA index {record.rsa_index}: its RSS is unknown",
            )  # fmt: skip
        elif link.rss_number in seen_rss:
            problem = LineError(
                record.line, "tra.rss_number", "duplicate_rss",
                f"the TRA gives the RSS of the RSA on line {seen_rss[link.rss_number]} to this one too",
            )  # fmt: skip
        seen_index.setdefault(record.rsa_index, record.line)
        if problem is not None or link is None:
            tally.rejected += 1
            if problem is not None:
                tally.error("rsa", problem, record.rsa_index)
            continue
        seen_rss[link.rss_number] = record.line
        tally.formats[record.format] += 1
        accepted.append(_row(record, link, campaign, batch_id))
    return accepted


def _finish(batch: RsaBatch, tally: _Tally) -> None:
    stored = tally.accepted + tally.unchanged
    batch.status = "completed" if tally.rejected == 0 else "partial" if stored else "rejected"
    batch.rsa_lines = tally.rsa_lines
    batch.tra_lines = tally.tra_lines
    batch.rsa_accepted = tally.accepted
    batch.rsa_unchanged = tally.unchanged
    batch.rsa_rejected = tally.rejected
    batch.rsa_unlinked = tally.unlinked_total
    batch.errors_total = tally.errors_total
    batch.errors = tally.errors
    batch.unlinked = tally.unlinked
    batch.formats = dict(sorted(tally.formats.items()))


def to_read(batch: RsaBatch) -> RsaBatchRead:
    return RsaBatchRead(
        id=batch.id, received_at=batch.received_at, source=batch.source, status=batch.status,
        campaign=batch.campaign, files=dict(batch.files), rsa_lines=batch.rsa_lines,
        tra_lines=batch.tra_lines, rsa_accepted=batch.rsa_accepted, rsa_unchanged=batch.rsa_unchanged,
        rsa_rejected=batch.rsa_rejected, rsa_unlinked=batch.rsa_unlinked, errors_total=batch.errors_total,
        formats=dict(batch.formats), errors=[RsaBatchError.model_validate(e) for e in batch.errors],
        unlinked=[UnlinkedRsa.model_validate(u) for u in batch.unlinked],
    )  # fmt: skip


def get_batch(session: Session, *, batch_id: int) -> RsaBatchRead:
    batch = repository.get_batch(session, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"No RSA batch {batch_id}.")
    return to_read(batch)
