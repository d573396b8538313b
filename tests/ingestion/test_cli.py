"""`dimqa ingest rss|ium|structure FILE`: the API's service code, audited as `cli` with method CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss

Invoke = Callable[..., Result]


@pytest.fixture()
def invoke(database_url: str, clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run `dimqa ...` in-process against the test database."""
    from app.cli import database as cli_database
    from app.cli.main import app
    from app.core import db
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    # The command stops the embedded servers of its process: here, the tests' own server.
    monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
    get_settings.cache_clear()

    def run(*args: str) -> Result:
        return CliRunner().invoke(app, list(args))

    try:
        yield run
    finally:
        get_settings.cache_clear()
        db.configure(database_url)


def audit(session: Session) -> list[tuple[str, str, str, str, str]]:
    rows = session.execute(
        text("SELECT token_name, role, action, method, object_type FROM audit_log ORDER BY id")
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


def test_ingest_rss_prints_the_batch_as_json(invoke: Invoke, tmp_path: Path, session: Session) -> None:
    path = tmp_path / "march.rss.txt"
    path.write_text("\n".join(write_rss(make_rss(2, rss_number="9001"))) + "\n")
    first = invoke("ingest", "rss", str(path))
    assert first.exit_code == 0, first.output
    batch = json.loads(first.stdout)
    assert (batch["created"], batch["source"], batch["rum_accepted"], batch["status"]) == (
        True,
        "cli",
        2,
        "completed",
    )
    again = json.loads(invoke("ingest", "rss", str(path)).stdout)
    assert (again["created"], again["id"]) == (False, batch["id"])
    keyed = invoke("ingest", "rss", str(path), "--idempotency-key", "march")
    assert json.loads(keyed.stdout)["id"] == batch["id"]
    assert audit(session) == [("cli", "admin", "write", "CLI", "rum_batch")]


def test_ingest_structure_then_ium(invoke: Invoke, tmp_path: Path, session: Session) -> None:
    structure = tmp_path / "structure.json"
    structure.write_text(
        json.dumps(
            {
                "poles": [{"code": "MED", "label": "Médecine"}],
                "services": [{"code": "ONCO", "label": "Oncologie", "pole": "MED"}],
                "units": [{"code": "7500", "label": "Oncologie HC", "pole": "MED", "service": "ONCO"}],
            }
        )
    )
    result = invoke("ingest", "structure", str(structure))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"poles": 1, "services": 1, "units": 1, "authorisations": 0}
    ium = tmp_path / "ium.txt"
    ium.write_bytes(b"750091000000129 01012024020C\r\n750091000000140 01012025020M\r\n")
    loaded = invoke("ingest", "ium", str(ium))
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)["authorisations_added_or_changed"] == 2
    assert audit(session) == [
        ("cli", "admin", "write", "CLI", "structure"),
        ("cli", "admin", "write", "CLI", "ium"),
    ]
    units = session.execute(text("SELECT code FROM structure_unit")).scalars().all()
    assert units == ["7500"]


def test_a_structure_file_saved_with_a_utf8_bom_is_read(invoke: Invoke, tmp_path: Path) -> None:
    """Windows editors save JSON with a BOM; PUT /structure reads such a body, the command exited 1
    with "Invalid JSON: expected value at line 1 column 1"."""
    structure = tmp_path / "structure.json"
    content = {"poles": [{"code": "MED", "label": "Médecine"}], "services": [], "units": []}
    structure.write_bytes(b"\xef\xbb\xbf" + json.dumps(content).encode())
    result = invoke("ingest", "structure", str(structure))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"poles": 1, "services": 0, "units": 0, "authorisations": 0}


def test_bad_files_exit_1_with_the_errors_and_store_nothing(
    invoke: Invoke, tmp_path: Path, session: Session
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"\n\n")
    result = invoke("ingest", "rss", str(empty))
    assert result.exit_code == 1 and "no RUM line" in result.stderr
    structure = tmp_path / "structure.json"
    structure.write_text('{"units": [{"code": "7500"}]}')
    result = invoke("ingest", "structure", str(structure))
    assert result.exit_code == 1 and json.loads(result.stderr)["errors"][0]["field"] == "units.0.label"
    garbage = tmp_path / "ium.txt"
    garbage.write_bytes(b"not a fichier d'UM\n")
    result = invoke("ingest", "ium", str(garbage))
    assert result.exit_code == 1 and json.loads(result.stderr)["errors"][0]["code"] == "line_length"
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 0
    assert audit(session) == []
