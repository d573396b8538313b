"""SQL of the RSA store, the supplement tariffs and the campaign coefficients."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import ARRAY, BigInteger, Result, Text, any_, func, literal, select, text, update
from sqlalchemy.orm import Session

from app.core.bulk import copy_statement, driver_connection
from app.ingestion.models import RssVersion
from app.medeco.models import Rsa, RsaBatch, SupplementTariff, TariffCoefficient
from app.medeco.rsa_reader import COPY_COLUMNS


def _texts(values: Collection[str]) -> Any:
    """The values as one text[], sent as one text parameter split by the server: a year's RSA file
    holds more RSS than the 65,535 parameters a statement may carry, and psycopg's adaptation of a
    200,000-element list cost more than the look-up. The values hold no LF (they are pieces of
    lines); an empty string is not kept (`string_to_array` drops it)."""
    return func.string_to_array(literal("\n".join(values), Text), literal("\n"), type_=ARRAY(Text))


def get_batch(session: Session, *, batch_id: int) -> RsaBatch | None:
    return session.get(RsaBatch, batch_id)


def add_batch(session: Session, batch: RsaBatch) -> RsaBatch:
    session.add(batch)
    session.flush()
    return batch


def lock_writers(session: Session) -> None:
    """Serialise RSA batches (transaction-scoped): supersession reads the current RSA of each RSS."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.rsa_ingestion'))"))


def link_state(
    session: Session, *, rss_numbers: Collection[str]
) -> tuple[dict[str, tuple[int, str]], set[str]]:
    """Of `rss_numbers`: rss_number -> (id, content_hash) of the current RSA of those that have one,
    and those without a current RSS version. One pass over the numbers, answering only these
    exceptions (usually none), not the 200,000 RSS that are stored without an RSA."""
    if not rss_numbers:
        return {}, set()
    numbers = select(func.unnest(_texts(rss_numbers)).column_valued("rss_number")).subquery()
    # Joins, not a NOT EXISTS beside an OR: that one is a subplan, one probe per number.
    query = (
        select(numbers.c.rss_number, Rsa.id, Rsa.content_hash, RssVersion.id.is_(None))
        .outerjoin(Rsa, (Rsa.rss_number == numbers.c.rss_number) & Rsa.is_current)
        .outerjoin(RssVersion, (RssVersion.rss_number == numbers.c.rss_number) & RssVersion.is_current)
        .where(Rsa.id.is_not(None) | RssVersion.id.is_(None))
    )
    current: dict[str, tuple[int, str]] = {}
    missing: set[str] = set()
    for number, row_id, digest, is_missing in session.execute(query):
        if row_id is not None:
            current[number] = (row_id, digest)
        if is_missing:
            missing.add(number)
    return current, missing


def supersede(session: Session, *, rsa_ids: Sequence[int]) -> None:
    if rsa_ids:
        session.execute(
            update(Rsa)
            .where(Rsa.id == any_(literal(list(rsa_ids), ARRAY(BigInteger))))
            .values(is_current=False)
        )


def insert_rsas(session: Session, chunks: Iterable[str]) -> None:
    """COPY of accepted RSA, rendered by app.medeco.rsa_reader (`COPY_COLUMNS`, text format) while it
    reads the file. The chunks are sent by psycopg's writer thread, which waits for the socket
    without the GIL: the server stores one chunk while the next lines are read (sent from this
    thread, each write would wait until the server had read it, and the two would take turns)."""
    connection = driver_connection(session)
    with connection.cursor() as cursor:
        statement = copy_statement("rsa", COPY_COLUMNS)
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            for chunk in chunks:
                copy.write(chunk)


def current_rsa(session: Session, *, rss_number: str) -> Rsa | None:
    return session.scalar(select(Rsa).where(Rsa.rss_number == rss_number, Rsa.is_current))


