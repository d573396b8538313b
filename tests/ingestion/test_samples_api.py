"""The public ATIH-format samples posted over HTTP (read from ../shared at test time)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

TEXT = {"Content-Type": "text/plain"}


def test_public_017_sample(client: Any, auth_headers: Any, shared_data: Path) -> None:
    body = (shared_data / "pmsi_samples/gpmsi/in/t01rss017.txt").read_bytes()
    result = client.post(
        "/api/v1/rum-batches", content=body, headers={**auth_headers("ingest"), **TEXT}
    ).json()
    assert (result["lines"], result["rum_accepted"], result["rss_rejected"], result["formats"]) == (
        10, 10, 0, {"017": 10},
    )  # fmt: skip
    assert result["rss_accepted"] == 10
    # The one finding a DIM expects on this extract: an epidural (activity 4) without documentary extension.
    assert result["findings"]["warning"] == 1


def test_public_122_sample(client: Any, auth_headers: Any, shared_data: Path) -> None:
    body = (shared_data / "pmsi_samples/gpmsi/inout/RSS_test.txt").read_bytes()
    result = client.post(
        "/api/v1/rum-batches", content=body, headers={**auth_headers("ingest"), **TEXT}
    ).json()
    assert (result["rss_accepted"], result["formats"]) == (1, {"122": 1})
    rss_number = body[15 + 12 : 15 + 32].decode().strip()
    rss = client.get(f"/api/v1/rss/{rss_number}", headers=auth_headers("dim")).json()
    assert (rss["ghm"], rss["cmd"], rss["care_type"]) == ("04M143", "04", "complete")
    rum = rss["rums"][0]
    assert len(rum["das"]) == 26
    assert [a["code"] for a in rum["acts"]] == ["GEQE007", "YYYY600", "ZZQH033"]
    assert rum["format"] == "122" and rum["fields"]["finess"] == body[15:24].decode()


def test_ium_sample_and_history(client: Any, auth_headers: Any, shared_data: Path) -> None:
    archives = sorted((shared_data / "pmsi_samples/gpmsi/inout").glob("*.in.zip"))
    if not archives:
        pytest.skip("no DRUIDES input archive")
    with zipfile.ZipFile(archives[0]) as archive:
        name = next(n for n in archive.namelist() if n.lower().endswith("ium.txt"))
        body = archive.read(name)
    admin = {**auth_headers("admin"), **TEXT}
    first = client.post("/api/v1/structure/ium", content=body, headers=admin).json()
    assert (first["lines"], first["lines_rejected"], first["authorisations_added_or_changed"]) == (49, 0, 49)
    again = client.post("/api/v1/structure/ium", content=body, headers=admin).json()
    assert (again["authorisations_added_or_changed"], again["authorisations_unchanged"]) == (0, 49)
    later = b"9999" + body[4:28] + b"\r\n"
    client.post("/api/v1/structure/ium", content=later, headers=admin)
    history = client.get("/api/v1/structure", headers=auth_headers("reader")).json()["authorisations"]
    assert len(history) == 50


def test_ium_needs_admin_and_readable_lines(client: Any, auth_headers: Any) -> None:
    assert (
        client.post(
            "/api/v1/structure/ium", content=b"x", headers={**auth_headers("dim"), **TEXT}
        ).status_code
        == 403
    )
    response = client.post(
        "/api/v1/structure/ium", content=b"garbage\n", headers={**auth_headers("admin"), **TEXT}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["line"] == 1


def test_cli_ingest_rss(
    database_url: str, engine: Any, clean_db: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from app.cli.main import app
    from app.core import db
    from app.core.config import get_settings
    from app.ingestion.writer import write_rss
    from tests.ingestion.builders import make_rss

    path = tmp_path / "batch.rss.txt"
    path.write_text("\n".join(write_rss(make_rss(2, rss_number="9001"))) + "\n")
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", "rss", str(path)])
    finally:
        get_settings.cache_clear()
        db.configure(database_url)
    assert result.exit_code == 0, result.output
    assert '"rum_accepted": 2' in result.output and '"created": true' in result.output
