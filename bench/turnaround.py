"""Turnaround benchmark: a year of a large hospital, ingested through the real service, then the
weekly report and /turnaround timed over HTTP.

    .venv/bin/python -m bench.turnaround                # load (a few minutes) then measure
    .venv/bin/python -m bench.turnaround --reuse        # measure again on the loaded database
    .venv/bin/python -m bench.turnaround --stays 20000 --no-write   # quick run

Data (2022, seeded): 200,000 stays (admission, a transfer for 30 %, discharge; 2.3 movements per
stay), 600,000 document events (a discharge report for 92 % of the stays with realistic delays,
replacements, deletions, imaging and lab reports), and the RSS of 95 % of the stays plus 5,000
RSS-only stays. Movements and documents go through `intake.store_events` in transactions of
10,000 events, chronologically as the HIS would send them, each event stored as it happened
(`recorded_at` no later than its own time; idempotent insert, derived state refresh and commit
included); the RSS and the structure are COPYed (their ingestion is not
measured here).

The database is the embedded server under var/bench-pgdata (or BENCH_DATABASE_URL), database
`dimqa_bench_turnaround`, migrated by the real migrations. The API runs as a `dimqa serve`
subprocess; the weekly report (JSON) and `/turnaround` over a month are called at least 50 times
each; the run's report is printed and its headline figures recorded in the table of
docs/benchmarks.md (bench/report.py).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import cast

import psycopg
from sqlalchemy import make_url

from app.core import db, embedded_pg, migrations
from app.core.clock import HOSPITAL_TZ
from app.core.config import PROJECT_ROOT
from app.turnaround.events import DocumentEvent, StayEvent
from bench import realistic
from bench.report import Figure, invocation, machine
from bench.report import record as record_figures

DATABASE = "dimqa_bench_turnaround"
YEAR = 2022
BATCH = 10_000
TARGET_P95_MS = 100.0
TARGET_EVENTS_PER_SECOND = 10_000
TITLE = "Turnaround"
IN_PROCESS_REQUEST = "turnaround, a month by service"

POLES = [("MED", "Médecine"), ("MEC", "Mère-enfant-chirurgie"), ("SMR", "SMR"), ("URG", "Urgences")]
SERVICES = [(f"S{i:02d}", f"Service {i:02d}", POLES[i % len(POLES)][0]) for i in range(20)]
UNITS = [(f"{7000 + i}", f"UM {7000 + i}", SERVICES[i % len(SERVICES)]) for i in range(60)]
OTHER_DOCUMENT_TYPES = ("18748-4", "11502-2", "11488-4")


# --------------------------------------------------------------------------- data


RssRow = tuple[str, date, date, str, str, date]  # stay, entry, exit, exit UM, care type, reception


@dataclass(frozen=True, slots=True)
class Generated:
    stay_events: list[StayEvent]
    document_events: list[DocumentEvent]
    rss_rows: list[RssRow]


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=HOSPITAL_TZ)


def _report_delay(rng: random.Random) -> int:
    draw = rng.random()
    if draw < 0.25:
        return 0
    if draw < 0.78:
        return rng.randint(1, 8)
    if draw < 0.95:
        return rng.randint(9, 30)
    return rng.randint(31, 90)


def generate(stays: int, document_events: int, rss_only: int, seed: int = 2022) -> Generated:
    rng = random.Random(seed)
    units = [code for code, _label, _service in UNITS]
    weights = [rng.paretovariate(1.5) for _ in units]
    first = date(YEAR, 1, 1)
    moves: list[StayEvent] = []
    documents: list[DocumentEvent] = []
    others: list[tuple[str, date]] = []
    rss_rows: list[RssRow] = []
    for n in range(stays):
        stay = f"22{n:07d}"
        discharge_day = first + timedelta(days=rng.randrange(365))
        seance = rng.random() < 0.18
        length = 0 if seance or rng.random() < 0.27 else rng.randint(1, 15)
        admitted_day = discharge_day - timedelta(days=length)
        unit = rng.choices(units, weights)[0]
        moves.append(
            StayEvent(
                f"A{stay}",
                "admit",
                stay,
                unit,
                _at(admitted_day, rng.randint(7, 11), rng.randrange(60)),
                "json",
                "R" if seance else "I",
            )
        )
        if length and rng.random() < 0.3:
            unit = rng.choices(units, weights)[0]
            middle = admitted_day + timedelta(days=rng.randint(0, length))
            moves.append(
                StayEvent(f"T{stay}", "transfer", stay, unit, _at(middle, 12, rng.randrange(60)), "json")
            )
        discharged = _at(discharge_day, rng.randint(13, 20), rng.randrange(60))
        moves.append(StayEvent(f"D{stay}", "discharge", stay, None, discharged, "json"))
        if rng.random() < 0.95:
            care_type = "seance" if seance else ("zero_day" if length == 0 else "complete")
            received = discharge_day + timedelta(days=rng.randint(10, 40))
            rss_rows.append((stay, admitted_day, discharge_day, unit, care_type, received))
        if rng.random() < 0.92:
            received_day = discharge_day + timedelta(days=_report_delay(rng))
            received = _at(received_day, rng.randint(8, 19), rng.randrange(60))
            report = f"CRH-{stay}"
            documents.append(
                DocumentEvent(f"N{stay}", stay, report, "11490-0", "new", received, unit, "json")
            )
            if rng.random() < 0.35:
                later = received + timedelta(hours=rng.randint(1, 240))
                documents.append(
                    DocumentEvent(
                        f"R{stay}", stay, f"{report}-2", "11490-0", "replace", later, unit, "json", report
                    )
                )
            elif rng.random() < 0.03:
                later = received + timedelta(hours=rng.randint(1, 48))
                documents.append(
                    DocumentEvent(f"X{stay}", stay, report, "11490-0", "delete", later, unit, "json")
                )
        others.append((stay, discharge_day))
    for n in range(rss_only):
        stay = f"29{n:07d}"
        exit_day = first + timedelta(days=rng.randrange(365))
        rss_rows.append(
            (
                stay,
                exit_day,
                exit_day,
                rng.choices(units, weights)[0],
                "complete",
                exit_day + timedelta(days=20),
            )
        )
    number = 0
    while len(documents) < document_events:
        stay, discharge_day = rng.choice(others)
        number += 1
        received = _at(
            discharge_day + timedelta(days=rng.randint(-5, 20)), rng.randint(0, 23), rng.randrange(60)
        )
        documents.append(
            DocumentEvent(
                f"O{number}",
                stay,
                f"DOC{number}",
                rng.choice(OTHER_DOCUMENT_TYPES),
                "new",
                received,
                None,
                "json",
            )
        )
    # Chronological, as the HIS would send them.
    moves.sort(key=lambda event: event.occurred_at)
    documents.sort(key=lambda event: event.received_at)
    return Generated(moves, documents[:document_events], rss_rows)


# --------------------------------------------------------------------------- database


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def server_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    return embedded_pg.start(PROJECT_ROOT / "var" / "bench-pgdata")


def database_url(server: str) -> str:
    return make_url(server).set(database=DATABASE).render_as_string(hide_password=False)


def _setup(url: str, rss_rows: Sequence[RssRow]) -> None:
    """Structure and RSS by COPY (not measured: their ingestion has its own code and benchmark)."""
    with psycopg.connect(_libpq(url)) as conn, conn.cursor() as cur:
        cur.executemany("INSERT INTO structure_pole (code, label) VALUES (%s, %s)", POLES)
        cur.executemany(
            "INSERT INTO structure_service (code, label, pole_code) VALUES (%s, %s, %s)", SERVICES
        )
        cur.executemany(
            "INSERT INTO structure_unit (code, label, pole_code, service_code, valid_from) "
            "VALUES (%s, %s, %s, %s, '1900-01-01')",
            [(code, label, service[2], service[0]) for code, label, service in UNITS],
        )
        cur.executemany(
            "INSERT INTO rum_batch (id, content_sha256, source, token_name, status, lines, rss_accepted, "
            "rum_accepted, rss_rejected, lines_rejected, formats, errors, findings, skipped_rules) "
            "VALUES (%s, %s, 'demo', 'bench', 'accepted', 0, 0, 0, 0, 0, '{}', '[]', '{}', '{}')",
            [(month, f"{month:064x}") for month in range(1, 13)],
        )
        columns = (
            "rss_number, batch_id, received_at, is_current, content_hash, finess, stay_number, format, "
            "entry_date, exit_date, care_type, seances, rum_count, exit_unit"
        )
        with cur.copy(f"COPY rss_version ({columns}) FROM STDIN") as copy:
            for index, (stay, entry, exit_day, unit, care_type, received) in enumerate(rss_rows):
                copy.write_row(
                    (
                        f"{index + 1:09d}",
                        exit_day.month,
                        _at(received, 6, 0),
                        True,
                        f"{index:064x}",
                        "750000001",
                        stay,
                        "022",
                        entry,
                        exit_day,
                        care_type,
                        1 if care_type == "seance" else 0,
                        1,
                        unit,
                    )
                )
        conn.commit()


def _ingest(url: str, kind: str, events: Sequence[StayEvent | DocumentEvent]) -> float:
    """Store `events` through the service in transactions of BATCH events; returns the seconds."""
    from app.turnaround import intake

    db.configure(url)
    started = time.perf_counter()
    for start in range(0, len(events), BATCH):
        batch = events[start : start + BATCH]
        # Stored as they happened, as a live feed does within minutes: every event is known from
        # its own time (the data is of 2022, loaded today). A batch here spans weeks of the year,
        # so dating it by its last event would hold its other events back for weeks, turning
        # the month's stays into RSS-only ones no live feed would produce.
        recorded = min(e.occurred_at if isinstance(e, StayEvent) else e.received_at for e in batch)
        with db.new_session() as session, session.begin():
            outcome = intake.store_events(session, kind, batch, recorded_at=recorded)  # type: ignore[arg-type]
            if outcome.conflicts:
                raise RuntimeError(f"unexpected conflicts: {outcome.conflicts[:3]}")
    elapsed = time.perf_counter() - started
    db.dispose()
    return elapsed


def load(server: str, stays: int, document_events: int) -> tuple[str, dict[str, object]]:
    with psycopg.connect(_libpq(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(server)
    migrations.upgrade(url)
    data = generate(stays, document_events, rss_only=max(stays // 40, 1))
    # The million generated events are the harness's, not the service's: without this every full
    # garbage collection during ingestion would walk them, which a server process never does.
    gc.freeze()
    _setup(url, data.rss_rows)
    realistic.load_nomenclatures(url)  # its own structure: the stays are in its own UMs
    facts: dict[str, object] = {}
    stay_seconds = _ingest(url, "stay", data.stay_events)
    print(
        f"stay events: {len(data.stay_events):,} in {stay_seconds:.1f}s "
        f"({len(data.stay_events) / stay_seconds:,.0f}/s)",
        flush=True,
    )
    document_seconds = _ingest(url, "document", data.document_events)
    print(
        f"document events: {len(data.document_events):,} in {document_seconds:.1f}s "
        f"({len(data.document_events) / document_seconds:,.0f}/s)",
        flush=True,
    )
    # Re-sending a batch that is already stored: the idempotent path.
    resend = data.document_events[:BATCH]
    resend_seconds = _ingest(url, "document", resend)
    facts["ingest"] = {
        "stay": (len(data.stay_events), stay_seconds),
        "document": (len(data.document_events), document_seconds),
        "resend": (len(resend), resend_seconds),
        "rss": len(data.rss_rows),
    }
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url, facts


# --------------------------------------------------------------------------- HTTP measurement


def _token(url: str, role: str, units: list[str] | None = None) -> str:
    from app.auth import service as auth_service
    from app.auth.schemas import Role

    db.configure(url)
    with db.new_session() as session, session.begin():
        name = f"bench-{role}-{time.time_ns()}"
        _row, secret = auth_service.create_token(session, name=name, role=Role(role), units=units)
    db.dispose()
    return secret


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _requests(count: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(name, path, params) cycling over the weeks and months of the year; as_of fixed per period."""
    weeks = [f"{YEAR}-W{n:02d}" for n in range(1, 52)]
    months = [
        (date(YEAR, m, 1), (date(YEAR, m + 1, 1) if m < 12 else date(YEAR + 1, 1, 1)) - timedelta(days=1))
        for m in range(1, 13)
    ]
    variants: list[tuple[str, str, list[dict[str, str]]]] = [
        (
            "weekly report (json)",
            "/api/v1/reports/weekly-turnaround",
            [
                {
                    "week": w,
                    "as_of": (date.fromisocalendar(YEAR, int(w[-2:]), 7) + timedelta(days=10)).isoformat(),
                }
                for w in weeks
            ],
        ),
        (
            "turnaround, a month by service",
            "/api/v1/turnaround",
            [
                {"from": a.isoformat(), "to": b.isoformat(), "as_of": (b + timedelta(days=10)).isoformat()}
                for a, b in months
            ],
        ),
        (
            "turnaround, a month by unit",
            "/api/v1/turnaround",
            [{"from": a.isoformat(), "to": b.isoformat(), "group_by": "unit"} for a, b in months],
        ),
        (
            "weekly report (xlsx)",
            "/api/v1/reports/weekly-turnaround",
            [{"week": w, "format": "xlsx"} for w in weeks],
        ),
    ]
    for name, path, params in variants:
        for index in range(count):
            yield name, path, params[index % len(params)]


