"""Shared fixtures. Database fixtures (tests/fixtures/database.py) start PostgreSQL lazily:
pure tests never touch a database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any app import: a fixed HMAC key so tests never write var/secret.key.
os.environ.setdefault("DIMQA_SECRET_KEY", "test-secret-key-not-for-production")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"

# logs: every record of the run to var/test-logs, checked for tokens and patient values at the end.
pytest_plugins = ["tests.fixtures.database", "tests.fixtures.logs"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public reference material beside the project; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA
