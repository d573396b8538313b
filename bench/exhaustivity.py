"""Exhaustivity benchmark: GET /api/v1/exhaustivity on a year of a large hospital (target p95 ≤
100 ms on 200,000 stays), timed over HTTP, with /transmission and the alerts' count beside it.

    .venv/bin/python -m bench.exhaustivity                       # load (a few minutes) then measure
    .venv/bin/python -m bench.exhaustivity --reuse               # measure again on the loaded database
    .venv/bin/python -m bench.exhaustivity --stays 2000 --documents 6000 --requests 50   # quick check

The data is bench/turnaround.py's (seeded 2022: movements, discharge reports, the RSS of 95 % of the
stays and RSS-only stays; so about 5 % of the movement stays are not coded), loaded the same way
into its own database `dimqa_bench_exhaustivity`. The API runs as a `dimqa serve` subprocess; each
query is called at least 50 times after 5 warm-up calls, and p50, p95 and max are printed; the
slowest p95 is recorded in the table of docs/benchmarks.md (bench/report.py; --no-write: not).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from datetime import date, timedelta

from app.core import db, embedded_pg, migrations
from bench import realistic
from bench import turnaround as turnaround_bench
from bench.report import Figure, invocation
from bench.report import record as record_figures

DATABASE = "dimqa_bench_exhaustivity"
YEAR = turnaround_bench.YEAR
TARGET_P95_MS = 100.0


def _months() -> list[tuple[date, date]]:
    return [
        (date(YEAR, m, 1), (date(YEAR, m + 1, 1) if m < 12 else date(YEAR + 1, 1, 1)) - timedelta(days=1))
        for m in range(1, 13)
    ]


def requests(count: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(name, path, params), cycling over the months of the year, as_of 40 days after each."""
    months = _months()
    variants: list[tuple[str, str, list[dict[str, str]]]] = [
        (
            "exhaustivity, a month by service",
            "/api/v1/exhaustivity",
            [{"from": f"{a}", "to": f"{b}", "as_of": f"{b + timedelta(days=40)}"} for a, b in months],
        ),
        (
            "exhaustivity, a month by pôle",
            "/api/v1/exhaustivity",
            [{"from": f"{a}", "to": f"{b}", "group_by": "pole"} for a, b in months],
        ),
        (
            "exhaustivity, a month by unit",
            "/api/v1/exhaustivity",
            [{"from": f"{a}", "to": f"{b}", "group_by": "unit"} for a, b in months],
        ),
        (
            "transmission, 7 days",
            "/api/v1/transmission",
            [{"days": "7", "as_of": f"{b}"} for _a, b in months],
        ),
    ]
    for name, path, params in variants:
        for index in range(count):
            yield name, path, params[index % len(params)]


def not_coded_ms(url: str, count: int) -> tuple[float, float]:
    """p50 and p95 of `stays_not_coded_over` (every scope, new transaction each time), in process."""
    from app.exhaustivity import service

    db.configure(url)
    timings = []
    for index in range(count):
        as_of = date(YEAR, 1 + index % 12, 28)
        started = time.perf_counter()
        with db.new_session() as session, session.begin():
            service.stays_not_coded_over(session, as_of=as_of)
            service.stays_not_coded_over(session, as_of=as_of, service="S01")  # from the memo
        timings.append((time.perf_counter() - started) * 1000)
    db.dispose()
    return statistics.median(timings), turnaround_bench._percentile(timings, 0.95)


def measure(url: str, count: int) -> list[tuple[str, float, float, float]]:
    with realistic.served(url, "--no-demo") as client:
        headers = {"Authorization": f"Bearer {turnaround_bench._token(url, 'reader')}"}
        timings: dict[str, list[float]] = {}
        warmed: set[str] = set()
        for name, path, params in requests(count):
            elapsed = realistic.timed_get(client, path, params, headers, warm=name not in warmed)
            warmed.add(name)
            timings.setdefault(name, []).append(elapsed)
        march = client.get(
            "/api/v1/exhaustivity",
            params={"from": f"{YEAR}-03-01", "to": f"{YEAR}-03-31", "as_of": f"{YEAR}-05-10"},
            headers=headers,
        ).json()["total"]
        print(f"March, as of May 10: {march}", flush=True)
    return [
        (name, statistics.median(values), turnaround_bench._percentile(values, 0.95), max(values))
        for name, values in timings.items()
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stays", type=int, default=200_000)
    parser.add_argument("--documents", type=int, default=600_000, help="document events")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per query (>= 50)")
    parser.add_argument("--reuse", action="store_true", help="measure on the already loaded database")
    parser.add_argument("--no-write", action="store_true", help="print, record no figure")
    args = parser.parse_args(argv)
    # The turnaround benchmark's loader, into this benchmark's own database.
    turnaround_bench.DATABASE = DATABASE
    server = turnaround_bench.server_url()
    try:
        if args.reuse:
            url = turnaround_bench.database_url(server)
            migrations.upgrade(url)
        else:
            url, _facts = turnaround_bench.load(server, args.stays, args.documents)
        count = max(args.requests, 50)
        results = measure(url, count)
        for name, p50, p95, high in results:
            verdict = "met" if p95 <= TARGET_P95_MS else "NOT met"
            print(
                f"{name:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {high:6.1f} ms  "
                f"(target p95 {TARGET_P95_MS:.0f} ms: {verdict})",
                flush=True,
            )
        p50, p95 = not_coded_ms(url, count)
        print(f"{'stays_not_coded_over, every scope':34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms", flush=True)
        if not args.no_write:
            name, _p50, worst, _max = max(results, key=lambda result: result[2])
            loaded = f"{args.stays:,} stays, {args.documents:,} document events"
            data = "reused database" if args.reuse else loaded
            record_figures(
                [
                    Figure("bench.exhaustivity", f"p95 of the slowest query ({name})", f"{worst:.1f} ms",
                           f"<= {TARGET_P95_MS:.0f} ms", worst <= TARGET_P95_MS, data,
                           invocation("bench.exhaustivity", argv)),
                ]
            )  # fmt: skip
    finally:
        embedded_pg.stop_all()


if __name__ == "__main__":
    main()
