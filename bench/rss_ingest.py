"""RUM/RSS ingestion benchmark: parse speed, end-to-end HTTP ingestion speed, server memory.

    .venv/bin/python -m bench.rss_ingest [--rums 200000] [--memory-rums 1000000]

1. A file of N RUM, format 122 (RUM 022 grouped), is generated with the project's writer and cached
   under var/bench/: about 1.1 RUM per RSS, 0-20 DA (mean about 5), 0-6 acts (mean about 2), the demo
   structure's MCO UMs (bench/realistic.py),
   discharges in 2024, 18 % séances (28Z07Z, DP Z511 + DR), chained modes. A pool of RSS is written
   with `write_rum`, then replayed under fresh RSS / stay numbers (the template approach: 1,000,000
   RUM in seconds).
2. Parse only: `iter_rss(iter_records(file))` in this process, and per block in the service's worker
   processes, best of 3 (lines/s).
3. End to end: `dimqa serve` subprocess on a free port with a fresh DIMQA_VAR_DIR (embedded
   PostgreSQL, DIMQA_DEMO=0), ingest and admin tokens from `dimqa token create` on the same var dir,
   the realistic configuration loaded through the API (bench/realistic.py), the file
   POSTed to /api/v1/rum-batches streamed from disk (httpx), timed until the answer (RUM/s); the
   memory of the server and its ingestion workers (PSS) sampled every 0.2 s, and the server's VmHWM.
4. Memory flatness: the same with a file of --memory-rums RUM (0 skips it).
5. Stage breakdown (--no-breakdown skips it): the blocks' Python work (parse, rows, rules, transfers)
   in this process, CPU seconds; then `ingest_rss_file` called in this process as served (workers
   included) on a fresh embedded PostgreSQL, wall time of each stage of the main process.

It prints its full report; the headline figures go to the table of docs/benchmarks.md (bench/report.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.core.config import PROJECT_ROOT
from app.ingestion.records import Act, Rum
from app.ingestion.writer import write_rum
from bench import realistic
from bench.report import Figure, invocation, machine
from bench.report import record as record_figures

SECTION = "## RUM/RSS ingestion"
CACHE = PROJECT_ROOT / "var" / "bench"
GENERATOR_VERSION = 7  # bump when the generated content changes (cache key)
TARGET_PARSE = 100_000  # lines/s
TARGET_END_TO_END = 20_000  # RUM/s
TARGET_MEMORY_MB = 350  # resident, for 1,000,000 RUM
COMMAND = ".venv/bin/python -m bench.rss_ingest --rums 200000 --memory-rums 1000000"

# --- Data -------------------------------------------------------------------------------------------

# (GHM, DP choices, act choices): medical and surgical stays, plausible together (not grouped). The
# codes are valid in the CIM-10 FR / CCAM (no category with children as DP or DA, no deleted act):
# the benchmark runs with the nomenclatures loaded (bench/realistic.py), as a hospital does.
# fmt: off
STAYS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("04M051", ("J189", "J159", "J181"), ("ZBQK002", "GLQP012", "YYYY600")),
    ("04M132", ("J441", "J440"), ("GLQP012", "GLQP008", "ZBQK002")),
    ("05M092", ("I5000", "I5010", "I1100"), ("DEQP003", "DZQM006", "ZBQK002")),
    ("05K101", ("I209", "I2140"), ("DDAF008", "DDQH009", "DEQP003")),
    ("05M042", ("I480", "I481"), ("DEQP003", "DZQM006", "DERP004")),
    ("01M301", ("I639", "I634"), ("ACQK001", "EBQM001", "ACQH003")),
    ("06C041", ("K800", "K802"), ("HMFC004", "ZCQK002")),
    ("06M121", ("K590", "K564", "K529"), ("ZCQK002", "HHQE002", "HEQE002")),
    ("08C241", ("S7200", "S7210"), ("NEKA020", "NBCA006", "ZBQK002")),
    ("11M043", ("N390", "N10"), ("JDQJ001", "ZCQK002")),
    ("09Z02A", ("L031", "L024"), ("QZFA031", "QZJA002")),
    ("10M023", ("E1198", "E1168"), ("DEQP003", "ZBQK002")),
    ("16M111", ("D649", "D62"), ("FELF011",)),
    ("17M061", ("C189", "C349", "C259"), ("ZCQK002", "ZBQK002", "HHFA016")),
    ("18M071", ("A419", "A418"), ("ZBQK002", "EQQP004")),
    ("23M20T", ("R296", "R51", "R529"), ("ZBQK002", "ACQK001")),
    ("21M041", ("T8138", "T810"), ("QZJA002", "ZCQK002")),
    ("03K021", ("H251", "H259"), ("BFGA002",)),
    ("12C041", ("N40",), ("JGFE023",)),
)
COMORBIDITIES = (
    "I10", "E1190", "E785", "I480", "N179", "E440", "E43", "E86", "F419", "F329", "Z940",
    "K219", "D649", "E8718", "E8768", "G309", "I251", "J969", "N183", "E6603", "Z8671", "Z921", "Z864",
    "R262", "F100", "Z590", "E039", "M8199", "G473", "J449", "I701", "B962", "U0712", "Z880",
)
SEANCE_DR = ("C509", "C189", "C349", "C259", "C61", "C679", "C20", "C787", "C795", "C56")
SEANCE_ACTS = ("EBLA003", "ZZQK002")
# fmt: on
# The demo structure's MCO units (bench/realistic.py): known and authorised, as a hospital's own.
UNITS = realistic.UNITS
SEANCE_UNITS = realistic.DAY_UNITS  # day-hospital units
WARD_UNITS = tuple(unit for unit in UNITS if unit not in SEANCE_UNITS)
SEANCE_SHARE = 0.18
DEFECTS = ("", "act_after_exit", "no_dr", "grouping_error", "act_activity_missing", "chaining")
DEFECT_WEIGHTS = (0.94, 0.02, 0.01, 0.01, 0.01, 0.01)
FIRST_RSS = 1_000_001
TEMPLATE_RSS = 8000  # distinct RSS written with write_rum, then replayed under new numbers
RSS_NUMBER = slice(15 + 12, 15 + 32)  # positions 13-32 after the 15-character grouped prefix
STAY_NUMBER = slice(15 + 32, 15 + 52)


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path
    rums: int
    rss: int
    bytes: int


def _ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def _count(rng: random.Random, mean: float, cap: int) -> int:
    """0..cap, skewed like real stays (many small values, a tail): a geometric draw."""
    return min(cap, int(rng.expovariate(1 / mean)))


def _acts(rng: random.Random, codes: tuple[str, ...], n: int, start: date, days: int) -> list[Act]:
    return [
        Act(
            date=_ddmmyyyy(start + timedelta(days=rng.randint(0, days))),
            code=rng.choice(codes),
            phase="0",
            activity="1",
            count="01",
        )
        for _ in range(n)
    ]


# Severity levels 2, 3 and 4 need a stay of at least 3, 4 and 5 days (outside deaths): the grouper
# never gives a higher level to a shorter stay, so a grouped file does not either (rule Q018).
LEVEL_MIN_DAYS = {"2": 3, "3": 4, "4": 5}


def _severity_for(ghm: str, days: int) -> str:
    """`ghm` at the highest severity level its stay's length allows, not above its own."""
    level = ghm[5]
    while level in LEVEL_MIN_DAYS and days < LEVEL_MIN_DAYS[level]:
        level = str(int(level) - 1)
    return ghm[:5] + level