def rss_facts(
    session: Session, *, rss_number: str
) -> tuple[date | None, date | None, str | None, int] | None:
    """(entry date, exit date, GHM, séances) of the current version of an RSS; None when not stored."""
    query = select(RssVersion.entry_date, RssVersion.exit_date, RssVersion.ghm, RssVersion.seances).where(
        RssVersion.rss_number == rss_number, RssVersion.is_current
    )
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def supplement_tariffs(session: Session, *, campaign: int) -> dict[str, Decimal]:
    query = select(SupplementTariff.code, SupplementTariff.tariff).where(SupplementTariff.year == campaign)
    return dict(session.execute(query).tuples().all())


def coefficient(session: Session, *, campaign: int) -> tuple[Decimal, Decimal] | None:
    row = session.get(TariffCoefficient, campaign)
    return None if row is None else (row.prudential, row.geographic)


# --- Case-mix (docs/casemix.md) ----------------------------------------------------------------
# One pass per period: every current RSS discharged in it, priced as app.medeco.pricing prices one
# (same campaign, GHS, tariff, supplements and coefficient rules), then attributed to its keys.

_PRICED_STAYS = """
WITH starts(campaign, start) AS (
    SELECT * FROM unnest(CAST(:campaigns AS int[]), CAST(:starts AS date[]))
),
-- Set-based look-ups, hash-joined below (a per-stay subquery costs a probe per stay).
ghs_counts AS (
    SELECT year, ghm, count(*) AS n_ghs, min(ghs) AS one_ghs FROM ref_ghs_tariff GROUP BY year, ghm
),
tariff AS (
    SELECT DISTINCT ON (year, ghs) * FROM ref_ghs_tariff ORDER BY year, ghs, ghm
),
dated AS (
    SELECT v.id, v.exit_date, v.care_type, extract(year FROM v.exit_date)::int AS exit_year,
           NULLIF(coalesce(NULLIF(a.ghm, ''), v.ghm), '') AS ghm,
           a.id IS NOT NULL AS has_rsa, a.ghs AS rsa_ghs, a.exb_days AS rsa_exb, a.exh_days AS rsa_exh,
           a.exb_type, a.campaign AS rsa_campaign,
           coalesce(a.supplements, '{}'::jsonb) || coalesce(a.radiotherapy, '{}'::jsonb) AS sups,
           coalesce(a.seances, v.seances) AS seances,
           coalesce(v.exit_date - v.entry_date, a.los, 0) AS los,
           extract(year FROM v.exit_date)::int - CASE
               WHEN v.exit_date >= coalesce(o.start, make_date(extract(year FROM v.exit_date)::int, 3, 1))
               THEN 0 ELSE 1 END AS in_force
    FROM rss_version v
    LEFT JOIN rsa a ON a.rss_number = v.rss_number AND a.is_current
    LEFT JOIN starts o ON o.campaign = extract(year FROM v.exit_date)::int
    WHERE v.is_current AND v.exit_date BETWEEN :start AND :end
),
chosen AS (
    SELECT d.*, g.n_ghs,
           coalesce(d.rsa_ghs, CASE WHEN g.n_ghs = 1 THEN g.one_ghs END) AS ghs
    FROM (
        SELECT d.*, coalesce(d.rsa_campaign, s.campaign) AS campaign
        FROM dated d LEFT JOIN starts s ON s.campaign = d.in_force
    ) d
    LEFT JOIN ghs_counts g ON g.year = d.campaign AND g.ghm = d.ghm
),
tariffed AS (
    SELECT c.*, t.low_bound, t.high_bound, t.base AS t_base, t.exb_forfait, t.exb_daily, t.exh_daily,
           CASE WHEN c.ghm IS NULL THEN 'no_ghm'
                WHEN c.ghm LIKE '90%' THEN 'error_ghm'
                WHEN c.campaign IS NULL THEN 'no_tariff'
                WHEN c.rsa_ghs IS NULL AND c.n_ghs > 1 THEN 'ambiguous_ghs'
                WHEN t.base IS NULL THEN 'no_tariff' END AS reason
    FROM chosen c
    LEFT JOIN tariff t ON t.year = c.campaign AND t.ghs = c.ghs
),
days AS (
    SELECT x.*,
           CASE WHEN x.reason IS NOT NULL THEN 0
                WHEN x.has_rsa THEN x.rsa_exh
                WHEN coalesce(x.high_bound, 0) > 0 THEN greatest(0, x.los - x.high_bound)
                ELSE 0 END AS exh_days,
           CASE WHEN x.reason IS NOT NULL THEN false
                WHEN x.has_rsa THEN x.rsa_exb > 0 OR x.exb_type IN ('1', '2')
                ELSE x.los < coalesce(x.low_bound, 0) END AS below
    FROM tariffed x
),
supplement_amounts AS (
    SELECT d.id, sum(CAST(e.value AS int) * p.tariff) AS amount
    FROM days d
    CROSS JOIN LATERAL jsonb_each_text(d.sups) e
    JOIN ref_supplement_tariff p ON p.year = d.campaign AND p.code = e.key
    WHERE d.has_rsa AND d.reason IS NULL
    GROUP BY d.id
),
national AS (
    -- The national mean LOS app.reference.repository.national_mean_los picks, once per (GHM, GHS,
    -- exit year): newest year not after the exit year, else the oldest; the GHS's row, else the
    -- GHM's own, else its lowest GHS.
    SELECT DISTINCT ON (c.ghm, c.ghs, c.exit_year) c.ghm, c.ghs, c.exit_year, n.mean_los AS national_los
    FROM (SELECT DISTINCT ghm, coalesce(ghs, '') AS ghs, exit_year FROM days WHERE ghm IS NOT NULL) c
    JOIN ref_ghm_dms n ON n.ghm = c.ghm
    ORDER BY c.ghm, c.ghs, c.exit_year, n.year <= c.exit_year DESC,
             CASE WHEN n.year <= c.exit_year THEN -n.year ELSE n.year END,
             n.ghs = c.ghs DESC, n.ghs = '' DESC, n.ghs
),
money AS (
    SELECT d.*,
           CASE WHEN d.below THEN CASE WHEN d.has_rsa THEN d.rsa_exb ELSE d.low_bound - d.los END
                ELSE 0 END AS exb_days,
           coalesce(d.t_base * CASE WHEN d.ghm LIKE '28%' AND d.seances > 0 THEN d.seances ELSE 1 END, 0)
               AS base,
           coalesce(d.exh_days * d.exh_daily, 0) AS exh,
           CASE WHEN NOT d.below THEN 0
                WHEN d.exb_forfait > 0 THEN d.exb_forfait
                WHEN d.has_rsa THEN d.rsa_exb * coalesce(d.exb_daily, 0)
                ELSE (d.low_bound - d.los) * coalesce(d.exb_daily, 0) END AS exb,
           coalesce(sa.amount, 0) AS supplements,
           coalesce(k.prudential * k.geographic, 1) AS coefficient,
           nat.national_los
    FROM days d
    LEFT JOIN supplement_amounts sa ON sa.id = d.id
    LEFT JOIN ref_tariff_coefficient k ON k.year = d.campaign
    LEFT JOIN national nat
      ON nat.ghm = d.ghm AND nat.ghs = coalesce(d.ghs, '') AND nat.exit_year = d.exit_year
),
final AS (
    SELECT m.*, round((m.base + m.exh - m.exb + m.supplements) * m.coefficient, 2) AS total
    FROM money m
)
"""

