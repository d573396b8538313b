"""Compile the hot modules of RUM ingestion (app.core.compiled.COMPILED_MODULES) to C extensions
with mypyc, in place: each module gets a ``.so`` beside its ``.py``, which Python imports first.

    python -m tools.build_native build [--force] [--require] | clean | status

`make native` (and so `make run`, `make test`) runs ``build``, a no-op when the manifest says the
extensions match their sources. Without a C compiler or the Python headers the build says so and
the service runs the same code interpreted; ``--require`` makes that a failure instead, for the
Docker builder stage, whose image must not ship slower than measured. mypyc is part of mypy (the
`native` extra): build tooling only, which the runtime package never imports.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from app.core import compiled

BUILD_DIR: Final = compiled.PROJECT_ROOT / "var" / "native-build"


def remove_extensions() -> None:
    """Every extension under app/, listed or not: one left from a module taken off the list
    would be imported before its source, against a shared library that no longer exists."""
    for path in compiled.extensions_under_app():
        path.unlink()
    for shared in compiled.PROJECT_ROOT.glob("*__mypyc*"):  # where builds before GROUP put the shared library
        shared.unlink()


def build(*, force: bool = False, require: bool = False) -> int:
    """Compile COMPILED_MODULES in place unless the manifest says they are current; 0 when the tree
    is consistent afterwards (compiled, or interpreted because the machine lacks a compiler or the
    Python headers, unless `require`), 1 when mypyc or the compiler failed on the sources (a defect
    to fix) or, with `require`, when nothing could be compiled."""
    modules = compiled.COMPILED_MODULES
    digests = {module: compiled.digest(compiled.source_path(module)) for module in modules}
    current = compiled.status()
    # What a build writes: the same sources built as another group are another build.
    built: dict[str, object] = {"sources": digests, "group": compiled.GROUP}
    if not force and current.complete and compiled.read_manifest() == built:
        print(f"native: {len(current.compiled)} modules compiled and current")
        return 0
    remove_extensions()  # never leave an old extension in front of a changed source
    compiled.MANIFEST.unlink(missing_ok=True)
    reason = _cannot_compile()
    if reason is not None:
        _write_manifest({"unavailable": reason})
        if require:
            print(f"native: cannot compile ({reason}) and --require was given", file=sys.stderr)
            return 1
        print(f"native: not compiled ({reason}); the service runs interpreted, about half as fast")
        return 0
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    # Said before the minute of silence that follows (mypyc's own output is kept for a failure).
    print(f"native: compiling {len(modules)} modules with mypyc (about a minute)...", flush=True)
    # A child process: setuptools and mypyc change global state (logging, sys.argv, the cwd).
    result = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(BUILD_DIR), compiled.GROUP, *map(_relative, modules)],
        cwd=compiled.PROJECT_ROOT,
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
    print(f"native: {len(modules)} modules compiled with mypyc")
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
    return str(compiled.source_path(module).relative_to(compiled.PROJECT_ROOT))


def _write_manifest(content: dict[str, object]) -> None:
    compiled.MANIFEST.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n")


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

USAGE: Final = "usage: python -m tools.build_native build [--force] [--require] | clean | status"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["build"] and set(args[1:]) <= {"--force", "--require"}:
        return build(force="--force" in args, require="--require" in args)
    if args == ["clean"]:
        remove_extensions()
        compiled.MANIFEST.unlink(missing_ok=True)
        return 0
    if args == ["status"]:
        current = compiled.status()
        total = len(compiled.COMPILED_MODULES)
        print(f"compiled: {len(current.compiled)}/{total}; stale: {list(current.stale)}")
        if current.unavailable:
            print(f"not compiled: {current.unavailable}")
        return 0 if not current.stale else 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