def _template(rng: random.Random) -> list[str]:
    """The lines of one realistic RSS (placeholder RSS / stay numbers, replaced when replayed)."""
    sex = rng.choice("12")
    seance = rng.random() < SEANCE_SHARE
    n_rums = 1 if seance else 1 + (rng.random() < 0.12) + (rng.random() < 0.03) + (rng.random() < 0.01)
    entry = date(2024, 1, 1) + timedelta(days=rng.randrange(335))
    birth = date(rng.randrange(1935, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
    stay_dp: tuple[str, ...]
    acts_pool: tuple[str, ...]
    if seance:
        ghm, dp, dr = "28Z07Z", "Z511", rng.choice(SEANCE_DR)
        if dr == "C61":
            sex = "1"
        elif dr in ("C509", "C56"):
            sex = "2"
        stay_dp, acts_pool, units = (dp,), SEANCE_ACTS, rng.sample(SEANCE_UNITS, 1)
    else:
        ghm, stay_dp, acts_pool = rng.choice(STAYS)
        if ghm == "12C041":
            sex = "1"
        dr, units = "", rng.sample(WARD_UNITS, n_rums)
    # About 6 % of the stays carry one of the defects seen in real files, so that findings are
    # computed and stored as in production (a few per hundred RSS, not thousands).
    defect = rng.choices(DEFECTS, weights=DEFECT_WEIGHTS)[0]
    if defect == "no_dr" and seance:
        dr = ""
    if defect == "grouping_error":
        ghm, return_code = "90Z00Z", "036"
    else:
        return_code = "000"
    lengths = [0 if seance else rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6, 8, 11)) for _ in range(n_rums)]
    if defect != "grouping_error":
        ghm = _severity_for(ghm, sum(lengths))
    lines = []
    day = entry
    for k in range(n_rums):
        first, last = k == 0, k == n_rums - 1
        length = lengths[k]
        exit_day = day + timedelta(days=length)
        n_da = min(2, _count(rng, 1.0, 20)) if seance else _count(rng, 6.8, 20)
        das = rng.sample(COMORBIDITIES, n_da)
        n_acts = rng.randint(0, 1) if seance else _count(rng, 3.0, 6)
        acts = _acts(rng, acts_pool, n_acts, day, length)
        if defect == "act_after_exit" and acts and k == 0:
            acts[0] = replace(acts[0], date=_ddmmyyyy(exit_day + timedelta(days=1)))
        if defect == "act_activity_missing" and acts and k == 0:
            acts[0] = replace(acts[0], activity="")
        rum = Rum(
            version="022",
            grouped=True,
            classification_version="11",
            ghm=ghm,
            return_code=return_code,
            finess="750000001",
            rss_number="0",
            admin_number="0",
            rum_number=str(k + 1),
            birth_date=_ddmmyyyy(birth),
            sex=sex,
            unit=units[k],
            entry_date=_ddmmyyyy(day),
            entry_mode="8" if first else "6",
            provenance=(rng.choice(("", "", "", "5")) if not seance else "") if first else "1",
            exit_date=_ddmmyyyy(exit_day),
            exit_mode=("9" if rng.random() < 0.01 else "8") if last else "6",
            destination="" if last else "1",
            postcode=rng.choice(("75013", "75014", "94200", "92130", "93100")),
            seances="01" if seance else "00",
            dp=stay_dp[0] if seance else rng.choice(stay_dp),
            dr=dr,
            igs2="000" if rng.random() < 0.95 else "035",
            das=das,
            acts=acts,
        )
        lines.append(write_rum(rum))
        day = exit_day
        if defect == "chaining" and not last:
            day += timedelta(days=1)  # the next RUM enters the day after this one's exit
    return lines