_STAY_KEYS = """
, keyed AS (
    SELECT f.id, 1.0 AS share, true AS main, {key} AS key, {label} AS label
    FROM final f
    WHERE CAST(:units AS text[]) IS NULL OR f.id IN (
        SELECT r.rss_version_id FROM rum r
        WHERE r.rss_version_id = f.id AND r.unit = ANY(CAST(:units AS text[]))
    )
)
"""

_RUM_KEYS = """
, rums AS (
    SELECT r.rss_version_id AS id, r.position, r.unit, coalesce(r.exit_date, r.rss_exit_date) AS day,
           greatest(coalesce(r.exit_date - r.entry_date, 0), 0) AS rum_days
    FROM final f JOIN rum r ON r.rss_version_id = f.id
),
shares AS (
    SELECT m.*,
           CASE WHEN sum(m.rum_days) OVER w = 0 THEN 1.0 / count(*) OVER w
                ELSE m.rum_days::numeric / sum(m.rum_days) OVER w END AS share,
           row_number() OVER (PARTITION BY m.id ORDER BY m.rum_days DESC, m.position) = 1 AS main
    FROM rums m WINDOW w AS (PARTITION BY m.id)
),
keyed AS (
    SELECT s.id, s.share, s.main, s.unit, u.label AS unit_label, sv.label AS service_label,
           po.label AS pole_label,
           coalesce(u.service_code, CASE WHEN u.id IS NULL THEN 'unmapped' ELSE 'no_service' END) AS service,
           coalesce(u.pole_code, CASE WHEN u.id IS NULL THEN 'unmapped' ELSE 'no_pole' END) AS pole,
           {key} AS key, {label} AS label
    FROM shares s
    LEFT JOIN structure_unit u
      ON u.code = s.unit AND u.valid_from <= s.day AND (u.valid_to IS NULL OR u.valid_to >= s.day)
    LEFT JOIN structure_service sv ON sv.code = u.service_code
    LEFT JOIN structure_pole po ON po.code = u.pole_code
    WHERE CAST(:units AS text[]) IS NULL OR s.unit = ANY(CAST(:units AS text[]))
)
"""

