"""`dimqa token create|revoke` write the same audit entries as the API's token routes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

Invoke = Callable[..., Result]


@pytest.fixture()
def invoke(database_url: str, clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run `dimqa ...` in-process against the test database."""
    from app.cli.main import app
    from app.core import db, embedded_pg
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    # The command stops the embedded servers of its process: here, the tests' own server.
    monkeypatch.setattr(embedded_pg, "stop_all", lambda: None)
    get_settings.cache_clear()
    try:
        yield lambda *args: CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
        db.configure(database_url)


def token_audit(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        text(
            "SELECT token_name, role, action, method, endpoint, object_type, object_ids FROM audit_log "
            "WHERE object_type = 'token' ORDER BY id"
        )
    )
    return [tuple(row) for row in rows]


def test_token_create_and_revoke_are_audited(invoke: Invoke, session: Session) -> None:
    created = invoke("token", "create", "--name", "his-feed", "--role", "ingest", "--unit", "7500")
    assert created.exit_code == 0, created.output
    revoked = invoke("token", "revoke", "his-feed")
    assert revoked.exit_code == 0, revoked.output
    assert token_audit(session) == [
        ("cli", "admin", "write", "CLI", "dimqa token create", "token", ["his-feed"]),
        ("cli", "admin", "write", "CLI", "dimqa token revoke", "token", ["his-feed"]),
    ]


def test_a_failed_revoke_writes_no_entry(invoke: Invoke, session: Session) -> None:
    result = invoke("token", "revoke", "nobody")
    assert result.exit_code == 1
    assert token_audit(session) == []


def test_the_first_start_admin_token_is_audited(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import _first_start_banner

    _first_start_banner("127.0.0.1", 8000)
    assert "DIMQA_TOKEN=" in capsys.readouterr().out
    assert token_audit(session) == [
        ("cli", "admin", "write", "CLI", "dimqa serve (first start)", "token", ["admin"])
    ]
