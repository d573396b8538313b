"""Every SQL statement of the exhaustivity domain: coding exhaustivity and report transmission.

The exhaustivity aggregate runs over the turnaround's classified stays (the same stays, the same
`as_of` clock, the same unit scoping: `turnaround.reports_repository.classified_stays_sql`), which
carry the reception of the RSS in force at `as_of`. The transmission aggregate reads the stored
document events by storage time (`ix_document_event_recorded_at`, migration 0017).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from app.turnaround import reports_repository as turnaround_repository
from app.turnaround.reports_repository import TurnaroundParams

GroupColumn = Literal["service", "pole", "unit"]


# The coding delay counts from the first RSS received for the stay, not from the version in force:
# a corrected RSS re-sent later does not make the stay coded later. Versions superseded by then
# are read by stay number (index-only, migration 0022), for the period's stays only: their
# numbers as one sorted array, so the index scan walks the few leaf pages that hold them (a
# month: a few dozen descents). As a join (IN), PostgreSQL probed the index once per stay, or
# read every superseded version of the history: 116 against 90 ms for a month of 200,000 stays
# a year with 264,000 superseded versions. The numbers are taken from the turnaround's `paired`
# stays (every candidate, coded or not, already materialized) rather than from `classified`,
# which a second reader would materialize (5 of a month's 50 ms); a stay not coded, or not
# classified, only adds an entry whose result is not read. The index is in byte order
# (`varchar_pattern_ops`) and the array is built in that order (collation "C"): the scan sorts its
# array first, which in the database's collation cost a strcoll per comparison (6 ms for a
# month), in byte order a memcmp (3 ms), presorted one pass; the ORDER BY sorts on abbreviated
# keys.
def _coding_sql(*, reports: bool) -> str:
    """The `coding` stays CTE: the turnaround's classified stays (with their report reception
    and turnaround delay only when `reports`) and their coding."""
    return f"""
{turnaround_repository.classified_stays_sql(reports=reports)},
first_rss AS (
    SELECT v.stay_number, min(v.received_at) AS received_at
    FROM rss_version v
    WHERE v.superseded_at IS NOT NULL AND v.received_at < :as_of_end
      AND v.stay_number = ANY(ARRAY(SELECT p.stay_number FROM paired p ORDER BY p.stay_number COLLATE "C"))
    GROUP BY v.stay_number
),
coding AS (
    SELECT c.stay_number, c.discharge_date, c.unit, c.code, c.unit_label, c.service_code, c.pole_code,
        c.delay_days, c.rss_received_at IS NOT NULL AS coded,
        -- A local date: the statement runs with TimeZone Europe/Paris (run_in_hospital_time).
        CASE WHEN c.rss_received_at IS NOT NULL THEN GREATEST(0,
            CAST(LEAST(c.rss_received_at, f.received_at) AS date) - c.discharge_date) END AS coding_delay
    FROM classified c
    LEFT JOIN first_rss f ON f.stay_number = c.stay_number
)
"""


# The exhaustivity figures of a group of `coding` rows but their count of stays (which the
# quarterly review's statement takes from the turnaround's figures of the same rows).
_CODING_AGGREGATES: Final = """count(*) FILTER (WHERE c.coded) AS coded,
count(*) FILTER (WHERE NOT c.coded) AS not_coded,
count(*) FILTER (WHERE NOT c.coded AND :as_of - c.discharge_date > :overdue_days) AS not_coded_over,
percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(c.coding_delay AS float8)) AS coding_delay_median_days,
CAST(percentile_disc(0.9) WITHIN GROUP (ORDER BY CAST(c.coding_delay AS float8)) AS integer)
    AS coding_delay_p90_days,
