"""RSA import benchmark: the grouper's output (RSA + TRA) stored by the service (target ≥ 50,000 RSA/s).

    .venv/bin/python -m bench.rsa_import [--rsa 200000] [--no-write]

A year of RSS (bench/turnaround.py's data: 2022, its structure, the RSS rows by COPY) is stored in its
own database `dimqa_bench_rsa`; then one RSA per RSS is written in format 228 (tests/medeco/builders.py:
one RUM zone, one DA, one act zone, a few GHM/GHS couples, some with EXH days or supplements) with its
DRUIDES `.tra.txt`, and `app.medeco.service.ingest` stores the delivery in one transaction, as
`POST /api/v1/rsa-batches` and `dimqa ingest rsa` do: reading both files, linking each RSA to its RSS
through the TRA, COPY of the RSA rows, commit. Timed from the call to the commit (RSA/s); the HTTP
upload of the archive is left out, as it is the same spooling as every batch.
"""

from __future__ import annotations

import argparse
import os
import time

import psycopg
from sqlalchemy import make_url, text

from app.auth.schemas import Principal, Role
from app.core import db, migrations
from bench import turnaround
from bench.report import Figure, invocation, machine
from bench.report import record as record_figures
from tests.medeco.builders import rsa_line, tra_csv

DATABASE = "dimqa_bench_rsa"
TARGET_RSA_PER_SECOND = 50_000
BENCH_ADMIN = Principal(name="bench", role=Role.ADMIN, units=None)
# (GHM, GHS, EXH days, supplements) of the generated RSA, cycled.
KINDS: tuple[tuple[str, str, int, dict[str, int]], ...] = (
    ("04M143", "1187", 0, {}),
    ("05M092", "1610", 2, {}),
    ("06C041", "2019", 0, {"sup_rea": 2}),
    ("28Z07Z", "9610", 0, {}),
)


def load(stays: int) -> tuple[str, list[turnaround.RssRow]]:
    server = turnaround.server_url()
    with psycopg.connect(turnaround._libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
    migrations.upgrade(url)
    data = turnaround.generate(stays, stays, rss_only=max(stays // 40, 1))
    turnaround._setup(url, data.rss_rows)
    with psycopg.connect(turnaround._libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url, data.rss_rows


def files(rss_rows: list[turnaround.RssRow], count: int) -> tuple[bytes, bytes]:
    """The RSA file (one per RSS, the first `count`) and its TRA."""
    lines = []
    links = []
    for index, (stay, entry, exit_day, _unit, care_type, _received) in enumerate(rss_rows[:count], start=1):
        ghm, ghs, exh, supplements = KINDS[index % len(KINDS)]
        if care_type == "seance":
            ghm, ghs, exh, supplements = KINDS[3]
        line = rsa_line(
            index=index, ghm=ghm, ghs=ghs, los=(exit_day - entry).days, exit_month=exit_day.month,
            exit_year=exit_day.year, exh_days=exh, seances=1 if care_type == "seance" else 0,
            supplements=dict(supplements),
        )  # fmt: skip
        lines.append(line)
        links.append((index, f"{index:09d}", stay))
    return ("\r\n".join(lines) + "\r\n").encode("latin-1"), tra_csv(*links)


def measure(url: str, rsa: bytes, tra: bytes) -> tuple[float, int, int]:
    """Seconds of the import, RSA accepted, RSA not linked."""
    from app.medeco import service
    from app.medeco.rsa_parser import GrouperOutput

    db.configure(url)
    output = GrouperOutput(rsa, tra, "bench.rsa", "bench.tra.txt")
    started = time.perf_counter()
    with db.new_session() as session, session.begin():
        batch, _created = service.ingest(session, output, principal=BENCH_ADMIN, source="cli")
    seconds = time.perf_counter() - started
    with db.new_session() as session:
        stored = int(session.execute(text("SELECT count(*) FROM rsa")).scalar_one())
    db.dispose()
    return seconds, stored, batch.rsa_unlinked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rsa", type=int, default=200_000, help="RSA to import (one per RSS)")
    parser.add_argument("--no-write", action="store_true", help="print only, record no figure")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    url, rss_rows = load(args.rsa)
    rsa, tra = files(rss_rows, args.rsa)
    count = min(args.rsa, len(rss_rows))
    print(f"{count:,} RSS stored and their RSA written in {time.perf_counter() - started:.1f}s", flush=True)
    seconds, stored, unlinked = measure(url, rsa, tra)
    rate = count / seconds
    ok = rate >= TARGET_RSA_PER_SECOND
    print(
        f"RSA import, {count:,} RSA ({len(rsa) / 1e6:.0f} MB + TRA {len(tra) / 1e6:.0f} MB): "
        f"{seconds:.2f} s, "
        f"**{rate:,.0f} RSA/s** ({stored:,} stored, {unlinked:,} unlinked) on {machine()}; "
        f"target {TARGET_RSA_PER_SECOND:,} RSA/s: {'met' if ok else 'NOT met'}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if not args.no_write:
        record_figures(
            [
                Figure("bench.rsa_import", "RSA import (RSA + TRA, linked to the stored RSS)",
                       f"{rate:,.0f} RSA/s", f">= {TARGET_RSA_PER_SECOND:,} RSA/s", ok,
                       f"{count:,} RSA, format 228, with their .tra.txt",
                       invocation("bench.rsa_import", argv)),
            ]
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