def _renumber(line: str, number: int) -> str:
    return f"{line[: RSS_NUMBER.start]}{number:<20d}{2024_0000_0000 + number:<20d}{line[STAY_NUMBER.stop :]}"


def rss_lines(n_rums: int, *, seed: int = 2024) -> Iterator[str]:
    """Lines of a 122 file holding exactly `n_rums` RUM, RSS by RSS, every RSS number new."""
    rng = random.Random(seed)
    templates = [_template(rng) for _ in range(TEMPLATE_RSS)]
    singles = [t for t in templates if len(t) == 1]
    written = 0
    number = FIRST_RSS
    while written < n_rums:
        template = rng.choice(templates)
        if len(template) > n_rums - written:
            template = rng.choice(singles)
        for line in template:
            yield _renumber(line, number)
        written += len(template)
        number += 1


def generate(n_rums: int, *, seed: int = 2024) -> Generated:
    """The cached file of `n_rums` RUM (written once under var/bench/, then reused)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"rss-122-{n_rums}-s{seed}-g{GENERATOR_VERSION}.txt"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        counts = json.loads(meta.read_text())
        if counts.get("bytes") == path.stat().st_size:
            return Generated(path, counts["rums"], counts["rss"], counts["bytes"])
    rums = 0
    numbers: set[str] = set()
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="ascii", newline="\n") as out:
        batch: list[str] = []
        for line in rss_lines(n_rums, seed=seed):
            batch.append(line)
            rums += 1
            numbers.add(line[RSS_NUMBER])
            if len(batch) >= 10_000:
                out.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            out.write("\n".join(batch) + "\n")
    partial.replace(path)
    generated = Generated(path, rums, len(numbers), path.stat().st_size)
    meta.write_text(json.dumps({"rums": rums, "rss": len(numbers), "bytes": generated.bytes}))
    return generated


# --- Parse only ---------------------------------------------------------------------------------------


def measure_parse(path: Path, repeat: int = 3) -> tuple[int, float]:
    """(lines, best seconds of `repeat`) of the parser alone: lines -> RUM records -> RSS groups."""
    from app.ingestion.parser import iter_records, iter_rss

    best = float("inf")
    lines = 0
    for _ in range(repeat):
        lines = 0
        started = time.perf_counter()
        with path.open("rb") as stream:
            for result in iter_rss(iter_records(stream)):
                lines += len(result.lines)
        best = min(best, time.perf_counter() - started)
    return lines, best


def parsed_lines(lines: list[tuple[int, bytes]]) -> int:
    """In a worker: parse a block (records, RSS groups) and count its lines; only the count returns."""
    from app.ingestion.parser import iter_rss, parse_line

    return sum(len(result.lines) for result in iter_rss(parse_line(raw, number) for number, raw in lines))


def measure_parse_in_workers(path: Path, repeat: int = 3) -> tuple[int, float, int]:
    """(lines, best seconds, workers): the file cut into blocks as the service does and parsed by
    its worker processes (the pool started beforehand, as in a server that ingested before)."""
    from app.ingestion import blocks, service, workers

    # By its module's name: the workers do not import `__main__` (app.ingestion.workers).
    parse = importlib.import_module("bench.rss_ingest").parsed_lines
    count = service.worker_count() or 1
    pool = workers.pool(count)
    pool.submit(int, "1").result()
    best, lines = float("inf"), 0
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            with path.open("rb") as stream:
                lines = sum(pool.map(parse, blocks.iter_blocks(stream)))
            best = min(best, time.perf_counter() - started)
    finally:
        workers.shutdown()
    return lines, best, count


# --- CPU accounting -----------------------------------------------------------------------------------
# The machine is shared: wall times move with whatever else runs. CPU seconds of the server process
# and of PostgreSQL, and the CPU the other processes took meanwhile, are recorded with each figure.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def process_cpu(pid: int, *, children: bool = False) -> float:
    """CPU seconds (user + system) of one process, with its reaped children's when asked."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def postgres_cpu(pgdata: Path) -> float:
    """CPU seconds of an embedded PostgreSQL: its postmaster, live children and reaped children."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return 0.0
    total = process_cpu(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[1]) == postmaster:
                total += process_cpu(int(entry.name))
    return total


def machine_busy() -> float:
    """CPU seconds spent busy by the whole machine since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = values
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def wait_for_quiet(max_wait: float, *, cores: float = 0.3, window: float = 3.0) -> float:
    """Wait (up to `max_wait` s) until the rest of the machine uses under `cores` cores; returns the
    last level seen. Other sessions' test runs share this machine and would skew the timings."""
    deadline = time.monotonic() + max_wait
    while True:
        own, busy = sum(os.times()[:2]), machine_busy()
        time.sleep(window)
        level = (machine_busy() - busy - (sum(os.times()[:2]) - own)) / window
        if level < cores or time.monotonic() > deadline:
            return level
        print(f"  machine busy elsewhere ({level:.1f} cores), waiting...", flush=True)