_KEYS = {
    "ghm": (_STAY_KEYS, "coalesce(f.ghm, 'no_ghm')", "NULL::text"),
    "cmd": (_STAY_KEYS, "coalesce(left(f.ghm, 2), 'no_ghm')", "NULL::text"),
    "unit": (_RUM_KEYS, "s.unit", "u.label"),
    "service": (_RUM_KEYS,
                "coalesce(u.service_code, CASE WHEN u.id IS NULL THEN 'unmapped' ELSE 'no_service' END)",
                "sv.label"),
    "pole": (_RUM_KEYS, "coalesce(u.pole_code, CASE WHEN u.id IS NULL THEN 'unmapped' ELSE 'no_pole' END)",
             "po.label"),
}  # fmt: skip

# The additive sums of a case-mix row over `keyed` k (a stay or its RUM's share) joined to `final` f:
# the one list the per-request aggregate (`casemix`) and the stored figures (`price_month`) use.
_SUMS: Final = (
    ("stays", "count(*) FILTER (WHERE k.main)"),
    ("seances", "coalesce(sum(f.seances) FILTER (WHERE k.main), 0)"),
    ("days", "coalesce(sum(f.los * k.share), 0)"),
    ("los_sum", "coalesce(sum(f.los) FILTER (WHERE k.main), 0)"),
    ("ipdms_los",
     "coalesce(sum(f.los) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0), 0)"),
    ("ipdms_reference",
     "sum(f.national_los) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0)"),
    ("ipdms_stays", "count(*) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0)"),
    ("below_low_bound", "count(*) FILTER (WHERE k.main AND f.below)"),
    ("above_high_bound", "count(*) FILTER (WHERE k.main AND f.exh_days > 0)"),
    ("exb_days", "coalesce(sum(f.exb_days) FILTER (WHERE k.main), 0)"),
    ("exh_days", "coalesce(sum(f.exh_days) FILTER (WHERE k.main), 0)"),
    ("valuation_base", "coalesce(sum(f.base * k.share) FILTER (WHERE f.reason IS NULL), 0)"),
    ("valuation_exb", "coalesce(sum(f.exb * k.share) FILTER (WHERE f.reason IS NULL), 0)"),
    ("valuation_exh", "coalesce(sum(f.exh * k.share) FILTER (WHERE f.reason IS NULL), 0)"),
    ("valuation_supplements", "coalesce(sum(f.supplements * k.share) FILTER (WHERE f.reason IS NULL), 0)"),
    ("valuation_total", "coalesce(sum(f.total * k.share) FILTER (WHERE f.reason IS NULL), 0)"),
    ("not_valued_no_ghm", "count(*) FILTER (WHERE k.main AND f.reason = 'no_ghm')"),
    ("not_valued_error_ghm", "count(*) FILTER (WHERE k.main AND f.reason = 'error_ghm')"),
    ("not_valued_ambiguous_ghs", "count(*) FILTER (WHERE k.main AND f.reason = 'ambiguous_ghs')"),
    ("not_valued_no_tariff", "count(*) FILTER (WHERE k.main AND f.reason = 'no_tariff')"),
)  # fmt: skip
# The mean national LOS, stored as its sum and count so that days and months add up.
_NATIONAL: Final = (
    ("national_sum", "sum(f.national_los) FILTER (WHERE k.main AND f.national_los IS NOT NULL)"),
    ("national_n", "count(*) FILTER (WHERE k.main AND f.national_los IS NOT NULL)"),
)


