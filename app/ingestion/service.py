"""RUM/RSS batches: stream-parse, store new RSS versions with COPY, compute findings, in one transaction.

The file is read in blocks of whole RSS (app.ingestion.blocks), a few blocks ahead of the storage,
so memory does not grow with the file. Worker processes (app.ingestion.workers) parse the blocks of a
large file, render their rows and run the rules on them, while this process stores the previous
blocks in file order: supersession, duplicates within the batch and the findings of superseded
versions are decided here, in order. An RSS is atomic: a structural error in any of its lines
rejects it whole, and so does its number met in another group of the file (its lines not
consecutive), which a first read of the file finds before anything is stored (app.ingestion.splits).
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate
from typing import IO, Any, TypeVar, cast

import psycopg
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.bulk import driver_connection
from app.core.compression import refuse_compressed
from app.core.config import get_settings
from app.core.fixedwidth.digest import stream_sha256
from app.core.gc_policy import rare_full_collections
from app.core.line_errors import LineError
from app.core.problems import InvalidInput, ServiceUnavailable
from app.ingestion import metrics, repository, splits, workers
from app.ingestion.blocks import Block, Line, iter_blocks, process_block
from app.ingestion.intake import MAX_STORED_ERRORS, already_received, batch_read, received_digest, some_lines
from app.ingestion.models import RumBatch
from app.ingestion.schemas import (
    FindingTotals,
    RumBatchRead,
)
from app.ingestion.summaries import SummaryDelta
from app.rules import service as rules_service
from app.rules.engine import RuleContext
from app.rules.schemas import FindingCounts
from app.rules.service import RssFindings

logger = logging.getLogger(__name__)

# Below this size a file is processed by one thread of the server rather than by the workers.
PARALLEL_MIN_BYTES = 4 << 20
_T = TypeVar("_T")
_S = TypeVar("_S")


@dataclass(slots=True)
class _Tally:
    lines: int = 0
    rss_accepted: int = 0
    rss_unchanged: int = 0
    rum_accepted: int = 0
    rss_rejected: int = 0
    lines_rejected: int = 0
    errors_total: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    findings: FindingCounts = field(default_factory=lambda: FindingCounts(0, 0, 0, frozenset()))

    def reject(self, rss_number: str | None, errors: list[LineError], lines: int) -> None:
        self.rss_rejected += 1
        self.lines_rejected += lines
        self.errors_total += len(errors)
        for error in errors:
            if len(self.errors) < MAX_STORED_ERRORS:
                number = error.rss_number or rss_number
                self.errors.append(
                    {
                        "line": error.line,
                        # Escaped: a control character is why such a line is refused, and it must
                        # neither reach PostgreSQL (jsonb refuses NUL) nor hide in the answer.
                        "rss_number": None if number is None else readable(number),
                        "field": error.field,
                        "code": error.code,
                        "fg_code": error.fg_code,
                        "message": readable(error.message),
                    }
                )


def readable(value: str) -> str:
    """`value` with its non-printable characters escaped (\\x00, \\u2028), for errors and messages."""
    if value.isprintable():
        return value
    return "".join(char if char.isprintable() else _escape(char) for char in value)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def to_read(batch: RumBatch) -> RumBatchRead:
    return batch_read(
        RumBatchRead,
        batch,
        findings=FindingTotals.model_validate(batch.findings or {}),
        skipped_rules=list(batch.skipped_rules),
    )


def ingest_rss_file(
    session: Session,
    stream: IO[bytes],
    *,
    principal: Principal,
    source: str,
    idempotency_key: str | None = None,
    sha256: str | None = None,
    pre_rejected: Mapping[str, list[LineError]] | None = None,
) -> tuple[RumBatchRead, bool]:
    """Store an RSS file (fixed-width, formats 016-023 / 116-123). Returns (batch, created).

    The same body (SHA-256), or an Idempotency-Key this token already used for the same body,
    answers the existing batch and stores nothing; the key already used for another body is a
    Conflict. `pre_rejected` lists RSS numbers already rejected upstream
    (JSON records the writer refused), so their RSS stay atomic. InvalidInput when there is no RUM
    line at all; UnsupportedMediaType for a gzip body. Never commits: the caller's transaction makes
    the batch all or nothing."""
    started = time.perf_counter()
    refuse_compressed(stream, what="RSS")
    digest = sha256 or stream_sha256(stream)[0]
    existing = already_received(
        session, RumBatch, sha256=digest, idempotency_key=idempotency_key, principal=principal
    )
    if existing is not None:
        return to_read(existing), False
    # The numbers met in more than one group, found before anything is stored (and before the
    # lock): such an RSS is rejected whole, its first part included. Memory is bounded by the
    # file's repeats, not its size (app.ingestion.splits).
    repeats = _Repeats(splits.find_repeated(stream, _size(stream)))
    repository.lock_writers(session)
    # A concurrent upload of the same body or key may have committed while this one waited.
    existing = already_received(
        session, RumBatch, sha256=digest, idempotency_key=idempotency_key, principal=principal
    )
    if existing is not None:
        return to_read(existing), False
    batch = RumBatch(
        content_sha256=received_digest(digest, principal.units), idempotency_key=idempotency_key,
        source=source, token_name=principal.name,
        status="processing", lines=0, rss_accepted=0, rum_accepted=0, rss_rejected=0, lines_rejected=0,
        rss_unchanged=0, errors_total=0, formats={}, errors=[], findings={}, skipped_rules=[],
    )  # fmt: skip
    try:
        with session.begin_nested():
            repository.add_batch(session, batch)
    except IntegrityError:
        # Only a writer bypassing the lock can get here; answer its batch all the same.
        existing = already_received(
            session, RumBatch, sha256=digest, idempotency_key=idempotency_key, principal=principal
        )
        if existing is None:
            raise
        return to_read(existing), False

    tally = _Tally()
    repository.defer_activity_summaries(session, batch_id=batch.id)
    ctx = rules_service.load_context(session)
    rejected_upstream = dict(pre_rejected or {})
    connection = driver_connection(session)
    summary: SummaryDelta | None = SummaryDelta()  # None once an accepted RSS was not stored
    with rare_full_collections():
        for block in _processed_blocks(stream, connection, batch_id=batch.id, ctx=ctx):
            accepted = _admit(block, tally, repeats, rejected_upstream)
            if principal.units is not None:
                accepted = _within_units(connection, block, accepted, tally, principal.units)
            stored = _write_block(connection, block, accepted, tally)
            if summary is not None:
                if (stored.count if stored is not None else 0) == block.accepted:
                    summary.merge(block.summary)
                else:
                    summary = None
            if stored is not None:
                checked = rules_service.Checked(stored.items, block.skipped_rules)
                # Only the RSS with findings, or superseding a version, are in `checked`: the
                # skipped rules are added here, as they were checked on every stored RSS.
                tally.findings = (
                    tally.findings
                    + rules_service.store_findings(session, checked, superseded=stored.superseded)
                    + FindingCounts(skipped=frozenset(block.skipped_rules))
                )
    for number, errors in rejected_upstream.items():  # RSS whose every record was refused upstream
        tally.lines += len(errors)
        tally.reject(number, errors, len(errors))
    if tally.lines == 0:
        raise InvalidInput("The body holds no RUM line (empty or blank lines only).")

    if summary is not None:
        repository.add_summary_delta(session, summary)
    else:
        repository.add_batch_activity(session, batch_id=batch.id)
    _finish(batch, tally)
    # A token restricted to units writes only their data (_within_units); a hospital-wide feed's
    # batch is tied to no unit.
    audit_service.record(
        session, principal, action="write", object_type="rum_batch", object_ids=[batch.id],
        units=principal.units,
    )  # fmt: skip
    metrics.RSS_REJECTED.inc(tally.rss_rejected)
    metrics.BATCH_DURATION.observe(time.perf_counter() - started)
    return to_read(batch), True


def worker_count() -> int:
    """Processes that parse, render and check large RUM files (DIMQA_INGEST_WORKERS; 0: none)."""
    configured = get_settings().ingest_workers
    return workers.default_count() if configured is None else configured


def _size(stream: IO[bytes]) -> int:
    position = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(position)
    return size


def _processed_blocks(
    stream: IO[bytes], conn: psycopg.Connection[Any], *, batch_id: int, ctx: RuleContext
) -> Iterator[Block]:
    """The file's blocks, processed ahead while the caller stores the previous ones (in order).

    A large file goes to the worker processes, two blocks ahead per worker; a small one (or
    DIMQA_INGEST_WORKERS=0) to one thread of this process, one block ahead: its Python work then
    overlaps only PostgreSQL's, but it avoids the transfers, and the start of the workers."""
    tasks = _with_version_ids(conn, iter_blocks(stream))
    count = worker_count()
    threshold = get_settings().ingest_parallel_min_bytes
    if count > 0 and _size(stream) >= (PARALLEL_MIN_BYTES if threshold is None else threshold):
        context = workers.payload(ctx)
        try:
            process = partial(workers.process, context, batch_id)
            yield from _ordered(workers.pool(count), process, tasks, 2 * count)
        except workers.BrokenProcessPool as error:  # a worker was killed: the next batch gets a new pool
            # Killed from outside (the OOM killer, an operator): the batch's transaction is rolled
            # back, and the sender may send it again. It was a 500 "unexpected error", which an
            # interface engine does not retry and Prometheus's DimqaServerErrors counts as a bug.
            logger.error("an ingestion worker process died; the batch was not stored")
            raise ServiceUnavailable(
                "An ingestion worker process stopped (killed, out of memory?) while this batch was "
                "processed: nothing was stored; send the batch again."
            ) from error
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rum-batch-blocks") as executor:
        yield from _ordered(executor, partial(_process_here, batch_id, ctx), tasks, 1)


