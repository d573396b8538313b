"""RUM/RSS ingestion benchmark: parse speed, end-to-end HTTP ingestion speed and server memory.

    /tmp/pv/bin/python -m bench.rss_ingest                  # 200,000 RUM
    /tmp/pv/bin/python -m bench.rss_ingest --rums 1000000   # the memory-flatness run

A file of N RUM (format 122: RUM 022 grouped) is generated with the project's writer: about 1.1
RUM per RSS, 5 DA on average (0 to 20), 2 acts on average, 60 UMs, discharges over 2024, 5 % of
séances. Then:

1. parse only: `iter_rss(iter_records(file))` in this process (lines/s);
2. end to end: a `dimqa serve` subprocess on a free port and a fresh database (embedded PostgreSQL
   under a fresh DIMQA_VAR_DIR, or BENCH_DATABASE_URL's server), the file POSTed to
   /api/v1/rum-batches as a stream; parse + store (COPY) + rules, until the 201 answer (RUM/s);
3. peak resident memory of the server process (VmHWM of /proc/<pid>/status) after the request.

The figures are written into docs/benchmarks.md, section "RUM/RSS ingestion" (other sections are
left alone).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import make_url

from app.core.config import PROJECT_ROOT
from app.ingestion.records import Act, Rum
from app.ingestion.writer import write_rum

RESULTS = PROJECT_ROOT / "docs" / "benchmarks.md"
SECTION = "## RUM/RSS ingestion"
TARGET_PARSE = 100_000  # lines/s
TARGET_END_TO_END = 20_000  # RUM/s
TARGET_MEMORY_MB = 500  # resident, for 1,000,000 RUM

# Plausible codes so that the rules see realistic input (validity is not the point here).
# fmt: off
DIAGNOSES = (
    "I10", "E119", "E785", "I480", "N179", "J189", "J441", "I500", "E440", "E43", "E86", "F419",
    "F329", "R296", "R262", "Z515", "Z9980", "Z940", "K219", "K590", "K800", "N390", "D649", "D62",
    "E871", "E876", "G409", "G309", "I639", "I209", "I251", "J960", "J969", "R51", "R529", "S7200",
    "S720", "C509", "C189", "C349", "C61", "C20", "C679", "C259", "C787", "C795", "Z511", "Z5101",
    "Z452", "Z491", "O800", "O342", "P0710", "Z380", "R18", "T814", "A419", "B962", "U0712",
    "E6600", "E6601",
)
ACTS = (
    "ZBQK002", "YYYY600", "DEQP003", "EBQM001", "HHFA016", "JVJF004", "NEKA020", "QZFA031",
    "ZZQK002", "EQQP004", "GLLD003", "HZHE002", "JKQX001", "ACQK001", "EAQH002", "DZQM006",
    "LHQK001", "NFKA006", "HFFC018", "JDFE002", "YYYY030", "ZCQK002",
)
SEANCE_GHMS = ("28Z07Z", "28Z14Z", "28Z17Z", "28Z04Z")
OTHER_GHMS = (
    "04M051", "04M052", "05M092", "05M093", "06C041", "06M121", "08C241", "08M042", "11M043",
    "14Z13A", "01M301", "23M20T", "04M143", "05K101", "06K04J", "09Z02A", "10M023", "15M05A",
    "16M111", "17M061", "18M071", "21M041", "22Z02Z", "26M021",
)
# fmt: on
UNITS = tuple(f"{1000 + 100 * (i // 10) + i % 10}" for i in range(60))


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path
    rums: int
    rss: int
    bytes: int


def _ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def _das(rng: random.Random) -> list[str]:
    # 0-20, mean about 5: a geometric-like tail, as real stays (many with 1-3, a few with 15+).
    n = min(20, int(rng.expovariate(1 / 5.0)))
    return rng.sample(DIAGNOSES, n)


def _acts(rng: random.Random, day: date) -> list[Act]:
    n = min(15, int(rng.expovariate(1 / 2.0)))
    return [
        Act(
            date=_ddmmyyyy(day),
            code=rng.choice(ACTS),
            extension="-00" if rng.random() < 0.2 else "",
            phase="0",
            activity="1",
            count="01",
        )
        for _ in range(n)
    ]


def rss_lines(n_rums: int, *, seed: int = 2024) -> Iterator[str]:
    """Lines of a 122 file holding exactly `n_rums` RUM, RSS by RSS (about 1.1 RUM per RSS)."""
    rng = random.Random(seed)
    written = 0
    number = 0
    start_of_year = date(2024, 1, 1)
    while written < n_rums:
        number += 1
        seance = rng.random() < 0.05
        n = 1 if seance else min(n_rums - written, 1 + (rng.random() < 0.09) + (rng.random() < 0.01))
        entry = start_of_year + timedelta(days=rng.randrange(360))
        ghm = rng.choice(SEANCE_GHMS) if seance else rng.choice(OTHER_GHMS)
        birth = date(rng.randrange(1930, 2020), rng.randrange(1, 13), rng.randrange(1, 29))
        day = entry
        for k in range(n):
            length = 0 if seance else rng.choice((0, 1, 2, 3, 4, 6, 9))
            exit_day = day + timedelta(days=length)
            first, last = k == 0, k == n - 1
            rum = Rum(
                version="022",
                grouped=True,
                classification_version="11",
                ghm=ghm,
                return_code="000",
                finess="750000001",
                rss_number=str(1_000_000 + number),
                admin_number=f"2024{number:08d}",
                rum_number=str(k + 1),
                birth_date=_ddmmyyyy(birth),
                sex=rng.choice("12"),
                unit=rng.choice(UNITS),
                entry_date=_ddmmyyyy(day),
                entry_mode="8" if first else "6",
                provenance="" if first else "1",
                exit_date=_ddmmyyyy(exit_day),
                exit_mode="8" if last else "6",
                destination="" if last else "1",
                postcode="75013",
                seances="01" if seance else "00",
                dp="Z511" if seance else rng.choice(DIAGNOSES),
                igs2="000",
                das=_das(rng),
                acts=_acts(rng, day),
            )
            yield write_rum(rum)
            written += 1
            day = exit_day


def generate(path: Path, n_rums: int, *, seed: int = 2024) -> Generated:
    rss: set[str] = set()
    count = 0
    with path.open("w", encoding="ascii", newline="\n") as out:
        for line in rss_lines(n_rums, seed=seed):
            out.write(line)
            out.write("\n")
            count += 1
            rss.add(line[27:47])
    return Generated(path, count, len(rss), path.stat().st_size)


# --- Measurements -------------------------------------------------------------------------------------


def measure_parse(path: Path) -> tuple[int, float]:
    """(lines, seconds) of the parser alone: lines -> RUM records -> RSS groups, nothing kept."""
    from app.ingestion.parser import iter_records, iter_rss

    lines = 0
    started = time.perf_counter()
    with path.open("rb") as stream:
        for result in iter_rss(iter_records(stream)):
            lines += len(result.lines)
    return lines, time.perf_counter() - started


def measure_rules(path: Path, limit: int = 200_000) -> tuple[int, float, float]:
    """(RUM, parse seconds, parse + rules seconds) on the first `limit` RUM, in this process, with
    an empty reference context as in the end-to-end run (fresh database): the rules' own cost."""
    from app.ingestion.parser import iter_records, iter_rss
    from app.rules.catalog import REGISTRY
    from app.rules.engine import RuleContext, run_rules

    ctx = RuleContext(cim10=None, ccam=None, ghm_labels=None, units=None, authorisations=None)

    def run(with_rules: bool) -> tuple[int, float]:
        rums = 0
        started = time.perf_counter()
        with path.open("rb") as stream:
            for result in iter_rss(iter_records(stream)):
                if result.rss is not None:
                    if with_rules:
                        run_rules(result.rss, ctx, REGISTRY)
                    rums += len(result.rss.rums)
                if rums >= limit:
                    break
        return rums, time.perf_counter() - started

    run(True)  # warm-up: imports, plans, getter caches
    rums, parse_seconds = run(False)
    _rums, both_seconds = run(True)
    return rums, parse_seconds, both_seconds


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        match = re.match(r"(VmHWM|VmRSS):\s+(\d+) kB", line)
        if match:
            values[match[1]] = int(match[2])
    return values


