"""RHS (SSR/SMR weekly summaries) batch intake: read the file, refuse what cannot be stored, store
the stay-weeks that changed. The reports on the stored RHS are app.activity's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.compression import refuse_compressed
from app.core.dates import DATE_OUT_OF_RANGE, RANGE_TEXT, in_range
from app.core.fixedwidth.digest import stream_sha256
from app.core.fixedwidth.text import decode_line, iter_lines
from app.core.line_errors import LineError
from app.core.pagination import id_cursor, next_page
from app.core.problems import InvalidInput, NotFound
from app.ingestion import repository as batches
from app.ingestion.intake import (
    MAX_PROBLEM_ERRORS,
    MAX_STORED_ERRORS,
    already_received,
    batch_read,
    received_digest,
    some_lines,
)
from app.ingestion.models import RhsBatch
from app.ingestion.rhs import repository
from app.ingestion.rhs.parser import Rhs, parse_rhs_line, stay_week_of
from app.ingestion.rhs.schemas import RhsBatchPage, RhsBatchRead


@dataclass(slots=True)
class _Parsed:
    lines: int = 0
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    rejected: int = 0
    formats: dict[str, int] = field(default_factory=dict)


def _row(record: Rhs, raw: bytes, week: date) -> tuple[Any, ...]:
    # Order of repository.STAGED_COLUMNS.
    return (
        record.line,
        decode_line(raw),
        record.version,
        record.finess,
        record.ssr_stay_number,
        record.admin_number,
        week,
        record.unit,
        record.cm or None,
        record.gme or None,
        record.days_present,
    )


def _parse(stream: IO[bytes]) -> _Parsed:
    parsed = _Parsed()

    def reject(error: LineError) -> None:
        parsed.rejected += 1
        if len(parsed.errors) < MAX_STORED_ERRORS:
            parsed.errors.append(error)

    unreadable: dict[tuple[str, date], list[int]] = {}  # stay-week -> its lines that were refused
    for line_no, raw in iter_lines(stream):
        parsed.lines += 1
        record = parse_rhs_line(raw, line_no)
        if isinstance(record, LineError):
            reject(record)
            stay_week = stay_week_of(raw)
            if stay_week is not None:
                unreadable.setdefault(stay_week, []).append(line_no)
            continue
        week = record.week_monday
        if week is None:
            reject(
                LineError(
                    line_no,
                    "week_number",
                    "invalid_week",
                    f"week number {record.week_number!r} is not an ISO week (WWAAAA)",
                )
            )
            continue
        if not in_range(week):
            # Dates are held to 1900-2100 everywhere: such a week (a typo, 2500) was stored where
            # no report would ever show it.
            reject(
                LineError(
                    line_no,
                    "week_number",
                    DATE_OUT_OF_RANGE,
                    f"week {record.week_number} begins on {week.isoformat()}, outside the accepted range "
                    f"({RANGE_TEXT})",
                )
            )
            continue
        parsed.rows.append(_row(record, raw, week))
        parsed.formats[record.version] = parsed.formats.get(record.version, 0) + 1
    _refuse_incomplete(parsed, unreadable)
    _refuse_repeats(parsed)
    return parsed


def _refuse_incomplete(parsed: _Parsed, unreadable: dict[tuple[str, date], list[int]]) -> None:
    """Refuse the RHS of a stay-week one of whose lines could not be read: a stay-week is written
    whole, so its readable RHS alone used to replace it, superseding the stored RHS of the line
    refused (a UM's days lost until the file was sent again)."""
    if not unreadable:
        return
    line, stay, week = (
        repository.STAGED_COLUMNS.index(name) for name in ("line", "ssr_stay_number", "week_date")
    )
    kept: list[tuple[Any, ...]] = []
    for row in parsed.rows:
        refused = unreadable.get((row[stay], row[week]))
        if refused is None:
            kept.append(row)
            continue
        where = f"line{'s' if len(refused) > 1 else ''} {some_lines(refused)}"
        message = (
            f"another RHS of this stay and week could not be read ({where}): "
            "a stay-week is written whole, none of it is stored"
        )
        _drop(parsed, row, LineError(row[line], "ssr_stay_number", "incomplete_stay_week", message))
    parsed.rows = kept
    parsed.errors.sort(key=lambda error: error.line or 0)


def _drop(parsed: _Parsed, row: tuple[Any, ...], error: LineError) -> None:
    """Reject a parsed row with `error` (the caller removes it from `parsed.rows`)."""
    parsed.rejected += 1
    if len(parsed.errors) < MAX_STORED_ERRORS:
        parsed.errors.append(error)
    version = row[repository.STAGED_COLUMNS.index("version")]
    parsed.formats[version] -= 1
    if not parsed.formats[version]:
        del parsed.formats[version]


def _refuse_repeats(parsed: _Parsed) -> None:
    """Refuse the RHS of one stay, week and UM sent more than once in the batch (each used to be
    stored, and counted, as a week of its own). Copies identical to the first (trailing blanks
    aside, as stay-weeks are compared) are rejected and the first kept; RHS that differ are all
    rejected, with the rest of their stay-week, which is written whole."""
    line, text, stay, week, unit = (
        repository.STAGED_COLUMNS.index(name)
        for name in ("line", "line_text", "ssr_stay_number", "week_date", "unit")
    )
    by_key: dict[tuple[str, date, str], list[tuple[Any, ...]]] = {}
    for row in parsed.rows:
        by_key.setdefault((row[stay], row[week], row[unit]), []).append(row)
    copies: dict[int, int] = {}  # line of a copy -> line of the RHS it repeats
    conflicts: dict[tuple[str, date], list[int]] = {}  # stay-week -> lines of its conflicting RHS
    for (stay_number, monday, _unit), rows in by_key.items():
        if len(rows) == 1:
            continue
        if len({row[text].rstrip(" ") for row in rows}) == 1:
            copies.update((row[line], rows[0][line]) for row in rows[1:])
        else:
            conflicts.setdefault((stay_number, monday), []).extend(row[line] for row in rows)
    if not copies and not conflicts:
        return
    # The lines named in a message: the first few (a hostile file may repeat one RHS 10,000 times).
    named = {key: some_lines(sorted(lines)) for key, lines in conflicts.items()}
    conflicting_lines = {number for lines in conflicts.values() for number in lines}
    kept: list[tuple[Any, ...]] = []
    for row in parsed.rows:
        number = row[line]
        conflicting = named.get((row[stay], row[week]))
        if number in copies:
            message = (
                f"this RHS repeats line {copies[number]} (same stay, week and UM, same content): "
                "the copy is not stored"
            )
        elif conflicting is not None and number in conflicting_lines:
            message = (
                f"different RHS for the same stay, week and UM in this batch (lines {conflicting}): "
                "none is stored"
            )
        elif conflicting is not None:
            message = (
                f"another RHS of this stay and week conflicts in this batch (lines {conflicting}): "
                "a stay-week is written whole"
            )
        else:
            kept.append(row)
            continue
        _drop(parsed, row, LineError(number, "ssr_stay_number", "duplicate_rhs_in_batch", message))
    parsed.rows = kept
    parsed.errors.sort(key=lambda error: error.line or 0)


def _read(batch: RhsBatch) -> RhsBatchRead:
    return batch_read(RhsBatchRead, batch)


def ingest_rhs_file(
    session: Session,
    stream: IO[bytes],
    *,
    principal: Principal,
    source: str,
    idempotency_key: str | None = None,
) -> tuple[RhsBatchRead, bool]:
    """Store an RHS file (grouped or not, M09 onwards) as one batch; returns (batch, created).

    Idempotent: a body already received (same SHA-256), or an Idempotency-Key this token already
    used for the same body, returns the existing batch and stores nothing (created=False); the key
    already used by this token for another body is a Conflict.
    Lines that cannot be read are reported (capped) and the others stored. A file with no readable
    RHS is refused (InvalidInput), nothing stored. The caller's transaction makes it all-or-nothing.
    """
    sha256, size = stream_sha256(stream)
    if size == 0:
        raise InvalidInput("The body is empty: send the RHS file as text/plain or application/octet-stream.")
    refuse_compressed(stream, what="RHS")
    existing = already_received(
        session, RhsBatch, sha256=sha256, idempotency_key=idempotency_key, principal=principal
    )
    if existing is not None:
        return _read(existing), False
    parsed = _parse(stream)
    if not parsed.rows:
        raise InvalidInput(
            f"No readable RHS in the body ({parsed.rejected} line(s) rejected).",
            errors=parsed.errors[:MAX_PROBLEM_ERRORS],
        )
    repository.lock_rhs_writers(session)
    # A concurrent identical request may have committed while this one waited for the lock.
    existing = already_received(
        session, RhsBatch, sha256=sha256, idempotency_key=idempotency_key, principal=principal
    )
    if existing is not None:
        return _read(existing), False
    if principal.units is not None:
        _keep_within_units(session, parsed, principal.units)
        if not parsed.rows:
            raise InvalidInput(
                f"No RHS of this token's units in the body ({parsed.rejected} line(s) rejected).",
                errors=parsed.errors[:MAX_PROBLEM_ERRORS],
            )
    batch = RhsBatch(
        content_sha256=received_digest(sha256, principal.units),
        idempotency_key=idempotency_key,
        source=source,
        token_name=principal.name,
        status="accepted_with_errors" if parsed.rejected else "accepted",
        lines=parsed.lines,
        rhs_accepted=len(parsed.rows),
        lines_rejected=parsed.rejected,
        formats=parsed.formats,
        errors=[
            {"line": e.line, "field": e.field, "code": e.code, "message": e.message} for e in parsed.errors
        ],
    )
    session.add(batch)
    session.flush()
    repository.stage_rhs(session, parsed.rows)
    stored, superseded = repository.write_staged_rhs(session, batch_id=batch.id)
    batch.rhs_stored = stored
    batch.rhs_unchanged = len(parsed.rows) - stored
    batch.rhs_superseded = superseded
    # A token restricted to units writes only their data (_keep_within_units); a hospital-wide
    # feed's batch is tied to no unit.
    audit_service.record(
        session, principal, action="write", object_type="rhs_batch", object_ids=[batch.id],
        units=principal.units,
    )  # fmt: skip
    session.flush()
    session.refresh(batch)
    return _read(batch), True


def _keep_within_units(session: Session, parsed: _Parsed, units: Sequence[str]) -> None:
    """Keep in `parsed` the RHS a token restricted to `units` may write: the stay-weeks whose RHS
    are all in its units, those sent and the current ones they would replace (a stay-week is
    replaced as a whole). The other lines are rejected with a located error that never names the
    other unit."""
    mine = frozenset(units)
    stay, week, unit = (
        repository.STAGED_COLUMNS.index(name) for name in ("ssr_stay_number", "week_date", "unit")
    )
    sent_outside = {(row[stay], row[week]) for row in parsed.rows if row[unit] not in mine}
    stored_outside = repository.stay_weeks_outside_units(
        session, stay_weeks=sorted({(row[stay], row[week]) for row in parsed.rows}), units=sorted(mine)
    )
    kept: list[tuple[Any, ...]] = []
    for row in parsed.rows:
        key = (row[stay], row[week])
        if key not in sent_outside and key not in stored_outside:
            kept.append(row)
            continue
        line = row[repository.STAGED_COLUMNS.index("line")]
        if row[unit] not in mine:
            error = LineError(
                line, "unit", "unit_out_of_scope", "the UM of this RHS is not one of the token's units"
            )
        elif key in sent_outside:
            error = LineError(
                line, "unit", "unit_out_of_scope",
                "another RHS of this stay and week is outside the token's units: a stay-week is "
                "written whole",
            )  # fmt: skip
        else:
            error = LineError(
                line, "ssr_stay_number", "unit_out_of_scope",
                "the current RHS of this stay and week are outside the token's units: only a token "
                "covering them may replace them",
            )  # fmt: skip
        _drop(parsed, row, error)
    parsed.rows = kept
    parsed.errors.sort(key=lambda error: error.line or 0)


def list_rhs_batches(session: Session, *, cursor: str | None, limit: int) -> RhsBatchPage:
    """One page of RHS batches, newest first, and the cursor of the next page (None at the end).

    Same paging as the RUM batches: the cursor is the id of the last batch of the previous page."""
    rows = batches.list_batches(session, RhsBatch, before_id=id_cursor(cursor), limit=limit + 1)
    page, next_cursor = next_page(rows, limit)
    return RhsBatchPage(items=[_read(b) for b in page], next_cursor=next_cursor)


def get_rhs_batch(session: Session, *, batch_id: int) -> RhsBatchRead:
    batch = batches.get_batch(session, RhsBatch, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"RHS batch {batch_id} does not exist")
    return _read(batch)