count(*) FILTER (WHERE c.coded)::float8 / NULLIF(count(*), 0) AS rate_coded"""


def _grouped_sql(group_by: GroupColumn) -> str:
    key, label = turnaround_repository.GROUP_EXPRESSIONS[group_by]
    return f"""
{_coding_sql(reports=False)},
grouped AS (
    SELECT
        {key} COLLATE "C" AS grp,
        GROUPING({key} COLLATE "C") = 1 AS is_total,
        max(c.unit_label) AS unit_label,
        count(*) AS stays,
        {_CODING_AGGREGATES}
    FROM coding c
    GROUP BY GROUPING SETS (({key} COLLATE "C"), ())
)
SELECT g.grp AS "group", CASE WHEN NOT g.is_total THEN {label} END AS label, g.is_total,
    g.stays, g.coded, g.not_coded, g.not_coded_over, g.coding_delay_median_days,
    g.coding_delay_p90_days, g.rate_coded
FROM grouped g
ORDER BY g.is_total, g.grp = 'unmapped', g.grp
"""


def exhaustivity_groups(
    session: Session, params: TurnaroundParams, *, group_by: GroupColumn, overdue_days: int
) -> list[Row[Any]]:
    """One row per group plus a last total row (`is_total`); `not_coded_over` counts the stays
    not coded more than `overdue_days` days after their discharge."""
    return turnaround_repository.run_in_hospital_time(
        session, _grouped_sql(group_by), {**params.bind(), "overdue_days": overdue_days}
    )


_NOT_CODED_SQL: Final = f"""
{_coding_sql(reports=False)}
SELECT c.stay_number, COALESCE(c.service_code, 'unmapped') AS service, c.unit, c.discharge_date,
    :as_of - c.discharge_date AS days_since_discharge
FROM coding c
WHERE NOT c.coded
ORDER BY c.discharge_date, c.stay_number
"""


def not_coded_stays(session: Session, params: TurnaroundParams) -> list[Row[Any]]:
    """Patient-level rows: every stay of the period not coded as of `params.as_of`, oldest first."""
    return turnaround_repository.run_in_hospital_time(session, _NOT_CODED_SQL, params.bind())


_OVERDUE_SQL: Final = f"""
{turnaround_repository.classified_stays_sql(reports=False)}
SELECT COALESCE(c.pole_code, 'unmapped') COLLATE "C" AS pole,
    COALESCE(c.service_code, 'unmapped') COLLATE "C" AS service,
    GROUPING(COALESCE(c.pole_code, 'unmapped') COLLATE "C") = 1 AS all_poles,
    GROUPING(COALESCE(c.service_code, 'unmapped') COLLATE "C") = 1 AS all_services,
    count(*) AS stays
FROM classified c
WHERE c.rss_received_at IS NULL AND :as_of - c.discharge_date > :overdue_days
GROUP BY GROUPING SETS ((COALESCE(c.pole_code, 'unmapped') COLLATE "C"),
                        (COALESCE(c.service_code, 'unmapped') COLLATE "C"), ())