def _ingest_token(url: str, secret_key: str) -> str:
    from app.auth import service as auth_service
    from app.auth.schemas import Role
    from app.core import db
    from app.core.config import get_settings

    os.environ["DIMQA_SECRET_KEY"] = secret_key
    get_settings.cache_clear()
    db.configure(url)
    with db.new_session() as session, session.begin():
        _row, secret = auth_service.create_token(
            session, name=f"bench-{uuid.uuid4().hex[:8]}", role=Role.INGEST
        )
    db.dispose()
    return secret


@dataclass(slots=True)
class EndToEnd:
    seconds: float
    status: int
    batch: dict[str, object]
    baseline_kb: int
    peak_kb: int


def measure_end_to_end(server_url: str, path: Path) -> EndToEnd:
    """POST the file to a fresh `dimqa serve` (new database on `server_url`) and time the answer."""
    from app.core import migrations

    database = f"dimqa_bench_rss_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    var_dir = Path(tempfile.mkdtemp(prefix="dimqa-bench-var-"))
    # The token is hashed with this key here and checked with it by the server.
    secret_key = uuid.uuid4().hex
    try:
        migrations.upgrade(url)
        token = _ingest_token(url, secret_key)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DIMQA_VAR_DIR": str(var_dir),
            "DIMQA_SECRET_KEY": secret_key,
            "DIMQA_LOG_LEVEL": "WARNING",
            "DIMQA_DEMO": "0",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port), "--no-demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as client:
                for _ in range(300):
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.2)
                else:
                    raise RuntimeError("dimqa serve did not become ready")
                baseline = _memory_kb(server.pid)["VmHWM"]
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
                with path.open("rb") as body:
                    started = time.perf_counter()
                    response = client.post("/api/v1/rum-batches", content=body, headers=headers)
                    seconds = time.perf_counter() - started
                peak = _memory_kb(server.pid)["VmHWM"]
                return EndToEnd(seconds, response.status_code, response.json(), baseline, peak)
        finally:
            server.terminate()
            server.wait(timeout=60)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
        with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def server_url() -> str:
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        from app.core.config import normalize_database_url

        return normalize_database_url(explicit)
    from app.core import embedded_pg

    return embedded_pg.start(PROJECT_ROOT / "var" / "bench-pgdata")