def in_process_month(params: dict[str, str], authorization: str) -> float:
    """Milliseconds of the month query `params` done in process as the route does it (session
    from the pool, token check, `reports.turnaround`, its JSON, commit): the database and service
    cost without HTTP, uvicorn and FastAPI. The caller has configured `db` on the database."""
    from app.auth import service as auth_service
    from app.turnaround import reports
    from app.turnaround.schemas import GroupBy

    started = time.perf_counter()
    with db.new_session() as session:
        principal = auth_service.authenticate(session, authorization=authorization)
        figures = reports.turnaround(
            session,
            principal,
            reports.PeriodScope(
                date.fromisoformat(params["from"]),
                date.fromisoformat(params["to"]),
                as_of=date.fromisoformat(params["as_of"]) if "as_of" in params else None,
            ),
            group_by=GroupBy(params.get("group_by", "service")),
        )
        figures.model_dump_json(by_alias=True)
        session.commit()
    return (time.perf_counter() - started) * 1000


def measure(url: str, requests: int) -> tuple[list[tuple[str, float, float, float]], dict[str, object]]:
    facts: dict[str, object] = {}
    with realistic.served(url, "--no-demo") as client:
        headers = {"Authorization": f"Bearer {_token(url, 'reader')}"}
        db.configure(url)
        timings: dict[str, list[float]] = {}
        # Each month by service over HTTP is followed by the same month in process, so both
        # figures come from the same minutes of this shared machine (measured one after the
        # other, minutes apart, they once differed by 30 ms, mostly the machine's drift).
        in_process: list[float] = []
        warmed: set[str] = set()
        for name, path, params in _requests(requests):
            elapsed = realistic.timed_get(client, path, params, headers, warm=name not in warmed)
            warmed.add(name)
            timings.setdefault(name, []).append(elapsed)
            if name == IN_PROCESS_REQUEST:
                in_process.append(in_process_month(params, headers["Authorization"]))
        db.dispose()
        facts["in_process"] = (statistics.median(in_process), _percentile(in_process, 0.95))
        results = [
            (name, statistics.median(values), _percentile(values, 0.95), max(values))
            for name, values in timings.items()
        ]
        for name, p50, p95, high in results:
            print(f"{name:34} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {high:6.1f} ms", flush=True)
        month = client.get(
            "/api/v1/turnaround",
            params={"from": f"{YEAR}-03-01", "to": f"{YEAR}-03-31", "as_of": f"{YEAR}-04-10"},
            headers=headers,
        ).json()
        facts["march"] = month["total"]
        start = time.perf_counter()
        scrape = client.get("/metrics", headers=headers)
        facts["metrics_ms"] = (time.perf_counter() - start) * 1000
        scrape.raise_for_status()
    return results, facts


