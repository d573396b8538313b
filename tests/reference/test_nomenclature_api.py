from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.audit.models import AuditLog
from app.core.config import Settings
from app.reference.models import Cim10Code, GhmLabel
from tests.conftest import shared_file

TINY_CIM = (
    "code;label;type_mco\n"
    "J189;Pneumopathie, sans précision;0\n"
    "I10;Hypertension essentielle;0\n"
    "Z511;Séance de chimiothérapie pour tumeur;0\n"
)
CSV = {"Content-Type": "text/csv"}


def _post(client: Any, headers: dict[str, str], kind: str, year: int, body: bytes | str) -> Any:
    return client.post(f"/api/v1/nomenclatures/{kind}?year={year}", content=body, headers={**headers, **CSV})


def test_load_tiny_cim10_then_list(client: Any, auth_headers: Any, session: Session) -> None:
    admin = auth_headers("admin", name="nomenclature-admin")
    response = _post(client, admin, "cim10", 2024, TINY_CIM)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["year"], body["rows"], body["source"]) == ("cim10", 2024, 3, "api")
    listed = client.get("/api/v1/nomenclatures", headers=auth_headers("reader")).json()["items"]
    assert [(i["kind"], i["year"], i["rows"]) for i in listed] == [("cim10", 2024, 3)]
    assert session.scalar(select(Cim10Code.label).where(Cim10Code.code == "Z511")) == (
        "Séance de chimiothérapie pour tumeur"
    )
    entry = session.scalars(select(AuditLog).where(AuditLog.object_type == "nomenclature")).one()
    assert (entry.token_name, entry.action, entry.object_ids) == (
        "nomenclature-admin",
        "write",
        ["cim10:2024"],
    )


def test_reload_replaces_that_year_only(client: Any, auth_headers: Any, session: Session) -> None:
    admin = auth_headers("admin")
    _post(client, admin, "cim10", 2023, TINY_CIM)
    _post(client, admin, "cim10", 2024, TINY_CIM)
    response = _post(client, admin, "cim10", 2024, "code;label;type_mco\nA00;Choléra;3\n")
    assert response.json()["rows"] == 1
    counts = dict(
        session.execute(select(Cim10Code.year, func.count()).group_by(Cim10Code.year)).tuples().all()
    )
    assert counts == {2023: 3, 2024: 1}
    listed = client.get("/api/v1/nomenclatures", headers=admin).json()["items"]
    assert [(i["kind"], i["year"], i["rows"]) for i in listed] == [("cim10", 2023, 3), ("cim10", 2024, 1)]


def test_gzip_body_is_accepted(client: Any, auth_headers: Any) -> None:
    response = _post(client, auth_headers("admin"), "cim10", 2024, gzip.compress(TINY_CIM.encode()))
    assert response.status_code == 200
    assert response.json()["rows"] == 3


def test_bad_rows_load_nothing_and_are_located(client: Any, auth_headers: Any, session: Session) -> None:
    admin = auth_headers("admin")
    bad = TINY_CIM + "XX;Pas un code;0\nA01;Typhoïde;9\n"
    response = _post(client, admin, "cim10", 2024, bad)
    assert response.status_code == 400
    problem = response.json()
    assert problem["detail"] == "2 unreadable row(s) in the cim10 file; nothing was loaded"
    assert [(e["line"], e["field"], e["code"]) for e in problem["errors"]] == [
        (5, "code", "invalid_code"),
        (6, "type_mco", "invalid_value"),
    ]
    assert session.scalar(select(func.count()).select_from(Cim10Code)) == 0
    assert client.get("/api/v1/nomenclatures", headers=admin).json()["items"] == []


def test_unknown_layout_and_bad_year(client: Any, auth_headers: Any) -> None:
    admin = auth_headers("admin")
    response = _post(client, admin, "ccam", 2024, "foo;bar\n1;2\n")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "unknown_layout"
    assert _post(client, admin, "ccam", 1800, TINY_CIM).status_code == 422
    assert _post(client, admin, "loinc", 2024, TINY_CIM).status_code == 422


def test_corrupt_gzip_is_a_400(client: Any, auth_headers: Any) -> None:
    response = _post(client, auth_headers("admin"), "cim10", 2024, b"\x1f\x8bnot really gzip")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("the cim10 file cannot be decompressed")


def test_roles(client: Any, auth_headers: Any) -> None:
    for role in ("reader", "dim", "ingest"):
        assert _post(client, auth_headers(role), "cim10", 2024, TINY_CIM).status_code == 403
    assert client.get("/api/v1/nomenclatures", headers=auth_headers("ingest")).status_code == 403
    assert client.get("/api/v1/nomenclatures").status_code == 401


def test_real_cim10_file(client: Any, auth_headers: Any) -> None:
    data = shared_file("nomenclatures/cim10_fr_atih_2021.csv.gz").read_bytes()
    response = _post(client, auth_headers("admin"), "cim10", 2021, data)
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 42_880


def test_real_ghm_file_keeps_the_requested_year(client: Any, auth_headers: Any, session: Session) -> None:
    data = shared_file("nomenclatures/ghm_regroupement_2024_2025.csv").read_bytes()
    response = _post(client, auth_headers("admin"), "ghm", 2025, data)
    assert response.json()["rows"] == 2639
    label = session.scalar(select(GhmLabel.label).where(GhmLabel.ghm == "28Z07Z", GhmLabel.year == 2025))
    assert label == "Chimiothérapie pour tumeur, en séances"
    assert _post(client, auth_headers("admin"), "ghm", 2019, data).status_code == 400


class TestCli:
    @pytest.fixture()
    def cli(self, database_url: str, clean_db: object, monkeypatch: pytest.MonkeyPatch) -> Any:
        from app.cli import database as cli_database
        from app.cli.main import app
        from app.reference import cli as reference_cli

        monkeypatch.setattr(reference_cli, "get_settings", lambda: Settings(database_url=database_url))
        # The CLI stops the embedded server it started; here it would be the tests' own server.
        monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
        runner = CliRunner()
        return lambda *args: runner.invoke(app, ["nomenclature", *args])

    def test_load_real_cim10_and_list(self, cli: Any, session: Session) -> None:
        path = shared_file("nomenclatures/cim10_fr_atih_2021.csv.gz")
        result = cli("load", "cim10", str(path), "--year", "2021")
        assert result.exit_code == 0, result.output
        assert "loaded 42880 cim10 rows for 2021 from cim10_fr_atih_2021.csv.gz" in result.output
        assert session.scalar(select(func.count()).select_from(Cim10Code)) == 42_880
        listed = cli("list")
        assert listed.output.startswith("cim10\t2021\t42880\t")
        entry = session.scalars(select(AuditLog).where(AuditLog.object_type == "nomenclature")).one()
        assert (entry.token_name, entry.endpoint, entry.method) == ("cli", "cli", "CLI")

    def test_load_tiny_file_with_an_error(self, cli: Any, tmp_path: Path, session: Session) -> None:
        path = tmp_path / "cim.csv"
        path.write_text(TINY_CIM + "A01;;0\n", encoding="utf-8")
        result = cli("load", "cim10", str(path), "--year", "2024")
        assert result.exit_code == 1
        assert "1 unreadable row(s) in the cim10 file; nothing was loaded" in result.output
        assert "line 5, label: label is blank" in result.output
        assert session.scalar(select(func.count()).select_from(Cim10Code)) == 0
