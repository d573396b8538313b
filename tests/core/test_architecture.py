"""The import graph of `app/`, read from the sources (ast, nothing imported): no cycle, and the
block workers' code stays free of the database stack.

An edge is any import a module runs (top level or inside a function), not those under
``if TYPE_CHECKING:``. Importing ``a.b.c`` from outside ``a.b`` also runs ``a/b/__init__.py``
(and ``a/__init__.py``), so it counts as an edge to those packages too; a package's own modules
importing each other do not, the package is already being imported.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What the ingestion's block workers import (app.ingestion.workers preloads both): the standard
# library only, directly or not, so no database-backed module (SQLAlchemy, FastAPI, psycopg).
PURE_ROOTS = (
    "app.ingestion.blocks",
    "app.rules.catalog",
    "app.core.fixedwidth.fields",
    "app.core.fixedwidth.text",
    "app.core.fixedwidth.digest",
)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(module: str) -> Iterator[str]:
    """Every dotted name `module` imports at run time (external ones included)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    yield from visit(other)
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    yield full if full in MODULES else base
            yield from visit(child)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")))


@cache
def _edges(module: str) -> tuple[frozenset[str], frozenset[str]]:
    """(modules of app/ that `module` imports, top-level external packages it imports)."""
    internal: set[str] = set()
    external: set[str] = set()
    for name in _imported_names(module):
        if name not in MODULES:
            if name.split(".")[0] != "app":
                external.add(name.split(".")[0])
            continue
        internal.add(name)
        parts = name.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent in MODULES and module != parent and not module.startswith(parent + "."):
                internal.add(parent)
    internal.discard(module)
    return frozenset(internal), frozenset(external)


def _graph() -> Mapping[str, frozenset[str]]:
    return {module: _edges(module)[0] for module in MODULES}


def cycles(graph: Mapping[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_the_rules_engine_does_not_import_the_catalogue() -> None:
    reached = _reachable("app.rules.engine")
    assert sorted(name for name in reached if name.startswith("app.rules.catalog")) == []


def test_no_import_cycle_in_app() -> None:
    assert cycles(_graph()) == []


def _reachable(start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for name in _edges(todo.pop())[0]:
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_block_processing_imports_only_the_standard_library() -> None:
    """Keeping the database stack out of the block workers keeps each about 60 MB smaller and the
    blocks pure (testable and picklable without a database)."""
    for root in PURE_ROOTS:
        offenders = {
            module: sorted(_edges(module)[1] - sys.stdlib_module_names)
            for module in sorted(_reachable(root))
            if _edges(module)[1] - sys.stdlib_module_names
        }
        assert offenders == {}, root


def test_the_purity_check_sees_a_database_import() -> None:
    assert "sqlalchemy" in _edges("app.rules.service")[1] - sys.stdlib_module_names
    assert "app.rules.service" in _reachable("app.rules.router")


def test_the_engine_alone_runs_no_empty_default_catalogue() -> None:
    """In a fresh interpreter: the engine loads no catalogue, and running the default one before
    `app.rules.catalog` has filled the registry fails loudly instead of finding nothing."""
    script = (
        "import sys\n"
        "from app.ingestion.records import Rss\n"
        "from app.rules.engine import RuleContext, run_rules\n"
        "assert not [m for m in sys.modules if m.startswith('app.rules.catalog')]\n"
        "try:\n"
        "    run_rules(Rss('1', []), RuleContext())\n"
        "except RuntimeError as error:\n"
        "    print(error)\n"
        "import app.rules.catalog\n"
        "from app.rules.registry import REGISTRY\n"
        "print(len(REGISTRY) == len(app.rules.catalog.REGISTRY) > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "the rule catalogue is not loaded: import app.rules.catalog first\nTrue\n"


BUILD_TOOLS = frozenset({"setuptools", "mypyc", "mypy", "distutils"})
WRITTEN_IMPORT = re.compile(r"\b(?:import|from)\s+(?:setuptools|mypyc|mypy|distutils)\b")


def test_the_runtime_package_does_not_import_the_build_tools() -> None:
    """Compiling is a build step (tools/build_native.py): the runtime only reads what it left, so
    the production image needs neither a compiler nor mypy. A build script run from a string would
    escape the import graph, so the sources' text is read too."""
    importers = {module: sorted(_edges(module)[1] & BUILD_TOOLS) for module in MODULES}
    assert {module: found for module, found in importers.items() if found} == {}
    written = [path for path in MODULES.values() if WRITTEN_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert written == []


def test_the_build_tools_check_sees_the_build_script() -> None:
    """The same reading finds the build tool's mypyc and setuptools, run from a string there."""
    found = WRITTEN_IMPORT.findall((ROOT / "tools" / "build_native.py").read_text(encoding="utf-8"))
    assert found == ["from mypyc", "from setuptools"]


# The HTTP layer: routers and their dependencies in each domain, the app's assembly (main, api) and
# the HTTP plumbing of core (problems, middleware, uploads...). The CLI is an entry point as well.
def _is_entry_point(module: str) -> bool:
    parts = module.split(".")
    return (
        len(parts) < 3 or parts[1] in ("api", "cli", "core") or parts[-1] in ("router", "dependencies", "cli")
    )


SERVICE_LAYER = sorted(module for module in MODULES if not _is_entry_point(module))
HTTP_PACKAGES = {"fastapi", "starlette"}


def test_services_know_nothing_of_http() -> None:
    """Services, repositories, parsers... take and return domain values and raise domain errors
    (app.core.problems maps them to HTTP): no request, response or status type, nor a router's or
    a dependency's module, so the CLI and the workers run the same code."""
    offenders = {
        module: sorted(
            (_edges(module)[1] & HTTP_PACKAGES)
            | {name for name in _edges(module)[0] if name.split(".")[-1] in ("router", "dependencies")}
        )
        for module in SERVICE_LAYER
    }
    assert {module: found for module, found in offenders.items() if found} == {}


def test_the_layer_check_sees_a_router() -> None:
    assert "app.rules.router" not in SERVICE_LAYER
    assert "fastapi" in _edges("app.rules.router")[1]
    assert {"app.rules.service", "app.turnaround.intake", "app.ingestion.visibility"} <= set(SERVICE_LAYER)


def _calls_record(module: str) -> bool:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Attribute) and node.attr == "record" for node in ast.walk(tree)) or any(
        isinstance(node, ast.ImportFrom) and node.module == "app.audit.service" for node in ast.walk(tree)
    )


def test_audit_entries_are_written_by_the_services() -> None:
    """One layer writes the audit log: the service of each use case (`audit_service.record`, in
    the transaction of the work it describes), whether the API or the CLI calls it. Routers and
    CLI commands never write it (the audit router only reads it)."""
    writers = {
        module
        for module in MODULES
        if "app.audit.service" in _edges(module)[0] and module != "app.audit.router"
    }
    assert sorted(module for module in writers if module not in SERVICE_LAYER) == []
    assert not _calls_record("app.audit.router")
    assert {"app.rules.service", "app.turnaround.intake", "app.auth.service"} <= writers