def _select_sums(sums: Sequence[tuple[str, str]]) -> str:
    return ",\n       ".join(f"{expression} AS {name}" for name, expression in sums)


# How the read aggregates hand a row's sums to Python: the counts as bigint, `days` and the euros
# rounded to the cent (numeric round(): half away from zero, as ROUND_HALF_UP) as float8, the IP-DMS
# reference as float8 (the float Python would make of the numeric). A 400-row GHM year with its
# previous year parsed 16,000 numerics into Decimals and quantized 4,800 of them per request.
_CENTS: Final = frozenset(
    ("days", "valuation_base", "valuation_exb", "valuation_exh", "valuation_supplements", "valuation_total")
)


def _finish(name: str, expression: str) -> str:
    if name in _CENTS:
        return f"round({expression}, 2)::float8"
    return f"({expression})::float8" if name == "ipdms_reference" else f"({expression})::bigint"


_AGGREGATE = (
    """
SELECT GROUPING(k.key) = 1 AS is_total, k.key, coalesce(max(k.label), {label}) AS label,
       avg(f.national_los) FILTER (WHERE k.main AND f.national_los IS NOT NULL)::float8 AS los_expected,
       """
    + _select_sums([(name, _finish(name, expression)) for name, expression in _SUMS])
    .replace("{", "{{")
    .replace("}", "}}")
    + """
FROM keyed k JOIN final f ON f.id = k.id
GROUP BY GROUPING SETS ((k.key), ())
ORDER BY is_total, k.key
"""
)

NOT_VALUED_REASONS: Final = ("no_ghm", "error_ghm", "ambiguous_ghs", "no_tariff")

# Labels looked up once per group, not per stay (the nomenclature tables are keyed by year first).
_GROUP_LABELS = {
    "ghm": "(SELECT g.label FROM ref_ghm g WHERE g.ghm = k.key ORDER BY g.year DESC LIMIT 1)",
    "cmd": "(SELECT c.label FROM ref_cmd c WHERE c.cmd = k.key ORDER BY c.year DESC LIMIT 1)",
}
CASEMIX_GROUPS: Final = tuple(_KEYS)


def _no_jit(session: Session) -> None:
    """JIT off for the rest of the transaction: the planner overestimates the RUM rows of the
    case-mix (CTE joins) a hundredfold and compiled it for 2.5 s to run a 0.3 s query."""
    session.execute(text("SET LOCAL jit = off"))


