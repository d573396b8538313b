"""The committed OpenAPI document must match what the code generates (`make openapi` rewrites it)."""

from __future__ import annotations

import json

from app.core.config import PROJECT_ROOT
from app.main import create_app

COMMITTED = PROJECT_ROOT / "openapi" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    generated = create_app().openapi()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


def test_operation_ids_are_stable_and_unique() -> None:
    spec = create_app().openapi()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert all("-" in i for i in ids)
