"""SQL of the findings (the only place that touches `rule_finding`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import BigInteger, ColumnElement, and_, cast, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.core.bulk import copy_rows
from app.ingestion.models import RssVersion, Rum
from app.rules.models import Finding
from app.rules.schemas import FindingFilter
from app.structure.models import Unit


def _ids(values: Sequence[int]) -> ColumnElement[object]:
    """`= ANY(...)` operand: one bigint[] parameter, whatever the number of ids (no IN-list expansion)."""
    return func.any(cast(list(values), ARRAY(BigInteger)))


NewFinding = tuple[int, str, str, str, str | None, int | None, str, str, str, str, date | None]
"""A finding to open: rss_version_id, rss_number, rule_code, severity, rum_number, rum_index, field,
value, message, unit, rss_exit_date."""


@dataclass(frozen=True, slots=True)
class OpenFinding:
    id: int
    rss_version_id: int
    rule_code: str
    severity: str
    rum_number: str | None
    rum_index: int | None
    field: str | None
    value: str | None
    message: str
    unit: str
    rss_exit_date: date | None


@dataclass(frozen=True, slots=True)
class Carried:
    """New values of a finding still triggered by the (new) version of its RSS."""

    id: int
    rss_version_id: int
    severity: str
    rum_index: int | None
    message: str
    unit: str
    rss_exit_date: date | None


_INSERT = text(
    """
    INSERT INTO rule_finding (
        rss_version_id, rss_number, rule_code, severity, rum_number, rum_index, field, value,
        message, unit, rss_exit_date
    )
    SELECT * FROM unnest(
        CAST(:version_ids AS bigint[]), CAST(:rss_numbers AS text[]), CAST(:rule_codes AS text[]),
        CAST(:severities AS text[]), CAST(:rum_numbers AS text[]), CAST(:rum_indexes AS smallint[]),
        CAST(:fields AS text[]), CAST(:values AS text[]), CAST(:messages AS text[]),
        CAST(:units AS text[]), CAST(:exit_dates AS date[])
    )
    ON CONFLICT (rss_version_id, rule_code, coalesce(rum_index, -1), coalesce(field, ''), coalesce(value, ''))
        WHERE closed_at IS NULL
    DO NOTHING
    """
)


COPY_COLUMNS: Final = (
    "rss_version_id",
    "rss_number",
    "rule_code",
    "severity",
    "rum_number",
    "rum_index",
    "field",
    "value",
    "message",
    "unit",
    "rss_exit_date",
)


def insert_findings(session: Session, rows: Sequence[NewFinding], *, new_versions: bool = False) -> int:
    """Open these findings in one statement; one already open at the same location (another writer
    got there first) is kept and the row skipped. Returns the number opened.

    `new_versions`: the RSS versions were created by this transaction (ingestion), so no other
    writer can have opened their findings: COPY, twice as fast as the INSERT (60,000 findings:
    3 s against 6 s on a busy machine)."""
    if not rows:
        return 0
    if new_versions:
        return copy_rows(session, Finding.__tablename__, COPY_COLUMNS, rows)
    columns = list(zip(*rows, strict=True))
    names = (
        "version_ids", "rss_numbers", "rule_codes", "severities", "rum_numbers", "rum_indexes",
        "fields", "values", "messages", "units", "exit_dates",
    )  # fmt: skip
    result = session.execute(_INSERT, dict(zip(names, (list(c) for c in columns), strict=True)))
    return int(result.rowcount)  # type: ignore[attr-defined]


# Validation runs are serialised by this transaction-level advisory lock (two int4 keys: "dimq", 1).
_RUN_LOCK = (0x64696D71, 1)
RUN_LABEL_PREFIX = "dimqa validation run: "


def try_lock_validation_run(session: Session, *, started_by: str) -> bool:
    """Take the validation-run lock for this transaction, or False when another run holds it.

    The run's connection is labelled (application_name, for this transaction only) with who
    started it, so a refused caller can be told which run is in the way."""
    # One statement, so that no one sees the lock held by a connection not yet labelled.
    locked = session.scalar(
        text(
            "SELECT CASE WHEN pg_try_advisory_xact_lock(:a, :b) "
            "THEN set_config('application_name', :label, true) IS NOT NULL ELSE false END"
        ),
        {"a": _RUN_LOCK[0], "b": _RUN_LOCK[1], "label": (RUN_LABEL_PREFIX + started_by)[:63]},
    )
    return bool(locked)


def running_validation_run(session: Session) -> tuple[str | None, datetime | None]:
    """(label, transaction start) of the run holding the lock, as far as PostgreSQL shows it."""
    row = session.execute(
        text(
            """
            SELECT a.application_name, a.xact_start
            FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :a AND l.objid = :b
                AND l.objsubid = 2
            """
        ),
        {"a": _RUN_LOCK[0], "b": _RUN_LOCK[1]},
    ).first()
    if row is None:
        return None, None
    return row[0], row[1]


def open_findings_of_versions(session: Session, *, version_ids: Sequence[int]) -> list[OpenFinding]:
    """The not-yet-closed findings of these RSS versions, in id order (one query)."""
    if not version_ids:
        return []
    query = (
        select(
            Finding.id,
            Finding.rss_version_id,
            Finding.rule_code,
            Finding.severity,
            Finding.rum_number,
            Finding.rum_index,
            Finding.field,
            Finding.value,
            Finding.message,
            Finding.unit,
            Finding.rss_exit_date,
        )
        .where(Finding.rss_version_id == _ids(version_ids), Finding.closed_at.is_(None))
        .order_by(Finding.id)
    )
    return [OpenFinding(*row) for row in session.execute(query)]


_CARRY = text(
    """
    UPDATE rule_finding AS f
    SET rss_version_id = v.rss_version_id, severity = v.severity, rum_index = v.rum_index,
        message = v.message, unit = v.unit, rss_exit_date = v.rss_exit_date
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:version_ids AS bigint[]), CAST(:severities AS text[]),
        CAST(:rum_indexes AS smallint[]), CAST(:messages AS text[]), CAST(:units AS text[]),
        CAST(:exit_dates AS date[])
    ) AS v(id, rss_version_id, severity, rum_index, message, unit, rss_exit_date)
    WHERE f.id = v.id
    """
)


def carry_findings(session: Session, carried: Sequence[Carried]) -> None:
    """Re-point findings to the new version of their RSS, in one statement."""
    if not carried:
        return
    session.execute(
        _CARRY,
        {
            "ids": [c.id for c in carried],
            "version_ids": [c.rss_version_id for c in carried],
            "severities": [c.severity for c in carried],
            "rum_indexes": [c.rum_index for c in carried],
            "messages": [c.message for c in carried],
            "units": [c.unit for c in carried],
            "exit_dates": [c.rss_exit_date for c in carried],
        },
    )


def close_findings(session: Session, *, ids: Sequence[int]) -> None:
    if ids:
        session.execute(update(Finding).where(Finding.id == _ids(ids)).values(closed_at=func.now()))


def get(session: Session, *, finding_id: int) -> Finding | None:
    return session.get(Finding, finding_id, with_for_update=True)


def _unit_at_exit() -> ColumnElement[bool]:
    """Structure row of the finding's UM valid on its RSS discharge date."""
    return and_(
        Unit.code == Finding.unit,
        Unit.valid_from <= Finding.rss_exit_date,
        or_(Unit.valid_to.is_(None), Unit.valid_to >= Finding.rss_exit_date),
    )