"""


def not_coded_over_by_scope(
    session: Session, params: TurnaroundParams, *, overdue_days: int
) -> list[Row[Any]]:
    """Stays not coded more than `overdue_days` after discharge: per pôle (`all_services`), per
    service (`all_poles`) and in all (both flags)."""
    return turnaround_repository.run_in_hospital_time(
        session, _OVERDUE_SQL, {**params.bind(), "overdue_days": overdue_days}
    )


# --------------------------------------------------------------------------- transmission


@dataclass(frozen=True, slots=True)
class TransmissionParams:
    window_from: datetime  # the events whose `basis` time is in [window_from, window_until)
    window_until: datetime
    report_types: tuple[str, ...]  # normalized (trimmed, upper case)
    units: tuple[str, ...] | None
    late_seconds: int  # a document stored this long after its claimed time is flagged
    # recorded: stored by dimqa in the window (what arrived lately, back-loads included);
    # received: sent in the window by the sender's own clock (the months of a quarterly review).
    basis: Literal["recorded", "received"] = "recorded"

    def bind(self) -> dict[str, Any]:
        return {
            "window_from": self.window_from,
            "window_until": self.window_until,
            "report_types": list(self.report_types),
            "units": list(self.units) if self.units is not None else None,
            "late_seconds": self.late_seconds,
        }


# The channel of a stored event: its source. Sources other than the three feeds (a bulk file
# loader) are the `file` channel.
_CHANNEL: Final = (
    "CASE e.source WHEN 'hl7' THEN 'hl7v2' WHEN 'fhir' THEN 'fhir' WHEN 'json' THEN 'json' ELSE 'file' END"
)

# Discharge-report events stored in the window, each with its service: the document's own UM
# (else the UM the stay left from) through the structure valid on the claimed reception date.
_TRANSMITTED: Final = """
WITH transmitted AS (
    SELECT {channel} AS channel, COALESCE(NULLIF(e.unit, ''), s.discharge_unit) AS unit,
        e.stay_number, e.received_at, e.recorded_at,
        -- A clock ahead of the database's gives a negative lag: counted as none.
        GREATEST(0, EXTRACT(EPOCH FROM e.recorded_at - e.received_at)) AS lag_seconds,
        CAST(e.received_at AS date) AS received_date
    FROM document_event e
    LEFT JOIN stay s ON s.stay_number = e.stay_number
    WHERE e.{basis}_at >= :window_from AND e.{basis}_at < :window_until
      AND upper(btrim(e.document_type)) = ANY(CAST(:report_types AS text[]))
),
scoped AS (
    SELECT t.*, u.service_code, COALESCE(u.pole_code, us.pole_code) AS pole_code
    FROM transmitted t
    LEFT JOIN structure_unit u
        ON u.code = t.unit
       AND u.valid_from <= t.received_date
       AND (u.valid_to IS NULL OR u.valid_to >= t.received_date)
    LEFT JOIN structure_service us ON us.code = u.service_code
    WHERE CAST(:units AS text[]) IS NULL OR t.unit = ANY(CAST(:units AS text[]))
)
"""

# The transmission figures of a group of `scoped` events (the columns of `TransmissionCounts`).
_TRANSMISSION_AGGREGATES: Final = """count(*) AS documents,
count(*) FILTER (WHERE t.lag_seconds > :late_seconds) AS stored_late,
CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(t.lag_seconds AS float8)) / 3600 AS float8)
    AS lag_median_hours,
CAST(percentile_disc(0.9) WITHIN GROUP (ORDER BY CAST(t.lag_seconds AS float8)) / 3600 AS float8)
    AS lag_p90_hours"""

_TRANSMISSION_SQL: Final = """
{transmitted}
SELECT t.channel, COALESCE(t.service_code, 'unmapped') COLLATE "C" AS service,
    GROUPING(t.channel) = 1 AS all_channels,
    GROUPING(COALESCE(t.service_code, 'unmapped') COLLATE "C") = 1 AS all_services,
    {aggregates}
