"""The SQL of the turnaround domain's events and derived state.

Writes are set-based and made under the derivation lock. Events of a small body go in with one
`INSERT ... ON CONFLICT DO NOTHING RETURNING` (bound parameters); a bulk batch is COPYed straight
into its table once its stored keys are known (binding 10,000 rows x 11 parameters costs more
than the insert itself). Derived rows of the touched stay numbers are rewritten with COPY
(document periods: only the differences).
The reports' SQL is in `reports_repository.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any, Final, Literal

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import ARRAY, String, any_, bindparam, cast, delete, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from sqlalchemy.types import UserDefinedType

from app.turnaround.models import (
    DocumentEventRow,
    DocumentPeriod,
    Stay,
    StayDischargePeriod,
    StayEventRow,
)

EventModel = type[StayEventRow] | type[DocumentEventRow]
EventKey = tuple[str, str]  # (source, event_id)

# Transaction-level advisory lock serializing the writes of events and derived rows: a batch takes
# the lock, inserts its events, then reads every event of its stays (and, for stays, their
# document periods), committed ones included, so two concurrent batches touching the same stay
# cannot leave a state that misses one of them. Held from before the insert, it also means no
# other transaction is inserting the keys a bulk batch found absent (`insert_events`).
_DERIVATION_LOCK: Final = 0x7475726E_0001

_TEXT_ARRAY = ARRAY(String())


def text_array(values: Sequence[str]) -> str:
    """A text[] in PostgreSQL's text form, sent as one string and cast in SQL: psycopg adapts a
    list element by element in Python (a regular expression each), which cost more than the
    statements of a batch that pass its 10,000 keys. Every element quoted, `\\` and `"` escaped."""
    if not values:
        return "{}"
    if '"' in (flat := "".join(values)) or "\\" in flat:
        return '{"' + '","'.join(value.replace("\\", "\\\\").replace('"', '\\"') for value in values) + '"}'
    # Nothing to escape (stay numbers, event ids): joined at C speed, without a replace per value.
    return '{"' + '","'.join(values) + '"}'


class _ArrayText(UserDefinedType[str]):
    """A `text_array` literal bound as it is: psycopg sends a str untyped, so `CAST($1 AS
    varchar[])` makes $1 itself an array parameter. With the dialect's usual `$1::VARCHAR` the
    cast became a conversion the planner cannot see through: the prepared (generic) plan of a
    statement run at every batch then scanned a whole table, testing each row against the list."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "text"


def _in_array(column: Any, name: str, values: Sequence[str]) -> Any:
    # `= ANY(array)` sends one parameter, where `IN` would expand thousands of them.
    return column == any_(cast(bindparam(name, text_array(values), type_=_ArrayText()), _TEXT_ARRAY))


# --------------------------------------------------------------------------- events


# Above this many rows a batch goes through COPY and a staging table.
COPY_THRESHOLD: Final = 200


def _driver_connection(session: Session) -> Any:
    """The psycopg connection of the session's transaction, for COPY."""
    return session.connection().connection.driver_connection


# Binary COPY type of each column of the tables the repository COPYs into. Binary: psycopg
# dumps an aware datetime to text in about 3 us and to binary in a tenth of that, which made the
# text form two thirds of an event row's COPY in Python (and the server parsed it back).
_COPY_TYPES: Final = {
    "VARCHAR": "varchar",
    "TEXT": "text",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DATE": "date",
    "SMALLINT": "int2",
    "INTEGER": "int4",
    "BIGINT": "int8",
    "BOOLEAN": "bool",
}
_COPY_TABLES: Final = {
    model.__tablename__: model.__table__
    for model in (StayEventRow, DocumentEventRow, Stay, StayDischargePeriod, DocumentPeriod)
}


_DIALECT: Final = postgresql.dialect()  # type: ignore[no-untyped-call]


