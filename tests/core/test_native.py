"""The mypyc-compiled modules (app.core.compiled, built by tools/build_native.py): what is compiled is
current, behaves as its source, and crosses to the ingestion workers."""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import json
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from app.core import compiled
from app.core.line_errors import LineError
from app.ingestion import workers
from app.rules.catalog import REGISTRY
from app.rules.engine import CcamCode, CimCode, Finding, RuleContext, Severity
from tests.conftest import shared_file
from tools import build_native

EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]  # ".cpython-311-x86_64-linux-gnu.so" here


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project tree of two listed modules, one compiled from the source as it is now."""
    for name in ("alpha", "beta"):
        (tmp_path / "app" / "pkg").mkdir(parents=True, exist_ok=True)
        (tmp_path / "app" / "pkg" / f"{name}.py").write_text(f"NAME = {name!r}\n")
    (tmp_path / "app" / "pkg" / f"alpha{EXTENSION}").write_bytes(b"")
    monkeypatch.setattr(compiled, "PROJECT_ROOT", tmp_path)
    monkeypatch.setattr(compiled, "MANIFEST", tmp_path / "app" / "native-manifest.json")
    monkeypatch.setattr(compiled, "COMPILED_MODULES", ("app.pkg.alpha", "app.pkg.beta"))
    digest = compiled.digest(tmp_path / "app" / "pkg" / "alpha.py")
    compiled.MANIFEST.write_text(json.dumps({"sources": {"app.pkg.alpha": digest}}))
    return tmp_path


def test_status_names_the_compiled_modules_and_nothing_stale(tree: Path) -> None:
    status = compiled.status()
    assert status.compiled == ("app.pkg.alpha",)
    assert status.stale == ()
    assert not status.complete  # beta has no extension


def test_a_source_edited_after_the_build_is_stale(tree: Path) -> None:
    (tree / "app" / "pkg" / "alpha.py").write_text("NAME = 'changed'\n")
    assert compiled.status().stale == ("app.pkg.alpha",)


def test_an_extension_of_a_module_taken_off_the_list_is_stale_and_removed(tree: Path) -> None:
    (tree / "app" / "pkg" / "gamma.py").write_text("")
    (tree / "app" / "pkg" / f"gamma{EXTENSION}").write_bytes(b"")
    assert compiled.status().stale == ("app.pkg.gamma",)
    build_native.remove_extensions()
    left = sorted(path.name for path in (tree / "app" / "pkg").iterdir())
    assert left == ["alpha.py", "beta.py", "gamma.py"]


def test_without_a_compiler_the_build_records_why_and_leaves_no_extension(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIMQA_NO_COMPILE", "1")
    assert build_native.build() == 0
    assert compiled.status() == compiled.NativeStatus((), (), "DIMQA_NO_COMPILE=1")


def test_without_python_headers_the_build_records_why_and_leaves_no_extension(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIMQA_NO_COMPILE", raising=False)
    monkeypatch.setattr(build_native.sysconfig, "get_paths", lambda: {"include": str(tree / "no-include")})
    assert build_native.build() == 0
    reason = f"no Python headers ({tree / 'no-include' / 'Python.h'}; Debian: python3-dev)"
    assert compiled.status() == compiled.NativeStatus((), (), reason)


def test_this_tree_runs_the_compiled_modules_it_built() -> None:
    status = compiled.status()
    if status.unavailable:
        pytest.skip(f"not compiled here: {status.unavailable}")
    assert status.compiled == compiled.COMPILED_MODULES
    assert status.stale == ()
    for module in compiled.COMPILED_MODULES:
        importlib.import_module(module)
    assert compiled.loaded_compiled() == list(compiled.COMPILED_MODULES)


def test_the_installed_command_imports_the_compiled_modules_from_any_directory(tmp_path: Path) -> None:
    """`dimqa` runs from the virtual environment's bin/, without the project on sys.path."""
    status = compiled.status()
    if status.unavailable:
        pytest.skip(f"not compiled here: {status.unavailable}")
    script = "import app.ingestion.parser as parser, app.rules.catalog; print(parser.__file__)"
    # -I: neither the current directory nor PYTHONPATH on sys.path, as for an installed command.
    completed = subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def _source_docstrings(module: str) -> dict[str, str]:
    tree = ast.parse(compiled.source_path(module).read_text(encoding="utf-8"))
    return {
        node.name: (ast.get_docstring(node, clean=False) or "").strip()
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def _catalogue_strings() -> set[str]:
    """Every string literal of the catalogue's sources, stripped (the docs of the table rows)."""
    folder = compiled.source_path("app.rules.catalog._common").parent
    return {
        node.value.strip()
        for path in folder.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_rule_documents_itself_with_its_checks_docstring_compiled_or_not() -> None:
    """A rule declared by the decorator has its function's docstring (mypyc drops it: read from
    the source); a row of a family table (`declare`) has the text its row gives."""
    rows = _catalogue_strings()
    decorated = 0
    for code, declared in REGISTRY.items():
        module, name = getattr(declared.check, "__module__", ""), getattr(declared.check, "__name__", "")
        docstrings = _source_docstrings(module) if module.startswith("app.rules.catalog.") else {}
        if name in docstrings:
            decorated += 1
            assert declared.doc == docstrings[name], code
        else:
            assert declared.doc in rows, code
        assert "Bad:" in declared.doc and "Good:" in declared.doc, code
    assert 0 < decorated < len(REGISTRY)


@pytest.mark.parametrize(
    "value",
    [
        LineError(3, "n_da", "not_numeric", "counter n_da is not numeric: 'x1'", "1234", "C056"),
        LineError(None, None, "empty_body", "the body is empty"),
        Finding("C023", Severity.BLOCKING, "1234", "1", 1, "entry_date", "02012024", "dates non chaînées"),
        Finding("Q001", Severity.INFO, "1234", "", None, "rum_number", "", "message"),
        CimCode("Z511", "Séance de chimiothérapie", 0, date(2021, 1, 1), None, False),
        CcamCode("FEFF001", "Aphérèse", frozenset({"1", "4"}), date(2020, 1, 1), date(2026, 1, 1)),
    ],
    ids=lambda value: type(value).__name__,
)
def test_frozen_records_pickle_to_an_equal_value(value: object) -> None:
    restored = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    assert restored == value
    assert type(restored) is type(value)


def test_a_rule_context_reaches_the_workers_with_its_references_and_without_its_derived_indexes() -> None:
    ctx = RuleContext(cim10={"Z511": CimCode("Z511")}, today=date(2024, 5, 1))
    ctx.derived("test.index", lambda context: {"built": True})
    restored = pickle.loads(workers.payload(ctx).data)
    assert restored.cim10 == {"Z511": CimCode("Z511")}
    assert restored.today == date(2024, 5, 1)
    assert restored._derived == {}


def _probe(*args: str) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.core.native_probe", *args],
        cwd=compiled.PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.split()


@pytest.mark.parametrize("with_samples", [False, True], ids=["generated", "generated+public samples"])
def test_compiled_and_interpreted_modules_give_the_same_rows_errors_and_findings(with_samples: bool) -> None:
    samples = (
        [
            str(shared_file("pmsi_samples/gpmsi/in/t01rss017.txt")),
            str(shared_file("pmsi_samples/gpmsi/inout/RSS_test.txt")),
            str(shared_file("pmsi_samples/gpmsi/inout/910019447.2024.0.20250130112254.out.zip")),
        ]
        if with_samples
        else []
    )
    as_built = _probe(*samples)
    interpreted = _probe("--interpreted", *samples)
    assert interpreted[3] == "0"  # nothing imported from an extension
    assert as_built[3] == (str(len(compiled.COMPILED_MODULES)) if compiled.status().compiled else "0")
    assert as_built[:3] == interpreted[:3]
    assert int(as_built[1]) == 3  # the broken lines' RSS, rejected
    assert int(as_built[2]) > 20_000  # findings, mostly codes unknown to the small CIM-10


def test_the_build_says_it_compiles_before_compiling(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` and `make test` are silent for the minute mypyc takes, unless the build says so
    first. Here mypyc fails at once on a type error, after the announcement."""
    monkeypatch.delenv("DIMQA_NO_COMPILE", raising=False)
    monkeypatch.setattr(build_native, "BUILD_DIR", tree / "var" / "native-build")
    (tree / "app" / "pkg" / "beta.py").write_text("NAME: int = 'beta'\n")
    assert build_native.build() == 1
    out, err = capsys.readouterr()
    assert out == "native: compiling 2 modules with mypyc (about a minute)...\n"
    log = tree / "var" / "native-build" / "build.log"
    assert err == f"native: the mypyc build failed, see {log}; the service runs interpreted\n"
    assert 'Incompatible types in assignment (expression has type "str", variable has type "int")' in (
        log.read_text()
    )


def test_a_required_build_fails_where_nothing_can_be_compiled(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Docker builder stage passes --require: an image must not ship interpreted by accident."""
    monkeypatch.setenv("DIMQA_NO_COMPILE", "1")
    assert build_native.main(["build", "--require"]) == 1
    assert capsys.readouterr().err == "native: cannot compile (DIMQA_NO_COMPILE=1) and --require was given\n"
    assert compiled.status() == compiled.NativeStatus((), (), "DIMQA_NO_COMPILE=1")


def test_the_build_command_refuses_an_unknown_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_native.main(["build", "--fast"]) == 2
    assert capsys.readouterr().err == f"{build_native.USAGE}\n"
