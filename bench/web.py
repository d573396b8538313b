"""Web interface benchmark: each page of app/web timed over HTTP on the demo year.

    .venv/bin/python -m bench.web            # load the demo year (a minute or two), then measure
    .venv/bin/python -m bench.web --reuse    # measure again on the loaded database

The database is the embedded server under var/bench-pgdata (or BENCH_DATABASE_URL), database
`dimqa_bench_web`, migrated by the real migrations, with the realistic configuration
(bench/realistic.py) and the demo year loaded through the ingestion services (`dimqa demo`). The
service runs in this process under uvicorn on a loopback port; each page is asked ROUNDS times by
a signed-in browser session (httpx with the session cookie), hospital-wide and as a token
restricted to one unit, and its p50/p95/max are printed against the 300 ms target (issue 20).
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import threading
import time
import uuid

import httpx
import psycopg
import uvicorn
from sqlalchemy import make_url

from app.auth import service as auth_service
from app.auth.schemas import Role
from app.core import db, migrations
from app.demo.cli import DEMO_PRINCIPAL
from app.demo.service import load_demo
from app.main import create_app
from bench import realistic
from bench.report import Figure, invocation
from bench.report import record as record_figures
from bench.turnaround import server_url

DATABASE = "dimqa_bench_web"
ROUNDS = 30
TARGET_MS = 300.0
PAGES = (
    "/web/hebdomadaire",  # default: the demo year's last week
    "/web/hebdomadaire?week=2022-W23",
    "/web/hebdomadaire/export?week=2022-W23&format=xlsx",
    "/web/delais",  # default: the last three months
    "/web/delais?from=2022-01-01&to=2022-12-31&group_by=service",
    "/web/delais?from=2022-01-01&to=2022-12-31&group_by=unit",
    "/web/anomalies",
    "/web/anomalies?severity=blocking&status=open",
    "/web/activite?from=2022-01-01&to=2022-12-31",
    "/web/integration",
    "/web/trimestre?quarter=2022-Q4",  # the quarterly review: 5 periods in one pass (2 aggregates)
)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def prepare(reuse: bool) -> str:
    server = server_url()
    url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
    if not reuse:
        with psycopg.connect(_libpq(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        migrations.upgrade(url)
        realistic.load(url)
        started = time.perf_counter()
        with db.new_session() as session, session.begin():
            summary = load_demo(session, principal=DEMO_PRINCIPAL)
        print(
            f"demo year loaded: {summary.rss} RSS, {summary.rum} RUM in {time.perf_counter() - started:.0f} s"
        )
    db.configure(url)
    return url


def _token(units: list[str] | None) -> str:
    with db.new_session() as session, session.begin():
        _, secret = auth_service.create_token(
            session, name=f"bench-web-{uuid.uuid4().hex[:6]}", role=Role.ADMIN, units=units
        )
    return secret


def _signed_in(base: str, secret: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    form = client.get("/web/connexion")
    found = CSRF.search(form.text)
    assert found is not None
    answer = client.post("/web/connexion", data={"csrf": found.group(1), "token": secret})
    assert answer.status_code in (200, 303), answer.status_code
    return client


def measure(client: httpx.Client, label: str) -> list[tuple[str, float, float, float]]:
    rows = []
    for page in PAGES:
        times = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            answer = client.get(page)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, (page, answer.status_code)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        rows.append((page, statistics.median(times), p95, times[-1]))
        print(f"{label:12} {page:62} p50 {rows[-1][1]:7.1f} ms  p95 {p95:7.1f} ms  max {times[-1]:7.1f} ms")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reuse", action="store_true", help="measure the database already loaded")
    parser.add_argument("--no-write", action="store_true", help="print, record no figure")
    args = parser.parse_args(argv)
    prepare(args.reuse)
    port = realistic_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.1)
    print(f"bench.web: {realistic.DESCRIPTION}; {realistic.compiled()}; {ROUNDS} requests per page")
    admin = _token(None)
    results = measure(_signed_in(base, admin), "all units")
    # The year's turnaround page is the API's year query: the same query, for comparison.
    api = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {admin}"})
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        api.get("/api/v1/turnaround", params={"from": "2022-01-01", "to": "2022-12-31"}).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(f"{'API':12} {'/api/v1/turnaround (2022, per service)':62} p50 {statistics.median(times):7.1f} ms")
    results += measure(
        _signed_in(base, _token([realistic.RESTRICTED_UNIT])), f"UM {realistic.RESTRICTED_UNIT}"
    )
    server.should_exit = True
    thread.join(timeout=15)
    worst = max(p95 for _page, _p50, p95, _max in results)
    print(
        f"worst p95 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {'met' if worst < TARGET_MS else 'NOT met'}"
    )
    if not args.no_write:
        page = max(results, key=lambda result: result[2])[0]
        data = f"the demo year, {ROUNDS} requests per page, all units and one UM"
        command = invocation("bench.web", argv)
        figure = Figure("bench.web", f"p95 of the slowest page ({page})", f"{worst:.1f} ms",
                        f"< {TARGET_MS:.0f} ms", worst < TARGET_MS, data, command)  # fmt: skip
        record_figures([figure])
    return 0


def realistic_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    raise SystemExit(main())