def _copy_type(column: Any) -> str:
    spelled: str = column.type.compile(dialect=_DIALECT)
    array = spelled.endswith("[]")
    base = spelled.removesuffix("[]").split("(")[0]
    return _COPY_TYPES[base] + ("[]" if array else "")


@cache
def _copy_types(table: str, columns: tuple[str, ...]) -> list[str]:
    """Binary COPY types of `columns` of one of _COPY_TABLES (`ord`: a staging table's order)."""
    model_table = _COPY_TABLES[table]
    return ["int4" if name == "ord" else _copy_type(model_table.columns[name]) for name in columns]


def _copy(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    types_of: str | None = None,
) -> None:
    """COPY `rows` (values of `columns`) into `table` in the binary format, typed as the columns
    of `types_of` (default `table`): one of _COPY_TABLES."""
    with (
        _driver_connection(session).cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(_copy_types(types_of or table, tuple(columns)))
        write = copy.write_row
        for row in rows:
            write(row)


def _staging(session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """`rows` (values of `columns`, with their order in `ord`) in a temporary table of the
    connection.

    Created once per connection and emptied at each commit (ON COMMIT DELETE ROWS truncates in
    place), so a stream of small HL7 messages does not create and drop a table each time.
    """
    staging = f"staging_{table}"
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
            f"SELECT 0 AS ord, {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    )
    session.execute(text(f"DELETE FROM {staging}"))  # a second batch in the same transaction
    _copy(
        session,
        staging,
        ["ord", *columns],
        ((index, *row) for index, row in enumerate(rows)),
        types_of=table,
    )
    return staging


def insert_events(
    session: Session, model: EventModel, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> set[EventKey]:
    """Insert the rows (values of `columns`, `source` and `event_id` first, keys distinct) whose
    (source, event_id) is new; returns the keys actually inserted. The caller holds the
    derivation lock (`lock_derivation`).

    Rows are inserted in their order, so ids follow arrival (the tie-breaker of the replays).
    """
    if not rows:
        return set()
    if len(rows) <= COPY_THRESHOLD:
        statement = (
            pg_insert(model)
            .values([dict(zip(columns, row, strict=True)) for row in rows])
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(model.source, model.event_id)
        )
        return {(source, event_id) for source, event_id in session.execute(statement).tuples()}
    # Under the lock, the keys stored now are all there will be until commit: the new rows go
    # straight into the table with COPY, without a staging table or a speculative insertion per
    # row (a third cheaper on a 10,000-event batch).
    stored = stored_hashes(session, model, [(row[0], row[1]) for row in rows])
    new = [row for row in rows if (row[0], row[1]) not in stored] if stored else rows
    _copy(session, model.__tablename__, columns, new)
    return {(row[0], row[1]) for row in new}


@contextmanager
def copying_events(
    session: Session, model: EventModel, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Iterator[None]:
    """COPY `rows` (values of `columns`, keys not stored: the caller looked them up under the
    derivation lock) into the event table; the body of the `with` runs while PostgreSQL is still
    inserting them. The rows are formatted here first, and a psycopg thread sends them, waiting on
    the socket (without the GIL) as the server reads it; the `with` ends once they are stored."""
    with (
        _driver_connection(session).cursor() as cursor,
        cursor.copy(
            f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)",
            # Each block flushed to the socket before the next: left in the libpq buffer (up to
            # 1 MB by default), the rows would wait for the end of the body while the server idles.
            writer=QueuedLibpqWriter(cursor, flush_threshold=0),
        ) as copy,
    ):
        copy.set_types(_copy_types(model.__tablename__, tuple(columns)))
        write = copy.write_row
        for row in rows:
            write(row)
        yield


def stored_hashes(
    session: Session, model: EventModel, keys: Iterable[EventKey]
) -> dict[EventKey, tuple[str, str | None]]:
    """(content hash, message digest) of the stored events among `keys`."""
    by_source: dict[str, list[str]] = {}
    for source, event_id in keys:
        by_source.setdefault(source, []).append(event_id)
    found: dict[EventKey, tuple[str, str | None]] = {}
    # One `= ANY(array)` per source (a batch has one): a row-value IN list of 10,000 pairs would
    # exceed the parser's stack.
    for source, event_ids in by_source.items():
        query = select(model.event_id, model.content_hash, model.message_digest).where(
            model.source == source, _in_array(model.event_id, "event_ids", event_ids)
        )
        found.update(
            ((source, event_id), (digest, message)) for event_id, digest, message in session.execute(query)
        )
    return found


def lock_derivation(session: Session) -> None:
    session.execute(select(func.pg_advisory_xact_lock(_DERIVATION_LOCK)))


def _fetch(session: Session, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of `sql` as plain driver tuples: the replays read tens of thousands of rows a batch,
    and result rows built one by one cost more than the query."""
    with _driver_connection(session).cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def transaction_time(session: Session) -> datetime:
    """The current transaction's start on the database clock (`now()`)."""
    moment: datetime = session.execute(select(func.now())).scalar_one()
    return moment


def list_stay_events(session: Session, *, stay_numbers: Sequence[str]) -> list[tuple[Any, ...]]:
    """(stay_number, id, type, unit, occurred_at, patient_class, known_at) of every event of
    these stays, grouped by stay number; known_at is the later of occurrence and storage."""
    # Byte order: the caller only groups by stay, and a linguistic sort of 30,000 keys is slow.
    return _fetch(
        session,
        "SELECT stay_number, id, type, unit, occurred_at, patient_class, "
        "GREATEST(occurred_at, recorded_at) FROM stay_event "
        'WHERE stay_number = ANY(%(stay_numbers)s::text[]) ORDER BY stay_number COLLATE "C", occurred_at, id',
        {"stay_numbers": text_array(stay_numbers)},
    )


def list_document_events(session: Session, *, stay_numbers: Sequence[str]) -> list[tuple[Any, ...]]:
    """(stay_number, id, document_id, document_type, action, received_at, parent_document_id,
    known_at) of every document event of these stays, grouped by stay number; known_at is the
    later of the claimed reception and storage."""
    return _fetch(
        session,
        "SELECT stay_number, id, document_id, document_type, action, received_at, parent_document_id, "
        "GREATEST(received_at, recorded_at) FROM document_event "
        "WHERE stay_number = ANY(%(stay_numbers)s::text[]) "
        'ORDER BY stay_number COLLATE "C", received_at, id',
        {"stay_numbers": text_array(stay_numbers)},
    )


def list_shared_document_names(session: Session, *, stay_numbers: Sequence[str]) -> set[tuple[str, str]]:
    """(stay_number, document id) named by more than one document event of these stays, as its
    document or as a parent. Counted here: a batch's stays have ~100,000 events."""
    rows = _fetch(
        session,
        "SELECT e.stay_number, n.name FROM document_event e "
        "CROSS JOIN LATERAL (VALUES (e.document_id), (e.parent_document_id)) AS n(name) "
        "WHERE e.stay_number = ANY(%(stay_numbers)s::text[]) AND n.name IS NOT NULL "
        "GROUP BY e.stay_number, n.name HAVING count(*) > 1",
        {"stay_numbers": text_array(stay_numbers)},
    )
    return set(rows)


def list_stored_document_names(
    session: Session, *, stay_numbers: Sequence[str], names: Sequence[str]
) -> list[tuple[str, str | None, str | None]]:
    """(stay_number, document id, parent id) of the stored document events of these stays that
    name one of `names` as their document or as a parent: few rows, where reading every event of
    the stays to compare their names in Python cost more than the query."""
    with _driver_connection(session).cursor() as cursor:
        # Not prepared: planned with the lists as constants, the names are looked up in a hash
        # of them (a generic plan compares each row with every name of the list).
        cursor.execute(
            "SELECT stay_number, document_id, parent_document_id FROM document_event "
            "WHERE stay_number = ANY(%(stay_numbers)s::text[]) "
            "AND (document_id = ANY(%(names)s::text[]) OR parent_document_id = ANY(%(names)s::text[]))",
            {"stay_numbers": text_array(stay_numbers), "names": text_array(names)},
            prepare=False,
        )
        rows: list[tuple[str, str | None, str | None]] = cursor.fetchall()
        return rows


def list_event_stay_numbers(session: Session, *, kind: Literal["stay", "document"]) -> list[str]:
    """Every stay number having events of this kind, in byte order."""
    model = StayEventRow if kind == "stay" else DocumentEventRow
    query = select(model.stay_number).group_by(model.stay_number).order_by(model.stay_number.collate("C"))
    return list(session.scalars(query))


def list_report_periods(
    session: Session, *, stay_numbers: Sequence[str], report_types: Sequence[str]
) -> Sequence[Any]:
    """Document periods of a report type, for the copy kept on the discharge periods."""
    query = select(
        DocumentPeriod.stay_number,
        DocumentPeriod.first_received_at,
        DocumentPeriod.alive_from,
        DocumentPeriod.alive_until,
    ).where(
        _in_array(DocumentPeriod.stay_number, "stay_numbers", stay_numbers),
        _in_array(DocumentPeriod.document_type, "report_types", report_types),
    )
    return session.connection().execute(query).all()  # one fetchall, not a fetch per row


# --------------------------------------------------------------------------- derived state


STAY_COLUMNS: Final = (
    "stay_number",
    "status",
    "admitted_at",
    "discharged_at",
    "discharge_date",
    "discharge_unit",
    "last_unit",
    "patient_class",
    "discharge_known_at",
    "event_count",
)
STAY_PERIOD_COLUMNS: Final = (
    "stay_number",
    "effective_from",
    "effective_to",
    "discharged_at",
    "discharge_date",
    "discharge_unit",
    "care_type_hint",
    "admission_unit",
    "report_key",
    "report_count",
    "report_received",
    "report_from",
    "report_until",
)
DOCUMENT_PERIOD_COLUMNS: Final = (
    "stay_number",
    "document_key",
    "alive_from",
    "alive_until",
    "document_id",
    "document_type",
    "first_received_at",
)


def replace_stays(
    session: Session,
    *,
    stay_numbers: Sequence[str],
    stays: Sequence[Sequence[Any]],
    periods: Sequence[Sequence[Any]],
) -> None:
    """Derived rows of these stay numbers replaced by `stays` (values of STAY_COLUMNS) and
    `periods` (values of STAY_PERIOD_COLUMNS, report periods as lists of instants)."""
    if not stay_numbers:
        return
    # Core statements: the ORM would scan its identity map to synchronize deleted rows.
    session.connection().execute(
        delete(StayDischargePeriod).where(
            _in_array(StayDischargePeriod.stay_number, "stay_numbers", stay_numbers)
        )
    )
    _copy(session, StayDischargePeriod.__tablename__, STAY_PERIOD_COLUMNS, periods)
    if not stays:
        return
    staging = _staging(session, Stay.__tablename__, STAY_COLUMNS, stays)
    names = ", ".join(STAY_COLUMNS)
    updates = ", ".join(f"{name} = excluded.{name}" for name in STAY_COLUMNS[1:])
    session.execute(
        text(
            f"INSERT INTO stay ({names}) SELECT {names} FROM {staging} "
            f"ON CONFLICT (stay_number) DO UPDATE SET {updates}, updated_at = now()"
        )
    )


def replace_document_periods(
    session: Session, *, stay_numbers: Sequence[str], periods: Sequence[tuple[Any, ...]]
) -> set[tuple[str, str]]:
    """The document periods of these stays become `periods` (values of DOCUMENT_PERIOD_COLUMNS);
    returns the (stay number, document type) of the periods removed or added.

    Only the differences are written: a new version or an imaging report adds one period to a
    stay that has several, and rewriting them all would cost more than reading them.
    """
    if not stay_numbers:
        return set()
    columns = ", ".join(DOCUMENT_PERIOD_COLUMNS)
    # Plain driver tuples, compared as they come: a batch reads ~20,000 existing periods, and
    # result rows converted one by one cost more than the query.
    with _driver_connection(session).cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM document_period WHERE stay_number = ANY(%(stay_numbers)s::text[])",
            {"stay_numbers": text_array(stay_numbers)},
        )
        existing = set(cursor.fetchall())
    wanted = set(periods)
    removed = existing - wanted
    if removed:
        # stay_number, document_key, alive_from: the primary key.
        session.connection().execute(
            text(
                "DELETE FROM document_period d USING unnest(CAST(:stays AS text[]), "
                "CAST(:keys AS text[]), CAST(:starts AS timestamptz[])) AS r(stay_number, document_key, "
                "alive_from) WHERE d.stay_number = r.stay_number AND d.document_key = r.document_key "
                "AND d.alive_from = r.alive_from"
            ),
            {
                "stays": [row[0] for row in removed],
                "keys": [row[1] for row in removed],
                "starts": [row[2] for row in removed],
            },
        )
    added = wanted - existing
    _copy(session, DocumentPeriod.__tablename__, DOCUMENT_PERIOD_COLUMNS, added)
    type_index = DOCUMENT_PERIOD_COLUMNS.index("document_type")
    return {(row[0], row[type_index]) for row in removed | added}


def add_document_periods(session: Session, periods: Sequence[tuple[Any, ...]]) -> None:
    """Insert document periods (values of DOCUMENT_PERIOD_COLUMNS) that no stored period equals."""
    if periods:
        _copy(session, DocumentPeriod.__tablename__, DOCUMENT_PERIOD_COLUMNS, periods)


def update_stay_reports(
    session: Session, *, stay_numbers: Sequence[str], report_types: Sequence[str], report_key: str
) -> None:
    """Rebuild the report periods copied on the discharge periods of these stays from their
    document periods of `report_types` (as `derivation.report_summary` orders them)."""
    if not stay_numbers:
        return
    # The three arrays are aggregated in one total order (document_key breaks ties: it is unique
    # with alive_from in a stay), so their elements stay aligned.
    order = "ORDER BY d.alive_from, d.first_received_at, d.document_key"
    names = ("report_key", "report_count", "report_received", "report_from", "report_until")
    current = ", ".join(f"p.{name}" for name in names)
    # A stay left without report periods gets an empty copy.
    wanted = (
        "CAST(:report_key AS text), COALESCE(r.report_count, 0), COALESCE(r.report_received, '{}'), "
        "COALESCE(r.report_from, '{}'), COALESCE(r.report_until, '{}')"
    )
    # Every lookup goes through a primary key by `= ANY` of the stay numbers (document periods,
    # then the discharge periods to update): a join to the list alone let the planner scan or
    # hash a whole table at each batch.
    session.connection().execute(
        text(
            f"UPDATE stay_discharge_period p SET ({', '.join(names)}) = ({wanted}) "
            "FROM unnest(CAST(:stay_numbers AS text[])) AS s(stay_number) LEFT JOIN ("
            "    SELECT d.stay_number, count(*) AS report_count,"
            f"       array_agg(d.first_received_at {order}) AS report_received,"
            f"       array_agg(d.alive_from {order}) AS report_from,"
            f"       array_agg(d.alive_until {order}) AS report_until"
            "    FROM document_period d"
            "    WHERE d.stay_number = ANY(CAST(:stay_numbers AS text[]))"
            "      AND d.document_type = ANY(CAST(:report_types AS text[]))"
            "    GROUP BY d.stay_number"
            ") r ON r.stay_number = s.stay_number "
            f"WHERE p.stay_number = s.stay_number AND ({current}) IS DISTINCT FROM ({wanted}) "
            "AND p.stay_number = ANY(CAST(:stay_numbers AS text[]))"
        ),
        {
            "stay_numbers": text_array(stay_numbers),
            "report_types": list(report_types),
            "report_key": report_key,
        },
    )
