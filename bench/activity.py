"""Activity benchmark: 1,000,000 RUM over five years, each activity endpoint timed over HTTP.

    /tmp/pv/bin/python -m bench.activity                 # load (about a minute) then measure
    /tmp/pv/bin/python -m bench.activity --reuse         # measure again on the loaded database

The database is the embedded server under var/bench-pgdata (or BENCH_DATABASE_URL), database
`dimqa_bench_activity`, migrated by the real migrations. Data is written with COPY straight into
rum_batch / rss_version / rum (no parsing: the ingestion pipeline has its own benchmark), plus a
~200-row structure and a year of RHS. The API runs as a `dimqa serve` subprocess; every endpoint is
called at least 50 times for one year (2024) and its p50/p95 are appended to docs/benchmarks.md,
section "Activity" (other sections are left alone).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta

import psycopg
from sqlalchemy import make_url

from app.core import embedded_pg, migrations
from app.core.config import PROJECT_ROOT

DATABASE = "dimqa_bench_activity"
YEARS = (2020, 2021, 2022, 2023, 2024)
TARGET_P95_MS = 100.0
RESULTS = PROJECT_ROOT / "docs" / "benchmarks.md"
SECTION = "## Activity"

POLES = [
    ("MED", "Médecine"),
    ("CHIR", "Chirurgie"),
    ("MEC", "Mère-enfant"),
    ("URG", "Urgences"),
    ("SMR", "SMR"),
    ("ONC", "Cancérologie"),
]
# Séance GHMs and their share of the séances.
SEANCE_GHMS = [("28Z07Z", 0.55), ("28Z14Z", 0.12), ("28Z17Z", 0.15), ("28Z04Z", 0.10), ("28Z11Z", 0.08)]
UNKNOWN_UNITS = ("9998", "9999")
LINE_FILLER = "X" * 230  # about the size of a real RUM line, so the heap is realistic


def _units() -> list[str]:
    return [f"{1000 + 100 * (i // 10) + i % 10}" for i in range(60)]


def _structure(
    units: list[str],
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[tuple[object, ...]]]:
    poles = [(code, label) for code, label in POLES]
    services = [(f"S{i:02d}", f"Service {i:02d}", POLES[i % len(POLES)][0]) for i in range(30)]
    rows: list[tuple[object, ...]] = []
    rng = random.Random(7)
    for i, unit in enumerate(units):
        service = services[i % 30]
        if i % 6 == 0:
            # A unit moving to another pôle mid-2022, then renamed in 2024: three validity periods.
            other = services[(i + 1) % 30]
            rows.append((unit, f"UM {unit}", service[2], service[0], date(1900, 1, 1), date(2022, 6, 30)))
            rows.append((unit, f"UM {unit}", other[2], other[0], date(2022, 7, 1), date(2023, 12, 31)))
            rows.append((unit, f"UM {unit} (nouvelle)", other[2], other[0], date(2024, 1, 1), None))
        else:
            rows.append((unit, f"UM {unit}", service[2], service[0], date(1900, 1, 1), None))
    # Units of other sites / closed units, never in the RUM: the structure has about 200 rows.
    for j in range(200 - len(rows)):
        service = services[rng.randrange(30)]
        rows.append((f"{5000 + j}", f"UM fermée {5000 + j}", service[2], service[0], date(1900, 1, 1), None))
    return poles, services, rows


def _ghm_pool(rng: random.Random) -> list[str]:
    pool = []
    for _ in range(400):
        cmd = rng.choice([1, 4, 5, 6, 7, 8, 9, 11, 14, 15, 17, 23])
        letter = rng.choice("CKM")
        severity = rng.choice("1234JT")
        pool.append(f"{cmd:02d}{letter}{rng.randrange(1, 60):02d}{severity}")
    return pool


def _tsv(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, list):
        return "{" + ",".join(value) + "}"
    return str(value)


def generate(total_rum: int, seed: int = 20240101) -> Iterator[tuple[str, list[str], list[str]]]:
    """Yield (kind, rss_version rows, rum rows) chunks as TSV lines; kind is "data"."""
    rng = random.Random(seed)
    units = _units()
    weights = [rng.paretovariate(1.2) for _ in units]
    ghms = _ghm_pool(rng)
    first, last = date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    rss_id = rum_id = 0
    rss_lines: list[str] = []
    rum_lines: list[str] = []
    rum_count = 0
    stays = 0
    # Chronological, as the monthly files arrive: each day gets its share of the RUM still to write.
    for day_index, exit_date in enumerate(days):
        per_stay = rum_count / stays if stays else 1.3
        remaining_days = len(days) - day_index
        target = round((total_rum - rum_count) / remaining_days / per_stay * rng.uniform(0.8, 1.2))
        for _ in range(max(target, 0)):
            if rum_count >= total_rum:
                break
            stays += 1
            rss_id, rum_id, rum_count = _stay(
                rng, exit_date, units, weights, ghms, rss_id, rum_id, rum_count, rss_lines, rum_lines
            )
        if len(rum_lines) >= 50_000 or day_index == len(days) - 1:
            yield "data", rss_lines, rum_lines
            rss_lines, rum_lines = [], []


def _stay(
    rng: random.Random,
    exit_date: date,
    units: list[str],
    weights: list[float],
    ghms: list[str],
    rss_id: int,
    rum_id: int,
    rum_count: int,
    rss_lines: list[str],
    rum_lines: list[str],
) -> tuple[int, int, int]:
    """Append one RSS (and, for 3 %, an older superseded version) with its RUM; returns the counters."""
    batch_id = (exit_date.year - YEARS[0]) * 12 + exit_date.month
    kind = rng.random()
    ghm: str | None
    if kind < 0.18:
        care_type, n_rums, los = "seance", 1, 0
        if rng.random() < 0.9:
            ghm = rng.choices([g for g, _ in SEANCE_GHMS], [w for _, w in SEANCE_GHMS])[0]
        else:
            ghm = None
        seances = 1 if rng.random() < 0.8 else rng.randrange(2, 12)
    elif kind < 0.40:
        care_type, n_rums, los, seances = "zero_day", 1, 0, 0
        ghm = rng.choice(ghms) if rng.random() < 0.9 else None
    else:
        care_type, seances = "complete", 0
        n_rums = rng.choices([1, 2, 3, 4], [70, 20, 7, 3])[0]
        los = rng.randrange(max(1, n_rums), 20)
        ghm = rng.choice(ghms) if rng.random() < 0.9 else None
    entry_date = exit_date - timedelta(days=los)
    rss_units = rng.choices(units, weights, k=n_rums)
    if rng.random() < 0.005:
        rss_units[-1] = rng.choice(UNKNOWN_UNITS)
    versions = 2 if rng.random() < 0.03 else 1
    rss_number = f"{rss_id + 1:09d}"
    for version in range(versions):
        rss_id += 1
        current = version == versions - 1
        rss_lines.append(
            "\t".join(
                map(
                    _tsv,
                    (
                        rss_id,
                        rss_number,
                        batch_id,
                        "2025-01-01 00:00:00+00",
                        "t" if current else "f",
                        None if current else "2025-01-02 00:00:00+00",
                        f"{rss_id:064x}",
                        "750000001",
                        f"NDA{rss_number}",
                        "122" if ghm else "022",
                        entry_date,
                        exit_date,
                        care_type,
                        ghm,
                        ghm[:2] if ghm else None,
                        "000" if ghm else None,
                        "11" if ghm else None,
                        seances,
                        n_rums,
                        rss_units[-1],
                    ),
                )
            )
        )
        cut = sorted(rng.sample(range(1, los), n_rums - 1)) if n_rums > 1 and los > n_rums else []
        bounds = [entry_date + timedelta(days=d) for d in cut] + [exit_date]
        while len(bounds) < n_rums:
            bounds.insert(0, entry_date)
        start = entry_date
        for position, (unit, rum_exit) in enumerate(zip(rss_units, bounds, strict=True)):
            rum_id += 1
            rum_count += 1
            rum_lines.append(
                "\t".join(
                    map(
                        _tsv,
                        (
                            rum_id,
                            rss_id,
                            position,
                            position + 1,
                            LINE_FILLER,
                            str(position + 1),
                            unit,
                            start,
                            rum_exit,
                            exit_date,
                            care_type,
                            "Z511" if care_type == "seance" else "J189",
                            "",
                            ["I10"],
                            seances if position == 0 else 0,
                            ["ZBQK002"],
                        ),
                    )
                )
            )
            start = rum_exit
    return rss_id, rum_id, rum_count


RSS_COLUMNS = (
    "id, rss_number, batch_id, received_at, is_current, superseded_at, content_hash, finess, stay_number, "
    "format, entry_date, exit_date, care_type, ghm, cmd, return_code, classification_version, seances, "
    "rum_count, exit_unit"
)
RUM_COLUMNS = (
    "id, rss_version_id, position, line, line_text, rum_number, unit, entry_date, exit_date, rss_exit_date, "
    "care_type, dp, dr, das, seances, acts"
)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def server_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    return embedded_pg.start(PROJECT_ROOT / "var" / "bench-pgdata")


def database_url(server: str) -> str:
    return make_url(server).set(database=DATABASE).render_as_string(hide_password=False)


def load(server: str, total_rum: int) -> str:
    """(Re)create the bench database, migrate it and COPY the data in; returns its URL."""
    with psycopg.connect(_libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(server)
    migrations.upgrade(url)
    started = time.perf_counter()
    with psycopg.connect(_libpq(url)) as conn:
        poles, services, unit_rows = _structure(_units())
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO structure_pole (code, label) VALUES (%s, %s)", poles)
            cur.executemany(
                "INSERT INTO structure_service (code, label, pole_code) VALUES (%s, %s, %s)", services
            )
            cur.executemany(
                "INSERT INTO structure_unit (code, label, pole_code, service_code, valid_from, valid_to) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                unit_rows,
            )
            batches = [(n, f"{n:064x}", "demo", "bench", "accepted") for n in range(1, len(YEARS) * 12 + 1)]
            cur.executemany(
                "INSERT INTO rum_batch (id, content_sha256, source, token_name, status, lines, rss_accepted, "
                "rum_accepted, rss_rejected, lines_rejected, formats, errors, findings, skipped_rules) "
                "VALUES (%s, %s, %s, %s, %s, 0, 0, 0, 0, 0, '{}', '[]', '{}', '{}')",
                batches,
            )
            for _kind, rss_lines, rum_lines in generate(total_rum):
                with cur.copy(f"COPY rss_version ({RSS_COLUMNS}) FROM STDIN") as copy:
                    copy.write("\n".join(rss_lines) + "\n")
                with cur.copy(f"COPY rum ({RUM_COLUMNS}) FROM STDIN") as copy:
                    copy.write("\n".join(rum_lines) + "\n")
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('rss_version', 'id'), max(id)) FROM rss_version"
            )
            cur.execute("SELECT setval(pg_get_serial_sequence('rum', 'id'), max(id)) FROM rum")
        conn.commit()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"loaded {total_rum:,} RUM in {time.perf_counter() - started:.1f}s", flush=True)
    return url


def main(argv: list[str] | None = None) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rum", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure on the already loaded database")
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args(argv)
    server = server_url()
    url = database_url(server) if args.reuse else load(server, args.rum)
    if args.reuse:
        migrations.upgrade(url)
    if args.load_only:
        print(url)
        return


if __name__ == "__main__":
    main()
