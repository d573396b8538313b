"""What the compiled modules produce on a varied RUM file, as one digest, compiled or interpreted.

    python -m tests.core.native_probe [--interpreted] [SAMPLE ...]

`--interpreted` imports every module of app.core.compiled.COMPILED_MODULES from its source, past its
extension, so tests/core/test_native.py can compare both in separate processes.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import io
import sys
from collections.abc import Sequence
from datetime import date
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType


class _SourceFirst(importlib.abc.MetaPathFinder):
    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.modules.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


def _lines(samples: Sequence[Path]) -> bytes:
    from bench.rss_ingest import rss_lines

    generated = list(rss_lines(3000, seed=7))
    broken = [
        generated[0][:150],  # truncated
        generated[1][:9] + "999" + generated[1][12:],  # unknown format
        generated[2][: 118 + 24] + "x1" + generated[2][120 + 24 :],  # counter not numeric (grouped)
        generated[3].replace(" ", "\t", 1),  # control character
    ]
    body = "\n".join(generated[4:] + broken).encode() + b"\n"
    rss_samples = [path for path in samples if path.suffix != ".zip"]
    return body + b"".join(path.read_bytes().rstrip(b"\r\n") + b"\n" for path in rss_samples)


def rsa_digest(samples: Sequence[Path]) -> str:
    """The RSA reader (app.medeco.rsa_reader) on every RSA version, broken lines, both TRA forms and
    the grouper archives among `samples`: its rows, errors and counts."""
    from app.medeco.rsa_layouts import RSA_VERSIONS
    from app.medeco.rsa_parser import read_archive
    from app.medeco.rsa_reader import copy_chunks, read_delivery
    from tests.medeco.builders import rsa_line, tra_csv, tra_fixed

    lines = [
        rsa_line(version, index=index, ghm="28Z07Z" if index % 3 else "04M143", los=index % 40,
                 exh_days=index % 5, exb_type=str(index % 3), exb_days=index % 2, ghs_minore=index % 4 == 0,
                 supplements={"sup_rea": index % 3, "sup_nn1": index % 2},
                 radiotherapy={"9610": 2, "9611": 1} if index % 5 == 0 else None,
                 n_da=index % 4, n_za=index % 3, n_ag=index % 2 if version >= "219" else 0)
        for index, version in enumerate(RSA_VERSIONS * 5, start=1)
    ]  # fmt: skip
    lines[3] = lines[3][:100]  # shorter than its fixed part
    lines[4] = lines[4][:9] + "999" + lines[4][12:]  # unknown format
    lines[5] = lines[5][:70] + "00x4" + lines[5][74:]  # los not numeric
    lines[6] = lines[6] + "J189  "  # longer than its counters say
    lines[7] = lines[7].replace("910019447", "9100\\9\t7", 1)  # escaped in COPY
    lines[8] = lines[8][:12] + lines[7][12:22] + lines[8][22:]  # a duplicate index
    links = [(index, f"R{index % 55}", f"S\\{index}") for index in range(1, len(lines) + 1) if index != 10]
    deliveries = [
        (
            "\r\n".join(lines).encode("latin-1"),
            tra_csv(*links[:30]) + b"oops\n" + tra_fixed(*links[30:]),
            2024,
        ),
        ("\n".join(lines[:12]).encode(), tra_fixed(*links[:12]) + tra_fixed(*links[:2]), None),
    ]
    for path in samples:
        if path.suffix == ".zip":
            output = read_archive(path.read_bytes(), 1 << 30)
            deliveries.append((output.rsa, output.tra, 2024))
    out = hashlib.sha256()
    for rsa, tra, campaign in deliveries:
        found = read_delivery(rsa, tra, campaign)
        out.update(
            repr((found.rsa_lines, found.tra_lines, found.rejected, sorted(found.formats.items()))).encode()
        )
        out.update(repr([(file, error.as_dict(), index) for file, error, index in found.errors]).encode())
        out.update(
            repr([(a.line, a.rsa_index, a.rss_number, a.content_hash) for a in found.accepted]).encode()
        )
        out.update("".join(copy_chunks(found.accepted, 42)).encode())
    return out.hexdigest()


def digest(samples: Sequence[Path]) -> tuple[str, int, int]:
    """(digest of every block's columns, rejected RSS, findings)."""
    from app.ingestion import blocks, splits
    from app.rules.engine import CcamCode, CimCode, RuleContext

    ctx = RuleContext(
        cim10={
            "Z511": CimCode("Z511"),
            "C509": CimCode("C509", type_mco=0),
            "R69": CimCode("R69", type_mco=1),
            "K529": CimCode("K529", deleted=True),
        },
        ccam={"ZZNL065": CcamCode("ZZNL065", activities=frozenset({"1"}))},
        today=date(2025, 1, 1),
    )
    out = hashlib.sha256()
    rejected = found = 0
    first_id = 1
    body = _lines(samples)
    for block in blocks.iter_blocks([body], 20_000):
        result = blocks.process_block(block, 7, ctx, range(first_id, first_id + len(block)))
        first_id += len(block)
        rejected += len(result.errors)
        found += sum(len(item.findings) for item in result.findings.values())
        parts = [
            result.version_rows, result.rum_rows, result.hashes, result.formats,
            repr(sorted(result.format_counts.items())), repr(result.rss_numbers),
            repr(list(result.first_lines)), repr(list(result.line_counts)), repr(list(result.rum_counts)),
            repr(sorted(result.skipped_rules)), repr(sorted(result.summary.rss_day.items())),
            repr(sorted(result.summary.rum_day.items())),
            repr({index: [error.as_dict() for error in errors] for index, errors in result.errors.items()}),
            repr({k: (f.rss_number, f.exit_date, f.units, [
                (x.rule_code, str(x.severity), x.rum_number, x.rum_index, x.field, x.value, x.message)
                for x in f.findings]) for k, f in result.findings.items()}),
        ]  # fmt: skip
        for part in parts:
            out.update(part.encode())
            out.update(b"\x00")
    # The file's first lines again: copies of whole RSS, and the part of the one they cut.
    again = body + body[: body.index(b"\n", 5000) + 1]
    repeated = splits.find_repeated(io.BytesIO(again), len(again))
    if not repeated:
        raise AssertionError("the probe's file should repeat RSS numbers")
    shown = sorted((number, [list(part) for part in r.parts], r.identical) for number, r in repeated.items())
    out.update(repr(shown).encode())
    out.update(rsa_digest(samples).encode())
    return out.hexdigest(), rejected, found


def main(argv: Sequence[str]) -> None:
    args = list(argv)
    if "--interpreted" in args:
        args.remove("--interpreted")
        from app.core import compiled

        modules = {name: compiled.source_path(name) for name in compiled.COMPILED_MODULES}
        sys.meta_path.insert(0, _SourceFirst(modules))
    from app.core import compiled

    print(*digest([Path(arg) for arg in args]), len(compiled.loaded_compiled()))  # noqa: T201 (the answer)


if __name__ == "__main__":
    main(sys.argv[1:])
