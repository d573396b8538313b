"""SQL of the RSA store, the supplement tariffs and the campaign coefficients."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from app.ingestion.models import RssVersion
from app.medeco.models import Rsa, RsaBatch, SupplementTariff, TariffCoefficient


def get_batch(session: Session, *, batch_id: int) -> RsaBatch | None:
    return session.get(RsaBatch, batch_id)


def add_batch(session: Session, batch: RsaBatch) -> RsaBatch:
    session.add(batch)
    session.flush()
    return batch


def lock_writers(session: Session) -> None:
    """Serialise RSA batches (transaction-scoped): supersession reads the current RSA of each RSS."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('dimqa.rsa_ingestion'))"))


def current_hashes(session: Session, *, rss_numbers: Collection[str]) -> dict[str, tuple[int, str]]:
    """rss_number -> (id, content_hash) of the current RSA of each of these RSS that has one."""
    if not rss_numbers:
        return {}
    query = select(Rsa.rss_number, Rsa.id, Rsa.content_hash).where(
        Rsa.is_current, Rsa.rss_number.in_(list(rss_numbers))
    )
    return {number: (row_id, digest) for number, row_id, digest in session.execute(query)}


def stored_rss(session: Session, *, rss_numbers: Collection[str]) -> set[str]:
    """Those of `rss_numbers` that have a current RSS version."""
    if not rss_numbers:
        return set()
    query = select(RssVersion.rss_number).where(
        RssVersion.is_current, RssVersion.rss_number.in_(list(rss_numbers))
    )
    return set(session.scalars(query))


def supersede(session: Session, *, rsa_ids: Sequence[int]) -> None:
    if rsa_ids:
        session.execute(update(Rsa).where(Rsa.id.in_(list(rsa_ids))).values(is_current=False))


def insert_rsas(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row INSERT of accepted RSA (dicts keyed by `Rsa` column)."""
    if rows:
        session.execute(insert(Rsa), list(rows))


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
stay AS (
    SELECT v.id, v.exit_date, v.care_type,
           NULLIF(coalesce(NULLIF(a.ghm, ''), v.ghm), '') AS ghm,
           a.id IS NOT NULL AS has_rsa, a.ghs AS rsa_ghs, a.exb_days AS rsa_exb, a.exh_days AS rsa_exh,
           a.exb_type,
           coalesce(a.supplements, '{}'::jsonb) || coalesce(a.radiotherapy, '{}'::jsonb) AS sups,
           coalesce(a.seances, v.seances) AS seances,
           coalesce(v.exit_date - v.entry_date, a.los, 0) AS los,
           coalesce(a.campaign, (
               SELECT s.campaign FROM starts s
               WHERE s.campaign = extract(year FROM v.exit_date)::int - CASE
                   WHEN v.exit_date >= coalesce(
                       (SELECT o.start FROM starts o WHERE o.campaign = extract(year FROM v.exit_date)::int),
                       make_date(extract(year FROM v.exit_date)::int, 3, 1)
                   ) THEN 0 ELSE 1 END
           )) AS campaign
    FROM rss_version v
    LEFT JOIN rsa a ON a.rss_number = v.rss_number AND a.is_current
    WHERE v.is_current AND v.exit_date BETWEEN :start AND :end
),
chosen AS (
    SELECT st.*, g.n_ghs, coalesce(st.rsa_ghs, CASE WHEN g.n_ghs = 1 THEN g.one_ghs END) AS ghs
    FROM stay st
    LEFT JOIN LATERAL (
        SELECT count(*) AS n_ghs, min(t.ghs) AS one_ghs FROM ref_ghs_tariff t
        WHERE t.year = st.campaign AND t.ghm = st.ghm
    ) g ON true
),
tariffed AS (
    SELECT c.*, t.low_bound, t.high_bound, t.base AS t_base, t.exb_forfait, t.exb_daily, t.exh_daily,
           CASE WHEN c.ghm IS NULL THEN 'no_ghm'
                WHEN c.ghm LIKE '90%' THEN 'error_ghm'
                WHEN c.campaign IS NULL THEN 'no_tariff'
                WHEN c.rsa_ghs IS NULL AND c.n_ghs > 1 THEN 'ambiguous_ghs'
                WHEN t.base IS NULL THEN 'no_tariff' END AS reason
    FROM chosen c
    LEFT JOIN LATERAL (
        SELECT * FROM ref_ghs_tariff t WHERE t.year = c.campaign AND t.ghs = c.ghs ORDER BY t.ghm LIMIT 1
    ) t ON true
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
national AS (
    -- Once per (GHM, GHS, exit year), not per stay: the national mean LOS the rules of
    -- app.reference.repository.national_mean_los pick (newest year not after the exit year, else the
    -- oldest; the GHS's row, else the GHM's own, else its lowest GHS).
    SELECT c.ghm, c.ghs, c.exit_year,
           (SELECT n.mean_los FROM ref_ghm_dms n WHERE n.ghm = c.ghm
            ORDER BY n.year <= c.exit_year DESC,
                     CASE WHEN n.year <= c.exit_year THEN -n.year ELSE n.year END,
                     n.ghs = c.ghs DESC, n.ghs = '' DESC, n.ghs
            LIMIT 1) AS national_los
    FROM (SELECT DISTINCT ghm, coalesce(ghs, '') AS ghs, extract(year FROM exit_date) AS exit_year
          FROM days WHERE ghm IS NOT NULL) c
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
           CASE WHEN d.reason IS NOT NULL THEN 0 ELSE coalesce((
               SELECT sum(CAST(e.value AS int) * p.tariff) FROM jsonb_each_text(d.sups) e
               JOIN ref_supplement_tariff p ON p.year = d.campaign AND p.code = e.key
           ), 0) END AS supplements,
           coalesce(k.prudential * k.geographic, 1) AS coefficient,
           nat.national_los
    FROM days d
    LEFT JOIN ref_tariff_coefficient k ON k.year = d.campaign
    LEFT JOIN national nat
      ON nat.ghm = d.ghm AND nat.ghs = coalesce(d.ghs, '') AND nat.exit_year = extract(year FROM d.exit_date)
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
    SELECT s.id, s.share, s.main, {key} AS key, {label} AS label
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

_AGGREGATE = """
SELECT GROUPING(k.key) = 1 AS is_total, k.key, coalesce(max(k.label), {label}) AS label,
       count(*) FILTER (WHERE k.main) AS stays,
       coalesce(sum(f.seances) FILTER (WHERE k.main), 0) AS seances,
       coalesce(sum(f.los * k.share), 0) AS days,
       coalesce(sum(f.los) FILTER (WHERE k.main), 0) AS los_sum,
       avg(f.national_los) FILTER (WHERE k.main AND f.national_los IS NOT NULL) AS los_expected,
       coalesce(sum(f.los) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0), 0)
           AS ipdms_los,
       sum(f.national_los) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0)
           AS ipdms_reference,
       count(*) FILTER (WHERE k.main AND f.care_type = 'complete' AND f.national_los > 0) AS ipdms_stays,
       count(*) FILTER (WHERE k.main AND f.below) AS below_low_bound,
       count(*) FILTER (WHERE k.main AND f.exh_days > 0) AS above_high_bound,
       coalesce(sum(f.exb_days) FILTER (WHERE k.main), 0) AS exb_days,
       coalesce(sum(f.exh_days) FILTER (WHERE k.main), 0) AS exh_days,
       coalesce(sum(f.base * k.share) FILTER (WHERE f.reason IS NULL), 0) AS valuation_base,
       coalesce(sum(f.exb * k.share) FILTER (WHERE f.reason IS NULL), 0) AS valuation_exb,
       coalesce(sum(f.exh * k.share) FILTER (WHERE f.reason IS NULL), 0) AS valuation_exh,
       coalesce(sum(f.supplements * k.share) FILTER (WHERE f.reason IS NULL), 0) AS valuation_supplements,
       coalesce(sum(f.total * k.share) FILTER (WHERE f.reason IS NULL), 0) AS valuation_total
FROM keyed k JOIN final f ON f.id = k.id
GROUP BY GROUPING SETS ((k.key), ())
ORDER BY is_total, k.key
"""

_NOT_VALUED = """
SELECT f.reason, count(*) FROM keyed k JOIN final f ON f.id = k.id
WHERE k.main AND f.reason IS NOT NULL GROUP BY f.reason ORDER BY f.reason
"""

# Labels looked up once per group, not per stay (the nomenclature tables are keyed by year first).
_GROUP_LABELS = {
    "ghm": "(SELECT g.label FROM ref_ghm g WHERE g.ghm = k.key ORDER BY g.year DESC LIMIT 1)",
    "cmd": "(SELECT c.label FROM ref_cmd c WHERE c.cmd = k.key ORDER BY c.year DESC LIMIT 1)",
}
CASEMIX_GROUPS: Final = tuple(_KEYS)


def casemix(
    session: Session,
    *,
    group_by: str,
    start: date,
    end: date,
    units: Collection[str] | None,
    campaign_starts: dict[int, date],
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """(rows, the total last, `is_total`), and the not-valued stays by reason, for one period."""
    template, key, label = _KEYS[group_by]
    cte = _PRICED_STAYS + template.format(key=key, label=label)
    params = {
        "start": start, "end": end, "units": None if units is None else sorted(units),
        "campaigns": list(campaign_starts), "starts": list(campaign_starts.values()),
    }  # fmt: skip
    aggregate = _AGGREGATE.format(label=_GROUP_LABELS.get(group_by, "NULL"))
    rows = [dict(row) for row in session.execute(text(cte + aggregate), params).mappings()]
    reasons = {str(reason): int(count) for reason, count in session.execute(text(cte + _NOT_VALUED), params)}
    return rows, reasons
