"""The hot modules of RUM ingestion, compiled to C extensions with mypyc when a compiler is there.

Parsing a RUM line, rendering its COPY rows and running the rule catalogue on its RSS are plain
typed Python. Interpreted, they cost about 45 µs per RUM on the reference machine, which alone
keeps a 2-core server under the 20,000 RUM/s target; compiled by mypyc (part of mypy, from the
same sources, no second implementation) they cost about half. `make run` and `make test` build
them in place (``python -m app.core.native build``): each module gets a ``.so`` beside its ``.py``,
which Python imports first. Without a C compiler the build says so and the service runs the same
code interpreted, only slower.

A compiled module that no longer matches its source would silently run old code, so the build
records the SHA-256 of every source it compiled (`MANIFEST`), and `status().stale` names the
compiled modules whose source changed since; the test session refuses to start on such a tree.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
BUILD_DIR: Final = PROJECT_ROOT / "var" / "native-build"
MANIFEST: Final = PROJECT_ROOT / "app" / "native-manifest.json"
# The compiled modules share one runtime library, importable as this name + "__mypyc": inside the
# package, so that it is found wherever `app` is (a top-level one is found only from the project
# directory, not by the installed `dimqa` command).
GROUP: Final = "app._native"

# Only pure, database-free modules whose hot loops are worth compiling. Modules that tests or the
# benchmark patch at run time (app.ingestion.blocks, the services) stay interpreted: a compiled
# module calls its own functions directly, past any patch.
COMPILED_MODULES: Final[tuple[str, ...]] = (
    "app.core.line_errors",
    "app.ingestion.layouts",
    "app.ingestion.records",
    "app.ingestion.parser",
    "app.ingestion.rows",
    "app.ingestion.summaries",
    "app.ingestion.splits",
    "app.rules.engine",
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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sources_digests() -> dict[str, str]:
    return {module: _digest(source_path(module)) for module in COMPILED_MODULES}


def _read_manifest() -> dict[str, object]:
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
    manifest = _read_manifest()
    built = manifest.get("sources")
    built_digests: dict[str, object] = built if isinstance(built, dict) else {}
    # Each extension by the module it stands for: "parser.cpython-311-x86_64-linux-gnu.so" -> "parser".
    stems = {path.with_name(path.name.split(".", 1)[0]) for path in _extensions_under_app()}
    listed = {source_path(module).with_suffix(""): module for module in COMPILED_MODULES}
    compiled = tuple(module for stem, module in listed.items() if stem in stems)
    changed = (module for module in compiled if built_digests.get(module) != _digest(source_path(module)))
    shared_library = source_path(GROUP + "__mypyc").with_suffix("")
    unlisted = sorted(
        ".".join(stem.relative_to(PROJECT_ROOT).parts)
        for stem in stems
        if stem not in listed and stem != shared_library
    )
    reason = manifest.get("unavailable")
    return NativeStatus(compiled, (*changed, *unlisted), reason if isinstance(reason, str) else None)


def _extensions_under_app() -> set[Path]:
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


def remove_extensions() -> None:
    """Every extension under app/, listed or not: one left from a module taken off the list
    would be imported before its source, against a shared library that no longer exists."""
    for path in _extensions_under_app():
        path.unlink()
    for shared in PROJECT_ROOT.glob("*__mypyc*"):  # where builds before GROUP put the shared library
        shared.unlink()


def build(*, force: bool = False) -> int:
    """Compile COMPILED_MODULES in place unless the manifest says they are current; 0 when the tree
    is consistent afterwards (compiled, or interpreted because the machine lacks a compiler or the
    Python headers), 1 when mypyc or the compiler failed on the sources (a defect to fix)."""
    digests = _sources_digests()
    current = status()
    # What a build writes: the same sources built as another group are another build.
    built: dict[str, object] = {"sources": digests, "group": GROUP}
    if not force and current.complete and _read_manifest() == built:
        print(f"native: {len(current.compiled)} modules compiled and current")
        return 0
    remove_extensions()  # never leave an old extension in front of a changed source
    MANIFEST.unlink(missing_ok=True)
    reason = _cannot_compile()
    if reason is not None:
        _write_manifest({"unavailable": reason})
        print(f"native: not compiled ({reason}); the service runs interpreted, about half as fast")
        return 0
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    # Said before the minute of silence that follows (mypyc's own output is kept for a failure).
    print(f"native: compiling {len(COMPILED_MODULES)} modules with mypyc (about a minute)...", flush=True)
    # A child process: setuptools and mypyc change global state (logging, sys.argv, the cwd).
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(BUILD_DIR), GROUP, *map(_relative, COMPILED_MODULES)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        remove_extensions()
        log = BUILD_DIR / "build.log"
        log.write_text(result.stdout + result.stderr)
        _write_manifest({"unavailable": f"mypyc build failed (see {log})"})
        print(f"native: the mypyc build failed, see {log}; the service runs interpreted", file=sys.stderr)
        return 1
    _write_manifest(built)
    print(f"native: {len(COMPILED_MODULES)} modules compiled with mypyc")
    return 0


def _cannot_compile() -> str | None:
    """Why this machine cannot build the extensions (a missing tool, not a defect), else None."""
    if os.environ.get("DIMQA_NO_COMPILE") == "1":
        return "DIMQA_NO_COMPILE=1"
    if not (os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")):
        return "no C compiler (cc or gcc) on PATH"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():
        return f"no Python headers ({headers}; Debian: python3-dev)"
    return None


def _relative(module: str) -> str:
    return str(source_path(module).relative_to(PROJECT_ROOT))


def _write_manifest(content: dict[str, object]) -> None:
    MANIFEST.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n")


_BUILD_SCRIPT = """
import sys
from mypyc.build import mypycify
from setuptools import Distribution

build_dir, group, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
extensions = mypycify(sources, opt_level="3", target_dir=build_dir, group_name=group)
distribution = Distribution({"name": "dimqa-native", "ext_modules": extensions})
command = distribution.get_command_obj("build_ext")
command.inplace = True
command.build_temp = build_dir + "/temp"
command.build_lib = build_dir + "/lib"
command.parallel = 2
distribution.run_command("build_ext")
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["build"] or args == ["build", "--force"]:
        return build(force="--force" in args)
    if args == ["clean"]:
        remove_extensions()
        MANIFEST.unlink(missing_ok=True)
        return 0
    if args == ["status"]:
        current = status()
        print(f"compiled: {len(current.compiled)}/{len(COMPILED_MODULES)}; stale: {list(current.stale)}")
        if current.unavailable:
            print(f"not compiled: {current.unavailable}")
        return 0 if not current.stale else 1
    print("usage: python -m app.core.native build [--force] | clean | status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
