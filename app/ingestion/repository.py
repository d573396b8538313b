"""SQL of the RUM/RSS store. Bulk writes go through COPY; ids are allocated up front so RUM rows
can reference their RSS version in the same COPY stream."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.ingestion.models import RssVersion, Rum, RumBatch

VERSION_COLUMNS = (
    "id", "rss_number", "batch_id", "is_current", "content_hash", "finess", "stay_number", "format",
    "entry_date", "exit_date", "care_type", "ghm", "cmd", "return_code", "classification_version",
    "seances", "rum_count", "exit_unit",
)  # fmt: skip
RUM_COLUMNS = (
    "rss_version_id", "position", "line", "line_text", "rum_number", "unit", "entry_date", "exit_date",
    "rss_exit_date", "care_type", "dp", "dr", "das", "seances", "acts",
)  # fmt: skip


def get_batch(session: Session, *, batch_id: int) -> RumBatch | None:
    return session.get(RumBatch, batch_id)


def get_batch_by_sha256(session: Session, *, sha256: str) -> RumBatch | None:
    return session.scalar(select(RumBatch).where(RumBatch.content_sha256 == sha256))


def get_batch_by_idempotency_key(session: Session, *, key: str) -> RumBatch | None:
    return session.scalar(select(RumBatch).where(RumBatch.idempotency_key == key))


def list_batches(session: Session, *, before_id: int | None, limit: int) -> list[RumBatch]:
    query = select(RumBatch).order_by(RumBatch.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(RumBatch.id < before_id)
    return list(session.scalars(query))


def add_batch(session: Session, batch: RumBatch) -> RumBatch:
    session.add(batch)
    session.flush()
    return batch


def current_versions(session: Session, *, rss_numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """rss_number -> (version id, content hash) of the current versions among `rss_numbers`."""
    rows = session.execute(
        select(RssVersion.rss_number, RssVersion.id, RssVersion.content_hash).where(
            RssVersion.is_current, RssVersion.rss_number.in_(rss_numbers)
        )
    )
    return {number: (version_id, digest) for number, version_id, digest in rows}


def supersede(session: Session, *, version_ids: Sequence[int]) -> None:
    if version_ids:
        session.execute(
            update(RssVersion)
            .where(RssVersion.id.in_(version_ids))
            .values(is_current=False, superseded_at=func.now())
        )


def allocate_version_ids(session: Session, *, count: int) -> list[int]:
    rows = session.execute(
        text("SELECT nextval('rss_version_id_seq') FROM generate_series(1, :n)"), {"n": count}
    )
    return [row[0] for row in rows]


def _copy(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def copy_versions(session: Session, rows: Iterable[Sequence[Any]]) -> None:
    _copy(session, "rss_version", VERSION_COLUMNS, rows)


def copy_rums(session: Session, rows: Iterable[Sequence[Any]]) -> None:
    _copy(session, "rum", RUM_COLUMNS, rows)


def get_current_version(session: Session, *, rss_number: str) -> RssVersion | None:
    return session.scalar(
        select(RssVersion).where(RssVersion.rss_number == rss_number, RssVersion.is_current)
    )


def list_versions(session: Session, *, rss_number: str) -> list[RssVersion]:
    return list(
        session.scalars(select(RssVersion).where(RssVersion.rss_number == rss_number).order_by(RssVersion.id))
    )


def rums_of(session: Session, *, version_id: int) -> list[Rum]:
    return list(session.scalars(select(Rum).where(Rum.rss_version_id == version_id).order_by(Rum.position)))
