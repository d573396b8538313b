"""The one writer of docs/benchmarks.md: each benchmark records its figures into the table of current
figures, one row per (benchmark, measure), replaced in place; everything else in that file is
written by hand (method, history).

    report.record([Figure("bench.rss_ingest", "end to end, 200,000 RUM", "18,602 RUM/s", ...)])

`DIMQA_BENCH_RESULTS=/tmp/copy.md` sends the rows to another file (a trial run must not
overwrite the measured figures).
"""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from app.core.config import PROJECT_ROOT

RESULTS: Final = PROJECT_ROOT / "docs" / "benchmarks.md"
# The table follows this line; the writer finds it by it.
MARKER: Final = "<!-- Current figures: rows written by bench/report.py, one per benchmark and measure. -->"
HEADER: Final = (
    "| Benchmark | Measure | Figure | Target | Met | Data | Machine | Date (UTC) | Command |",
    "|---|---|---:|---|---|---|---|---|---|",
)


@dataclass(frozen=True, slots=True)
class Figure:
    benchmark: str  # "bench.rss_ingest": with `measure`, the row's key
    measure: str  # "end to end, 200,000 RUM"
    value: str  # "18,602 RUM/s"
    target: str = ""  # ">= 20,000 RUM/s", "" when the issue sets none
    met: bool | None = None
    data: str = ""  # the size of what was measured
    command: str = ""


def invocation(module: str, argv: Sequence[str] | None) -> str:
    """The command that ran the benchmark, as one would type it again."""
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join([".venv/bin/python -m", module, *map(shlex.quote, args)])


def machine() -> str:
    """Cores, CPU model and Python: enough to tell runs of two machines apart."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def results_path() -> Path:
    override = os.environ.get("DIMQA_BENCH_RESULTS")
    return Path(override) if override else RESULTS


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip()[1:-1])]


def render(figure: Figure, *, when: str, on: str) -> str:
    met = {True: "yes", False: "**no**", None: ""}[figure.met]
    command = f"`{figure.command}`" if figure.command else ""
    cells = [figure.benchmark, figure.measure, figure.value, figure.target, met, figure.data]
    cells += [on, when, command]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def update(text: str, figures: Sequence[Figure], *, when: str, on: str) -> str:
    """`text` with each figure's row replaced (same benchmark and measure) or added after the last
    row of its benchmark (at the table's end for a new benchmark); other rows and text unchanged."""
    lines = text.split("\n")
    if MARKER not in lines:
        lines[len(lines) - (lines[-1] == "") :] = ["", MARKER, "", *HEADER, ""]
    start = lines.index(MARKER) + 1
    while start < len(lines) and not lines[start].startswith("|"):
        start += 1
    if lines[start : start + 2] != list(HEADER):
        raise ValueError(f"the table after {MARKER!r} does not have the expected header")
    end = start + 2
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    rows = lines[start + 2 : end]
    for figure in figures:
        key = [_cell(figure.benchmark), _cell(figure.measure)]  # as written in the table
        row = render(figure, when=when, on=on)
        keys = [_cells(existing)[:2] for existing in rows]
        if key in keys:
            rows[keys.index(key)] = row
            continue
        same = [index for index, found in enumerate(keys) if found[0] == key[0]]
        rows.insert(same[-1] + 1 if same else len(rows), row)
    lines[start + 2 : end] = rows
    return "\n".join(lines)


def record(figures: Sequence[Figure], path: Path | None = None, *, now: datetime | None = None) -> Path:
    """Write the figures' rows into the results file (docs/benchmarks.md unless redirected)."""
    target = path or results_path()
    text = target.read_text(encoding="utf-8") if target.exists() else "# Benchmarks\n"
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")
    target.write_text(update(text, figures, when=when, on=machine()), encoding="utf-8")
    print(f"{len(figures)} figure(s) recorded in {target}")
    return target
