"""Case-mix benchmark: 1,000,000 RUM over five years with valuations, `GET /api/v1/casemix` timed
over HTTP (target p95 <= 100 ms, issue #18).

    .venv/bin/python -m bench.casemix                  # load (a few minutes) then measure
    .venv/bin/python -m bench.casemix --reuse          # measure again on the loaded database
    .venv/bin/python -m bench.casemix --no-write       # print only, record no figure

Database `dimqa_bench_casemix` on the embedded server under var/bench-pgdata (or BENCH_DATABASE_URL),
migrated by the real migrations, in the realistic configuration (bench/realistic.py: the demo
structure and fichier d'UM, the nomenclature slices, the compiled modules; a token restricted to one
UM beside a hospital-wide one). The stays are bench/activity.py's generator (the same mix of séances,
0-day and complete stays, 1-4 RUM, 3 % superseded versions) written by COPY, in the demo's UMs.
Valuation inputs, generated for the GHMs used: GHS tariffs of every campaign 2019-2024 (one GHS per
GHM, 8 % of the GHMs with two GHS and 3 % without a tariff, so that every not-valued reason shows),
supplement tariffs, a coefficient, the national mean LOS; an RSA (GHS, EXH days, supplements) for a
third of the stays, COPY'd with its batch. Measured: every `group_by`, with and without
`compare=previous_year`, for the year 2024 and the month of June 2024, with the hospital-wide token
and the unit-restricted one; the slowest case's p95 is recorded (bench/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
from sqlalchemy import make_url

from app.core import embedded_pg, migrations
from app.demo.tariffs import synthetic_dms, synthetic_tariffs
from bench import activity, realistic
from bench.report import Figure, invocation, machine
from bench.report import record as record_figures

DATABASE = "dimqa_bench_casemix"
YEARS = activity.YEARS
CAMPAIGNS = tuple(range(YEARS[0] - 1, YEARS[-1] + 1))
TARGET_P95_MS = 100.0
GROUPS = ("pole", "service", "unit", "ghm", "cmd")
PERIODS = {"year 2024": ("2024-01-01", "2024-12-31"), "June 2024": ("2024-06-01", "2024-06-30")}
SUPPLEMENTS = {"REA": "1009.97", "STF": "350.12", "SRC": "421.60", "NN1": "310.00", "REP": "812.40"}


def _ghms(rng: random.Random) -> list[str]:
    return sorted(set(activity._ghm_pool(rng)))


def generate(total_rum: int, seed: int = 20240101) -> Iterator[tuple[list[str], list[str]]]:
    """(rss_version rows, rum rows) TSV chunks: bench.activity's stays in the demo's UMs."""
    rng = random.Random(seed)
    units = list(realistic.UNITS)
    weights = [rng.paretovariate(1.2) for _ in units]
    ghms = _ghms(random.Random(seed))
    first, last = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rss_id = rum_id = rum_count = stays = 0
    rss_lines: list[str] = []
    rum_lines: list[str] = []
    for day_index, exit_date in enumerate(days):
        per_stay = rum_count / stays if stays else 1.3
        target = round((total_rum - rum_count) / (len(days) - day_index) / per_stay * rng.uniform(0.8, 1.2))
        for _ in range(max(target, 0)):
            if rum_count >= total_rum:
                break
            stays += 1
            rss_id, rum_id, rum_count = activity._stay(
                rng, exit_date, units, weights, ghms, rss_id, rum_id, rum_count, rss_lines, rum_lines
            )
        if len(rum_lines) >= 50_000 or day_index == len(days) - 1:
            yield rss_lines, rum_lines
            rss_lines, rum_lines = [], []


def tariff_files(seed: int = 20240101) -> dict[str, dict[int, bytes]]:
    """The valuation inputs, by kind then campaign (the DMS under 2018)."""
    rng = random.Random(seed)
    ghms = _ghms(random.Random(seed)) + [ghm for ghm, _ in activity.SEANCE_GHMS]
    missing = set(rng.sample(ghms, len(ghms) * 3 // 100))
    ambiguous = set(rng.sample(sorted(set(ghms) - missing), len(ghms) * 8 // 100))
    files: dict[str, dict[int, bytes]] = {
        "ghs_tariffs": {},
        "supplement_tariffs": {},
        "tariff_coefficients": {},
    }
    for campaign in CAMPAIGNS:
        text = synthetic_tariffs([ghm for ghm in ghms if ghm not in missing], campaign).decode()
        lines = text.splitlines()
        extra = [
            ",".join([fields[0], f"{9000 + n:04d}", *fields[2:]])
            for n, fields in enumerate(line.split(",") for line in lines[1:])
            if fields[2] in ambiguous
        ]
        files["ghs_tariffs"][campaign] = ("\n".join(lines + extra) + "\n").encode()
        files["supplement_tariffs"][campaign] = (
            "campaign;code;label;tariff\n"
            + "".join(f"{campaign};{code};Supplément {code};{price}\n" for code, price in SUPPLEMENTS.items())
        ).encode()
        files["tariff_coefficients"][campaign] = f"prudential;geographic\n0.993;1.0{campaign % 10}\n".encode()
    files["ghm_dms"] = {2018: synthetic_dms(ghms)}
    return files


def _rsa_rows(conn: psycopg.Connection, seed: int) -> int:
    """An RSA for a third of the current stays (the GHM's first GHS, some EXH days, supplements)."""
    rng = random.Random(seed)
    query = "SELECT year || ghm, min(ghs) FROM ref_ghs_tariff GROUP BY year, ghm"
    ghs: dict[str, str] = dict(conn.execute(query).fetchall())
    conn.execute(
        "INSERT INTO rsa_batch (id, content_sha256, source, token_name, status, files, formats, errors, "
        "unlinked, rsa_lines, tra_lines, rsa_accepted, rsa_unchanged, rsa_rejected, rsa_unlinked, "
        "errors_total) VALUES (1, repeat('0', 64), 'cli', 'bench', 'completed', '{}', '{}', '[]', '[]', "
        "0, 0, 0, 0, 0, 0, 0)"
    )
    rows = conn.execute(
        "SELECT rss_number, stay_number, ghm, exit_date, exit_date - entry_date, seances "
        "FROM rss_version WHERE is_current AND ghm IS NOT NULL AND NOT ghm LIKE '90%' ORDER BY id"
    ).fetchall()
    count = 0
    with conn.cursor().copy(
        "COPY rsa (batch_id, rss_number, stay_number, rsa_index, line, line_text, is_current, "
        "content_hash, format, campaign, classification_version, ghm, return_code, exit_month, "
        "exit_year, los, seances, ghs, exh_days, exb_type, exb_days, ghs_minore, supplements, "
        "radiotherapy) FROM STDIN"
    ) as copy:
        for rss_number, stay_number, ghm, exit_date, los, seances in rows:
            if rng.random() >= 1 / 3:
                continue
            campaign = exit_date.year if exit_date.month >= 3 else exit_date.year - 1
            number = ghs.get(f"{campaign}{ghm}")
            if number is None:
                continue
            count += 1
            supplements = {rng.choice(list(SUPPLEMENTS)): rng.randrange(1, 5)} if rng.random() < 0.1 else {}
            copy.write_row((
                1, rss_number, stay_number, f"{count:010d}", count, "R" * 200, True, f"{count:064x}", "228",
                None, "11", ghm, "000", exit_date.month, exit_date.year, los, seances, number,
                rng.choice((0, 0, 0, 2)), "0", 0, False, json.dumps(supplements), "{}",
            ))  # fmt: skip
    return count


def load(server: str, total_rum: int) -> str:
    """(Re)create the bench database: the realistic configuration, the stays, the tariffs, the RSA."""
    with psycopg.connect(activity._libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
    migrations.upgrade(url)
    realistic.load(url)
    _load_tariffs(url)
    with psycopg.connect(activity._libpq(url)) as conn, conn.cursor() as cur:
        activity.insert_month_batches(cur)
        for rss_lines, rum_lines in generate(total_rum):
            activity.copy_stays(cur, rss_lines, rum_lines)
        cur.execute("SELECT setval(pg_get_serial_sequence('rss_version', 'id'), max(id)) FROM rss_version")
        conn.commit()
        print(f"{_rsa_rows(conn, 7):,} RSA stored", flush=True)
        conn.commit()
    with psycopg.connect(activity._libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


def _load_tariffs(url: str) -> None:
    from app.core import db
    from app.reference import service as reference_service
    from app.reference.schemas import NomenclatureKind

    db.configure(url)
    with db.new_session() as session, session.begin():
        for kind, by_year in tariff_files().items():
            for year, content in by_year.items():
                reference_service.load(
                    session, kind=NomenclatureKind(kind), year=year, data=content,
                    source="bench.casemix (synthetic)", loaded_by="bench",
                )  # fmt: skip
    db.dispose()


def cases() -> list[tuple[str, dict[str, str], bool]]:
    """(name, query parameters, restricted token)."""
    out = []
    for period, (start, end) in PERIODS.items():
        for group in GROUPS:
            for compare in (False, True):
                for restricted in (False, True):
                    params = {"from": start, "to": end, "group_by": group}
                    if compare:
                        params["compare"] = "previous_year"
                    name = f"{period}, {group}{', N-1' if compare else ''}{', 1 UM' if restricted else ''}"
                    out.append((name, params, restricted))
    return out


def measure(url: str, requests: int) -> tuple[list[tuple[str, float, float]], dict[str, object]]:
    facts: dict[str, object] = {}
    results: list[tuple[str, float, float]] = []
    with realistic.served(url, timeout=120) as client:
        full = {"Authorization": f"Bearer {activity._token(url, 'reader')}"}
        one = {"Authorization": f"Bearer {activity._token(url, 'reader', [realistic.RESTRICTED_UNIT])}"}
        for name, params, restricted in cases():
            headers = one if restricted else full
            for _ in range(3):  # warm-up: connection pool, plans, caches
                client.get("/api/v1/casemix", params=params, headers=headers).raise_for_status()
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get("/api/v1/casemix", params=params, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            results.append((name, statistics.median(timings), activity._percentile(timings, 0.95)))
            print(f"{name:40} p50 {results[-1][1]:7.1f} ms  p95 {results[-1][2]:7.1f} ms", flush=True)
        body = client.get("/api/v1/casemix", params=cases()[0][1], headers=full).json()
        facts["stays"] = body["total"]["stays"]
        facts["valued_total"] = body["total"]["valuation_total"]
        facts["not_valued"] = body["not_valued"]
    return results, facts


def _sizes(url: str) -> dict[str, int]:
    with psycopg.connect(activity._libpq(url)) as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in ("rum", "rss_version", "rsa", "ref_ghs_tariff")
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rum", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="measured requests per case")
    parser.add_argument("--reuse", action="store_true", help="measure on the already loaded database")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only, record no figure")
    args = parser.parse_args(argv)
    server = activity.server_url()
    try:
        if args.reuse:
            url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
            migrations.upgrade(url)
        else:
            started = time.perf_counter()
            url = load(server, args.rum)
            print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
        if args.load_only:
            return 0
        results, facts = measure(url, args.requests)
        sizes = _sizes(url)
        name, _p50, p95 = max(results, key=lambda result: result[2])
        ok = p95 <= TARGET_P95_MS
        data = (
            f"{sizes['rum']:,} RUM / {sizes['rss_version']:,} RSS versions {YEARS[0]}-{YEARS[-1]}, "
            f"{sizes['rsa']:,} RSA; year 2024: {facts['stays']:,} stays, not valued {facts['not_valued']}"
        )
        print(
            f"{len(results)} cases x {args.requests} requests on {machine()}; slowest p95: {name} "
            f"{p95:.1f} ms; target {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}; {data}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        if not args.no_write:
            record_figures([
                Figure("bench.casemix", f"p95 of the slowest case ({name})", f"{p95:.1f} ms",
                       f"<= {TARGET_P95_MS:.0f} ms", ok, data, invocation("bench.casemix", argv)),
            ])  # fmt: skip
    finally:
        embedded_pg.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