def _with_version_ids(
    conn: psycopg.Connection[Any], blocks: Iterator[list[Line]]
) -> Iterator[tuple[list[Line], Sequence[int]]]:
    """Each block with a version id per line, allocated before it is processed, so that its rows
    are rendered with their final ids; an RSS then found unchanged or duplicate leaves a gap.
    Runs in the caller's thread, between two of its own statements on `conn`."""
    for lines in blocks:
        yield lines, repository.allocate_version_ids(conn, count=len(lines))


def _process_here(batch_id: int, ctx: RuleContext, task: tuple[list[Line], Sequence[int]]) -> Block:
    return process_block(task[0], batch_id, ctx, task[1])


def _ordered(
    executor: Executor, function: Callable[[_T], _S], items: Iterator[_T], ahead: int
) -> Iterator[_S]:
    """`executor.map(function, items)` reading `items` only `ahead` results in advance (memory
    stays flat whatever the file size), and cancelling what is pending if the caller stops."""
    pending: deque[Future[_S]] = deque()
    try:
        for item in items:
            pending.append(executor.submit(function, item))
            if len(pending) > ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


@dataclass(slots=True)
class _Stored:
    """What a block stored: how many RSS versions; for their findings, (version id, findings) of
    those with findings or superseding a version, and the superseded versions (rss_number -> id)."""

    count: int
    items: list[tuple[int, RssFindings]]
    superseded: dict[str, int]


