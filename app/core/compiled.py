"""Which hot modules of RUM ingestion run compiled (C extensions built by mypyc), read at run time.

The compilation itself is build tooling (tools/build_native.py, `make native`, the Docker builder
stage): this module only names the modules meant to be compiled and reads what the build left,
for the startup log, the benchmarks and the tests. Interpreted, parsing a RUM line, rendering its
COPY rows and running the rule catalogue cost about 45 µs per RUM on the reference machine; the
same typed sources compiled by mypyc cost about half, which a 2-core server needs for the
20,000 RUM/s target. Without the extensions the same code runs interpreted, only slower.

A compiled module that no longer matches its source would silently run old code, so the build
records the SHA-256 of every source it compiled (`MANIFEST`), and `status().stale` names the
compiled modules whose source changed since; the test session refuses to start on such a tree.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# The directory holding the `app` package: the project in a checkout, site-packages when installed.
PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
MANIFEST: Final = PROJECT_ROOT / "app" / "native-manifest.json"
# The compiled modules share one runtime library, importable as this name + "__mypyc": inside the
# package, so that it is found wherever `app` is (a top-level one is found only from the project
# directory, not by the installed `dimqa` command).
GROUP: Final = "app._native"

# Only pure, database-free modules whose hot loops are worth compiling. Modules that tests or the
# benchmark patch at run time (app.ingestion.blocks, the services) stay interpreted: a compiled
# module calls its own functions directly, past any patch.
COMPILED_MODULES: Final[tuple[str, ...]] = (
    "app.core.fixedwidth.fields",
    "app.core.fixedwidth.text",
    "app.core.line_errors",
    "app.ingestion.layouts",
    "app.ingestion.records",
    "app.ingestion.parser",
    "app.ingestion.rows",
    "app.ingestion.summaries",
    "app.ingestion.splits",
    "app.ingestion.assembly",
    "app.medeco.rsa_reader",
    "app.rules.context",
    "app.rules.engine",
    # Not patched: tests and the benchmark patch `blocks.findings_of`, the name the block workers
    # pass to the assembly, never this module's own.
    "app.rules.rss_findings",
    "app.rules.catalog._common",
    "app.rules.catalog.acts",
    "app.rules.catalog.administrative",
    "app.rules.catalog.atypia",
    "app.rules.catalog.ccam",
    "app.rules.catalog.codes",
    "app.rules.catalog.consistency",
    "app.rules.catalog.counters",
    "app.rules.catalog.dates",
    "app.rules.catalog.fields_163",
    "app.rules.catalog.grouping",
    "app.rules.catalog.guide",
    "app.rules.catalog.identity",
    "app.rules.catalog.ledger",
    "app.rules.catalog.menstrual",
    "app.rules.catalog.modes",
    "app.rules.catalog.perinatal",
    "app.rules.catalog.seances",
    "app.rules.catalog.structure",
    "app.rules.catalog.versions",
)


def source_path(module: str) -> Path:
    return PROJECT_ROOT.joinpath(*module.split(".")).with_suffix(".py")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest() -> dict[str, object]:
    try:
        loaded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


@dataclass(frozen=True, slots=True)
class NativeStatus:
    compiled: tuple[str, ...]  # modules whose C extension is in place
    stale: tuple[str, ...]  # compiled modules whose source changed since the build, or not listed
    unavailable: str | None  # why the last build compiled nothing (no compiler...), else None

    @property
    def complete(self) -> bool:
        return len(self.compiled) == len(COMPILED_MODULES) and not self.stale


def status() -> NativeStatus:
    """What is compiled in this tree, read from the files (nothing is imported)."""
    manifest = read_manifest()
    built = manifest.get("sources")
    built_digests: dict[str, object] = built if isinstance(built, dict) else {}
    # Each extension by the module it stands for: "parser.cpython-311-x86_64-linux-gnu.so" -> "parser".
    stems = {path.with_name(path.name.split(".", 1)[0]) for path in extensions_under_app()}
    listed = {source_path(module).with_suffix(""): module for module in COMPILED_MODULES}
    compiled = tuple(module for stem, module in listed.items() if stem in stems)
    changed = (module for module in compiled if built_digests.get(module) != digest(source_path(module)))
    shared_library = source_path(GROUP + "__mypyc").with_suffix("")
    unlisted = sorted(
        ".".join(stem.relative_to(PROJECT_ROOT).parts)
        for stem in stems
        if stem not in listed and stem != shared_library
    )
    reason = manifest.get("unavailable")
    return NativeStatus(compiled, (*changed, *unlisted), reason if isinstance(reason, str) else None)


def extensions_under_app() -> set[Path]:
    return {
        path
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        for path in (PROJECT_ROOT / "app").rglob(f"*{suffix}")
    }


def loaded_compiled() -> list[str]:
    """The modules of COMPILED_MODULES that this process imported from a C extension."""
    return [
        name
        for name in COMPILED_MODULES
        if (module := sys.modules.get(name)) is not None
        and str(getattr(module, "__file__", "")).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    ]