def service_pids(server_pid: int) -> list[int]:
    """The server and its descendants that are not PostgreSQL: the ingestion workers and their
    forkserver (the embedded PostgreSQL is measured on its own)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                parents[int(entry.name)] = int(fields[1])
    found, frontier = [server_pid], [server_pid]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent:
                try:
                    name = Path(f"/proc/{pid}/comm").read_text().strip()
                except OSError:
                    continue
                if name != "postgres":
                    found.append(pid)
                    frontier.append(pid)
    return found


@dataclass(slots=True)
class CpuWindow:
    """CPU seconds spent during one measurement: ours, PostgreSQL's, and everybody else's."""

    server: float = 0.0  # the server process and its ingestion workers
    workers: float = 0.0  # of which the workers (and their forkserver)
    postgres: float = 0.0
    others: float = 0.0
    wall: float = 0.0

    def per_rum(self, rums: int) -> str:
        main = self.server - self.workers
        return (
            f"server {self.server / rums * 1e6:.0f} µs/RUM (main process {main / rums * 1e6:.0f}, "
            f"workers {self.workers / rums * 1e6:.0f}), PostgreSQL {self.postgres / rums * 1e6:.0f} µs/RUM, "
            f"others {self.others / self.wall:.1f} cores"
        )


@contextmanager
def cpu_window(server_pid: int | None, pgdata: Path) -> Iterator[CpuWindow]:
    """Measure the CPU of `server_pid` (None: this process) and of PostgreSQL over the block."""

    root = os.getpid() if server_pid is None else server_pid
    # Workers live as long as their server once started, possibly during the window (first batch).
    before = {pid: process_cpu(pid) for pid in service_pids(root) if pid != root}

    def main_cpu() -> float:
        return sum(os.times()[:2]) if server_pid is None else process_cpu(root)

    window = CpuWindow()
    own = sum(os.times()[:2])
    start = (main_cpu(), postgres_cpu(pgdata), machine_busy(), time.perf_counter())
    try:
        yield window
    finally:
        after = {pid: process_cpu(pid) for pid in service_pids(root) if pid != root}
        window.workers = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
        window.server = main_cpu() - start[0] + window.workers
        window.postgres = postgres_cpu(pgdata) - start[1]
        window.wall = time.perf_counter() - start[3]
        ours = window.server + window.postgres
        if server_pid is not None:
            ours += sum(os.times()[:2]) - own  # the bench client
        window.others = max(0.0, machine_busy() - start[2] - ours)


# --- End to end over HTTP -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return values
    for match in re.finditer(r"^(VmHWM|VmRSS):\s+(\d+) kB", text, re.MULTILINE):
        values[match[1]] = int(match[2])
    return values


def _service_pss_kb(server_pid: int) -> int:
    """Proportional set size of the server and its workers together: each page the forked workers
    share with their forkserver counts once in the sum (their VmRSS would count it per process)."""
    total = 0
    for pid in service_pids(server_pid):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
        total += int(match[1]) if match else 0
    return total


class MemorySampler:
    """Memory of the server and its workers (PSS) every `period` seconds, in a background thread."""

    def __init__(self, pid: int, period: float = 0.2) -> None:
        self.pid = pid
        self.period = period
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - started, _service_pss_kb(self.pid)))
            self._stop.wait(self.period)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_kb(self) -> int:
        return max((kb for _t, kb in self.samples), default=0)


@dataclass(slots=True)
class EndToEnd:
    rums: int
    seconds: float
    status: int
    batch: dict[str, Any]
    idle_kb: int
    sampled_peak_kb: int
    hwm_kb: int
    samples: int
    cpu: CpuWindow

    @property
    def rate(self) -> float:
        return self.rums / self.seconds

    @property
    def peak_mb(self) -> float:
        return max(self.sampled_peak_kb, self.hwm_kb) / 1024


def _dimqa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )


def _file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as body:
        while chunk := body.read(size):
            yield chunk


def measure_end_to_end(generated: Generated, *, quiet_wait: float) -> EndToEnd:
    """POST the file to a fresh `dimqa serve` (new var dir, embedded PostgreSQL) and time the answer."""
    var_dir = Path(tempfile.mkdtemp(prefix="dimqa-bench-rss-var-"))
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update({"DIMQA_VAR_DIR": str(var_dir), "DIMQA_DEMO": "0", "DIMQA_LOG_LEVEL": "WARNING"})
    try:
        # Migrates the fresh database; the server then finds it at head and with a token (no banner).
        created = _dimqa("token", "create", "--name", "bench-ingest", "--role", "ingest", env=env)
        token = created.stdout.strip().splitlines()[-1]
        created = _dimqa("token", "create", "--name", "bench-admin", "--role", "admin", env=env)
        admin = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        port = _free_port()
        log = (var_dir / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=3600) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if server.poll() is not None or time.monotonic() > deadline:
                        detail = (var_dir / "serve.log").read_text()
                        raise RuntimeError(f"dimqa serve did not become ready: {detail}")
                    time.sleep(0.2)
                realistic.configure(client, admin)
                idle = _memory_kb(server.pid)["VmRSS"]
                headers = {
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "text/plain",
                    "Content-Length": str(generated.bytes),
                }
                wait_for_quiet(quiet_wait)
                with MemorySampler(server.pid) as sampler, cpu_window(server.pid, var_dir / "pgdata") as cpu:
                    started = time.perf_counter()
                    body = _file_chunks(generated.path)
                    response = client.post("/api/v1/rum-batches", content=body, headers=headers)
                    seconds = time.perf_counter() - started
                hwm = _memory_kb(server.pid)["VmHWM"]
                batch = response.json()
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
        samples = len(sampler.samples)
        return EndToEnd(
            generated.rums, seconds, response.status_code, batch, idle, sampler.peak_kb, hwm, samples, cpu
        )
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def check_batch(e2e: EndToEnd) -> None:
    if e2e.status != 201:
        raise RuntimeError(f"batch not created: {e2e.status} {str(e2e.batch)[:500]}")
    if e2e.batch.get("rum_accepted") != e2e.rums or e2e.batch.get("status") != "completed":
        raise RuntimeError(f"not every RUM accepted: {str(e2e.batch)[:500]}")


# --- Stage breakdown (in process) ---------------------------------------------------------------------


@dataclass(slots=True)
class Stages:
    seconds: dict[str, float] = field(default_factory=dict)
    cpu: CpuWindow = field(default_factory=CpuWindow)
    findings: int = 0

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def get(self, stage: str) -> float:
        return self.seconds.get(stage, 0.0)


@contextmanager
def _patched(patches: list[tuple[Any, str, Any]]) -> Iterator[None]:
    originals = [(target, name, getattr(target, name)) for target, name, _ in patches]
    for target, name, replacement in patches:
        setattr(target, name, replacement)
    try:
        yield
    finally:
        for target, name, original in reversed(originals):
            setattr(target, name, original)


def _timed(
    stages: Stages, stage: str, function: Callable[..., Any], *, cpu: bool = False
) -> Callable[..., Any]:
    clock = time.process_time if cpu else time.perf_counter

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = clock()
        try:
            return function(*args, **kwargs)
        finally:
            stages.add(stage, clock() - started)

    return wrapper


def measure_block_work(generated: Generated) -> Stages:
    """What a worker does with the file's blocks, in this process, one block after the other, with
    the collector off as in a worker (CPU seconds): parse, rows, rules, and the transfers."""
    import gc
    import pickle

    from app.ingestion import blocks
    from app.ingestion.rows import rows
    from app.rules.engine import RuleContext
    from app.rules.rss_findings import findings_of

    stages = Stages()
    ctx = RuleContext()
    patches = [
        (blocks, "rows", _timed(stages, "rows", rows, cpu=True)),
        (blocks, "findings_of", _timed(stages, "rules", findings_of, cpu=True)),
    ]
    gc.disable()
    try:
        with generated.path.open("rb") as stream, _patched(patches):
            started = time.process_time()
            cut = list(blocks.iter_blocks(stream))
            stages.add("blocks", time.process_time() - started)
            first_id = 1
            for block in cut:
                ids = range(first_id, first_id + len(block))
                first_id += len(block)
                started = time.process_time()
                lines, ids = pickle.loads(pickle.dumps((block, ids), protocol=pickle.HIGHEST_PROTOCOL))
                middle = time.process_time()
                result = blocks.process_block(lines, 1, ctx, ids)
                done = time.process_time()
                pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
                stages.add("transfer", middle - started + time.process_time() - done)
                stages.add("block", done - middle)
    finally:
        gc.enable()
    return stages


def _ingest_once(url: str, pgdata: Path, generated: Generated) -> Stages:
    """One `ingest_rss_file` of the file on the fresh database at `url`, as served (workers
    included); wall time of the main process's stages."""
    from app.auth.schemas import Principal, Role
    from app.core import db, migrations
    from app.ingestion import repository as ingestion_repository
    from app.ingestion import service, workers
    from app.rules import service as rules_service

    migrations.upgrade(url)
    realistic.load(url)
    stages = Stages()
    patches: list[tuple[Any, str, Any]] = [
        (service, "_admit", _timed(stages, "admit", service._admit)),
        (
            ingestion_repository,
            "current_versions",
            _timed(stages, "current", ingestion_repository.current_versions),
        ),
        (
            ingestion_repository,
            "allocate_version_ids",
            _timed(stages, "ids", ingestion_repository.allocate_version_ids),
        ),
        (ingestion_repository, "copy_versions", _timed(stages, "COPY", ingestion_repository.copy_versions)),
        (ingestion_repository, "copy_rums", _timed(stages, "COPY", ingestion_repository.copy_rums)),
        (service, "_write_block", _timed(stages, "store", service._write_block)),
        (
            ingestion_repository,
            "add_batch_activity",
            _timed(stages, "summaries", ingestion_repository.add_batch_activity),
        ),
        (
            ingestion_repository,
            "add_summary_delta",
            _timed(stages, "summaries", ingestion_repository.add_summary_delta),
        ),
        (rules_service, "store_findings", _timed(stages, "findings", rules_service.store_findings)),
    ]
    principal = Principal(name="bench", role=Role.INGEST, units=None)
    count = service.worker_count()
    if count:
        workers.pool(count).submit(int, "1").result()  # started, as in a server that ingested before
    with db.new_session() as session, _patched(patches):
        session.begin()
        with cpu_window(None, pgdata) as cpu:
            started = time.perf_counter()
            with generated.path.open("rb") as stream:
                batch, _created = service.ingest_rss_file(session, stream, principal=principal, source="file")
            committing = time.perf_counter()
            session.commit()
            stages.add("commit", time.perf_counter() - committing)
            stages.add("total", time.perf_counter() - started)
    workers.shutdown()
    stages.cpu = cpu
    if batch.rum_accepted != generated.rums:
        raise RuntimeError(f"breakdown run: {batch.rum_accepted} RUM accepted of {generated.rums}")
    stages.findings = batch.findings.blocking + batch.findings.warning + batch.findings.info
    db.dispose()
    return stages


@dataclass(slots=True)
class Breakdown:
    worker: Stages  # CPU seconds of the block work, in one process
    served: Stages  # wall seconds of the main process, workers running

    def worker_rows(self) -> list[tuple[str, float]]:
        w = self.worker
        rows, rules = w.get("rows"), w.get("rules")
        return [
            ("cut into blocks: read, split lines (main process)", w.get("blocks")),
            ("transfers: pickling lines and results, both ways", w.get("transfer")),
            ("parse: decode, `parse_decoded`, `iter_rss`, content hash", w.get("block") - rows - rules),
            ("rows: COPY text of rss_version and rum", rows),
            ("rules: `findings_of` (`run_rules`)", rules),
        ]

    def served_rows(self) -> list[tuple[str, float]]:
        s = self.served
        copy, current = s.get("COPY"), s.get("current")
        named = [
            ("tally, duplicates (`_admit`)", s.get("admit")),
            ("current versions of the block's RSS (SQL)", current),
            ("COPY rss_version + rum (PostgreSQL)", copy),
            ("version ids for each block before it is sent (SQL)", s.get("ids")),
            ("supersession, the rows to store, format counts", s.get("store") - copy - current),
            ("findings: carry over, COPY", s.get("findings")),
            (
                "activity summaries of the batch: the blocks' deltas upserted (or the SQL pass)",
                s.get("summaries"),
            ),
            ("commit", s.get("commit")),
        ]
        waiting = s.get("total") - sum(seconds for _name, seconds in named)
        return [*named, ("waiting for the workers' next block, batch row, context, audit", waiting)]


