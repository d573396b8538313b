"""Turnaround `as_of` on the knowledge clock, RSS versions in force at a date, admission unit

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

- Movements and documents become known at the later of their own time (occurrence, claimed
  reception) and their storage (`recorded_at`): the derived periods (`stay_discharge_period`,
  `document_period`) now change at those times, so an event stored late never changes the figures
  of an earlier `as_of`. Existing databases get every derived row recomputed from the stored
  events under the new rule, by the replay below: a copy of the derivation rules of this
  revision (`app.turnaround.derivation` then, `dimqa turnaround-rebuild`), so later changes of
  the application never change what this migration does. The replay is Python, as in the
  application (an ordered state machine per stay and per document, known at moments that may
  come out of order); reads and writes are SQL.
- `stay_discharge_period.admission_unit`: the UM of the admission (`attribution=admission`).
- The RSS read by the turnaround is the version in force at the end of `as_of`: the current
  versions (index now carrying the version id, for the first RUM of an RSS-only stay) and the
  versions superseded after `as_of` (new partial index on `superseded_at`). A non-current version
  without `superseded_at` (none is expected: ingestion sets both together) gets the reception of
  the next version of its RSS number, so it is not taken as still in force.
"""

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_EXIT_INCLUDE = ["stay_number", "received_at", "care_type", "exit_unit"]


