"""RHS storage SQL: the writers' lock, the COPY of a batch's parsed RHS into a staging table, and
the stay-weeks that changed stored as new current versions. Batch look-ups are the RUM batches'
(app.ingestion.repository, for both batch models)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, text, update
from sqlalchemy.orm import Session

from app.core.bulk import copy_rows
from app.ingestion.models import Rhs

# Serialises RHS writers: the "changed stay-weeks" comparison must see the previous batch committed.
_RHS_LOCK = "SELECT pg_advisory_xact_lock(hashtext('dimqa.rhs_ingestion'))"


def lock_rhs_writers(session: Session) -> None:
    session.execute(text(_RHS_LOCK))


def stay_weeks_outside_units(
    session: Session, *, stay_weeks: Sequence[tuple[str, date]], units: Sequence[str]
) -> set[tuple[str, date]]:
    """The (SSR stay, week) among `stay_weeks` whose current RHS have a UM outside `units`."""
    if not stay_weeks:
        return set()
    rows = session.execute(
        text(
            "SELECT DISTINCT r.ssr_stay_number, r.week_date FROM rhs r "
            "JOIN unnest(CAST(:stays AS text[]), CAST(:weeks AS date[])) AS k(stay, week) "
            "ON r.ssr_stay_number = k.stay AND r.week_date = k.week "
            "WHERE r.is_current AND r.unit <> ALL(CAST(:units AS text[]))"
        ),
        {"stays": [s for s, _ in stay_weeks], "weeks": [w for _, w in stay_weeks], "units": list(units)},
    )
    return {(stay, week) for stay, week in rows}


STAGED_COLUMNS = (
    "line",
    "line_text",
    "version",
    "finess",
    "ssr_stay_number",
    "admin_number",
    "week_date",
    "unit",
    "cm",
    "gme",
    "days_present",
)


def stage_rhs(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY the parsed RHS (STAGED_COLUMNS order) into a transaction-scoped temporary table."""
    session.execute(text("DROP TABLE IF EXISTS pg_temp.rhs_incoming"))
    session.execute(
        text(
            "CREATE TEMPORARY TABLE rhs_incoming ("
            " line integer, line_text text, version text, finess text, ssr_stay_number text,"
            " admin_number text, week_date date, unit text, cm text, gme text, days_present smallint"
            ") ON COMMIT DROP"
        )
    )
    copy_rows(session, "rhs_incoming", STAGED_COLUMNS, rows)


def write_staged_rhs(session: Session, *, batch_id: int) -> tuple[int, int]:
    """Store the staged RHS of the stay-weeks that changed; returns (stored, superseded).

    A stay-week is unchanged when its set of lines (trailing blanks aside) equals the current one:
    re-sent cumulative files then store nothing. Otherwise the batch's lines for that stay-week become
    its current version and the previous ones are superseded.
    """
    session.execute(text("DROP TABLE IF EXISTS pg_temp.rhs_changed"))
    session.execute(
        text(
            """
            CREATE TEMPORARY TABLE rhs_changed ON COMMIT DROP AS
            WITH incoming AS (
                SELECT ssr_stay_number, week_date,
                       array_agg(rtrim(line_text) ORDER BY rtrim(line_text)) AS texts
                FROM rhs_incoming GROUP BY 1, 2
            ),
            existing AS (
                SELECT r.ssr_stay_number, r.week_date,
                       array_agg(rtrim(r.line_text) ORDER BY rtrim(r.line_text)) AS texts
                FROM rhs r JOIN incoming i
                  ON i.ssr_stay_number = r.ssr_stay_number AND i.week_date = r.week_date
                WHERE r.is_current
                GROUP BY 1, 2
            )
            SELECT i.ssr_stay_number, i.week_date
            FROM incoming i LEFT JOIN existing e
              ON e.ssr_stay_number = i.ssr_stay_number AND e.week_date = i.week_date
            WHERE e.texts IS DISTINCT FROM i.texts
            """
        )
    )
    superseded = session.execute(
        update(Rhs)
        .where(
            Rhs.is_current,
            text(
                "EXISTS (SELECT 1 FROM rhs_changed c"
                " WHERE c.ssr_stay_number = rhs.ssr_stay_number AND c.week_date = rhs.week_date)"
            ),
        )
        .values(is_current=False, superseded_at=func.now())
        .execution_options(synchronize_session=False)
    )
    stored = session.execute(
        text(
            """
            INSERT INTO rhs (batch_id, line, line_text, version, finess, ssr_stay_number, admin_number,
                             week_date, unit, cm, gme, days_present, is_current)
            SELECT :batch_id, s.line, s.line_text, s.version, s.finess, s.ssr_stay_number,
                   s.admin_number, s.week_date, s.unit, s.cm, s.gme, s.days_present, true
            FROM rhs_incoming s
            JOIN rhs_changed c ON c.ssr_stay_number = s.ssr_stay_number AND c.week_date = s.week_date
            ORDER BY s.line
            """
        ),
        {"batch_id": batch_id},
    )
    return int(stored.rowcount), int(superseded.rowcount)  # type: ignore[attr-defined]
