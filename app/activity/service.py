"""Activity breakdowns (MCO from the RUM/RSS summaries, SSR from the RHS) and RHS batch ingestion.

Counting rules (docs/activity.md): an RSS belongs to the period of its discharge date and its RUM
follow it; a RUM's UM maps to the structure row valid on the RUM's exit date; a UM unknown to the
structure is reported under the "unmapped" pôle. For a unit-restricted token, RUM are counted when
their UM is one of its units and RSS when their exit UM (the UM of the last RUM) is. An RHS belongs
to the period containing the Monday of its week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy.orm import Session

from app.activity import labels, repository
from app.activity.models import RhsBatch
from app.activity.rhs_parser import Rhs, parse_rhs_line
from app.activity.schemas import (
    CareTypeRow,
    CareTypesActivity,
    GhmActivity,
    GhmRow,
    LineErrorRead,
    Period,
    PoleRum,
    RhsBatchPage,
    RhsBatchRead,
    RssTotal,
    RumRss,
    RumTotal,
    Scope,
    SeanceRow,
    SeancesActivity,
    SeanceTotal,
    SsrCmActivity,
    SsrCmRow,
    SsrCmTotal,
    UnitRum,
    UnitsActivity,
)
from app.audit import service as audit_service
from app.auth.schemas import Principal
from app.core.exports import Column, Table
from app.core.line_errors import LineError
from app.core.pagination import id_cursor, next_page
from app.core.problems import Conflict, InvalidInput, NotFound

MAX_STORED_ERRORS = 1000
MAX_PROBLEM_ERRORS = 100
_BOM = b"\xef\xbb\xbf"


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput(f"`to` ({end.isoformat()}) is before `from` ({start.isoformat()})")


def _context(principal: Principal, start: date, end: date) -> tuple[Period, Scope]:
    check_period(start, end)
    scope = Scope(units=sorted(principal.units) if principal.units is not None else None)
    return Period(start=start, end=end), scope


# --- Structure-shaped results -------------------------------------------------------------------


class _Straddle:
    """A group of RUM whose exit dates span a change of structure of their UM."""


STRADDLE = _Straddle()


class StructureIndex:
    """The validity rows of each UM, to attribute an aggregated group to the row valid on its dates."""

    def __init__(self, rows: Iterable[repository.StructureRow]) -> None:
        self.by_code: dict[str, list[repository.StructureRow]] = {}
        self.by_id: dict[int, repository.StructureRow] = {}
        for row in rows:
            self.by_code.setdefault(row.code, []).append(row)
            self.by_id[row.id] = row

    def resolve(
        self, code: str, lo: date | None, hi: date | None
    ) -> repository.StructureRow | _Straddle | None:
        """The row valid over all of [lo, hi]; None when no row overlaps it (UM unknown on those
        dates); STRADDLE when several do."""
        if lo is None or hi is None:
            return None
        overlapping = [
            row
            for row in self.by_code.get(code, ())
            if row.valid_from <= hi and (row.valid_to is None or row.valid_to >= lo)
        ]
        if not overlapping:
            return None
        if len(overlapping) == 1 and overlapping[0].valid_from <= lo:
            row = overlapping[0]
            if row.valid_to is None or row.valid_to >= hi:
                return row
        # Covered only partly (a gap in the UM's history) counts as a straddle too: the exact
        # recount then puts the RUM of the gap under "unmapped".
        return STRADDLE


@dataclass(slots=True)
class _UnitAcc:
    label: str | None = None
    valid_from: date | None = None
    count: int = 0
    seances: int = 0


@dataclass(slots=True)
class _PoleAcc:
    label: str
    units: dict[str, _UnitAcc] = field(default_factory=dict)


class _ByPole:
    """Counts grouped by pôle then UM; a renamed UM keeps its latest label of the period."""

    def __init__(self) -> None:
        self.poles: dict[str, _PoleAcc] = {}

    def add(self, code: str, row: repository.StructureRow | None, count: int, seances: int = 0) -> None:
        if row is None:
            key, pole_label = labels.UNMAPPED_POLE, labels.UNMAPPED_POLE_LABEL
        elif row.pole is None:
            key, pole_label = labels.NO_POLE, labels.NO_POLE_LABEL
        else:
            key, pole_label = row.pole, row.pole_label or row.pole
        pole = self.poles.setdefault(key, _PoleAcc(pole_label))
        unit = pole.units.setdefault(code, _UnitAcc())
        unit.count += count
        unit.seances += seances
        if row is not None and (unit.valid_from is None or row.valid_from > unit.valid_from):
            unit.valid_from, unit.label = row.valid_from, row.label

    def sorted(self) -> list[tuple[str, _PoleAcc]]:
        last = {labels.NO_POLE: 1, labels.UNMAPPED_POLE: 2}
        items = [(k, p) for k, p in self.poles.items() if any(u.count for u in p.units.values())]
        return sorted(items, key=lambda item: (last.get(item[0], 0), item[0]))


def _rum_by_pole(session: Session, principal: Principal, start: date, end: date) -> _ByPole:
    """RUM per structure row valid on each RUM's exit date.

    Summary groups carry bounds of their RUM exit dates. A UM whose RUM of the period lie inside one
    of its validity rows is attributed whole (almost every UM). For a UM whose structure changed
    within the bounds, months then days are resolved one by one, and only the days straddling the
    change are recounted RUM by RUM.
    """
    index = StructureIndex(repository.structure_rows(session))
    result = _ByPole()
    straddling: list[str] = []
    for code, count, lo, hi in repository.rum_unit_ranges(
        session, start=start, end=end, units=principal.units
    ):
        row = index.resolve(code, lo, hi)
        if isinstance(row, _Straddle):
            straddling.append(code)
        else:
            result.add(code, row, count)
    if not straddling:
        return result
    months, edges = repository.split_months(start, end)
    day_ranges = [(code, a, b) for code in straddling for a, b in edges]
    if months is not None:
        for month, code, count, lo, hi in repository.rum_month_ranges(
            session, months=months, units=straddling
        ):
            row = index.resolve(code, lo, hi)
            if isinstance(row, _Straddle):
                day_ranges.append((code, month, repository.month_end(month)))
            else:
                result.add(code, row, count)
    pairs: list[tuple[date, str]] = []
    for day, code, count, lo, hi in repository.rum_day_ranges(session, ranges=day_ranges):
        row = index.resolve(code, lo, hi)
        if isinstance(row, _Straddle):
            pairs.append((day, code))
        else:
            result.add(code, row, count)
    for code, rum_exit, count in repository.rum_exit_dates(session, pairs=pairs):
        row = index.resolve(code, rum_exit, rum_exit)
        result.add(code, None if isinstance(row, _Straddle) else row, count)
    return result


def units_activity(session: Session, principal: Principal, *, start: date, end: date) -> UnitsActivity:
    period, scope = _context(principal, start, end)
    poles = [
        PoleRum(
            pole=key,
            label=pole.label,
            rum=sum(u.count for u in pole.units.values()),
            units=[
                UnitRum(unit=code, label=u.label, rum=u.count)
                for code, u in sorted(pole.units.items())
                if u.count
            ],
        )
        for key, pole in _rum_by_pole(session, principal, start, end).sorted()
    ]
    return UnitsActivity(
        period=period, scope=scope, poles=poles, total=RumTotal(rum=sum(p.rum for p in poles))
    )


def care_types_activity(
    session: Session, principal: Principal, *, start: date, end: date
) -> CareTypesActivity:
    period, scope = _context(principal, start, end)
    rum = repository.rum_by_care_type(session, start=start, end=end, units=principal.units)
    rss = repository.rss_by_care_type(session, start=start, end=end, units=principal.units)
    rows = [
        CareTypeRow(care_type=care_type, label=label, rum=rum.get(care_type, 0), rss=rss.get(care_type, 0))  # type: ignore[arg-type]
        for care_type, label in labels.CARE_TYPE_LABELS.items()
    ]
    total = RumRss(rum=sum(r.rum for r in rows), rss=sum(r.rss for r in rows))
    return CareTypesActivity(period=period, scope=scope, rows=rows, total=total)


def _ghm_label(ghm: str, loaded: dict[str, str]) -> str | None:
    return loaded.get(ghm) or labels.ghm_fallback_label(ghm)


def seances_activity(
    session: Session, principal: Principal, *, start: date, end: date, by: str
) -> SeancesActivity:
    period, scope = _context(principal, start, end)
    rows: list[SeanceRow] = []
    if by == "unit":
        index = StructureIndex(repository.structure_rows(session))
        by_pole = _ByPole()
        for code, structure_id, rss, seances in repository.seances_by_structure(
            session, start=start, end=end, units=principal.units
        ):
            by_pole.add(code, index.by_id.get(structure_id) if structure_id else None, rss, seances)
        for key, pole in by_pole.sorted():
            for code, unit in sorted(pole.units.items()):
                if not unit.count:
                    continue
                rows.append(
                    SeanceRow(
                        key=code,
                        label=unit.label,
                        pole=key,
                        pole_label=pole.label,
                        rss=unit.count,
                        seances=unit.seances,
                    )
                )
    else:
        by_ghm = repository.seances_by_ghm(session, start=start, end=end, units=principal.units)
        loaded = repository.ghm_labels(session, codes=[g for g, _, _ in by_ghm], year=end.year)
        for ghm, rss, seances in by_ghm:
            label = _ghm_label(ghm, loaded) if ghm else labels.NO_GHM_LABEL
            rows.append(SeanceRow(key=ghm or None, label=label, rss=rss, seances=seances))
        # Largest first; séances without GHM after the GHMs with as many RSS.
        rows.sort(key=lambda r: (-r.rss, r.key is None, r.key or ""))
    total = SeanceTotal(rss=sum(r.rss for r in rows), seances=sum(r.seances for r in rows))
    return SeancesActivity(period=period, scope=scope, by=by, rows=rows, total=total)  # type: ignore[arg-type]


def ghm_activity(
    session: Session, principal: Principal, *, start: date, end: date, level: str
) -> GhmActivity:
    period, scope = _context(principal, start, end)
    counts = repository.rss_by_ghm(session, start=start, end=end, units=principal.units, level=level)
    codes = [code for code, _ in counts]
    rows: list[GhmRow] = []
    if level == "cmd":
        loaded = repository.cmd_labels(session, codes=codes, year=end.year)
        for cmd, rss in counts:
            cmd_label = (loaded.get(cmd) or labels.cmd_label(cmd)) if cmd else labels.NO_GHM_LABEL
            rows.append(GhmRow(key=cmd or None, label=cmd_label, rss=rss))
    else:
        loaded = repository.ghm_labels(session, codes=codes, year=end.year)
        for ghm, rss in counts:
            label = _ghm_label(ghm, loaded) if ghm else labels.NO_GHM_LABEL
            rows.append(GhmRow(key=ghm or None, label=label, rss=rss))
    # Ungrouped RSS last, after the codes.
    rows.sort(key=lambda r: (r.key is None, r.key or ""))
    return GhmActivity(
        period=period,
        scope=scope,
        level=level,
        rows=rows,
        total=RssTotal(rss=sum(r.rss for r in rows)),
    )


def ssr_cm_activity(session: Session, principal: Principal, *, start: date, end: date) -> SsrCmActivity:
    period, scope = _context(principal, start, end)
    counts = repository.ssr_by_cm(session, start=start, end=end, units=principal.units)
    rows = [
        SsrCmRow(cm=cm, label=labels.ssr_cm_label(cm), weeks=weeks, days=days, stays=stays)
        for cm, weeks, days, stays in counts
    ]
    weeks, days, stays = repository.ssr_totals(session, start=start, end=end, units=principal.units)
    return SsrCmActivity(
        period=period, scope=scope, rows=rows, total=SsrCmTotal(weeks=weeks, days=days, stays=stays)
    )


# --- Export tables (French headers, as the DIM's tables) ----------------------------------------


def _filename(name: str, period: Period) -> str:
    return f"{name}_{period.start.isoformat()}_{period.end.isoformat()}"


def units_table(result: UnitsActivity) -> Table:
    rows: list[list[Any]] = [
        [pole.pole, pole.label, unit.unit, unit.label, unit.rum]
        for pole in result.poles
        for unit in pole.units
    ]
    return Table(
        title="RUM par pôle et UM",
        filename=_filename("activite-rum-par-um", result.period),
        columns=[
            Column("Pôle", 10),
            Column("Libellé du pôle", 30),
            Column("UM", 8),
            Column("Libellé de l'UM", 40),
            Column("RUM", 10),
        ],
        rows=rows,  # type: ignore[arg-type]
        totals=["Total", None, None, None, result.total.rum],
    )


def care_types_table(result: CareTypesActivity) -> Table:
    return Table(
        title="Types de prise en charge",
        filename=_filename("activite-types-de-prise-en-charge", result.period),
        columns=[Column("Type de prise en charge", 40), Column("RUM", 10), Column("RSS", 10)],
        rows=[[r.label, r.rum, r.rss] for r in result.rows],
        totals=["Total", result.total.rum, result.total.rss],
    )


def seances_table(result: SeancesActivity) -> Table:
    if result.by == "unit":
        columns = [
            Column("Pôle", 10),
            Column("Libellé du pôle", 30),
            Column("UM", 8),
            Column("Libellé de l'UM", 40),
            Column("RSS-séances", 12),
            Column("Séances", 10),
        ]
        rows: list[list[Any]] = [
            [r.pole, r.pole_label, r.key, r.label, r.rss, r.seances] for r in result.rows
        ]
        totals: list[Any] = ["Total", None, None, None, result.total.rss, result.total.seances]
    else:
        columns = [Column("GHM", 8), Column("Libellé", 60), Column("RSS-séances", 12), Column("Séances", 10)]
        rows = [[r.key, r.label, r.rss, r.seances] for r in result.rows]
        totals = ["Total", None, result.total.rss, result.total.seances]
    return Table(
        title=f"Séances par {'UM' if result.by == 'unit' else 'GHM'}",
        filename=_filename(f"activite-seances-par-{'um' if result.by == 'unit' else 'ghm'}", result.period),
        columns=columns,
        rows=rows,  # type: ignore[arg-type]
        totals=totals,
    )


def ghm_table(result: GhmActivity) -> Table:
    code = "CMD" if result.level == "cmd" else "GHM"
    return Table(
        title=f"RSS par {code}",
        filename=_filename(f"activite-rss-par-{code.lower()}", result.period),
        columns=[Column(code, 8), Column("Libellé", 70), Column("RSS", 10)],
        rows=[[r.key, r.label, r.rss] for r in result.rows],
        totals=["Total", None, result.total.rss],
    )


def ssr_cm_table(result: SsrCmActivity) -> Table:
    return Table(
        title="SMR par CM",
        filename=_filename("activite-smr-par-cm", result.period),
        columns=[
            Column("CM", 6),
            Column("Libellé", 60),
            Column("Semaines (RHS)", 14),
            Column("Journées de présence", 20),
            Column("Séjours", 10),
        ],
        rows=[[r.cm, r.label, r.weeks, r.days, r.stays] for r in result.rows],
        totals=["Total", None, result.total.weeks, result.total.days, result.total.stays],
    )


# --- RHS batches --------------------------------------------------------------------------------


def _sha256(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def _decode(raw: bytes) -> str:
    # Same rule as the parser: UTF-8, else Latin-1 (older HIS exports).
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


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
        _decode(raw.rstrip(b"\r\n")),
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

    for line_no, raw in enumerate(stream, start=1):
        if line_no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        if not raw.strip():
            continue
        parsed.lines += 1
        record = parse_rhs_line(raw, line_no)
        if isinstance(record, LineError):
            reject(record)
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
        parsed.rows.append(_row(record, raw, week))
        parsed.formats[record.version] = parsed.formats.get(record.version, 0) + 1
    _refuse_repeats(parsed)
    return parsed


def _drop(parsed: _Parsed, row: tuple[Any, ...], error: LineError) -> None:
    """Reject a parsed row with `error` (the caller removes it from `parsed.rows`)."""
    parsed.rejected += 1
    if len(parsed.errors) < MAX_STORED_ERRORS:
        parsed.errors.append(error)
    version = row[repository.STAGED_COLUMNS.index("version")]
    parsed.formats[version] -= 1
    if not parsed.formats[version]:
        del parsed.formats[version]


def _some_lines(lines: Sequence[int], shown: int = 5) -> str:
    text = ", ".join(str(line) for line in lines[:shown])
    return text if len(lines) <= shown else f"{text} and {len(lines) - shown} more"


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
    named = {key: _some_lines(sorted(lines)) for key, lines in conflicts.items()}
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
    return RhsBatchRead(
        id=batch.id,
        received_at=batch.received_at,
        status=batch.status,  # type: ignore[arg-type]
        source=batch.source,
        lines=batch.lines,
        rhs_accepted=batch.rhs_accepted,
        rhs_stored=batch.rhs_stored,
        rhs_unchanged=batch.rhs_unchanged,
        rhs_superseded=batch.rhs_superseded,
        lines_rejected=batch.lines_rejected,
        formats=dict(batch.formats),
        errors=[LineErrorRead(**e) for e in batch.errors],
    )


def _already_received(
    session: Session, *, sha256: str, idempotency_key: str | None, token_name: str
) -> RhsBatch | None:
    """The batch a retry refers to: the one this token sent under the same Idempotency-Key, else the
    one with the same body; Conflict when this token used the key for another body (as for RUM
    batches: app.ingestion.service)."""
    if idempotency_key is not None:
        by_key = repository.get_batch_by_idempotency_key(session, key=idempotency_key, token_name=token_name)
        if by_key is not None:
            if by_key.content_sha256 != sha256:
                raise Conflict(
                    f"Idempotency-Key {idempotency_key!r} was already used by this token for RHS batch "
                    f"{by_key.id}, with another body: nothing stored. Use a new key to send other content."
                )
            return by_key
    return repository.get_batch_by_sha256(session, sha256=sha256)


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
    sha256, size = _sha256(stream)
    if size == 0:
        raise InvalidInput("The body is empty: send the RHS file as text/plain or application/octet-stream.")
    existing = _already_received(
        session, sha256=sha256, idempotency_key=idempotency_key, token_name=principal.name
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
    existing = _already_received(
        session, sha256=sha256, idempotency_key=idempotency_key, token_name=principal.name
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
        content_sha256=sha256,
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
    rows = repository.list_batches(session, before_id=id_cursor(cursor), limit=limit + 1)
    page, next_cursor = next_page(rows, limit)
    return RhsBatchPage(items=[_read(b) for b in page], next_cursor=next_cursor)


def get_rhs_batch(session: Session, *, batch_id: int) -> RhsBatchRead:
    batch = repository.get_batch(session, batch_id=batch_id)
    if batch is None:
        raise NotFound(f"RHS batch {batch_id} does not exist")
    return _read(batch)
