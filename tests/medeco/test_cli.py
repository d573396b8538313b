"""`dimqa ingest rsa ARCHIVE` and `dimqa ingest rsa RSA --tra TRA`: the API's service, exit statuses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from tests.medeco.builders import archive, rsa_line, tra_csv, tra_fixed

Invoke = Callable[..., Result]


@pytest.fixture()
def invoke(database_url: str, clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    from app.cli import database as cli_database
    from app.cli.main import app
    from app.core import db
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
    get_settings.cache_clear()
    try:
        yield lambda *args: CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
        db.configure(database_url)


def test_archive_then_files_then_partial_and_refused(invoke: Invoke, tmp_path: Path) -> None:
    zipped = tmp_path / "910019447.2024.3.out.zip"
    zipped.write_bytes(archive(rsa_line(index=1).encode(), tra_csv((1, "C1", "S1"))))
    first = invoke("ingest", "rsa", str(zipped), "--campaign", "2024")
    assert first.exit_code == 0, first.output
    batch = json.loads(first.stdout)
    assert (batch["created"], batch["source"], batch["campaign"], batch["rsa_unlinked"]) == (
        True,
        "cli",
        2024,
        1,
    )
    again = invoke("ingest", "rsa", str(zipped), "--campaign", "2024")
    assert again.exit_code == 0 and json.loads(again.stdout)["created"] is False
    rsa, tra = tmp_path / "f.rsa", tmp_path / "f.tra"
    rsa.write_text(rsa_line(index=1) + "\n" + rsa_line(index=2)[:100] + "\n")
    tra.write_bytes(tra_fixed((1, "C2", "S2"), (2, "C3", "S3")))
    partial = invoke("ingest", "rsa", str(rsa), "--tra", str(tra))
    assert partial.exit_code == 3 and "1 RSA stored, 1 rejected" in partial.stderr
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK nothing")
    refused = invoke("ingest", "rsa", str(broken))
    assert refused.exit_code == 1 and "not a readable ZIP" in json.loads(refused.stderr)["error"]