def _status_filter(status: str | None) -> ColumnElement[bool]:
    if status is None:
        return Finding.closed_at.is_(None)
    if status == "closed":
        return Finding.closed_at.is_not(None)
    return and_(Finding.closed_at.is_(None), Finding.status == status)


def list_findings(
    session: Session,
    *,
    units: Sequence[str] | None,
    where: FindingFilter,
    after_id: int | None = None,
    limit: int = 100,
) -> list[Finding]:
    """Findings by ascending id (keyset pagination: pass the last id seen as `after_id`).

    `units`: the caller's unit restriction (None = every unit)."""
    query = select(Finding).where(_status_filter(where.status))
    if units is not None:
        query = query.where(Finding.unit == func.any(list(units)))
    if where.rss_number is not None:
        query = query.where(Finding.rss_number == where.rss_number)
    if where.rule is not None:
        query = query.where(Finding.rule_code == where.rule)
    if where.severity is not None:
        query = query.where(Finding.severity == where.severity)
    if where.unit is not None:
        query = query.where(Finding.unit == where.unit)
    if where.service is not None:
        query = query.where(exists().where(_unit_at_exit(), Unit.service_code == where.service))
    if where.pole is not None:
        query = query.where(exists().where(_unit_at_exit(), Unit.pole_code == where.pole))
    if where.date_from is not None:
        query = query.where(Finding.rss_exit_date >= where.date_from)
    if where.date_to is not None:
        query = query.where(Finding.rss_exit_date <= where.date_to)
    if after_id is not None:
        query = query.where(Finding.id > after_id)
    return list(session.scalars(query.order_by(Finding.id).limit(limit)))