Admitted = tuple[int, str]  # (accepted ordinal in its block, N° de RSS)


class _Repeats:
    """The numbers met in more than one group of the batch's file, and how far the storage got in
    each: which occurrence of such a number a group is."""

    def __init__(self, repeated: dict[str, splits.Repeated]) -> None:
        self.repeated = repeated
        self.met: Counter[str] = Counter()

    def errors(self, number: str, first_line: int) -> list[LineError] | None:
        """The errors rejecting this group of `number` (starting at `first_line`): None when it is
        not a repeat, or is the first of identical copies (stored as any other RSS)."""
        found = self.repeated.get(number)
        if found is None:
            return None
        occurrence = self.met[number]
        self.met[number] += 1
        lines = found.parts[occurrence]
        if lines[0] != first_line:
            raise AssertionError("the blocks and the first read of the file group lines differently")
        shown = readable(number)
        if found.identical:
            if occurrence == 0:
                return None
            first = found.parts[0][0]
            return [
                LineError(
                    line,
                    "rss_number",
                    "duplicate_rss_in_batch",
                    f"N° de RSS {shown} already appeared earlier in the batch, line for line the same "
                    f"(from line {first}): this copy is not stored",
                    number,
                )  # fmt: skip
                for line in lines
            ]
        starts = some_lines([part[0] for part in found.parts])
        return [
            LineError(
                line,
                "rss_number",
                "split_rss",
                f"the lines of N° de RSS {shown} are not consecutive (groups from lines {starts}): "
                "none of its lines is stored",
                number,
            )  # fmt: skip
            for line in lines
        ]


