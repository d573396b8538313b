"""Database resolution shared by every CLI command: DATABASE_URL, or the embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.core import db, embedded_pg, migrations
from app.core.config import Settings


def resolve_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return embedded_pg.start(settings.var_dir / "pgdata")


def open_database(settings: Settings, *, migrate: bool = True) -> str:
    """Configure the process on the database, migrated to head; returns the URL."""
    url = resolve_url(settings)
    if migrate:
        migrations.upgrade(url)
    db.configure(url, pool_size=settings.db_pool_size)
    return url


@contextmanager
def command_database(settings: Settings) -> Iterator[None]:
    """The database of one command: opened (`open_database`) on entry, and the embedded server, when
    the command started one, stopped on the way out whatever happened."""
    try:
        open_database(settings)
        yield
    finally:
        embedded_pg.stop_all()
