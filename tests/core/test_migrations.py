from __future__ import annotations

import uuid

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


def test_single_migration_head() -> None:
    assert len(migrations.head_revisions()) == 1


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