def _admit(
    block: Block, tally: _Tally, repeats: _Repeats, rejected_upstream: dict[str, list[LineError]]
) -> list[Admitted]:
    """Tally a block's RSS (line counts, rejections, numbers met in another group of the batch) and
    return the accepted ones to store, in file order."""
    if not block.errors and not repeats.repeated and not rejected_upstream:
        # The usual block: every group accepted (so each has its number), none repeated in the
        # file or refused upstream; no per-RSS work (a loop here cost a tenth of this process).
        tally.lines += sum(block.line_counts)
        return list(enumerate(cast(list[str], block.rss_numbers)))
    admitted: list[Admitted] = []
    ordinal = -1
    for index, number in enumerate(block.rss_numbers):
        line_count = block.line_counts[index]
        tally.lines += line_count
        errors = block.errors.get(index)
        if errors is None:
            ordinal += 1
        repeated = repeats.errors(number, block.first_lines[index]) if number is not None else None
        if repeated is not None:
            # Also when the group has structural errors: every line of a repeated RSS is named.
            refused = rejected_upstream.pop(number, []) if number is not None else []
            tally.lines += len(refused)
            merged = sorted([*(errors or []), *repeated, *refused], key=lambda error: error.line or 0)
            tally.reject(number, merged, line_count + len(refused))
            continue
        if errors is not None:
            tally.reject(number, errors, line_count)
            continue
        if number is None:
            raise AssertionError("an accepted RSS always has its number")
        if number in rejected_upstream:
            refused = rejected_upstream.pop(number)
            tally.lines += len(refused)
            tally.reject(number, refused, line_count + len(refused))
            continue
        admitted.append((ordinal, number))
    return admitted


def _within_units(
    conn: psycopg.Connection[Any], block: Block, admitted: list[Admitted], tally: _Tally, units: Sequence[str]
) -> list[Admitted]:
    """The admitted RSS a token restricted to `units` may write: those whose RUMs are all in its
    units, in the version sent and in the current version it would replace. The others are
    rejected whole: on each RUM line of another unit, else (the stored version spans another unit)
    on the RSS's first line. The messages never name the other unit."""
    if not admitted:
        return admitted
    mine = frozenset(units)
    stored_outside = repository.current_rss_outside_units(
        conn, rss_numbers=[number for _, number in admitted], units=sorted(mine)
    )
    groups = [index for index in range(len(block.rss_numbers)) if index not in block.errors]
    kept: list[Admitted] = []
    for ordinal, number in admitted:
        outside = [line for line, unit in _rum_units(block, ordinal) if unit not in mine]
        if not outside and number not in stored_outside:
            kept.append((ordinal, number))
            continue
        group = groups[ordinal]
        if outside:
            errors = [
                LineError(
                    line,
                    "unit",
                    "unit_out_of_scope",
                    "the UM of this RUM is not one of the token's units: an RSS is written only by a "
                    "token restricted to units when all its RUMs are in them",
                    number,
                )  # fmt: skip
                for line in outside
            ]
        else:
            errors = [
                LineError(
                    block.first_lines[group],
                    "rss_number",
                    "unit_out_of_scope",
                    "the current version of this RSS has RUMs outside the token's units: only a token "
                    "covering them may replace it",
                    number,
                )  # fmt: skip
            ]
        tally.reject(number, errors, block.line_counts[group])
    return kept


