"""JSON RUM batches: each record is written as its fixed-width line, then the lines take the file
path (app.ingestion.service), so both inputs go through one validation and are stored identically.
"""

from __future__ import annotations

import io
import re

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.schemas import Principal
from app.core.fixedwidth.text import BOM
from app.core.line_errors import LineError
from app.core.problems import InvalidInput
from app.ingestion.intake import MAX_PROBLEM_ERRORS
from app.ingestion.schemas import RumBatchIn, RumBatchRead
from app.ingestion.service import ingest_rss_file
from app.ingestion.writer import write_rum

MAX_JSON_BYTES = 64 * 1024 * 1024  # JSON is validated whole: large batches go as files


def ingest_rum_json(
    session: Session,
    body: bytes,
    *,
    principal: Principal,
    source: str,
    sha256: str,
    idempotency_key: str | None = None,
) -> tuple[RumBatchRead, bool]:
    """JSON RUMs take the file path: each record is written as its fixed-width line, then parsed,
    so both inputs go through one validation and are stored identically."""
    try:
        # A UTF-8 byte-order mark (Windows tools write one) is skipped, as in files and event feeds;
        # pydantic refused it as invalid JSON. The batch's digest stays the body's, as sent.
        batch_in = RumBatchIn.model_validate_json(body.removeprefix(BOM))
    except ValidationError as error:
        raise InvalidInput(
            f"{error.error_count()} invalid field(s) in the JSON body", errors=_json_errors(error)
        ) from error
    lines: list[str] = []
    refused: dict[str, list[LineError]] = {}
    for index, record in enumerate(batch_in.rums, start=1):
        try:
            lines.append(write_rum(record.to_record(index)))
        except ValueError as error:
            lines.append("")  # keeps line numbers equal to record positions
            number = record.rss_number.strip()
            refused.setdefault(number, []).append(_writer_error(error, index, number or None))
    stream = io.BytesIO("\n".join(lines).encode("utf-8"))
    return ingest_rss_file(
        session, stream, principal=principal, source=source, idempotency_key=idempotency_key,
        sha256=sha256, pre_rejected=refused,
    )  # fmt: skip


# What app.ingestion.writer.write_rum says, and the field it names (the value itself is never shown).
_WRITER_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?P<field>[a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?): \d+ characters do not fit"), "too_long"),
    (re.compile(r"^(?P<field>acts\[\d+\]\.[a-z_]+) does not exist in this format"), "unknown_field"),
    (re.compile(r"^format \d+ has no field\(s\) (?P<field>[a-z_]+)"), "unknown_field"),
    (re.compile(r"^(?P<field>[a-z_]+)(?:, [a-z_]+)* can only be written on a grouped line"), "not_grouped"),
    (re.compile(r"control character 0x[0-9A-F]{2} in field (?P<field>\S+)"), "invalid_character"),
    (re.compile(r"^unsupported RUM format"), "unknown_format"),
)


def _writer_error(error: ValueError, index: int, rss_number: str | None) -> LineError:
    """A record the writer refused, as a line error naming the field (`extra.x` for extra fields)."""
    message = str(error)
    for pattern, code in _WRITER_ERRORS:
        match = pattern.search(message)
        if match is not None:
            field = match.groupdict().get("field") or ("version" if code == "unknown_format" else None)
            if code == "unknown_field" and field is not None and not field.startswith("acts["):
                field = f"extra.{field}"
            return LineError(index, field, code, message, rss_number)
    return LineError(index, None, "invalid_value", message, rss_number)


def _json_errors(error: ValidationError) -> list[LineError]:
    errors = []
    for item in error.errors()[:MAX_PROBLEM_ERRORS]:
        location = [str(part) for part in item["loc"]]
        index = int(location[1]) + 1 if len(location) > 1 and location[1].isdigit() else None
        errors.append(LineError(index, ".".join(location), item["type"], item["msg"]))
    return errors
