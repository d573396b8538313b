"""Hostile requests generated from the COMMITTED OpenAPI document, sent to the app with valid tokens:
no 5xx, and every response matches its documented status, schema and content type."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.config import PROJECT_ROOT
from app.main import create_app

SCHEMA = schemathesis.openapi.from_path(str(PROJECT_ROOT / "openapi" / "openapi.json"))
SCHEMA.app = create_app()
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]


ADMIN_SECRET = "dq_schemathesis-admin-secret"


@SCHEMA.auth()
class BearerToken:
    """A known admin token for every generated request (the row is inserted by the fixture)."""

    def get(self, case: Any, context: Any) -> str:
        return ADMIN_SECRET

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture()
def admin_token(clean_db: Any) -> None:
    from app.auth import repository
    from app.core import db
    from app.core.security import hash_token

    with db.new_session() as session, session.begin():
        repository.create(
            session, name="schemathesis", role="admin", units=None, token_hash=hash_token(ADMIN_SECRET)
        )


@SCHEMA.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests(case: Any, admin_token: None) -> None:
    case.call_and_validate(checks=CHECKS)
