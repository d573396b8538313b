"""SQL of the RUM/RSS store. Bulk writes go through COPY; ids are allocated up front so RUM rows
can reference their RSS version in the same COPY stream."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from sqlalchemy import ARRAY, Text, any_, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from app.core.bulk import copy_text
from app.ingestion.models import ReceivedBatch, RssVersion, Rum, RumBatch
from app.ingestion.summaries import SummaryDelta

VERSION_COLUMNS = (
    "id", "rss_number", "batch_id", "is_current", "content_hash", "finess", "stay_number", "format",
    "entry_date", "exit_date", "care_type", "ghm", "cmd", "return_code", "classification_version",
    "seances", "rum_count", "exit_unit",
)  # fmt: skip
# A batch with RSS rejected: all of them (`rejected`) or some (`partial`), see service._finish.
FAILED_STATUSES = ("rejected", "partial")
RUM_COLUMNS = (
    "rss_version_id", "position", "line", "line_text", "rum_number", "unit", "entry_date", "exit_date",
    "rss_exit_date", "care_type", "dp", "dr", "das", "seances", "acts",
)  # fmt: skip


# Batch look-ups, for RUM, RHS and RSA batches alike (their shared columns: models.ReceivedBatch).
B = TypeVar("B", bound=ReceivedBatch)


def get_batch(session: Session, model: type[B], *, batch_id: int) -> B | None:
    return session.get(model, batch_id)


def get_batch_by_sha256(session: Session, model: type[B], *, sha256: str) -> B | None:
    return session.scalar(select(model).where(model.content_sha256 == sha256))


def get_batch_by_idempotency_key(session: Session, model: type[B], *, key: str, token_name: str) -> B | None:
    return session.scalar(select(model).where(model.idempotency_key == key, model.token_name == token_name))


def list_batches(session: Session, model: type[B], *, before_id: int | None, limit: int) -> list[B]:
    query = select(model).order_by(model.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(model.id < before_id)
    return list(session.scalars(query))


def count_failed_batches(session: Session, *, since: datetime | None, until: datetime | None) -> int:
    """RUM batches received in [since, until) (either bound optional) with RSS rejected."""
    query = select(func.count()).select_from(RumBatch).where(RumBatch.status.in_(FAILED_STATUSES))
    if since is not None:
        query = query.where(RumBatch.received_at >= since)
    if until is not None:
        query = query.where(RumBatch.received_at < until)
    return int(session.scalar(query) or 0)


def add_batch(session: Session, batch: RumBatch) -> RumBatch:
    session.add(batch)
    session.flush()
    return batch


def lock_writers(session: Session) -> None:
    """Serialise RUM batches (transaction-scoped): supersession reads the current versions, so two
    batches carrying the same N° de RSS must not both see the same one as current."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.rum_ingestion'))"))


def defer_activity_summaries(session: Session, *, batch_id: int) -> None:
    """For this transaction, leave the activity summaries of inserted RSS versions and RUM to
    `add_batch_activity` (migration 0007): one pass over the batch instead of one per COPY."""
    session.execute(text("SELECT set_config('dimqa.activity_batch', :batch, true)"), {"batch": str(batch_id)})


def add_batch_activity(session: Session, *, batch_id: int) -> None:
    """Add the batch's current versions and their RUM to the activity summaries; triggers again
    maintain them for the rest of the transaction."""
    session.execute(text("SELECT activity_summary_add_batch(:batch)"), {"batch": batch_id})
    session.execute(text("SELECT set_config('dimqa.activity_batch', '', true)"))