def upgrade() -> None:
    op.add_column("stay_discharge_period", sa.Column("admission_unit", sa.String(20), nullable=True))
    op.drop_index("ix_rss_version_current_exit_date_turnaround", table_name="rss_version")
    op.create_index(
        "ix_rss_version_current_exit_date_turnaround",
        "rss_version",
        ["exit_date"],
        postgresql_include=[*OLD_EXIT_INCLUDE, "id"],
        postgresql_where=sa.text("is_current"),
    )
    op.execute(
        """
        UPDATE rss_version v SET superseded_at = COALESCE((
            SELECT min(n.received_at) FROM rss_version n WHERE n.rss_number = v.rss_number AND n.id > v.id
        ), v.received_at)
        WHERE NOT v.is_current AND v.superseded_at IS NULL
        """
    )
    op.create_index(
        "ix_rss_version_superseded_at_turnaround",
        "rss_version",
        ["superseded_at"],
        postgresql_include=["stay_number", "received_at", "exit_date", "care_type", "exit_unit", "id"],
        postgresql_where=sa.text("superseded_at IS NOT NULL"),
    )
    # Derived rows under the new rule, on the migration's connection and transaction; an empty
    # database has nothing to do.
    _rebuild_derived(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_rss_version_superseded_at_turnaround", table_name="rss_version")
    op.drop_index("ix_rss_version_current_exit_date_turnaround", table_name="rss_version")
    op.create_index(
        "ix_rss_version_current_exit_date_turnaround",
        "rss_version",
        ["exit_date"],
        postgresql_include=OLD_EXIT_INCLUDE,
        postgresql_where=sa.text("is_current"),
    )
    op.drop_column("stay_discharge_period", "admission_unit")
    # The derived periods keep the knowledge clock: `dimqa turnaround-rebuild` on the older code
    # puts them back on the events' own clocks.


# --------------------------------------------------------------------------- derived rows at 0010
# The rules of `app.turnaround.derivation` at this revision, without its speed-ups (one replay per
# knowledge moment, whole chunks rewritten): the result is the same, the code is frozen here.

_HOSPITAL_TZ = ZoneInfo("Europe/Paris")
_DEFAULT_REPORT_TYPES = ("11490-0", "18842-5", "34105-7", "34133-9", "CRH", "LDL", "LDL-SES")
_NON_HOSPITAL_CLASSES = frozenset({"O", "E", "AMB", "EMER", "VR", "HH", "FLD"})
_SEANCE_CLASSES = frozenset({"R"})
_CHUNK = 5000  # stay numbers per step: bounded statements and memory

# Stored events as the replays read them.
_StayEvent = tuple[
    int, str, str | None, datetime, str | None, datetime
]  # id, type, unit, occurred, class, known
_DocEvent = tuple[
    int, str, str, str, datetime, str | None, datetime
]  # id, doc, type, action, received, parent, known


def _report_types() -> tuple[str, ...]:
    """The discharge report types as the application's settings read them (DIMQA_DISCHARGE_REPORT_TYPES)."""
    raw = os.environ.get("DIMQA_DISCHARGE_REPORT_TYPES", "")
    configured = raw.split(",") if raw else _DEFAULT_REPORT_TYPES
    return tuple(sorted({code.strip().upper() for code in configured if code.strip()}))


def _knowledge_replays(
    ordered: Sequence[Any], known: Callable[[Any], datetime], new: Callable[[], Any]
) -> Iterator[tuple[datetime, Any]]:
    """(moment, replay of every event known by then, in `ordered` order) at each knowledge time."""
    for moment in sorted({known(event) for event in ordered}):
        replay = new()
        for event in ordered:
            if known(event) <= moment:
                replay.apply(event)
        yield moment, replay


class _StayReplay:
    def __init__(self) -> None:
        self.cancelled = False
        self._reset()

    def _reset(self) -> None:
        self.admitted_at: datetime | None = None
        self.admission_unit: str | None = None
        self.patient_class: str | None = None
        self.movements: list[tuple[tuple[datetime, int], str, str | None]] = []
        self.discharges: list[_StayEvent] = []

    def apply(self, event: _StayEvent) -> None:
        id_, type_, unit, occurred, klass, _known = event
        if klass and type_ in ("admit", "transfer", "discharge"):
            self.patient_class = klass
        if type_ == "admit":
            self.cancelled = False
            self.admitted_at, self.admission_unit = occurred, unit
            self.movements.append(((occurred, id_), "admit", unit))
        elif type_ == "transfer":
            self.movements.append(((occurred, id_), "transfer", unit))
        elif type_ == "discharge":
            self.discharges.append(event)
        elif type_ == "cancel_admit":
            self._reset()
            self.cancelled = True
        elif type_ == "cancel_transfer":
            for index in range(len(self.movements) - 1, -1, -1):
                if self.movements[index][1] == "transfer":
                    del self.movements[index]
                    break
        elif type_ == "cancel_discharge" and self.discharges:
            self.discharges.pop()

    def state(self) -> tuple[Any, ...] | None:
        """(discharged_at, discharge_date, discharge_unit, care_type_hint, admission_unit)."""
        if not self.discharges:
            return None
        id_, _type, unit, occurred, _class, _known = self.discharges[-1]
        if not unit:
            unit = next((u for key, _t, u in reversed(self.movements) if key <= (occurred, id_) and u), None)
        day = occurred.astimezone(_HOSPITAL_TZ).date()
        admission = self.admission_unit or next((u for _k, _t, u in self.movements if u), None) or unit
        return (occurred, day, unit, _care_type_hint(self.patient_class, self.admitted_at, day), admission)


def _care_type_hint(patient_class: str | None, admitted_at: datetime | None, discharge_date: date) -> str:
    klass = (patient_class or "").strip().upper()
    if klass in _NON_HOSPITAL_CLASSES:
        return "external"
    if klass in _SEANCE_CLASSES:
        return "seance"
    if admitted_at is not None and admitted_at.astimezone(_HOSPITAL_TZ).date() == discharge_date:
        return "zero_day"
    return "complete"


def _derive_stay(stay_number: str, events: list[_StayEvent]) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The `stay` row and the discharge periods (without report copies) of one stay."""
    ordered = sorted(events, key=lambda event: (event[3], event[0]))
    periods: list[tuple[Any, ...]] = []
    state: tuple[Any, ...] | None = None
    since: datetime | None = None
    replay = _StayReplay()
    for moment, replay in _knowledge_replays(ordered, itemgetter(5), _StayReplay):
        now = replay.state()
        if now != state:
            if state is not None and since is not None:
                periods.append((stay_number, since, moment, *state))
            state, since = now, moment
    if state is not None and since is not None:
        periods.append((stay_number, since, None, *state))
    if state is not None:
        status = "discharged"
    elif replay.cancelled and not replay.movements:
        status = "cancelled"
    else:
        status = "in_house"
    last_unit = state[2] if state is not None and state[2] else None
    last_unit = last_unit or next((u for _k, _t, u in reversed(replay.movements) if u), None)
    known = [event[5] for event in ordered if event[1] in ("discharge", "cancel_discharge")]
    stay = (
        stay_number,
        status,
        replay.admitted_at,
        state[0] if state else None,
        state[1] if state else None,
        state[2] if state else None,
        last_unit,
        replay.patient_class,
        min(known) if known else None,
        len(ordered),
    )
    return stay, periods


class _DocumentReplay:
    def __init__(self) -> None:
        self.head: str | None = None
        self.replaced: set[str] = set()
        self.first_received: datetime | None = None
        self.document_type = ""

    def apply(self, event: _DocEvent) -> None:
        _id, document_id, document_type, action, received, parent, _known = event
        if action == "delete":
            if self.head is not None and (document_id == self.head or document_id not in self.replaced):
                self.head, self.first_received = None, None
            return
        if parent:
            self.replaced.add(parent)
        if self.head is not None and self.head != document_id:
            self.replaced.add(self.head)
        self.replaced.discard(document_id)
        if self.head is None:
            self.first_received = received
        self.head = document_id
        self.document_type = document_type.strip().upper()

    def state(self) -> tuple[str, datetime] | None:
        if self.head is not None and self.first_received:
            return (self.document_type, self.first_received)
        return None


def _derive_documents(stay_number: str, events: list[_DocEvent]) -> list[tuple[Any, ...]]:
    """The document periods of one stay: versions linked by their parent form one document."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for event in events:
        root = find(event[1])
        if event[5]:
            other = find(event[5])
            if other != root:
                parent[other] = root
    documents: dict[str, list[_DocEvent]] = defaultdict(list)
    for event in events:
        documents[find(event[1])].append(event)
    periods: list[tuple[Any, ...]] = []
    for group in documents.values():
        ordered = sorted(group, key=lambda event: (event[4], event[0]))
        key = ordered[0][1]
        state: tuple[str, datetime] | None = None
        since: datetime | None = None
        head = ""
        for moment, replay in _knowledge_replays(ordered, itemgetter(6), _DocumentReplay):
            now = replay.state()
            if now != state:
                if state is not None and since is not None:
                    periods.append((stay_number, key, since, moment, head, *state))
                state, since, head = now, moment, replay.head or ""
        if state is not None and since is not None:
            periods.append((stay_number, key, since, None, head, *state))
    return periods


def _by_stay(rows: Iterable[Any]) -> Iterator[tuple[str, list[Any]]]:
    for stay_number, group in groupby(rows, itemgetter(0)):
        yield stay_number, [tuple(row[1:]) for row in group]


def _stay_numbers(bind: sa.Connection, table: str) -> list[str]:
    return list(bind.scalars(sa.text(f"SELECT DISTINCT stay_number FROM {table} ORDER BY 1")))


def _rebuild_derived(bind: sa.Connection) -> None:
    """Every derived row recomputed from the stored events: documents first, the stays' report
    copies are taken from their document periods."""
    report_types = _report_types()
    report_key = hashlib.sha256(",".join(report_types).encode("utf-8")).hexdigest()[:16]
    document_stays = _stay_numbers(bind, "document_event")
    for start in range(0, len(document_stays), _CHUNK):
        numbers = document_stays[start : start + _CHUNK]
        rows = bind.execute(
            sa.text(
                "SELECT stay_number, id, document_id, document_type, action, received_at, "
                "parent_document_id, GREATEST(received_at, recorded_at) FROM document_event "
                "WHERE stay_number = ANY(:numbers) ORDER BY stay_number, received_at, id"
            ),
            {"numbers": numbers},
        )
        periods = [
            period for number, events in _by_stay(rows) for period in _derive_documents(number, events)
        ]
        bind.execute(
            sa.text("DELETE FROM document_period WHERE stay_number = ANY(:numbers)"), {"numbers": numbers}
        )
        if periods:
            bind.execute(
                sa.text(
                    "INSERT INTO document_period (stay_number, document_key, alive_from, alive_until, "
                    "document_id, document_type, first_received_at) VALUES (:s, :k, :f, :u, :d, :t, :r)"
                ),
                [dict(zip("skfudtr", period, strict=True)) for period in periods],
            )
    stays = _stay_numbers(bind, "stay_event")
    for start in range(0, len(stays), _CHUNK):
        numbers = stays[start : start + _CHUNK]
        rows = bind.execute(
            sa.text(
                "SELECT stay_number, id, type, unit, occurred_at, patient_class, "
                "GREATEST(occurred_at, recorded_at) FROM stay_event "
                "WHERE stay_number = ANY(:numbers) ORDER BY stay_number, occurred_at, id"
            ),
            {"numbers": numbers},
        )
        stay_rows: list[tuple[Any, ...]] = []
        period_rows: list[tuple[Any, ...]] = []
        for number, events in _by_stay(rows):
            stay, periods = _derive_stay(number, events)
            stay_rows.append(stay)
            period_rows += periods
        bind.execute(
            sa.text("DELETE FROM stay_discharge_period WHERE stay_number = ANY(:numbers)"),
            {"numbers": numbers},
        )
        if period_rows:
            bind.execute(
                sa.text(
                    "INSERT INTO stay_discharge_period (stay_number, effective_from, effective_to, "
                    "discharged_at, discharge_date, discharge_unit, care_type_hint, admission_unit, "
                    "report_key, report_count, report_received, report_from, report_until) "
                    "VALUES (:s, :f, :t, :a, :d, :u, :c, :m, :key, 0, '{}', '{}', '{}')"
                ),
                [dict(zip("sftaducm", period, strict=True), key=report_key) for period in period_rows],
            )
        if stay_rows:
            columns = (
                "stay_number, status, admitted_at, discharged_at, discharge_date, discharge_unit, "
                "last_unit, patient_class, discharge_known_at, event_count"
            )
            updates = ", ".join(f"{name} = excluded.{name}" for name in columns.split(", ")[1:])
            bind.execute(
                sa.text(
                    f"INSERT INTO stay ({columns}) VALUES (:s, :st, :ad, :di, :dd, :du, :lu, :pc, :dk, :ec) "
                    f"ON CONFLICT (stay_number) DO UPDATE SET {updates}, updated_at = now()"
                ),
                [
                    dict(zip(("s", "st", "ad", "di", "dd", "du", "lu", "pc", "dk", "ec"), row, strict=True))
                    for row in stay_rows
                ],
            )
        # The report periods copied on the discharge periods, in one total order (as the
        # application's `update_stay_reports`).
        order = "ORDER BY d.alive_from, d.first_received_at, d.document_key"
        bind.execute(
            sa.text(
                "UPDATE stay_discharge_period p SET report_count = r.report_count, "
                "report_received = r.received, report_from = r.since, report_until = r.until FROM ("
                "  SELECT d.stay_number, count(*) AS report_count,"
                f"   array_agg(d.first_received_at {order}) AS received,"
                f"   array_agg(d.alive_from {order}) AS since, array_agg(d.alive_until {order}) AS until"
                "  FROM document_period d WHERE d.stay_number = ANY(:numbers)"
                "  AND d.document_type = ANY(:report_types) GROUP BY d.stay_number"
                ") r WHERE p.stay_number = r.stay_number"
            ),
            {"numbers": numbers, "report_types": list(report_types)},
        )