FROM scoped t
GROUP BY GROUPING SETS (
    (t.channel, COALESCE(t.service_code, 'unmapped') COLLATE "C"), (t.channel),
    (COALESCE(t.service_code, 'unmapped') COLLATE "C"), ()
)
"""


def transmission_groups(session: Session, params: TransmissionParams) -> list[Row[Any]]:
    """Rows per (channel, service), per channel (`all_services`), per service (`all_channels`)
    and the total (both flags), in that order."""
    sql = _TRANSMISSION_SQL.format(
        transmitted=_TRANSMITTED.format(channel=_CHANNEL, basis=params.basis),
        aggregates=_TRANSMISSION_AGGREGATES,
    )
    return _transmission_order(turnaround_repository.run_in_hospital_time(session, sql, params.bind()))


def _transmission_order(rows: list[Row[Any]]) -> list[Row[Any]]:
    return sorted(
        rows,
        key=lambda row: (
            row.all_channels,
            row.all_services,
            row.channel or "",
            row.service == "unmapped",
            row.service or "",
        ),
    )


def service_labels(session: Session, *, codes: list[str]) -> dict[str, str]:
    """Labels of these service codes, from the structure."""
    rows = session.execute(
        text("SELECT code, label FROM structure_service WHERE code = ANY(CAST(:codes AS text[]))"),
        {"codes": codes},
    )
    return {str(code): str(label) for code, label in rows}


# --------------------------------------------------------------------------- quarterly review

# The quarterly review's periods (its months and quarters), as parallel arrays: each one's label
# and bounds. They may overlap (a month and its quarter): a row counts in every period holding it.
# Materialized: inlined, the arrays were unnested again for each stay or event the join read.
_PERIODS: Final = """periods AS MATERIALIZED (
    SELECT p.period, p.starts, p.ends
    FROM unnest(CAST(:periods AS text[]), CAST(:period_starts AS {kind}[]), CAST(:period_ends AS {kind}[]))
        AS p(period, starts, ends)
)"""


def _periods_sql() -> str:
    key, label = turnaround_repository.GROUP_EXPRESSIONS["service"]
    return f"""
{_coding_sql(reports=True)},
{_PERIODS.format(kind="date")},
-- The stays are classified once over the span of the periods (their turnaround and coding, as
-- of the same as_of), then each counts in every period its discharge date falls in.
by_period AS (
    SELECT p.period, c.*
    FROM coding c
    JOIN periods p ON c.discharge_date BETWEEN p.starts AND p.ends
),
grouped AS (
    SELECT c.period,
        {key} COLLATE "C" AS grp,
        GROUPING({key} COLLATE "C") = 1 AS is_total,
        {turnaround_repository.TURNAROUND_AGGREGATES},
        {_CODING_AGGREGATES}
    FROM by_period c
    GROUP BY GROUPING SETS ((c.period, {key} COLLATE "C"), (c.period))
)
SELECT g.grp AS "group", CASE WHEN NOT g.is_total THEN {label} END AS label, g.*
FROM grouped g
ORDER BY g.period, g.is_total, g.grp = 'unmapped', g.grp
"""


_PERIODS_SQL: Final = _periods_sql()


def period_groups(
    session: Session,
    params: TurnaroundParams,
    periods: list[tuple[str, date, date]],
    *,
    overdue_days: int,
) -> list[Row[Any]]:
    """Per period (label, first day, last day, all within `params`' dates) and service, and per
    period in total (`is_total`): the turnaround's and the exhaustivity's figures of its stays,
    from one classification of the stays of `params`."""
    return turnaround_repository.run_in_hospital_time(
        session,
        _PERIODS_SQL,
        {
            **params.bind(),
            "overdue_days": overdue_days,
            "periods": [period for period, _, _ in periods],
            "period_starts": [starts for _, starts, _ in periods],
            "period_ends": [ends for _, _, ends in periods],
        },
    )


def _period_transmission_sql(basis: str) -> str:
    return f"""
{_TRANSMITTED.format(channel=_CHANNEL, basis=basis)},
{_PERIODS.format(kind="timestamptz")}
SELECT p.period, t.channel, COALESCE(t.service_code, 'unmapped') COLLATE "C" AS service,
    GROUPING(t.channel) = 1 AS all_channels,
    GROUPING(COALESCE(t.service_code, 'unmapped') COLLATE "C") = 1 AS all_services,
    {_TRANSMISSION_AGGREGATES}
FROM scoped t
JOIN periods p ON t.received_at >= p.starts AND t.received_at < p.ends
GROUP BY GROUPING SETS (
    (p.period, t.channel, COALESCE(t.service_code, 'unmapped') COLLATE "C"), (p.period, t.channel),
    (p.period, COALESCE(t.service_code, 'unmapped') COLLATE "C"), (p.period)
)
"""


def period_transmission_groups(
    session: Session, params: TransmissionParams, periods: list[tuple[str, datetime, datetime]]
) -> list[Row[Any]]:
    """`transmission_groups` of each period (label, window start, window end: the events whose
    `params.basis` time is in [start, end), all within `params`' window), from one read of the
    events of `params`' window; each row carries its `period`."""
    rows = turnaround_repository.run_in_hospital_time(
        session,
        _period_transmission_sql(params.basis),
        {
            **params.bind(),
            "periods": [period for period, _, _ in periods],
            "period_starts": [starts for _, starts, _ in periods],
            "period_ends": [ends for _, _, ends in periods],
        },
    )
    return _transmission_order(rows)