def add_summary_delta(session: Session, delta: SummaryDelta) -> None:
    """Add a batch's summary delta (`app.ingestion.summaries`) instead of `add_batch_activity`: the
    same upserts as migration 0005's, from arrays, under the summaries' lock; triggers again
    maintain the summaries for the rest of the transaction."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.activity_summary'))"))
    rss_day = [(*key, *sums) for key, sums in delta.rss_day.items()]
    rss_month = [(*key, *sums) for key, sums in delta.rss_month().items()]
    statements = (
        (
            """INSERT INTO activity_rss_day AS d (exit_date, exit_unit, care_type, ghm, rss_count, seances)
            SELECT * FROM unnest(CAST(:a AS date[]), CAST(:b AS text[]), CAST(:c AS text[]),
                                 CAST(:d AS text[]), CAST(:e AS int[]), CAST(:f AS bigint[]))
            ORDER BY 1, 2, 3, 4
            ON CONFLICT (exit_date, exit_unit, care_type, ghm) DO UPDATE
            SET rss_count = d.rss_count + excluded.rss_count, seances = d.seances + excluded.seances""",
            rss_day,
        ),
        (
            """INSERT INTO activity_rss_month AS d (month, care_type, ghm, rss_count, seances)
            SELECT * FROM unnest(CAST(:a AS date[]), CAST(:b AS text[]), CAST(:c AS text[]),
                                 CAST(:d AS int[]), CAST(:e AS bigint[]))
            ORDER BY 1, 2, 3
            ON CONFLICT (month, care_type, ghm) DO UPDATE
            SET rss_count = d.rss_count + excluded.rss_count, seances = d.seances + excluded.seances""",
            rss_month,
        ),
    )
    for statement, rows in statements:
        if rows:
            columns = [list(values) for values in zip(*rows, strict=True)]
            session.execute(text(statement), dict(zip("abcdef", columns, strict=False)))
    for table, key, counts in (
        ("activity_rum_day", "rss_exit_date", delta.rum_day),
        ("activity_rum_month", "month", delta.rum_month()),
    ):
        if not counts:
            continue
        keys, values = list(counts), list(counts.values())
        session.execute(
            text(
                f"""INSERT INTO {table} AS d
                ({key}, unit, care_type, rum_count, first_rum_exit, last_rum_exit)
                SELECT * FROM unnest(CAST(:a AS date[]), CAST(:b AS text[]), CAST(:c AS text[]),
                                     CAST(:d AS int[]), CAST(:e AS date[]), CAST(:f AS date[]))
                ORDER BY 1, 2, 3
                ON CONFLICT ({key}, unit, care_type) DO UPDATE
                SET rum_count = d.rum_count + excluded.rum_count,
                    first_rum_exit = least(d.first_rum_exit, excluded.first_rum_exit),
                    last_rum_exit = greatest(d.last_rum_exit, excluded.last_rum_exit)"""
            ),
            {
                "a": [k[0] for k in keys],
                "b": [k[1] for k in keys],
                "c": [k[2] for k in keys],
                "d": [v[0] for v in values],
                "e": [v[1] for v in values],
                "f": [v[2] for v in values],
            },
        )
    session.execute(text("SELECT set_config('dimqa.activity_batch', '', true)"))


def current_versions(
    conn: psycopg.Connection[Any], *, rss_numbers: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """rss_number -> (version id, content hash) of the current versions among `rss_numbers`."""
    # One text parameter split by PostgreSQL rather than an IN list of thousands of bound values,
    # or an array that psycopg adapts element by element (a third of the server process's work on
    # a large batch). A TAB never occurs in an N° de RSS: the parser refuses control characters.
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT rss_number, id, content_hash FROM rss_version "
            "WHERE is_current AND rss_number = ANY(string_to_array(%s, E'\\t'))",
            ("\t".join(rss_numbers),),
        )
        return {number: (version_id, digest) for number, version_id, digest in cursor}


def current_rss_outside_units(
    conn: psycopg.Connection[Any], *, rss_numbers: Sequence[str], units: Sequence[str]
) -> set[str]:
    """The RSS among `rss_numbers` whose current version has a RUM in a UM outside `units`."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT v.rss_number FROM rss_version v JOIN rum r ON r.rss_version_id = v.id "
            "WHERE v.is_current AND v.rss_number = ANY(%s::text[]) AND r.unit <> ALL(%s::text[])",
            (list(rss_numbers), list(units)),
        )
        return {number for (number,) in cursor}


def supersede(conn: psycopg.Connection[Any], *, version_ids: Sequence[int]) -> None:
    if version_ids:
        with conn.cursor() as cursor:
            cursor.execute(
                "UPDATE rss_version SET is_current = false, superseded_at = now() "
                "WHERE id = ANY(%s::bigint[])",
                (list(version_ids),),
            )


