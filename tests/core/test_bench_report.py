"""bench/report.py, the one writer of docs/benchmarks.md: a run replaces its own rows of the table of
current figures, keyed by benchmark and measure, and leaves every other row and line as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import report
from bench.report import HEADER, MARKER, Figure

ROOT = Path(__file__).resolve().parents[2]

DOC = "\n".join(
    [
        "# Benchmarks",
        "",
        "Written by hand.",
        "",
        MARKER,
        "",
        *HEADER,
        "| bench.rss_ingest | end to end, 200,000 RUM | 18,602 RUM/s | >= 20,000 RUM/s | **no** | 58 MB "
        "| m | 2026-12-04 09:45 | `old` |",
        "| bench.rss_ingest | peak memory | 256 MB | < 350 MB | yes | 290 MB | m | 2026-12-04 09:45 "
        "| `old` |",
        "| bench.soak | errors | 0 | 0 | yes | 300 s | m | 2026-12-01 20:08 | `old` |",
        "",
        "## History",
        "",
        "| not | this table |",
        "",
    ]
)
FAST = Figure(
    "bench.rss_ingest", "end to end, 200,000 RUM", "21,000 RUM/s", ">= 20,000 RUM/s", True, "58 MB", "c"
)


def test_a_figure_replaces_its_row_in_place_and_leaves_the_rest() -> None:
    updated = report.update(DOC, [FAST], when="2026-12-05 10:00", on="2 cores, CPU")
    row = (
        "| bench.rss_ingest | end to end, 200,000 RUM | 21,000 RUM/s | >= 20,000 RUM/s | yes | 58 MB | "
        "2 cores, CPU | 2026-12-05 10:00 | `c` |"
    )
    before, after = DOC.split("\n"), updated.split("\n")
    changed = [index for index, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert changed == [before.index(MARKER) + 4]
    assert after[changed[0]] == row


def test_a_new_measure_goes_after_its_benchmarks_rows_and_a_new_benchmark_at_the_end() -> None:
    figures = [
        Figure("bench.rss_ingest", "parse", "150,000 lines/s", ">= 100,000 lines/s", True),
        Figure("bench.rules", "CPU per RUM | bare", "8.30 µs/RUM"),
    ]
    updated = report.update(DOC, figures, when="2026-12-05 10:00", on="m")
    rows = [line for line in updated.split("\n") if line.startswith("| bench.")]
    assert [row.split(" | ")[:2] for row in rows] == [
        ["| bench.rss_ingest", "end to end, 200,000 RUM"],
        ["| bench.rss_ingest", "peak memory"],
        ["| bench.rss_ingest", "parse"],
        ["| bench.soak", "errors"],
        ["| bench.rules", "CPU per RUM \\| bare"],  # a pipe in a cell is escaped
    ]
    assert (
        rows[-1] == "| bench.rules | CPU per RUM \\| bare | 8.30 µs/RUM |  |  |  | m | 2026-12-05 10:00 |  |"
    )
    # Recorded again, the escaped row is found by its key, not added twice.
    again = report.update(updated, figures[1:], when="2026-12-06 10:00", on="m")
    assert again.count("CPU per RUM") == 1 and "2026-12-06 10:00" in again


def test_record_writes_the_file_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(DOC, encoding="utf-8")
    monkeypatch.setattr(report, "machine", lambda: "4 cores, Test CPU, Python 3.11")
    report.record([FAST], path, now=datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    assert (
        "| 21,000 RUM/s | >= 20,000 RUM/s | yes | 58 MB | 4 cores, Test CPU, Python 3.11 | 2026-12-05 10:00 |"
        in (path.read_text(encoding="utf-8"))
    )


def test_a_redirected_run_leaves_the_docs_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIMQA_BENCH_RESULTS", str(tmp_path / "copy.md"))
    written = report.record([FAST])
    assert written == tmp_path / "copy.md"
    text = written.read_text(encoding="utf-8")
    assert text.startswith(
        "# Benchmarks\n\n" + MARKER + "\n\n" + "\n".join(HEADER) + "\n| bench.rss_ingest |"
    )


def test_a_table_without_the_expected_header_is_refused() -> None:
    with pytest.raises(ValueError, match="expected header"):
        report.update(f"# B\n\n{MARKER}\n\n| a | b |\n|---|---|\n", [FAST], when="w", on="m")


def test_the_machine_names_its_cores_and_python() -> None:
    import os
    import platform

    assert report.machine().startswith(f"{os.cpu_count()} cores, ")
    assert report.machine().endswith(f", Python {platform.python_version()}")


def test_the_invocation_is_the_command_to_type_again() -> None:
    assert report.invocation("bench.rss_ingest", ["--rums", "2000", "--note", "a b"]) == (
        ".venv/bin/python -m bench.rss_ingest --rums 2000 --note 'a b'"
    )


def test_only_bench_report_writes_the_benchmarks_file() -> None:
    """One writer: the benchmarks hand their figures to bench/report.py, none names the file."""
    naming = [
        path.name
        for path in sorted((ROOT / "bench").glob("*.py"))
        if re.search(r"[\"'/]benchmarks\.md[\"']", path.read_text(encoding="utf-8"))
    ]
    assert naming == ["report.py"]


def test_the_docs_table_is_the_one_the_writer_updates() -> None:
    text = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert report.update(text, [], when="w", on="m") == text
