"""Rules micro-benchmark: CPU of `run_rules` per RUM on the ingestion benchmark file, and a findings
fingerprint to prove that an optimisation changes nothing.

    .venv/bin/python -m bench.rules                       # time, best of 3 (µs/RUM per context)
    .venv/bin/python -m bench.rules --save var/rules-ref  # also write the findings of each context
    .venv/bin/python -m bench.rules --check var/rules-ref # ... and compare them byte for byte

The file is the one `bench.rss_ingest` generates and caches (var/bench/rss-122-200000-s2024-g7.txt,
200,000 RUM; run it once with ``--memory-rums 0 --no-breakdown --no-write`` to create it). It is
parsed once; then each context runs the whole `REGISTRY` on every RSS, garbage collector disabled,
timed with `time.process_time`, best of `--repeat` rounds:

* ``bare``: no reference loaded;
* ``nomenclatures``: CIM-10, CCAM and GHM labels from /work/shared/data/nomenclatures (loaded with
  `app.reference.loaders`, mapped as `app.rules.service` maps the database rows), as in production;
* ``full``: the same plus a synthetic structure and fichier d'UM over the file's units (some unknown,
  some refused), so that every rule of the catalogue runs.
* ``realistic``: what ingestion runs in the realistic configuration (bench/realistic.py): the demo
  structure and fichier d'UM, the nomenclature slices of app/demo/data.

`today` is fixed (2025-01-01) so that the findings do not depend on the day of the run. A findings
dump holds one line per finding (rule, severity, RSS, RUM, index, field, value, message) plus the
skipped rules, in run order.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import hashlib
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.core.line_errors import LineError
from app.ingestion.parser import iter_records, iter_rss
from app.ingestion.records import Rss
from app.reference.loaders import read_ccam, read_cim10, read_ghm
from app.rules import catalog  # noqa: F401  (fills the registry `run_rules` runs by default)
from app.rules.engine import AuthorisationHistory, CcamCode, CimCode, RuleContext, UnitPeriods, run_rules
from app.rules.service import _deleted_label
from bench import realistic, rss_ingest
from bench.report import Figure, invocation
from bench.report import record as record_figures

# The ingestion benchmark's 200,000-RUM file (`python -m bench.rss_ingest` writes it).
DEFAULT_FILE = rss_ingest.CACHE / f"rss-122-200000-s2024-g{rss_ingest.GENERATOR_VERSION}.txt"
NOMENCLATURES = Path("/work/shared/data/nomenclatures")
TODAY = date(2025, 1, 1)


def load_rss(path: Path) -> tuple[list[Rss], int]:
    with path.open("rb") as handle:
        stays = [item.rss for item in iter_rss(iter_records(handle)) if item.rss]
    return stays, sum(len(rss.rums) for rss in stays)


def _nomenclatures() -> dict[str, object]:
    cim10 = {
        row.code: CimCode(row.code, row.label, row.type_mco, deleted=_deleted_label(row.label))
        for row in read_cim10(NOMENCLATURES / "cim10_fr_atih_2021.csv.gz")
        if not isinstance(row, LineError)
    }
    ccam = {
        row.code: CcamCode(
            row.code,
            row.label,
            frozenset(row.activities) if row.activities else None,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
        for row in read_ccam(NOMENCLATURES / "ccam_actes.csv")
        if not isinstance(row, LineError)
    }
    ghm = {
        row.ghm: row.label
        for row in read_ghm(NOMENCLATURES / "ghm_regroupement_2024_2025.csv")
        if not isinstance(row, LineError)
    }
    return {"cim10": cim10, "ccam": ccam, "ghm_labels": ghm}


def _structure(stays: list[Rss]) -> dict[str, object]:
    """Every unit of the file but one in ten known; fichier d'UM lines with accepted, closed (88),
    unknown and later-effect types."""
    units = sorted({rum.unit for rss in stays for rum in rss.rums if rum.unit})
    known = {unit: [(None, None)] for i, unit in enumerate(units) if i % 10 != 3}
    lines: list[tuple[str, date, str]] = []
    for i, unit in enumerate(units):
        if i % 7 == 2:
            continue  # no line: refused
        lines.append((unit, date(2020, 1, 1), "88" if i % 11 == 5 else "29" if i % 13 == 4 else "03A"))
        if i % 5 == 1:
            lines.append((unit, date(2024, 7, 1), "07A"))
    return {"units": UnitPeriods(known), "authorisations": AuthorisationHistory(lines)}


def contexts(stays: list[Rss]) -> dict[str, Callable[[], RuleContext]]:
    """Fresh contexts per round (nothing derived is carried over from a previous round)."""
    names = _nomenclatures()
    structure = _structure(stays)
    return {
        "bare": lambda: RuleContext(today=TODAY),
        "nomenclatures": lambda: RuleContext(today=TODAY, **names),  # type: ignore[arg-type]
        "full": lambda: RuleContext(today=TODAY, **names, **structure),  # type: ignore[arg-type]
        # What ingestion runs in the realistic configuration (bench/realistic.py).
        "realistic": lambda: dataclasses.replace(realistic.rule_context(), today=TODAY),
    }


def time_context(stays: list[Rss], make: Callable[[], RuleContext]) -> float:
    ctx = make()
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for rss in stays:
            run_rules(rss, ctx)
        return time.process_time() - start
    finally:
        gc.enable()


def dump(stays: list[Rss], ctx: RuleContext) -> bytes:
    out: list[str] = []
    skipped: set[str] = set()
    for rss in stays:
        findings, skipped = run_rules(rss, ctx)
        for f in findings:
            out.append(
                "\t".join(
                    (
                        f.rule_code,
                        f.severity.value,
                        f.rss_number,
                        f.rum_number,
                        str(f.rum_index),
                        f.field,
                        f.value,
                        f.message,
                    )
                )
            )
    out.append("skipped\t" + ",".join(sorted(skipped)))
    return ("\n".join(out) + "\n").encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--context", action="append", choices=("bare", "nomenclatures", "full", "realistic"))
    parser.add_argument("--save", type=Path, help="write the findings of each context to this directory")
    parser.add_argument("--check", type=Path, help="compare the findings with those saved in this directory")
    parser.add_argument("--no-write", action="store_true", help="print, record no figure")
    args = parser.parse_args(argv)

    stays, rums = load_rss(args.file)
    print(f"{args.file.name}: {len(stays):,} RSS, {rums:,} RUM", flush=True)
    makers = contexts(stays)
    failed = False
    measured: list[Figure] = []
    size = f"{args.file.name}: {len(stays):,} RSS, {rums:,} RUM"
    for name in args.context or list(makers):
        make = makers[name]
        if args.repeat:
            best = min(time_context(stays, make) for _ in range(args.repeat))
            per_rum = best / rums * 1e6
            print(f"{name:14} {per_rum:6.2f} µs/RUM  ({best:.2f} s, best of {args.repeat})", flush=True)
            measure = f"CPU of `run_rules` per RUM, {name} context"
            figure = f"{per_rum:.2f} µs/RUM"
            command = invocation("bench.rules", argv)
            data = f"{size}; best of {args.repeat}"
            measured.append(Figure("bench.rules", measure, figure, data=data, command=command))
        if args.save or args.check:
            findings = dump(stays, make())
            digest = hashlib.sha256(findings).hexdigest()[:16]
            lines = findings.count(b"\n") - 1
            print(f"{name:14} findings: {lines:,} lines, sha256 {digest}")
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{name}.tsv").write_bytes(findings)
            if args.check:
                reference = (args.check / f"{name}.tsv").read_bytes()
                if reference != findings:
                    failed = True
                    print(f"{name:14} FINDINGS DIFFER from {args.check / (name + '.tsv')}", file=sys.stderr)
                else:
                    print(f"{name:14} findings identical to {args.check}")
    if measured and not args.no_write:
        record_figures(measured)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