def _shared_buffers(url: str) -> str:
    with psycopg.connect(_libpq(url)) as conn:
        return str(conn.execute("SHOW shared_buffers").fetchone()[0])  # type: ignore[index]


def _sizes(url: str) -> dict[str, int]:
    with psycopg.connect(_libpq(url)) as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in (
                "stay_event",
                "document_event",
                "stay",
                "stay_discharge_period",
                "document_period",
                "rss_version",
            )
        }


def report(
    results: list[tuple[str, float, float, float]],
    facts: dict[str, object],
    sizes: dict[str, int],
    requests: int,
) -> list[str]:
    ingest = facts.get("ingest")
    ok = all(p95 <= TARGET_P95_MS for _name, _p50, p95, _max in results)
    in_process: tuple[float, float] = facts.get("in_process", (0.0, 0.0))  # type: ignore[assignment]
    in_p50, in_p95 = in_process
    lines = [
        TITLE,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {machine()}, PostgreSQL on the same machine "
        f"(shared_buffers {facts.get('shared_buffers', '?')}), "
        "`.venv/bin/python -m bench.turnaround` (bench/turnaround.py). Load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work shared the machine when above ~1).",
        "",
        f"- Data ({YEAR}): {sizes['stay']:,} stays from {sizes['stay_event']:,} movements, "
        f"{sizes['document_event']:,} document events ({sizes['document_period']:,} document periods), "
        f"{sizes['rss_version']:,} current RSS (COPY: 95 % of the stays, plus RSS-only stays), "
        "60 UMs in 20 services.",
    ]
    if isinstance(ingest, dict):
        stay_n, stay_s = ingest["stay"]
        doc_n, doc_s = ingest["document"]
        resend_n, resend_s = ingest["resend"]
        total_rate = (stay_n + doc_n) / (stay_s + doc_s)
        verdict = "met" if total_rate >= TARGET_EVENTS_PER_SECOND else "NOT met"
        lines += [
            f"- Ingestion through `intake.store_events`, transactions of {BATCH:,} events, chronological: "
            f"movements {stay_n:,} in {stay_s:.1f} s ({stay_n / stay_s:,.0f}/s), documents {doc_n:,} in "
            f"{doc_s:.1f} s ({doc_n / doc_s:,.0f}/s), overall {total_rate:,.0f} events/s "
            f"(target >= {TARGET_EVENTS_PER_SECOND:,}: {verdict}); re-sending {resend_n:,} stored events "
            f"(all duplicates) {resend_s:.2f} s. Each batch includes the idempotent insert, the refresh "
            "of the derived stay/document periods of its stays and the commit.",
        ]
    else:
        lines.append("- Ingestion: reused database (not measured in this run).")
    march: dict[str, int] = facts.get("march", {})  # type: ignore[assignment]
    lines += [
        f"- Each query: 5 warm-up then {requests} sequential requests over HTTP (httpx) to a `dimqa serve` "
        "subprocess, reader token, cycling over the 51 weeks or 12 months of the year. For scale, "
        f"March {YEAR} as of April 10: {march.get('stays', 0):,} stays in scope, "
        f"{march.get('on_time_j8', 0):,} reports within 8 days, {march.get('missing', 0):,} missing.",
        "",
        "| Request | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---:|---:|---:|",
        *[f"| {name} | {p50:.1f} | {p95:.1f} | {high:.1f} |" for name, p50, p95, high in results],
        "",
        f"Target p95 <= {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'}. The same months by service "
        "done in process right after each of their HTTP requests (session from the pool, token check, "
        f"`reports.turnaround` and its JSON, commit; no HTTP, uvicorn or FastAPI): p50 {in_p50:.1f} ms, "
        f"p95 {in_p95:.1f} ms. A `/metrics` scrape refreshing the turnaround gauges took "
        f"{facts.get('metrics_ms', 0):.0f} ms (then cached for 5 minutes).",
        "",
        "How: under the derivation lock, a batch's stored keys are looked up and its new events COPYed "
        "(binary format) straight into their table; the touched stays' stored events are read first "
        "and replayed with the new ones in Python while PostgreSQL inserts them, into `stay`, "
        "`stay_discharge_period` and `document_period` (written with COPY; "
        "document periods by difference), each discharge period keeping a copy of its stay's report "
        "periods (rebuilt in SQL from the document periods when a document batch changes them). A stay "
        "whose new document events only add documents of one version that nothing else names gets "
        "their periods added without the replay. Queries never "
        "replay events: one statement reads the month's discharge periods (one index range scan), the "
        "current RSS exiting around the period (one index-only range scan), pairs them with a hash full "
        "join, maps UMs through the structure valid on the discharge date and aggregates with FILTER / "
        "percentile_cont / percentile_disc / GROUPING SETS. See docs/turnaround.md.",
        "",
    ]
    return lines


