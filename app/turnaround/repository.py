"""Every SQL statement of the turnaround domain.

Writes are set-based and made under the derivation lock. Events of a small body go in with one
`INSERT ... ON CONFLICT DO NOTHING RETURNING` (bound parameters); a bulk batch is COPYed straight
into its table once its stored keys are known (binding 10,000 rows x 11 parameters costs more
than the insert itself). Derived rows of the touched stay numbers are rewritten with COPY
(document periods: only the differences).

The turnaround aggregate is one SQL statement (`FILTER`, `percentile_cont`, `percentile_disc`,
`GROUPING SETS`); it is written as text because its full join, conditional subqueries and
ordered-set aggregates read far better in SQL than in the expression language.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Final, Literal

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import ARRAY, String, any_, bindparam, cast, delete, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.types import UserDefinedType

from app.turnaround.events import HOSPITAL_TZ
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


# --------------------------------------------------------------------------- turnaround


@dataclass(frozen=True, slots=True)
class TurnaroundParams:
    date_from: date
    date_to: date
    as_of: date
    as_of_end: datetime  # start of the day after as_of, hospital time: "received <= as_of"
    care_types: tuple[str, ...]
    report_types: tuple[str, ...]
    report_key: str  # settings.report_key() of report_types
    units: tuple[str, ...] | None  # a unit-restricted caller; None = every unit
    attribution: str = "discharge"  # discharge | admission: which UM a stay is counted under

    def bind(self) -> dict[str, Any]:
        return {
            "date_from": self.date_from,
            "date_to": self.date_to,
            # Stays discharged after as_of do not exist yet.
            "date_until": min(self.date_to, self.as_of),
            "as_of": self.as_of,
            "as_of_end": self.as_of_end,
            "care_types": list(self.care_types),
            "report_types": list(self.report_types),
            "report_key": self.report_key,
            "units": list(self.units) if self.units is not None else None,
            "attribution": self.attribution,
        }


GroupColumn = Literal["service", "pole", "unit"]

# (group key, label) per grouping; the key is `unmapped` when the UM (or its service or pôle) is
# not in the structure valid on the discharge date. Labels are joined after the aggregation, on
# the few groups rather than on every stay (a UM's label is the one valid on its discharges).
_GROUP_EXPRESSIONS: Final[dict[str, tuple[str, str]]] = {
    "service": (
        "COALESCE(c.service_code, 'unmapped')",
        "(SELECT sv.label FROM structure_service sv WHERE sv.code = g.grp)",
    ),
    "pole": (
        "COALESCE(c.pole_code, 'unmapped')",
        "(SELECT pl.label FROM structure_pole pl WHERE pl.code = g.grp)",
    ),
    "unit": ("COALESCE(c.code, 'unmapped')", "g.unit_label"),
}

# An RSS version counts from its reception (an RSS received after as_of does not exist yet) until
# a later version supersedes it (superseded_at: the reception of the next version).
_RSS_KNOWN: Final = "c.received_at < :as_of_end"
_RSS_NEAR: Final = "c.exit_date BETWEEN CAST(:date_from AS date) - 2 AND CAST(:date_to AS date) + 2"
_ALIVE: Final = (
    "{alias}alive_from < :as_of_end AND ({alias}alive_until IS NULL OR {alias}alive_until >= :as_of_end)"
)
_REPORT_PROBE: Final = f"""(
    SELECT min(dp.first_received_at) FROM document_period dp
    WHERE dp.stay_number = {{stay}}
      AND dp.document_type = ANY(CAST(:report_types AS text[]))
      AND {_ALIVE.format(alias="dp.")}
)"""

# Performance shape (a month of a large hospital is ~17,000 stays and an index probe per stay
# costs about 5 us, so the query avoids them): the month's discharge periods come from one index
# range scan and carry their report periods; the RSS come from two index-only range scans: the
# current versions exiting within two days of the period (the HIS writes the RSS exit date from
# the same discharge), and the versions in force at the end of as_of superseded since (none for
# a recent as_of: only re-sends received after it); one hash full join pairs them, giving both
# the movement stays with their RSS and the RSS-only candidates. The movement stays without RSS
# near their discharge (rare for a past month, most stays of the weeks whose RSS are not sent yet)
# get theirs in one index scan over all their numbers (far_rss). Only the rare leftovers are
# looked up one by one: an RSS-only candidate's documents and movements (and its first RUM when
# attributed to its admission).
#
# Any version in force at as_of is either still current or superseded since (then it is in the
# second scan), so the movement stays' probe reads current versions only.
_CLASSIFIED_STAYS: Final = f"""
WITH movement_stays AS (
    SELECT p.stay_number, p.discharge_date, p.care_type_hint,
        CASE WHEN :attribution = 'admission' THEN COALESCE(p.admission_unit, p.discharge_unit)
             ELSE p.discharge_unit END AS unit,
        CASE
            WHEN p.report_key IS DISTINCT FROM :report_key THEN {_REPORT_PROBE.format(stay="p.stay_number")}
            WHEN p.report_count = 0 THEN NULL
            WHEN p.report_count = 1 THEN
                CASE WHEN p.report_from[1] < :as_of_end
                          AND (p.report_until[1] IS NULL OR p.report_until[1] >= :as_of_end)
                     THEN p.report_received[1] END
            ELSE (
                SELECT min(r.received) FROM unnest(p.report_received, p.report_from, p.report_until)
                    AS r(received, alive_from, alive_until)
                WHERE {_ALIVE.format(alias="r.")}
            )
        END AS first_received_at
    FROM stay_discharge_period p
    WHERE p.discharge_date BETWEEN :date_from AND :date_until
      AND p.effective_from < :as_of_end
      AND (p.effective_to IS NULL OR p.effective_to >= :as_of_end)
),
rss_versions AS (
    SELECT c.stay_number, c.id, c.exit_date, c.exit_unit, c.received_at, c.care_type, true AS near
    FROM rss_version c
    WHERE c.is_current AND {_RSS_NEAR}
    UNION ALL
    SELECT c.stay_number, c.id, c.exit_date, c.exit_unit, c.received_at, c.care_type,
        COALESCE({_RSS_NEAR}, false) AS near
    FROM rss_version c
    WHERE c.superseded_at >= :as_of_end AND {_RSS_KNOWN}
),
rss_near AS (
    -- One RSS per stay number: one received by as_of first, then one exiting near the period,
    -- then the latest exit; care_type is NULL when it had not arrived by as_of.
    SELECT DISTINCT ON (c.stay_number COLLATE "C") c.stay_number, c.id AS rss_id, c.exit_date,
        NULLIF(c.exit_unit, '') AS exit_unit, {_RSS_KNOWN} AS known,
        CASE WHEN {_RSS_KNOWN} THEN c.care_type END AS care_type,
        CASE WHEN {_RSS_KNOWN} THEN c.received_at END AS rss_received_at
    FROM rss_versions c
    ORDER BY c.stay_number COLLATE "C", {_RSS_KNOWN} DESC, c.near DESC, c.exit_date DESC NULLS LAST
),
-- Movement stays without an RSS near the period (all of them for the weeks whose RSS are not
-- sent yet): their latest current RSS, if any, in one index scan over all their numbers, where a
-- probe per stay cost ~2.5 us (a month without RSS: 85 instead of 44 ms).
far_rss AS (
    SELECT DISTINCT ON (c.stay_number COLLATE "C") c.stay_number, c.care_type,
        c.received_at AS rss_received_at
    FROM rss_version c
    WHERE c.is_current AND {_RSS_KNOWN}
      AND c.stay_number = ANY(ARRAY(
          SELECT ms.stay_number FROM movement_stays ms
          WHERE NOT EXISTS (SELECT FROM rss_near rn WHERE rn.stay_number = ms.stay_number)
      ))
    ORDER BY c.stay_number COLLATE "C", c.exit_date DESC NULLS LAST
),
stays AS (
    SELECT
        COALESCE(ms.stay_number, rn.stay_number) AS stay_number,
        COALESCE(ms.discharge_date, rn.exit_date) AS discharge_date,
        CASE WHEN ms.stay_number IS NOT NULL THEN ms.unit
             -- The UM of its first RUM (position 0), read only for these rare stays.
             WHEN :attribution = 'admission' THEN COALESCE((
                 SELECT NULLIF(r.unit, '') FROM rum r WHERE r.rss_version_id = rn.rss_id AND r.position = 0
             ), rn.exit_unit)
             ELSE rn.exit_unit END AS unit,
        CASE WHEN ms.stay_number IS NOT NULL THEN ms.first_received_at
             ELSE {_REPORT_PROBE.format(stay="rn.stay_number")} END AS first_received_at,
        CASE
            WHEN ms.stay_number IS NULL THEN rn.care_type
            WHEN rn.stay_number IS NOT NULL THEN COALESCE(rn.care_type, ms.care_type_hint)
            ELSE COALESCE(fr.care_type, ms.care_type_hint)
        END AS care_type,
        -- Reception of the RSS in force at as_of carrying the stay number (NULL: not coded yet),
        -- read by the exhaustivity of coding (app/exhaustivity).
        CASE WHEN rn.known THEN rn.rss_received_at ELSE fr.rss_received_at END AS rss_received_at
    FROM movement_stays ms
    FULL JOIN rss_near rn ON rn.stay_number = ms.stay_number
    LEFT JOIN far_rss fr ON fr.stay_number = ms.stay_number
    WHERE ms.stay_number IS NOT NULL
       OR (rn.known
           AND rn.exit_date BETWEEN :date_from AND :date_until
           -- Once the movements know of a discharge they decide, even without one this month.
           AND NOT COALESCE((
               SELECT s.discharge_known_at < :as_of_end FROM stay s WHERE s.stay_number = rn.stay_number
           ), false))
),
classified AS (
    SELECT s.stay_number, s.discharge_date, s.unit, u.code, u.label AS unit_label, u.service_code,
        s.rss_received_at,
        COALESCE(u.pole_code, us.pole_code) AS pole_code,
        CASE WHEN s.first_received_at IS NULL THEN NULL
             -- A local date: the statement runs with TimeZone Europe/Paris (_run_in_hospital_time).
             ELSE GREATEST(0, CAST(s.first_received_at AS date) - s.discharge_date)
        END AS delay_days
    FROM stays s
    -- UM validity periods do not overlap (the structure service refuses it): one row at most.
    LEFT JOIN structure_unit u
        ON u.code = s.unit
       AND u.valid_from <= s.discharge_date
       AND (u.valid_to IS NULL OR u.valid_to >= s.discharge_date)
    LEFT JOIN structure_service us ON us.code = u.service_code
    WHERE s.care_type = ANY(CAST(:care_types AS text[]))
      AND (CAST(:units AS text[]) IS NULL OR s.unit = ANY(CAST(:units AS text[])))
    -- A fence: pulled up, delay_days (three subplans) was copied into each of the aggregates'
    -- eleven references: 69 subplans planned (10 ms of a month's 90) and evaluated per reference.
    OFFSET 0
)
"""

_WINDOW_DAYS: Final = 8  # classify.WINDOW_DAYS, inlined as a literal in the SQL below


def _grouped_sql(group_by: GroupColumn) -> str:
    key, label = _GROUP_EXPRESSIONS[group_by]
    return f"""
{_CLASSIFIED_STAYS},
grouped AS (
    SELECT
        {key} COLLATE "C" AS grp,
        GROUPING({key} COLLATE "C") = 1 AS is_total,
        max(c.unit_label) AS unit_label,
        count(*) AS stays,
        count(*) FILTER (WHERE delay_days = 0) AS on_time_j0,
        count(*) FILTER (WHERE delay_days <= {_WINDOW_DAYS}) AS on_time_j8,
        count(*) FILTER (WHERE delay_days > {_WINDOW_DAYS}) AS late,
        count(*) FILTER (WHERE delay_days IS NULL AND :as_of - discharge_date > {_WINDOW_DAYS}) AS missing,
        count(*) FILTER (WHERE delay_days IS NULL AND :as_of - discharge_date <= {_WINDOW_DAYS}) AS pending,
        count(*) FILTER (WHERE delay_days = 0)::float8
            / NULLIF(count(*) FILTER (WHERE delay_days IS NOT NULL
                                       OR :as_of - discharge_date > {_WINDOW_DAYS}), 0) AS rate_j0,
        count(*) FILTER (WHERE delay_days <= {_WINDOW_DAYS})::float8
            / NULLIF(count(*) FILTER (WHERE delay_days IS NOT NULL
                                       OR :as_of - discharge_date > {_WINDOW_DAYS}), 0) AS rate_j8,
        -- Both percentiles over the same float8 input and order, so PostgreSQL sorts each group's
        -- delays once for the two (integer delays are exact in float8, and so the p90 cast back);
        -- ordered by the integer the p90 would sort them a second time (2 of a month's ~50 ms).
        percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(delay_days AS float8)) AS median_delay_days,
        CAST(percentile_disc(0.9) WITHIN GROUP (ORDER BY CAST(delay_days AS float8)) AS integer)
            AS p90_delay_days
    FROM classified c
    GROUP BY GROUPING SETS (({key} COLLATE "C"), ())
)
SELECT g.grp AS "group", CASE WHEN NOT g.is_total THEN {label} END AS label, g.is_total,
    g.stays, g.on_time_j0, g.on_time_j8, g.late, g.missing, g.pending, g.rate_j0, g.rate_j8,
    g.median_delay_days, g.p90_delay_days
FROM grouped g
ORDER BY g.is_total, g.grp = 'unmapped', g.grp
"""


def _weekly_rates_sql(group_by: GroupColumn) -> str:
    """J0 and J8 rates per ISO week of discharge and group, and per week for the whole scope: the
    same counting as `_grouped_sql`, one statement for a trend instead of one per week."""
    key, label = _GROUP_EXPRESSIONS[group_by]
    week = "CAST(date_trunc('week', c.discharge_date) AS date)"
    closed = f"count(*) FILTER (WHERE delay_days IS NOT NULL OR :as_of - discharge_date > {_WINDOW_DAYS})"
    return f"""
{_CLASSIFIED_STAYS},
grouped AS (
    SELECT
        {week} AS week_start,
        {key} COLLATE "C" AS grp,
        GROUPING({key} COLLATE "C") = 1 AS is_total,
        max(c.unit_label) AS unit_label,
        count(*) FILTER (WHERE delay_days = 0)::float8 / NULLIF({closed}, 0) AS rate_j0,
        count(*) FILTER (WHERE delay_days <= {_WINDOW_DAYS})::float8 / NULLIF({closed}, 0) AS rate_j8
    FROM classified c
    GROUP BY GROUPING SETS (({week}, {key} COLLATE "C"), ({week}))
)
SELECT g.week_start, g.grp AS "group", CASE WHEN NOT g.is_total THEN {label} END AS label, g.is_total,
    g.rate_j0, g.rate_j8
FROM grouped g
ORDER BY g.week_start, g.is_total, g.grp = 'unmapped', g.grp
"""


def turnaround_weekly_rates(
    session: Session, params: TurnaroundParams, *, group_by: GroupColumn
) -> list[Row[Any]]:
    """(week_start, group, label, is_total, rate_j0, rate_j8) per ISO week of the period."""
    return _run_in_hospital_time(session, _weekly_rates_sql(group_by), params.bind())


HOSPITAL_TIME_ZONE: Final = HOSPITAL_TZ.key


def _run_in_hospital_time(session: Session, sql: str, params: dict[str, Any]) -> list[Row[Any]]:
    """Run a turnaround statement planned for its dates, in hospital time; returns its rows.

    Planned for the actual dates: psycopg prepares a statement run five times, and PostgreSQL
    then settles on a generic plan estimated for unknown bounds: on a month of 200,000 stays a year
    it took 91 ms against 69 ms for plans made for the dates given, planning included
    (bench/turnaround.py data).

    In hospital time: the reception instants become local dates with a plain cast, where
    `AT TIME ZONE 'Europe/Paris'` looked the zone up by name for every stay (about a tenth of a
    month's query). Both settings are local to the transaction, and TimeZone is set back right
    after the statement, so the session's other statements (and how psycopg reads instants)
    never see it. The statements bind dates and offset-carrying instants only, which do not
    depend on TimeZone."""
    previous = session.execute(
        text(
            "SELECT current_setting('TimeZone'), set_config('TimeZone', :zone, true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"
        ),
        {"zone": HOSPITAL_TIME_ZONE},
    ).scalar_one()
    rows = list(session.execute(text(sql), params))
    session.execute(text("SELECT set_config('TimeZone', :zone, true)"), {"zone": previous})
    return rows


def turnaround_groups(session: Session, params: TurnaroundParams, *, group_by: GroupColumn) -> list[Row[Any]]:
    """One row per group plus a last total row (`is_total`); nulls ignored by the percentiles."""
    return _run_in_hospital_time(session, _grouped_sql(group_by), params.bind())


_STAYS_SQL: Final = f"""
{_CLASSIFIED_STAYS}
SELECT * FROM (
    SELECT c.stay_number, COALESCE(c.service_code, 'unmapped') AS service, c.unit, c.discharge_date,
           CASE WHEN c.delay_days IS NOT NULL THEN 'late' ELSE 'missing' END AS status,
           COALESCE(c.delay_days, :as_of - c.discharge_date) AS days_elapsed
    FROM classified c
    WHERE c.delay_days > {_WINDOW_DAYS}
       OR (c.delay_days IS NULL AND :as_of - c.discharge_date > {_WINDOW_DAYS})
) stays
ORDER BY status, service = 'unmapped', service, discharge_date, stay_number
"""


def late_and_missing_stays(session: Session, params: TurnaroundParams) -> list[Row[Any]]:
    """Patient-level rows: every late or missing stay of the period, as of `params.as_of`."""
    return _run_in_hospital_time(session, _STAYS_SQL, params.bind())


# Qualifying report events of the period's stays that dimqa stored more than a day after the time
# their sender gives (a transmission problem, not the service's): listed in the weekly detail.
_STORED_LATE_SQL: Final = f"""
{_CLASSIFIED_STAYS}
SELECT * FROM (
    SELECT c.stay_number, COALESCE(c.service_code, 'unmapped') AS service, c.unit, e.document_id, e.source,
        e.received_at, e.recorded_at, e.id
    FROM classified c
    JOIN document_event e ON e.stay_number = c.stay_number
    WHERE upper(btrim(e.document_type)) = ANY(CAST(:report_types AS text[]))
      AND e.recorded_at < :as_of_end
      AND e.recorded_at - e.received_at > interval '1 day'
) documents
ORDER BY service = 'unmapped', service, stay_number, received_at, id
"""


def stored_late_documents(session: Session, params: TurnaroundParams) -> list[Row[Any]]:
    """Patient-level rows: the period's report events stored more than a day after their
    claimed reception, as of `params.as_of`."""
    return _run_in_hospital_time(session, _STORED_LATE_SQL, params.bind())


# Shared with the exhaustivity of coding (app/exhaustivity): the same stays, on the same `as_of`
# clock and unit scoping, each with the reception of the RSS in force (`rss_received_at`).
CLASSIFIED_STAYS_SQL: Final = _CLASSIFIED_STAYS
GROUP_EXPRESSIONS: Final = _GROUP_EXPRESSIONS
run_in_hospital_time: Final = _run_in_hospital_time