def price_stays(session: Session, *, start: date, end: date, campaign_starts: dict[int, date]) -> str:
    """Price every current RSS discharged in [start, end] once, into a temporary table dropped at the
    end of the transaction; returns its name, for `casemix` to aggregate as often as needed."""
    name = f"casemix_stays_{uuid.uuid4().hex[:12]}"  # generated here, never from input
    _no_jit(session)
    params = {
        "start": start,
        "end": end,
        "campaigns": list(campaign_starts),
        "starts": list(campaign_starts.values()),
    }
    session.execute(
        text(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {_PRICED_STAYS} SELECT * FROM final"), params
    )
    session.execute(text(f"ANALYZE {name}"))
    return name


def casemix(
    session: Session, *, priced: str, group_by: str, units: Collection[str] | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """(rows, the total last, `is_total`), and the not-valued stays by reason, of the stays priced
    in the temporary table `priced` (`price_stays`)."""
    _no_jit(session)
    template, key, label = _KEYS[group_by]
    cte = f"WITH final AS (SELECT * FROM {priced})" + template.format(key=key, label=label)
    params = {"units": None if units is None else sorted(units)}
    aggregate = _AGGREGATE.format(label=_GROUP_LABELS.get(group_by, "NULL"))
    rows = _dicts(session.execute(text(cte + aggregate), params))
    return rows, _reasons(rows)


def _dicts(result: Result[Any]) -> list[dict[str, Any]]:
    """The rows as dicts, fetched at once (iterating `.mappings()` fetches and wraps row by row)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _reasons(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The not-valued stays by reason, from the total row."""
    total = next((row for row in rows if row["is_total"]), None)
    return {
        reason: int(total[f"not_valued_{reason}"])
        for reason in NOT_VALUED_REASONS
        if total is not None and total[f"not_valued_{reason}"]
    }


# --- Stored case-mix figures (migration 0020) -------------------------------------------------------
# The sums above, per discharge day and per month, per UM (with its service and pôle), per GHM, and
# per GHM and UM; a month is computed again, from `price_stays`, when `casemix_month` says it changed.
# A request then adds up at most a few thousand stored rows instead of pricing its stays.

_STORED_KEYS: Final = "unit, service, pole, unit_label, service_label, pole_label, ghm"
_STORED_SUMS: Final = (*_SUMS, *_NATIONAL)
_STORED_COLUMNS: Final = ", ".join(name for name, _ in _STORED_SUMS)

# kind -> (the `keyed` CTE after `final`, the stored key columns, what they group by)
_STORE_DAYS: Final = {
    "unit": (
        _RUM_KEYS.format(key="s.unit", label="u.label"),
        "k.unit, k.service, k.pole, k.unit_label, k.service_label, k.pole_label, NULL",
        "k.unit, k.service, k.pole, k.unit_label, k.service_label, k.pole_label",
    ),
    "ghm": (
        ", keyed AS (SELECT f.id, 1.0 AS share, true AS main FROM final f)",
        "NULL, NULL, NULL, NULL, NULL, NULL, f.ghm",
        "f.ghm",
    ),
    # Each UM the stay went through, once: a token of one UM sees the stays with a RUM in it.
    "ghm_unit": (
        """, keyed AS (
    SELECT DISTINCT f.id, 1.0 AS share, true AS main, r.unit
    FROM final f JOIN rum r ON r.rss_version_id = f.id
)""",
        "k.unit, NULL, NULL, NULL, NULL, NULL, f.ghm",
        "k.unit, f.ghm",
    ),
}


def stale_months(session: Session, *, months: Sequence[date]) -> dict[date, int]:
    """Of `months` (first days), those whose stored figures are missing or out of date: month ->
    its `changes` now (a month without a row has never had a stay: nothing to compute)."""
    query = text(
        "SELECT month, changes FROM casemix_month "
        "WHERE month = ANY(CAST(:months AS date[])) AND priced IS DISTINCT FROM changes"
    )
    return {month: int(changes) for month, changes in session.execute(query, {"months": list(months)})}


def lock_figures(session: Session) -> None:
    """Serialise the writers of stored figures (transaction-scoped): two requests finding the same
    month stale compute it once."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.casemix_figures'))"))


def price_month(
    session: Session, *, month: date, last: date, changes: int, campaign_starts: dict[int, date]
) -> None:
    """Compute and store the figures of the stays discharged in [month, last] (a calendar month),
    marked as of `changes`: a change committed meanwhile leaves the month stale for the next read.
    Its year's rows are the caller's (`price_months`)."""
    priced = price_stays(session, start=month, end=last, campaign_starts=campaign_starts)
    bounds = {"month": month, "last": last}
    session.execute(
        text("DELETE FROM casemix_figures WHERE period BETWEEN :month AND :last AND grain IN ('d', 'm')"),
        bounds,
    )
    sums = _select_sums(_STORED_SUMS)
    for kind, (keyed, keys, grouped) in _STORE_DAYS.items():
        session.execute(
            text(
                f"WITH final AS (SELECT * FROM {priced}) {keyed} "
                f"INSERT INTO casemix_figures (grain, period, kind, {_STORED_KEYS}, {_STORED_COLUMNS}) "
                f"SELECT 'd', f.exit_date, '{kind}', {keys}, {sums} "
                f"FROM keyed k JOIN final f ON f.id = k.id GROUP BY f.exit_date, {grouped}"
            ),
            {"units": None},
        )
    totals = ", ".join(f"sum({name})" for name, _ in _STORED_SUMS)
    session.execute(
        text(
            f"INSERT INTO casemix_figures (grain, period, kind, {_STORED_KEYS}, {_STORED_COLUMNS}) "
            f"SELECT 'm', :month, kind, {_STORED_KEYS}, {totals} FROM casemix_figures "
            f"WHERE grain = 'd' AND period BETWEEN :month AND :last GROUP BY kind, {_STORED_KEYS}"
        ),
        bounds,
    )
    session.execute(
        text("UPDATE casemix_month SET priced = :changes WHERE month = :month"),
        {"changes": changes, "month": month},
    )
    session.execute(text(f"DROP TABLE {priced}"))


def price_months(
    session: Session, *, stale: Sequence[tuple[date, date, int]], campaign_starts: dict[int, date]
) -> None:
    """`price_month` for each of the `stale` months (first day, last day, `changes`), then the rows
    of their years again from the years' month rows, once per year (~100,000 month rows to add up
    in the benchmark's database). A read of a whole year brings all its months up to date first,
    so the year rows it reads add up current months."""
    for month, last, changes in stale:
        price_month(session, month=month, last=last, changes=changes, campaign_starts=campaign_starts)
    totals = ", ".join(f"sum({name})" for name, _ in _STORED_SUMS)
    for year in sorted({month.replace(month=1) for month, _, _ in stale}):
        bounds = {"year": year, "last": year.replace(month=12, day=31)}
        session.execute(text("DELETE FROM casemix_figures WHERE grain = 'y' AND period = :year"), bounds)
        session.execute(
            text(
                f"INSERT INTO casemix_figures (grain, period, kind, {_STORED_KEYS}, {_STORED_COLUMNS}) "
                f"SELECT 'y', :year, kind, {_STORED_KEYS}, {totals} FROM casemix_figures "
                f"WHERE grain = 'm' AND period BETWEEN :year AND :last GROUP BY kind, {_STORED_KEYS}"
            ),
            bounds,
        )


def analyze_figures(session: Session) -> None:
    """Fresh statistics once months were computed: the planner picks the UM index for a token's
    UMs only when it knows how many rows a kind has (a first fill takes the table from 0 rows)."""
    session.execute(text("ANALYZE casemix_figures"))


_STORED_LABELS: Final = {
    "ghm": "SELECT DISTINCT ON (ghm) ghm AS key, label FROM ref_ghm ORDER BY ghm, year DESC",
    "cmd": "SELECT DISTINCT ON (cmd) cmd AS key, label FROM ref_cmd ORDER BY cmd, year DESC",
}
_STORED_GROUPS: Final = {
    "unit": ("unit", "c.unit", "c.unit_label"),
    "service": ("unit", "c.service", "c.service_label"),
    "pole": ("unit", "c.pole", "c.pole_label"),
    "ghm": ("ghm", "coalesce(c.ghm, 'no_ghm')", "NULL::text"),
    "cmd": ("ghm", "coalesce(left(c.ghm, 2), 'no_ghm')", "NULL::text"),
}


@dataclass(frozen=True)
class StoredPeriod:
    """A period as the stored figures cover it: whole calendar years (1 January), whole months
    (first days) and single days."""

    years: Sequence[date]
    months: Sequence[date]
    days: Sequence[date]


def stored_casemix(
    session: Session, *, group_by: str, periods: Sequence[StoredPeriod], units: Collection[str] | None
) -> list[tuple[list[dict[str, Any]], dict[str, int]]]:
    """As `casemix`, for each of `periods` (one statement for them all: a period and the year
    before it), from the stored figures, kept current by the caller (`stale_months`,
    `price_months`, every month of the years included). By GHM or CMD, `units` must be None or
    one UM."""
    kind, key, label = _STORED_GROUPS[group_by]
    if kind == "ghm" and units is not None:
        if len(units) != 1:
            raise ValueError("stored GHM figures serve tokens of every UM or of one UM")
        kind = "ghm_unit"
    sums = _select_sums([
        (name, _finish(name, f"sum({name})" if name == "ipdms_reference" else f"coalesce(sum({name}), 0)"))
        for name, _ in _SUMS
    ])  # fmt: skip
    params: dict[str, Any] = {"kind": kind, "units": None if units is None else sorted(units)}
    # Only the conditions that apply: a plan for "every UM" never weighs a unit filter, and the
    # index on (kind, unit, grain, period) serves a token's UMs.
    units_filter = "" if units is None else " AND c.unit = ANY(CAST(:units AS text[]))"
    selects = []
    for side, period in enumerate(periods):
        conditions = []
        for grain, values in (("y", period.years), ("m", period.months), ("d", period.days)):
            if values:
                params[f"{grain}{side}"] = list(values)
                conditions.append(f"(c.grain = '{grain}' AND c.period = ANY(CAST(:{grain}{side} AS date[])))")
        selects.append(
            f"SELECT {side} AS side, {key} AS key, {label} AS label, c.* FROM casemix_figures c "
            f"WHERE c.kind = :kind AND ({' OR '.join(conditions) or 'false'}){units_filter}"
        )
    # GHM and CMD labels joined once to the ~400 rows, not looked up by a subquery per row.
    labels = _STORED_LABELS.get(group_by, "SELECT NULL::text AS key, NULL::text AS label WHERE false")
    query = f"""
SELECT a.*, coalesce(a.own_label, l.label) AS label
FROM (
SELECT k.side, GROUPING(k.key) = 1 AS is_total, k.key, max(k.label) AS own_label,
       (sum(k.national_sum) / nullif(sum(k.national_n), 0))::float8 AS los_expected,
       {sums}
FROM ({" UNION ALL ".join(selects)}) k
GROUP BY GROUPING SETS ((k.side, k.key), (k.side))
) a
LEFT JOIN ({labels}) l ON l.key = a.key
ORDER BY a.side, a.is_total, a.key
"""
    by_side: list[list[dict[str, Any]]] = [[] for _ in periods]
    for row in _dicts(session.execute(text(query), params)):
        del row["own_label"]
        by_side[row.pop("side")].append(row)
    for rows in by_side:
        if not rows:  # no stored row: the total of nothing, as an aggregate without GROUP BY gives it
            rows.append(dict(_NOTHING))
    return [(rows, _reasons(rows)) for rows in by_side]


_NOTHING: Final = {
    "is_total": True, "key": None, "los_expected": None,
    **{name: None if name == "ipdms_reference" else 0.0 if name in _CENTS else 0 for name, _ in _SUMS},
    "label": None,
}  # fmt: skip