def figures(
    results: list[tuple[str, float, float, float]],
    facts: dict[str, object],
    sizes: dict[str, int],
    command: str,
) -> list[Figure]:
    """Event ingestion (when this run loaded) and the slowest query's p95, against their targets."""
    data = f"{sizes['stay']:,} stays, {sizes['stay_event']:,} movements, "
    data += f"{sizes['document_event']:,} document events"
    found = []
    ingest = facts.get("ingest")
    if isinstance(ingest, dict):
        (stay_n, stay_s), (doc_n, doc_s) = ingest["stay"], ingest["document"]
        rate = (stay_n + doc_n) / (stay_s + doc_s)
        found.append(
            Figure(
                "bench.turnaround", "event ingestion (movements and documents)", f"{rate:,.0f} events/s",
                f">= {TARGET_EVENTS_PER_SECOND:,} events/s", rate >= TARGET_EVENTS_PER_SECOND, data, command,
            )
        )  # fmt: skip
    name, _p50, p95, _max = max(results, key=lambda result: result[2])
    found.append(
        Figure(
            "bench.turnaround", f"p95 of the slowest query ({name})", f"{p95:.1f} ms",
            f"<= {TARGET_P95_MS:.0f} ms", p95 <= TARGET_P95_MS, data, command,
        )
    )  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stays", type=int, default=200_000)
    parser.add_argument("--documents", type=int, default=600_000, help="document events")
    parser.add_argument("--requests", type=int, default=60, help="measured requests per query (>= 50)")
    parser.add_argument("--reuse", action="store_true", help="measure on the already loaded database")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print, record no figure")
    args = parser.parse_args(argv)
    server = server_url()
    try:
        facts: dict[str, object] = {}
        if args.reuse:
            url = database_url(server)
            migrations.upgrade(url)
        else:
            url, facts = load(server, args.stays, args.documents)
        if args.load_only:
            print(url)
            return
        results, measured = measure(url, max(args.requests, 50))
        facts.update(measured)
        in_p50, in_p95 = cast(tuple[float, float], facts["in_process"])
        print(f"turnaround, a month, in process   p50 {in_p50:6.1f} ms  p95 {in_p95:6.1f} ms")
        facts["shared_buffers"] = _shared_buffers(url)
        print(f"shared_buffers {facts['shared_buffers']}")
        sizes = _sizes(url)
        print("\n".join(report(results, facts, sizes, max(args.requests, 50))))
        if not args.no_write:
            record_figures(figures(results, facts, sizes, invocation("bench.turnaround", argv)))
    finally:
        embedded_pg.stop_all()


if __name__ == "__main__":
    main()
