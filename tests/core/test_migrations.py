from __future__ import annotations

import ast
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, inspect, make_url, pool

from app.core import migrations


def test_upgrade_downgrade_upgrade_on_an_empty_database(server_url: str) -> None:
    name = f"dimqa_mig_{uuid.uuid4().hex[:10]}"
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        migrations.upgrade(url)
        tables_at_head = set(inspect(engine).get_table_names())
        assert {"api_token", "audit_log", "alembic_version"} <= tables_at_head
        assert migrations.at_head(engine)

        migrations.downgrade(url, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert migrations.current_revisions(engine) == frozenset()

        migrations.upgrade(url)
        assert set(inspect(engine).get_table_names()) == tables_at_head
        assert migrations.at_head(engine)
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_readyz_is_a_503_problem_when_the_schema_is_behind(server_url: str, database_url: str) -> None:
    """A scratch database one revision behind head: /readyz says so, as problem+json with Retry-After."""
    from fastapi.testclient import TestClient

    from app.core import db
    from app.main import create_app

    with scratch_database(server_url, "dimqa_behind") as url:
        try:
            migrations.upgrade(url)
            migrations.downgrade(url, "-1")
            engine = db.configure(url)
            assert migrations.current_revisions(engine) and not migrations.at_head(engine)
            with TestClient(create_app(), raise_server_exceptions=False) as client:
                response = client.get("/readyz")
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "5"
            body = response.json()
            assert (body["status"], body["database"], body["migrations"]) == (503, "ok", "behind")
            assert body["type"].endswith("/not-ready") and "dimqa migrate" in body["detail"]

            migrations.upgrade(url)
            with TestClient(create_app(), raise_server_exceptions=False) as client:
                assert client.get("/readyz").json() == {
                    "status": "ok",
                    "database": "ok",
                    "migrations": "head",
                }
        finally:
            db.configure(database_url)  # back to the session's database for the other tests


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """An empty database of its own on the tests' server, dropped on the way out; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def migrated_by_a_newer_dimqa(server_url: str) -> Iterator[str]:
    """A scratch database at a revision this code does not know, as a newer dimqa leaves it; its URL."""
    with scratch_database(server_url, "dimqa_newer") as url:
        migrations.upgrade(url)
        with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False)) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
        yield url


def test_readyz_says_when_the_schema_is_newer_than_the_code(server_url: str, database_url: str) -> None:
    """A rolling upgrade: a newer dimqa migrated the database under this one. /readyz said "behind:
    run `dimqa migrate`", which fails on the revision this code does not know."""
    from fastapi.testclient import TestClient

    from app.core import db
    from app.main import create_app

    with migrated_by_a_newer_dimqa(server_url) as url:
        try:
            db.configure(url)
            with TestClient(create_app(), raise_server_exceptions=False) as client:
                response = client.get("/readyz")
        finally:
            db.configure(database_url)  # back to the session's database for the other tests
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    body = response.json()
    assert (body["database"], body["migrations"]) == ("ok", "ahead")
    assert body["detail"] == (
        "The database schema is newer than this code (migrated by a newer dimqa): run that version."
    )


def test_single_migration_head() -> None:
    assert len(migrations.head_revisions()) == 1


VERSIONS = Path(__file__).parents[2] / "migrations" / "versions"


def _imported_modules(path: Path) -> list[str]:
    """Every module a file imports, at its top or inside a function."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_migration_imports_application_code() -> None:
    """A migration runs against the schema of its revision: code of `app` changes after it (0010
    once called the turnaround's rebuild; it now carries its own)."""
    files = sorted(VERSIONS.glob("*.py"))
    assert len(files) >= 13
    offenders = {
        path.name: name
        for path in files
        for name in _imported_modules(path)
        if name == "app" or name.startswith("app.")
    }
    assert offenders == {}


def test_models_match_the_migrations(engine: object) -> None:
    """The ORM models and the migrated schema agree (a migration was not forgotten)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.core import db
    from app.models import Base

    with db.get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_0012_closes_the_open_duplicates_left_by_parallel_runs(server_url: str) -> None:
    """Upgrading to 0012 keeps one open finding per location: the reviewed one, else the oldest."""
    name = f"dimqa_mig_{uuid.uuid4().hex[:10]}"
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url, "0011_unit_scoping")
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            [(batch,)] = conn.execute(
                "INSERT INTO rum_batch (content_sha256, source, token_name, status, lines, rss_accepted, "
                "rum_accepted, rss_rejected, lines_rejected, formats, errors, findings, skipped_rules) "
                "VALUES (repeat('a', 64), 'file', 't', 'done', 2, 1, 2, 0, 0, '{}', '[]', '{}', '{}') "
                "RETURNING id"
            ).fetchall()
            [(version,)] = conn.execute(
                "INSERT INTO rss_version (rss_number, batch_id, is_current, content_hash, finess, "
                "stay_number, format, care_type, seances, rum_count, exit_unit, entry_date, exit_date) "
                "VALUES ('1', %s, true, repeat('b', 64), '750000000', '1', '022', 'complete', 0, 2, "
                "'7500', '2024-03-01', '2024-03-08') RETURNING id",
                (batch,),
            ).fetchall()
            finding = (
                "INSERT INTO rule_finding (rss_version_id, rss_number, rule_code, severity, rum_number, "
                "rum_index, field, value, message, unit, reviewed_at, comment) "
                "VALUES (%s, '1', 'C067', 'blocking', '1', %s, 'dp', %s, 'm', '7500', %s, %s)"
            )
            # Three parallel runs: X999 of RUM 0 three times (the second one reviewed), X998 of RUM 1
            # three times; the same code on two RUMs is two locations.
            for rum_index, value, reviewed in [
                (0, "X999", None), (0, "X999", "2026-12-01"), (0, "X999", None),
                (1, "X998", None), (1, "X998", None), (1, "X998", None), (1, "X999", None),
            ]:  # fmt: skip
                conn.execute(finding, (version, rum_index, value, reviewed, "vu" if reviewed else None))

            migrations.upgrade(url)

            rows = conn.execute(
                "SELECT id, rum_index, value, comment FROM rule_finding WHERE closed_at IS NULL ORDER BY id"
            ).fetchall()
            assert rows == [(2, 0, "X999", "vu"), (4, 1, "X998", None), (7, 1, "X999", None)]
            assert conn.execute(
                "SELECT count(*) FROM rule_finding WHERE closed_at IS NOT NULL"
            ).fetchone() == (4,)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_database_migrated_by_a_newer_dimqa_is_one_line_at_start(server_url: str) -> None:
    """The code rolled back after an upgrade: the database's revision is unknown to it. `dimqa
    serve` and every command ended on Alembic's CommandError traceback."""
    with migrated_by_a_newer_dimqa(server_url) as url:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli.main", "migrate"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    where = make_url(url).render_as_string(hide_password=True)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"dimqa: cannot migrate the database {where}: Can't locate revision identified by "
        "'0099_future'; was it migrated by a newer version of dimqa? Run that version, or restore "
        "the database's backup from before it.\n"
    )
