"""What crosses to the ingestion workers and back round-trips through pickle, compiled and interpreted.

Found by walking the reference context (the realistic configuration's, read by `load_context`) and
the blocks it yields, not by listing examples: a class added to the context later is met by the
walk. Issue 15, defect 1: the compiled `UnitPeriods` and `AuthorisationHistory` pickled but did not
unpickle, and every large file answered 500 once a structure was loaded."""

from __future__ import annotations

import functools
import json
import os
import pickle
import stat
import subprocess
import sys
from typing import Any

import pytest

from app.core import compiled
from tests.fixtures.realistic import WORKERS

pytestmark = pytest.mark.usefixtures("realistic")

# Types the walk must meet, or it walked less than the workers receive.
EXPECTED = {
    "app.rules.context.RuleContext",
    "app.rules.context.CimCode",
    "app.rules.context.CcamCode",
    "app.rules.context.UnitPeriods",
    "app.rules.context.AuthorisationHistory",
    "app.rules.engine.Finding",
    "app.rules.severity.Severity",
    "app.core.line_errors.LineError",
    "app.ingestion.blocks.Block",
    "app.ingestion.summaries.SummaryDelta",
}


def _report(database_url: str, *flags: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.core.worker_objects", *flags, database_url],
        cwd=compiled.PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


@pytest.mark.parametrize("flags", [(), ("--interpreted",)], ids=["compiled", "interpreted"])
def test_every_type_crossing_to_the_workers_round_trips(database_url: str, flags: tuple[str, ...]) -> None:
    report = _report(database_url, *flags)
    assert report["failures"] == []
    assert set(report["types"]) >= EXPECTED, EXPECTED - set(report["types"])
    assert any(name.endswith("RssFindings") for name in report["types"])
    assert report["same_blocks_after_pickling"] is True
    assert report["findings"] > 0
    if flags:
        assert report["compiled"] == 0
    elif compiled.status().complete:
        assert report["compiled"] == report["imported"] > 0


def test_workers_import_neither_the_web_nor_the_database_stack() -> None:
    """Their memory is counted against the server's (under 350 MB for 1,000,000 RUM)."""
    from app.ingestion import workers

    modules = "('sqlalchemy', 'fastapi', 'pydantic', 'psycopg')"
    heavy = f"[name for name in {modules} if name in __import__('sys').modules]"
    assert workers.pool(WORKERS).submit(eval, heavy).result(timeout=60) == []


# A server's main module: imports the CLI (the web and database stack), then asks a worker what it has.
SERVER_MAIN = """\
from app.cli.main import app
from app.ingestion import workers
if __name__ == "__main__":
    names = ("sqlalchemy", "fastapi", "pydantic", "psycopg", "app.cli.main")
    heavy = f"[n for n in {names} if n in __import__('sys').modules]"
    print(workers.pool(2).submit(eval, heavy).result(timeout=60))
    workers.shutdown()
"""


@pytest.mark.parametrize("as_module", [True, False], ids=["python -m", "console script"])
def test_workers_do_not_rerun_the_servers_main_module(tmp_path: Any, as_module: bool) -> None:
    """`python -m app.cli.main serve` and `dimqa serve`: the main module is the CLI. multiprocessing
    re-runs the parent's main module in each worker by default, which cost each worker 70 MB of
    imports (1,000,000 RUM peaked at 391 MB, issue 15)."""
    (tmp_path / "fake_server.py").write_text(SERVER_MAIN)
    target = ["-m", "fake_server"] if as_module else [str(tmp_path / "fake_server.py")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(compiled.PROJECT_ROOT)])}
    command = [sys.executable, *target]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_a_task_names_its_context_instead_of_carrying_it() -> None:
    """The context goes to each worker once, through a file: not with each block of a batch."""
    from app.ingestion import workers
    from app.rules.engine import CimCode, RuleContext

    big = RuleContext(cim10={f"A{n:05d}": CimCode(f"A{n:05d}", "libellé " * 10) for n in range(20_000)})
    context = workers.payload(big)
    assert len(context.data) > 500_000
    task = pickle.dumps(functools.partial(workers.process, context, 7), protocol=pickle.HIGHEST_PROTOCOL)
    assert len(task) < 1000
    assert stat.S_IMODE(os.stat(os.path.dirname(context.path)).st_mode) == 0o700
    assert workers.payload(big) == context  # the same file for the same context