def measure_breakdown(generated: Generated, *, quiet_wait: float) -> Breakdown:
    import psycopg
    from sqlalchemy import make_url

    from app.core import embedded_pg

    wait_for_quiet(quiet_wait)
    worker = measure_block_work(generated)
    var_dir = Path(tempfile.mkdtemp(prefix="dimqa-bench-rss-stages-"))
    pgdata = var_dir / "pgdata"
    try:
        server = embedded_pg.start(pgdata)
        libpq = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "served"')
        url = make_url(server).set(database="served").render_as_string(hide_password=False)
        wait_for_quiet(quiet_wait)
        served = _ingest_once(url, pgdata, generated)
        print(f"  in process, as served: {served.get('total'):.1f} s; {served.cpu.per_rum(generated.rums)}")
        return Breakdown(worker, served)
    finally:
        embedded_pg.stop_all()
        shutil.rmtree(var_dir, ignore_errors=True)


# --- Report -------------------------------------------------------------------------------------------


def _e2e_row(generated: Generated, e2e: EndToEnd) -> str:
    findings = e2e.batch.get("findings", {})
    cpu = e2e.cpu
    return (
        f"| {generated.rums:,} | {generated.rss:,} | {generated.bytes / 1e6:.0f} MB "
        f"| **{e2e.rate:,.0f} RUM/s** ({e2e.seconds:.1f} s) "
        f"| {cpu.server / generated.rums * 1e6:.0f} ({(cpu.server - cpu.workers) / generated.rums * 1e6:.0f} "
        f"+ {cpu.workers / generated.rums * 1e6:.0f}) / {cpu.postgres / generated.rums * 1e6:.0f} "
        f"| {cpu.others / cpu.wall:.1f} "
        f"| **{e2e.peak_mb:.0f} MB** ({e2e.sampled_peak_kb / 1024:.0f} / {e2e.hwm_kb / 1024:.0f}) "
        f"| {e2e.idle_kb / 1024:.0f} MB "
        f"| {e2e.batch.get('status')}: {e2e.batch.get('rss_accepted'):,} RSS, "
        f"{e2e.batch.get('rum_accepted'):,} RUM, {e2e.batch.get('rss_rejected')} rejected; findings "
        f"{findings.get('blocking', 0):,} blocking, {findings.get('warning', 0):,} warning, "
        f"{findings.get('info', 0):,} info | {time.strftime('%Y-%m-%d %H:%M')} |"
    )


