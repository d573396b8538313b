"""What crosses to the ingestion workers and back round-trips through pickle, compiled and interpreted.

Found by walking the reference context (the realistic configuration's, read by `load_context`) and
the blocks it yields, not by listing examples: a class added to the context later is met by the
walk. Issue 15, defect 1: the compiled `UnitPeriods` and `AuthorisationHistory` pickled but did not
unpickle, and every large file answered 500 once a structure was loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from app.core import native

pytestmark = pytest.mark.usefixtures("realistic")

# Types the walk must meet, or it walked less than the workers receive.
EXPECTED = {
    "app.rules.engine.RuleContext",
    "app.rules.engine.CimCode",
    "app.rules.engine.CcamCode",
    "app.rules.engine.UnitPeriods",
    "app.rules.engine.AuthorisationHistory",
    "app.rules.engine.Finding",
    "app.rules.severity.Severity",
    "app.core.line_errors.LineError",
    "app.ingestion.blocks.Block",
    "app.ingestion.summaries.SummaryDelta",
}


def _report(database_url: str, *flags: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "tests.core.worker_objects", *flags, database_url],
        cwd=native.PROJECT_ROOT, capture_output=True, text=True, check=False,
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
    elif native.status().complete:
        assert report["compiled"] == len(native.COMPILED_MODULES)
