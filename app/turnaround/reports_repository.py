"""The SQL of the turnaround reports (`reports.py`): the grouped aggregate and the late and
missing stays.

The turnaround aggregate is one SQL statement (`FILTER`, `percentile_cont`, `percentile_disc`,
`GROUPING SETS`); it is written as text because its full join, conditional subqueries and
ordered-set aggregates read far better in SQL than in the expression language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from sqlalchemy import text
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from app.core.clock import HOSPITAL_TZ


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
# the movement stays with their RSS and the RSS-only candidates (paired: the only CTE read twice,
# so the only one materialized). The movement stays without RSS near their discharge (rare for a
# past month, most stays of the weeks whose RSS are not sent yet) get theirs in one index scan
# over all their numbers (far_rss), taken from the pairs. Only the rare leftovers are
# looked up one by one: an RSS-only candidate's documents and movements (and its first RUM when
# attributed to its admission).
#
# Any version in force at as_of is either still current or superseded since (then it is in the
# second scan), so the movement stays' probe reads current versions only.
#
# Without `reports` (the exhaustivity of coding, which reads no report), the report receptions
# are not looked for: `first_received_at` and `delay_days` are NULL.
def classified_stays_sql(*, reports: bool) -> str:
    """The CTEs up to `classified`: the period's stays on the `as_of` clock, in the caller's
    units, each with the reception of the RSS in force (`rss_received_at`, NULL: not coded).
    The exhaustivity of coding also reads `paired` (every candidate stay's number)."""
    movement_report = f"""CASE
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
        END"""
    paired_report = f"""CASE WHEN ms.stay_number IS NOT NULL THEN ms.first_received_at
             ELSE {_REPORT_PROBE.format(stay="rn.stay_number")} END"""
    if not reports:
        movement_report = paired_report = "CAST(NULL AS timestamptz)"
    return f"""
WITH movement_stays AS (
    SELECT p.stay_number, p.discharge_date, p.care_type_hint,
        CASE WHEN :attribution = 'admission' THEN COALESCE(p.admission_unit, p.discharge_unit)
             ELSE p.discharge_unit END AS unit,
        {movement_report} AS first_received_at
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
-- The movement stays with their RSS near the period, and the RSS-only candidates, paired once by
-- one hash full join (read twice below, so materialized: a year's movement stays and RSS are then
-- each read once, where the stays and the movement stays without RSS each joined them again).
paired AS (
    SELECT
        COALESCE(ms.stay_number, rn.stay_number) AS stay_number,
        -- A movement stay without an RSS near the period: its RSS is looked for in far_rss.
        rn.stay_number IS NULL AS far,
        COALESCE(ms.discharge_date, rn.exit_date) AS discharge_date,
        CASE WHEN ms.stay_number IS NOT NULL THEN ms.unit
             -- The UM of its first RUM (position 0), read only for these rare stays.
             WHEN :attribution = 'admission' THEN COALESCE((
                 SELECT NULLIF(r.unit, '') FROM rum r WHERE r.rss_version_id = rn.rss_id AND r.position = 0
             ), rn.exit_unit)
             ELSE rn.exit_unit END AS unit,
        {paired_report} AS first_received_at,
        CASE
            WHEN ms.stay_number IS NULL THEN rn.care_type
            ELSE COALESCE(rn.care_type, ms.care_type_hint)
        END AS care_type,
        ms.care_type_hint,
        CASE WHEN rn.known THEN rn.rss_received_at END AS rss_received_at
    FROM movement_stays ms
    FULL JOIN rss_near rn ON rn.stay_number = ms.stay_number
    WHERE ms.stay_number IS NOT NULL
       OR (rn.known
           AND rn.exit_date BETWEEN :date_from AND :date_until
           -- Once the movements know of a discharge they decide, even without one this month.
           AND NOT COALESCE((
               SELECT s.discharge_known_at < :as_of_end FROM stay s WHERE s.stay_number = rn.stay_number
           ), false))
),
-- Movement stays without an RSS near the period (all of them for the weeks whose RSS are not
-- sent yet): their latest current RSS, if any, in one index scan over all their numbers, where a
-- probe per stay cost ~2.5 us (a month without RSS: 85 instead of 44 ms).
far_rss AS (
    SELECT DISTINCT ON (c.stay_number COLLATE "C") c.stay_number, c.care_type,
        c.received_at AS rss_received_at
    FROM rss_version c
    WHERE c.is_current AND {_RSS_KNOWN}
      AND c.stay_number = ANY(ARRAY(SELECT p.stay_number FROM paired p WHERE p.far))
    ORDER BY c.stay_number COLLATE "C", c.exit_date DESC NULLS LAST
),
stays AS (
    SELECT p.stay_number, p.discharge_date, p.unit, p.first_received_at,
        CASE WHEN p.far THEN COALESCE(fr.care_type, p.care_type_hint) ELSE p.care_type END AS care_type,
        -- Reception of the RSS in force at as_of carrying the stay number (NULL: not coded yet),
        -- read by the exhaustivity of coding (app/exhaustivity).
        CASE WHEN p.far THEN fr.rss_received_at ELSE p.rss_received_at END AS rss_received_at
    FROM paired p
    LEFT JOIN far_rss fr ON fr.stay_number = p.stay_number AND p.far
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


_CLASSIFIED_STAYS: Final = classified_stays_sql(reports=True)

_WINDOW_DAYS: Final = 8  # classify.WINDOW_DAYS, inlined as a literal in the SQL below


# The turnaround figures of a group of classified stays (the columns of `TurnaroundSummary`), for
# the aggregates grouping `classified` rows: the grouped report and the quarterly review.
TURNAROUND_AGGREGATES: Final = f"""count(*) AS stays,
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
    AS p90_delay_days"""


def _grouped_sql(group_by: GroupColumn) -> str:
    key, label = _GROUP_EXPRESSIONS[group_by]
    return f"""
{_CLASSIFIED_STAYS},
grouped AS (
    SELECT
        {key} COLLATE "C" AS grp,
        GROUPING({key} COLLATE "C") = 1 AS is_total,
        max(c.unit_label) AS unit_label,
        {TURNAROUND_AGGREGATES}
    FROM classified c
    GROUP BY GROUPING SETS (({key} COLLATE "C"), ())
)
SELECT g.grp AS "group", CASE WHEN NOT g.is_total THEN {label} END AS label, g.is_total,
    g.stays, g.on_time_j0, g.on_time_j8, g.late, g.missing, g.pending, g.rate_j0, g.rate_j8,
    g.median_delay_days, g.p90_delay_days
FROM grouped g
ORDER BY g.is_total, g.grp = 'unmapped', g.grp
"""


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


# Shared with the exhaustivity of coding (app/exhaustivity), with `classified_stays_sql`.
GROUP_EXPRESSIONS: Final = _GROUP_EXPRESSIONS
run_in_hospital_time: Final = _run_in_hospital_time