# --- Report -------------------------------------------------------------------------------------------


def _machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=False
        ).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def write_results(lines: list[str]) -> None:
    """Replace (or append) this benchmark's section of docs/benchmarks.md, leaving the others."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    start = text.find(SECTION + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines)
    else:
        following = text.find("\n## ", start + len(SECTION))
        rest = text[following + 1 :] if following != -1 else ""
        text = text[:start] + "\n".join(lines) + ("\n" + rest if rest else "")
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    print(f"results written to {RESULTS}")


TABLE_HEADER = (
    "| RUM (RSS) | File | Parse only | Parse + rules (in process) | End to end over HTTP | "
    "Server peak RSS (VmHWM) | Run |"
)
TABLE_RULE = "|---:|---:|---:|---:|---:|---:|---|"


def _previous_rows() -> dict[int, str]:
    """Rows of the results table already in docs/benchmarks.md, by RUM count (other sizes kept)."""
    if not RESULTS.exists():
        return {}
    text = RESULTS.read_text(encoding="utf-8")
    start = text.find(SECTION + "\n")
    if start == -1:
        return {}
    following = text.find("\n## ", start + len(SECTION))
    section = text[start : following if following != -1 else len(text)]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| ([\d,]+) \(", line)
        if match:
            rows[int(match[1].replace(",", ""))] = line
    return rows


def report(
    generated: Generated, parse: tuple[int, float], rules: tuple[int, float, float], e2e: EndToEnd
) -> None:
    parse_rate = parse[0] / parse[1]
    rules_rums, rules_parse, rules_both = rules
    rules_rate = rules_rums / rules_both
    rules_only = rules_rums / (rules_both - rules_parse)
    e2e_rate = generated.rums / e2e.seconds
    peak_mb = e2e.peak_kb / 1024
    row = (
        f"| {generated.rums:,} ({generated.rss:,}) | {generated.bytes / 1e6:.0f} MB "
        f"| {parse_rate:,.0f} lines/s | {rules_rate:,.0f} RUM/s (rules alone {rules_only:,.0f} RUM/s) "
        f"| {e2e_rate:,.0f} RUM/s ({e2e.seconds:.1f} s) "
        f"| {peak_mb:.0f} MB (idle {e2e.baseline_kb / 1024:.0f} MB) | "
        f"{time.strftime('%Y-%m-%d')} |"
    )
    rows = _previous_rows()
    rows[generated.rums] = row
    lines = [
        SECTION,
        "",
        f"Machine: {_machine()}. Command: `/tmp/pv/bin/python -m bench.rss_ingest [--rums N]` "
        "(bench/rss_ingest.py); each row is the last run of that size.",
        "",
        "- Data: generated with the project's writer, format 122 (RUM 022 grouped), about 1.1 RUM per RSS, "
        "5 DA on average (0-20), 2 acts on average, 60 UMs, discharges in 2024, 5 % séances; every line "
        "valid, every RSS new (no supersession).",
        "- Parse only: `iter_rss(iter_records(file))` in one process (app/ingestion/parser.py).",
        "- Parse + rules: the same plus `run_rules` on every RSS with an empty reference context "
        "(no nomenclature loaded, as in the end-to-end run), on the first 200,000 RUM, after a warm-up.",
        "- End to end: `POST /api/v1/rum-batches` (text/plain, streamed) to a `dimqa serve` subprocess on a "
        "fresh database of the embedded PostgreSQL, until the 201 answer: spooling, parsing, COPY of "
        "rss_version and rum (with the activity summary triggers), rules and findings, commit.",
        "- Memory: VmHWM of the server process from /proc/<pid>/status after the request "
        "(idle = after start-up, before the upload).",
        "",
        TABLE_HEADER,
        TABLE_RULE,
        *[rows[size] for size in sorted(rows)],
        "",
        f"Targets: parse >= {TARGET_PARSE:,} lines/s; end to end >= {TARGET_END_TO_END:,} RUM/s; "
        f"1,000,000 RUM under {TARGET_MEMORY_MB} MB resident.",
        "",
    ]
    print("\n".join(lines[-5 - len(rows) :]))
    write_results(lines)


def main(argv: list[str] | None = None) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rums", type=int, default=200_000, help="RUM in the generated file")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-write", action="store_true", help="print, do not update docs/benchmarks.md")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="dimqa-bench-rss-"))
    try:
        started = time.perf_counter()
        generated = generate(workdir / "bench.rss.txt", args.rums, seed=args.seed)
        print(
            f"generated {generated.rums:,} RUM / {generated.rss:,} RSS "
            f"({generated.bytes / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        parse = measure_parse(generated.path)
        print(f"parse only: {parse[0] / parse[1]:,.0f} lines/s", flush=True)
        rules = measure_rules(generated.path)
        print(f"parse + rules: {rules[0] / rules[2]:,.0f} RUM/s", flush=True)
        try:
            e2e = measure_end_to_end(server_url(), generated.path)
        finally:
            from app.core import embedded_pg

            embedded_pg.stop_all()
        if e2e.status not in (200, 201):
            raise RuntimeError(f"batch refused: {e2e.status} {str(e2e.batch)[:500]}")
        accepted = e2e.batch.get("rum_accepted")
        if accepted != generated.rums:
            raise RuntimeError(f"{accepted} RUM accepted out of {generated.rums}: {str(e2e.batch)[:500]}")
        print(
            f"end to end: {generated.rums / e2e.seconds:,.0f} RUM/s ({e2e.seconds:.1f} s), "
            f"server peak {e2e.peak_kb / 1024:.0f} MB",
            flush=True,
        )
        if args.no_write:
            return
        report(generated, parse, rules, e2e)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