def _rum_units(block: Block, ordinal: int) -> Iterator[tuple[int, str]]:
    """(line, UM) of each RUM of an accepted RSS, read back from its COPY rows
    (`repository.RUM_COLUMNS`: line 3rd, unit 6th; a backslash is doubled there)."""
    for row in _piece(block.rum_rows, block.rum_ends, ordinal).splitlines():
        values = row.split("\t")
        yield int(values[2]), values[5].replace("\\\\", "\\")


def _write_block(
    conn: psycopg.Connection[Any], block: Block, admitted: list[Admitted], tally: _Tally
) -> _Stored | None:
    """Store the new versions among a block's admitted RSS (COPY), skip the unchanged ones."""
    if not admitted:
        return None
    current = repository.current_versions(conn, rss_numbers=[number for _, number in admitted])
    new: list[Admitted] = []
    superseded: dict[str, int] = {}
    for ordinal, number in admitted:
        previous = current.get(number)
        if previous is not None:
            if previous[1] == block.content_hash(ordinal):
                tally.rss_unchanged += 1
                continue
            superseded[number] = previous[0]
        new.append((ordinal, number))
    tally.rss_accepted += len(admitted)
    admitted_formats = _formats(block, admitted)
    tally.rum_accepted += sum(admitted_formats.values())
    tally.formats.update(admitted_formats)
    if not new:
        return None

    repository.supersede(conn, version_ids=list(superseded.values()))
    if len(new) == block.accepted:  # the usual case: the block's rows as the worker rendered them
        version_rows, rum_rows = block.version_rows, block.rum_rows
    else:
        version_rows = "".join(_piece(block.version_rows, block.version_ends, k) for k, _ in new)
        rum_rows = "".join(_piece(block.rum_rows, block.rum_ends, k) for k, _ in new)
    repository.copy_versions(conn, [version_rows])
    repository.copy_rums(conn, [rum_rows])
    for format_code, count in _formats(block, new).items():
        metrics.RUM_INGESTED.labels(format_code).inc(count)
    ids = block.ids
    if not superseded and len(new) == block.accepted:
        checked = [(ids[ordinal], found) for ordinal, found in block.findings.items()]
    else:
        checked = [
            (ids[ordinal], found or RssFindings(number, None, [], []))
            for ordinal, number in new
            if (found := block.findings.get(ordinal)) is not None or number in superseded
        ]
    return _Stored(len(new), checked, superseded)


def _piece(text: str, ends: Sequence[int], ordinal: int) -> str:
    return text[ends[ordinal - 1] if ordinal else 0 : ends[ordinal]]


def _formats(block: Block, admitted: list[Admitted]) -> Mapping[str, int]:
    """RUM per format code among `admitted`."""
    if len(admitted) == block.accepted:
        return block.format_counts
    starts = list(accumulate(block.rum_counts, initial=0))
    return Counter(
        block.formats[3 * position : 3 * position + 3]
        for ordinal, _ in admitted
        for position in range(starts[ordinal], starts[ordinal + 1])
    )


def _finish(batch: RumBatch, tally: _Tally) -> None:
    if tally.rss_rejected == 0:
        status = "completed"
    elif tally.rss_accepted:
        status = "partial"
    else:
        status = "rejected"
    batch.status = status
    batch.lines = tally.lines
    batch.rss_accepted = tally.rss_accepted
    batch.rss_unchanged = tally.rss_unchanged
    batch.rum_accepted = tally.rum_accepted
    batch.rss_rejected = tally.rss_rejected
    batch.lines_rejected = tally.lines_rejected
    batch.errors_total = tally.errors_total
    batch.errors = tally.errors
    batch.formats = dict(sorted(tally.formats.items()))
    batch.findings = tally.findings.as_dict()
    batch.skipped_rules = sorted(tally.findings.skipped)