def summary(
    session: Session,
    *,
    units: Sequence[str] | None,
    date_from: date | None,
    date_to: date | None,
) -> list[tuple[str, str, str | None, int, int, int, int]]:
    """(rule, severity, service, open, acknowledged, dismissed, total) of the findings not closed,
    per rule and service of the UM at the discharge date, for discharges in the period."""
    service = (
        select(Unit.service_code)
        .where(_unit_at_exit())
        .order_by(Unit.valid_from.desc())
        .limit(1)
        .correlate(Finding)
        .scalar_subquery()
        .label("service")
    )
    base = select(
        Finding.rule_code.label("rule"),
        Finding.severity.label("severity"),
        service,
        Finding.status.label("status"),
    ).where(Finding.closed_at.is_(None))
    if units is not None:
        base = base.where(Finding.unit == func.any(list(units)))
    if date_from is not None:
        base = base.where(Finding.rss_exit_date >= date_from)
    if date_to is not None:
        base = base.where(Finding.rss_exit_date <= date_to)
    rows = base.subquery()
    query = (
        select(
            rows.c.rule,
            rows.c.severity,
            rows.c.service,
            func.count().filter(rows.c.status == "open"),
            func.count().filter(rows.c.status == "acknowledged"),
            func.count().filter(rows.c.status == "dismissed"),
            func.count(),
        )
        .group_by(rows.c.rule, rows.c.severity, rows.c.service)
        .order_by(rows.c.rule, rows.c.service.asc().nulls_last(), rows.c.severity)
    )
    return [
        (rule, severity, service_code, int(opened), int(acknowledged), int(dismissed), int(total))
        for rule, severity, service_code, opened, acknowledged, dismissed, total in session.execute(query)
    ]


def current_versions(session: Session, *, after_id: int, limit: int) -> list[tuple[int, str]]:
    """(id, rss_number) of current RSS versions with id > after_id, ascending, at most `limit`."""
    query = (
        select(RssVersion.id, RssVersion.rss_number)
        .where(RssVersion.is_current, RssVersion.id > after_id)
        .order_by(RssVersion.id)
        .limit(limit)
    )
    return [(version_id, rss_number) for version_id, rss_number in session.execute(query)]


def rum_lines(session: Session, *, version_ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(rss_version_id, line, line_text) of the RUMs of these versions, in RSS order."""
    if not version_ids:
        return []
    query = (
        select(Rum.rss_version_id, Rum.line, Rum.line_text)
        .where(Rum.rss_version_id == _ids(version_ids))
        .order_by(Rum.rss_version_id, Rum.position)
    )
    return [(version_id, line, line_text) for version_id, line, line_text in session.execute(query)]