def _breakdown_lines(base: Generated, breakdown: Breakdown) -> list[str]:
    rums = base.rums
    worker_total = sum(seconds for _name, seconds in breakdown.worker_rows())
    served = breakdown.served
    total = served.get("total")
    lines = [
        f"Stage breakdown on the {rums:,}-RUM file. The Python work of the blocks (as a worker does it, "
        "one block after the other in one process, collector off, CPU seconds):",
        "",
        "| Stage | CPU seconds | µs per RUM | Share |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in breakdown.worker_rows():
        share = seconds / worker_total
        lines.append(f"| {name} | {seconds:.2f} | {seconds / rums * 1e6:.1f} | {share:.0%} |")
    lines += [
        f"| **total** | {worker_total:.2f} | {worker_total / rums * 1e6:.1f} | one core: "
        f"{rums / worker_total:,.0f} RUM/s |",
        "",
        "`ingest_rss_file` called in process as served (fresh database of an embedded PostgreSQL, the "
        "workers started), wall seconds of the main process, which stores the blocks in file order "
        "while the workers process the next ones:",
        "",
        "| Stage | Seconds | µs per RUM | Share |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in breakdown.served_rows():
        lines.append(f"| {name} | {seconds:.2f} | {seconds / rums * 1e6:.1f} | {seconds / total:.0%} |")
    cpu = served.cpu
    lines += [
        f"| **total** | {total:.2f} | {total / rums * 1e6:.1f} | {rums / total:,.0f} RUM/s |",
        "",
        f"CPU as served: main process {(cpu.server - cpu.workers) / rums * 1e6:.0f} µs/RUM, workers "
        f"{cpu.workers / rums * 1e6:.0f} µs/RUM, PostgreSQL {cpu.postgres / rums * 1e6:.0f} µs/RUM, other "
        f"processes {cpu.others / cpu.wall:.1f} cores on average; "
        f"{(cpu.server + cpu.postgres) / rums * 1e6:.0f} µs of CPU per RUM in all, on 2 cores. "
        f"Findings stored: {served.findings:,} "
        f"({served.findings / base.rss:.3f} per RSS).",
        "",
    ]
    return lines


def report(
    base: Generated,
    parse: tuple[int, float],
    parse_workers: tuple[int, float, int],
    runs: list[tuple[Generated, EndToEnd]],
    breakdown: Breakdown | None,
) -> list[str]:
    parse_rate = parse[0] / parse[1]
    workers_rate = parse_workers[0] / parse_workers[1]
    rows = {generated.rums: _e2e_row(generated, e2e) for generated, e2e in runs}
    lines = [
        SECTION,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; the machine is shared with other sessions, "
        "so the CPU the other processes took during each measurement is given (the bench waits up to "
        "5 min for a quiet machine before each one).",
        f"Command: `{COMMAND}` (bench/rss_ingest.py).",
        "",
        f"- Data: generated with the project's writer (`write_rum`), format 122 (RUM 022 grouped), cached "
        f"under var/bench/: {base.rums:,} RUM / {base.rss:,} RSS ({base.rums / base.rss:.2f} RUM per RSS), "
        f"{base.bytes / 1e6:.0f} MB; 0-20 DA (mean about 5), 0-6 acts (mean about 2), the {len(UNITS)} MCO "
        "UMs of the demo structure, discharges in "
        f"2024, {SEANCE_SHARE:.0%} séances (28Z07Z, DP Z511 + DR), chained modes (8, 6-1 ... 6-1, 8 or 9), "
        f"{1 - DEFECT_WEIGHTS[0]:.0%} of the stays with one common defect (act dated after the exit, "
        f"chemotherapy séance without DR, grouping error, act without activity, broken chaining); "
        f"{TEMPLATE_RSS:,} RSS written, then replayed under new RSS and stay numbers. Every RSS is new.",
        "- Parse only: `iter_rss(iter_records(file))` in one process, and the same per block in the "
        "service's worker processes (only line counts travel back), best of 3.",
        "- End to end: `POST /api/v1/rum-batches` (text/plain, streamed from disk with httpx, "
        "Content-Length given) to a `dimqa serve` subprocess with a fresh DIMQA_VAR_DIR (embedded "
        "PostgreSQL, DIMQA_DEMO=0, ingest token from `dimqa token create`), timed until the 201 answer: "
        "upload and spooling, SHA-256, parsing, COPY of rss_version and rum (activity summary triggers "
        "included), rules and findings, commit. In the " + realistic.DESCRIPTION + ": loaded through the "
        "API before the upload, so every rule runs.",
        "- Memory: the server process and its ingestion workers and their forkserver (PostgreSQL's "
        "processes are not counted): their proportional set size (PSS: a page the forked workers share "
        "counts once) summed, sampled every 0.2 s during the request, and the server's own VmHWM at the "
        "end; peak = the larger. Idle = VmRSS of the server before the upload (the workers start with the "
        "first large batch).",
        "- CPU: the server process and its workers, PostgreSQL (postmaster and backends), and whatever "
        "else ran on the machine meanwhile (others).",
        "",
        f"Parse only: **{workers_rate:,.0f} lines/s** as the service parses (the file cut into blocks "
        f"by `iter_blocks`, parsed by its {parse_workers[2]} worker processes); {parse_rate:,.0f} lines/s "
        f"in one process ({parse[0]:,} lines in {parse[1]:.2f} s).",
        "",
        "| RUM | RSS | File | End to end | CPU µs/RUM server (main + workers) / PostgreSQL | Others (cores) "
        "| Peak memory (sampled PSS / server VmHWM) | Idle | Batch | Run |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        *[rows[size] for size in sorted(rows)],
        "",
    ]
    verdicts = [
        f"parse >= {TARGET_PARSE:,} lines/s: {'met' if workers_rate >= TARGET_PARSE else 'MISSED'} "
        f"({'met' if parse_rate >= TARGET_PARSE else 'missed'} in one process)"
    ]
    base_run = next((e2e for generated, e2e in runs if generated.rums == base.rums), None)
    if base_run is not None:
        met = base_run.rate >= TARGET_END_TO_END
        verdicts.append(f"end to end >= {TARGET_END_TO_END:,} RUM/s: {'met' if met else 'MISSED'}")
    memory_run = next((e2e for generated, e2e in runs if generated.rums == 1_000_000), None)
    if memory_run is not None:
        met = memory_run.peak_mb < TARGET_MEMORY_MB
        verdicts.append(f"1,000,000 RUM under {TARGET_MEMORY_MB} MB resident: {'met' if met else 'MISSED'}")
    lines += [f"Targets: {'; '.join(verdicts)}.", ""]
    if breakdown is not None:
        lines += _breakdown_lines(base, breakdown)
    return lines


def figures(
    base: Generated,
    parse_workers: tuple[int, float, int],
    runs: list[tuple[Generated, EndToEnd]],
    command: str,
) -> list[Figure]:
    """The headline figures of docs/benchmarks.md: parsing, each size's rate, the largest's memory."""
    rate = parse_workers[0] / parse_workers[1]
    data = f"{base.rums:,} RUM / {base.rss:,} RSS, {base.bytes / 1e6:.0f} MB"
    found = [
        Figure(
            "bench.rss_ingest", f"parse, {base.rums:,} RUM, in the worker processes", f"{rate:,.0f} lines/s",
            f">= {TARGET_PARSE:,} lines/s", rate >= TARGET_PARSE, data, command,
        )
    ]  # fmt: skip
    for generated, e2e in runs:
        size = f"{generated.rums:,} RUM / {generated.rss:,} RSS, {generated.bytes / 1e6:.0f} MB"
        is_base = generated.rums == base.rums
        found.append(
            Figure(
                "bench.rss_ingest", f"end to end, {generated.rums:,} RUM", f"{e2e.rate:,.0f} RUM/s",
                f">= {TARGET_END_TO_END:,} RUM/s" if is_base else "",
                e2e.rate >= TARGET_END_TO_END if is_base else None, size, command,
            )
        )  # fmt: skip
        if generated.rums == 1_000_000:
            found.append(
                Figure(
                    "bench.rss_ingest", "peak memory, 1,000,000 RUM (PSS server + workers)",
                    f"{e2e.peak_mb:.0f} MB", f"< {TARGET_MEMORY_MB} MB", e2e.peak_mb < TARGET_MEMORY_MB,
                    size, command,
                )
            )  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rums", type=int, default=200_000, help="RUM in the main file (default 200,000)")
    parser.add_argument(
        "--memory-rums", type=int, default=1_000_000, help="RUM in the memory-flatness file (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-breakdown", action="store_true", help="skip the in-process stage breakdown")
    parser.add_argument("--no-write", action="store_true", help="print only, record no figure")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=300,
        help="seconds to wait for a quiet machine before each measure",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    base = generate(args.rums, seed=args.seed)
    print(
        f"data: {base.rums:,} RUM / {base.rss:,} RSS, {base.bytes / 1e6:.0f} MB, {base.path} "
        f"({time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    wait_for_quiet(args.quiet_wait)
    parse = measure_parse(base.path)
    print(f"parse only: {parse[0] / parse[1]:,.0f} lines/s (best of 3: {parse[1]:.2f} s)", flush=True)
    wait_for_quiet(args.quiet_wait)
    parse_workers = measure_parse_in_workers(base.path)
    print(
        f"parse only, {parse_workers[2]} worker processes: "
        f"{parse_workers[0] / parse_workers[1]:,.0f} lines/s "
        f"(best of 3: {parse_workers[1]:.2f} s)",
        flush=True,
    )

    runs: list[tuple[Generated, EndToEnd]] = []
    sizes = [args.rums] + (
        [args.memory_rums] if args.memory_rums > 0 and args.memory_rums != args.rums else []
    )
    for size in sizes:
        generated = base if size == args.rums else generate(size, seed=args.seed)
        e2e = measure_end_to_end(generated, quiet_wait=args.quiet_wait)
        check_batch(e2e)
        runs.append((generated, e2e))
        print(
            f"end to end, {generated.rums:,} RUM ({generated.bytes / 1e6:.0f} MB): {e2e.rate:,.0f} RUM/s "
            f"({e2e.seconds:.1f} s; {e2e.cpu.per_rum(generated.rums)}); server peak {e2e.peak_mb:.0f} MB "
            f"(PSS of server and workers sampled {e2e.sampled_peak_kb / 1024:.0f} MB over {e2e.samples} "
            f"samples, VmHWM "
            f"{e2e.hwm_kb / 1024:.0f} MB, idle {e2e.idle_kb / 1024:.0f} MB); batch {e2e.batch.get('status')} "
            f"{e2e.batch.get('rss_accepted'):,} RSS {e2e.batch.get('rum_accepted'):,} RUM, "
            f"findings {e2e.batch.get('findings')}",
            flush=True,
        )

    breakdown = None
    if not args.no_breakdown:
        breakdown = measure_breakdown(base, quiet_wait=args.quiet_wait)
        for name, seconds in [*breakdown.worker_rows(), *breakdown.served_rows()]:
            print(f"  {name}: {seconds:.2f} s ({seconds / base.rums * 1e6:.1f} µs/RUM)")
    print("\n".join(report(base, parse, parse_workers, runs, breakdown)))
    if not args.no_write:
        record_figures(figures(base, parse_workers, runs, invocation("bench.rss_ingest", argv)))


if __name__ == "__main__":
    main()
