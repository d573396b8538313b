"""Shared fixtures. Database fixtures (tests/fixtures/database.py) start PostgreSQL lazily:
pure tests never touch a database."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

# Before any app import: a fixed HMAC key so tests never write var/secret.key.
os.environ.setdefault("DIMQA_SECRET_KEY", "test-secret-key-not-for-production")
# The alert schedule and delivery threads start only in the tests that ask (tests/alerts).
os.environ.setdefault("DIMQA_ALERT_BACKGROUND", "0")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

# realistic: the configuration of the end-to-end tests (structure, nomenclatures, workers).
# logs: every record of the run to var/test-logs, checked for tokens and patient values at the end.
pytest_plugins = ["tests.fixtures.database", "tests.fixtures.logs", "tests.fixtures.realistic"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test a compiled module older than its source: the old code would be tested."""
    from app.core import compiled

    stale = compiled.status().stale
    if stale:
        raise pytest.UsageError(
            f"compiled modules older than their source: {', '.join(stale)}; "
            "run `make native` (or `python -m tools.build_native clean` to test them interpreted)"
        )


def shared_file(relative: str | Path) -> Path:
    """A file (or folder) of the public reference material, by its path under ../shared/data
    ("hl7v2/ans_pamfr_adt_a01_admission.er7"; "../spec/pmsi-formats.md" for the spec).

    The calling test (or fixture) skips, naming the path, when it is absent: a test depends on the
    files it reads and on nothing else, so one missing file skips its tests only, never errors.
    """
    path = Path(os.path.normpath(SHARED_DATA / relative))
    if not path.exists():
        pytest.skip(f"{os.path.relpath(path, PROJECT_ROOT)} is not available")
    return path


# A fixed storage instant before every test's dates: an event then counts from its own time, as
# when the feeds deliver events as they happen. Tests of late arrivals pass `recorded_at` to
# `intake.store_events` or set `intake.storage_time` themselves.
EVENTS_STORED_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def events_stored_as_they_happen(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.turnaround import intake

    monkeypatch.setattr(intake, "storage_time", lambda session: EVENTS_STORED_BEFORE)
