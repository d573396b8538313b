"""The commands that load files exit with a status a script can act on (app/cli/exit_codes.py):
0 everything stored, 1 nothing stored, 2 a wrong command line, 3 stored except the rejected lines.
Each command runs as the operator runs it, in its own process (`python -m app.cli.main`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo.generator import build_ium, build_structure
from app.ingestion.rhs.writer import write_rhs
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss
from tests.ingestion.rhs_builders import make_rhs


@pytest.fixture()
def dimqa(database_url: str, clean_db: Any) -> Any:
    env = {**os.environ, "DATABASE_URL": database_url}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app.cli.main", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def lines(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


def test_ingest_rss_exit_status_follows_the_batch(dimqa: Any, tmp_path: Path, session: Session) -> None:
    good = write_rss(make_rss(2, rss_number="9001"))
    broken = [line[:-10] for line in write_rss(make_rss(1, rss_number="9002"))]  # line_length

    stored = dimqa("ingest", "rss", str(lines(tmp_path / "good.txt", *good)))
    assert (stored.returncode, stored.stderr) == (0, "")
    assert json.loads(stored.stdout)["status"] == "completed"

    partial = dimqa("ingest", "rss", str(lines(tmp_path / "partial.txt", *broken, *good[:1])))
    assert partial.stderr == "batch 2 partial: 1 RSS stored, 1 rejected, see errors\n"
    assert partial.returncode == 3
    assert [(e["line"], e["code"]) for e in json.loads(partial.stdout)["errors"]] == [(1, "line_length")]

    rejected_file = lines(tmp_path / "rejected.txt", *broken)
    rejected = dimqa("ingest", "rss", str(rejected_file))
    assert (rejected.returncode, rejected.stderr) == (
        1,
        "batch 3 rejected: none of its 1 RSS stored, see errors\n",
    )
    assert json.loads(rejected.stdout)["status"] == "rejected"
    again = dimqa("ingest", "rss", str(rejected_file))  # the same batch answered: the same outcome
    assert (again.returncode, again.stderr) == (1, rejected.stderr)
    assert json.loads(again.stdout)["created"] is False

    empty = dimqa("ingest", "rss", str(lines(tmp_path / "empty.txt", "")))
    assert empty.returncode == 1 and empty.stdout == ""
    assert json.loads(empty.stderr)["error"].startswith("The body holds no RUM line")
    assert session.execute(text("SELECT count(*) FROM rum_batch")).scalar_one() == 3


def test_ingest_ium_exit_status(dimqa: Any, tmp_path: Path) -> None:
    good = build_ium()[:3]
    stored = dimqa("ingest", "ium", str(lines(tmp_path / "ium.txt", *good)))
    assert (stored.returncode, stored.stderr) == (0, "")
    assert json.loads(stored.stdout)["authorisations_added_or_changed"] == 3

    partial = dimqa("ingest", "ium", str(lines(tmp_path / "partial.txt", *good, "77027500")))
    assert (partial.returncode, partial.stderr) == (3, "1 line(s) rejected, 3 stored: see errors\n")
    assert [(e["line"], e["code"]) for e in json.loads(partial.stdout)["errors"]] == [(4, "line_length")]

    refused = dimqa("ingest", "ium", str(lines(tmp_path / "garbage.txt", "not a fichier d'UM")))
    assert refused.returncode == 1 and refused.stdout == ""
    assert [e["code"] for e in json.loads(refused.stderr)["errors"]] == ["line_length"]


def test_ingest_structure_accepts_get_output_and_exits_0(
    dimqa: Any, tmp_path: Path, client: Any, auth_headers: Any
) -> None:
    admin = auth_headers("admin")
    assert client.put("/api/v1/structure", json=build_structure().model_dump(mode="json"), headers=admin)
    ium = "\n".join(build_ium()).encode()
    assert client.post("/api/v1/structure/ium", content=ium, headers={**admin, "Content-Type": "text/plain"})
    demo = client.get("/api/v1/structure", headers=admin).json()
    (tmp_path / "structure.json").write_text(json.dumps(demo))

    result = dimqa("ingest", "structure", str(tmp_path / "structure.json"))
    assert (result.returncode, result.stderr) == (0, "")
    counts = {name: len(demo[name]) for name in ("poles", "services", "units", "authorisations")}
    assert json.loads(result.stdout) == counts
    assert client.get("/api/v1/structure", headers=admin).json() == demo

    (tmp_path / "bad.json").write_text(json.dumps({**demo, "poles": []}))
    refused = dimqa("ingest", "structure", str(tmp_path / "bad.json"))
    assert refused.returncode == 1 and refused.stdout == ""
    assert {e["code"] for e in json.loads(refused.stderr)["errors"]} == {"unknown_pole"}
    assert client.get("/api/v1/structure", headers=admin).json() == demo


def test_ingest_rhs_exit_status(dimqa: Any, tmp_path: Path) -> None:
    week = [write_rhs(make_rhs(ssr_stay_number="2400001", monday=date(2024, 1, 1), unit="6117"))]
    stored = dimqa("ingest", "rhs", str(lines(tmp_path / "rhs.txt", *week)))
    assert (stored.returncode, stored.stderr) == (0, "")
    batch = json.loads(stored.stdout)
    assert (batch["created"], batch["id"], batch["status"], batch["rhs_stored"]) == (True, 1, "accepted", 1)

    partial = dimqa("ingest", "rhs", str(lines(tmp_path / "partial.txt", *week, "garbage")))
    assert partial.returncode == 3
    assert partial.stderr == "batch 2 partial: 1 RHS read, 1 line(s) rejected, see errors\n"
    batch = json.loads(partial.stdout)
    assert (batch["status"], batch["rhs_stored"], batch["rhs_unchanged"]) == ("accepted_with_errors", 0, 1)
    assert [(e["line"], e["field"], e["code"]) for e in batch["errors"]] == [(2, "version", "unknown_format")]

    refused = dimqa("ingest", "rhs", str(lines(tmp_path / "garbage.txt", "garbage")))
    assert (refused.returncode, refused.stdout) == (1, "")
    assert json.loads(refused.stderr)["error"] == "No readable RHS in the body (1 line(s) rejected)."


def test_rhs_ingest_is_a_deprecated_alias(dimqa: Any, tmp_path: Path) -> None:
    week = [write_rhs(make_rhs(ssr_stay_number="2400001", monday=date(2024, 1, 1), unit="6117"))]
    stored = dimqa("rhs", "ingest", str(lines(tmp_path / "rhs.txt", *week)))
    assert stored.returncode == 0
    assert stored.stderr == "dimqa rhs ingest is deprecated: use dimqa ingest rhs (same file, same options)\n"
    assert json.loads(stored.stdout)["rhs_stored"] == 1