def allocate_version_ids(conn: psycopg.Connection[Any], *, count: int) -> Sequence[int]:
    """`count` new rss_version ids, increasing; a range when they are consecutive (always, unless
    another session draws from the sequence at the same time), which travels as three numbers."""
    # The first and last id, not a row per id: fetching 7,000 rows per block cost the server
    # process more than the COPY. All of them only when another session drew in between.
    if count <= 0:
        return []
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM "
            "(SELECT nextval('rss_version_id_seq') AS id FROM generate_series(1, %s)) AS drawn",
            (count,),
        )
        first, last = cursor.fetchone() or (None, None)
        if first is None or last is None:
            raise RuntimeError("rss_version_id_seq drew no id")
        if last - first == count - 1:
            return range(first, last + 1)
        # Another session drew from the sequence meanwhile: the ids are increasing, not consecutive.
        cursor.execute("SELECT nextval('rss_version_id_seq') FROM generate_series(1, %s)", (count,))
        return [row[0] for row in cursor]


def copy_versions(conn: psycopg.Connection[Any], rows: Iterable[str]) -> None:
    """`rows`: text-format lines in VERSION_COLUMNS order."""
    copy_text(conn, "rss_version", VERSION_COLUMNS, rows)


def copy_rums(conn: psycopg.Connection[Any], rows: Iterable[str]) -> None:
    """`rows`: text-format lines (one or more per string) in RUM_COLUMNS order."""
    copy_text(conn, "rum", RUM_COLUMNS, rows)


def get_current_version(session: Session, *, rss_number: str) -> RssVersion | None:
    return session.scalar(
        select(RssVersion).where(RssVersion.rss_number == rss_number, RssVersion.is_current)
    )


def list_versions(session: Session, *, rss_number: str) -> list[RssVersion]:
    return list(
        session.scalars(select(RssVersion).where(RssVersion.rss_number == rss_number).order_by(RssVersion.id))
    )


def current_rss_in_units(session: Session, *, rss_numbers: Sequence[str], units: Sequence[str]) -> set[str]:
    """The RSS among `rss_numbers` whose current version has a RUM in one of `units`."""
    query = (
        select(RssVersion.rss_number)
        .join(Rum, Rum.rss_version_id == RssVersion.id)
        .where(
            RssVersion.is_current,
            RssVersion.rss_number == any_(bindparam("numbers", list(rss_numbers), type_=ARRAY(Text))),
            Rum.unit == any_(bindparam("units", list(units), type_=ARRAY(Text))),
        )
        .distinct()
    )
    return set(session.scalars(query))


def current_units_of(session: Session, *, rss_numbers: Sequence[str]) -> dict[str, set[str]]:
    """rss_number -> the UMs of its current version's RUMs, for the RSS among `rss_numbers` that
    have a current version."""
    query = (
        select(RssVersion.rss_number, Rum.unit)
        .join(Rum, Rum.rss_version_id == RssVersion.id)
        .where(
            RssVersion.is_current,
            RssVersion.rss_number == any_(bindparam("numbers", list(rss_numbers), type_=ARRAY(Text))),
        )
        .distinct()
    )
    units: dict[str, set[str]] = {}
    for number, unit in session.execute(query):
        units.setdefault(number, set()).add(unit)
    return units


def rums_of(session: Session, *, version_id: int) -> list[Rum]:
    return list(session.scalars(select(Rum).where(Rum.rss_version_id == version_id).order_by(Rum.position)))


def date_batch_reception(session: Session, batch_id: int, received_at: datetime) -> None:
    """Date a RUM batch and the RSS versions it stored as received at `received_at`.

    For the demo year only: its monthly files are loaded in one go years later, and the coding
    delay counts from the RSS's reception, which would otherwise be the day of the load."""
    session.execute(update(RumBatch).where(RumBatch.id == batch_id).values(received_at=received_at))
    session.execute(update(RssVersion).where(RssVersion.batch_id == batch_id).values(received_at=received_at))
