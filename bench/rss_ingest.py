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
DIAGNOSES = (
    "I10 E119 E785 I480 N179 J189 J441 I500 E440 E43 E86 F419 F329 R296 R262 Z515 Z9980 Z940 "
    "K219 K590 K800 N390 D649 D62 E871 E876 G409 G309 I639 I209 I251 J960 J969 R51 R529 S7200 "
    "S720 C509 C189 C349 C61 C20 C679 C259 C787 C795 Z511 Z5101 Z452 Z491 O800 O342 P0710 "
    "Z380 R18 T814 A419 B962 U0712 E6600 E6601"
).split()
ACTS = (
    "ZBQK002 YYYY600 DEQP003 EBQM001 HHFA016 JVJF004 NEKA020 QZFA031 ZZQK002 EQQP004 GLLD003 "
    "HZHE002 JKQX001 ACQK001 EAQH002 DZQM006 LHQK001 NFKA006 HFFC018 JDFE002 YYYY030 ZCQK002"
).split()
SEANCE_GHMS = ("28Z07Z", "28Z14Z", "28Z17Z", "28Z04Z")
OTHER_GHMS = (
    "04M051 04M052 05M092 05M093 06C041 06M121 08C241 08M042 11M043 14Z13A 01M301 23M20T "
    "04M143 05K101 06K04J 09Z02A 10M023 15M05A 16M111 17M061 18M071 21M041 22Z02Z 26M021"
).split()
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
