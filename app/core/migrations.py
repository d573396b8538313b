"""Alembic driven from code: `dimqa migrate`, start-up, tests and /readyz share it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from app.core.config import PROJECT_ROOT


def _home() -> Path:
    # Source checkout (editable install) first; a container installs the package into
    # site-packages and keeps alembic.ini and migrations/ in its working directory.
    for candidate in (PROJECT_ROOT, Path.cwd()):
        if (candidate / "migrations" / "env.py").is_file():
            return candidate
    raise RuntimeError("migrations/ not found beside the project or in the working directory")


def alembic_config(url: str) -> Config:
    home = _home()
    config = Config(str(home / "alembic.ini"))
    config.set_main_option("script_location", str(home / "migrations"))
    # "%" must be doubled for configparser interpolation (passwords may contain it).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


@lru_cache
def head_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused"))
    return frozenset(script.get_heads())


@lru_cache
def known_revisions() -> frozenset[str]:
    """Every revision of this code's migrations (head and its ancestors)."""
    script = ScriptDirectory.from_config(alembic_config("postgresql+psycopg://unused"))
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as connection:
        return heads_of(connection)


def heads_of(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def at_head(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()
