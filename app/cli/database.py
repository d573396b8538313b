"""Database resolution shared by every CLI command: DATABASE_URL, or the embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

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
        try:
            migrations.upgrade(url)
        except (OperationalError, InterfaceError) as error:
            # A stopped server, a wrong host, port, database or password: one line saying which
            # database (password hidden) and libpq's reason, not SQLAlchemy's two tracebacks.
            typer.echo(f"dimqa: cannot connect to the database {_where(url)}: {_reason(error)}", err=True)
            raise typer.Exit(1) from None
        except CommandError as error:
            # A revision this code does not know: the database was migrated by a newer dimqa (the
            # code rolled back after an upgrade). Alembic's CommandError traceback said it last.
            typer.echo(
                f"dimqa: cannot migrate the database {_where(url)}: {error}; was it migrated by a newer "
                "version of dimqa? Run that version, or restore the database's backup from before it.",
                err=True,
            )
            raise typer.Exit(1) from None
    db.configure(url, pool_size=settings.db_pool_size)
    return url


@contextmanager
def command_database(settings: Settings) -> Iterator[None]:
    """The database of one command: opened (`open_database`) on entry, and the embedded server, when
    the command started one, stopped on the way out whatever happened."""
    try:
        url = open_database(settings)
        try:
            yield
        except (OperationalError, InterfaceError) as error:
            # The connection lost during the command (a server restarted, a network cut): its
            # transaction is rolled back. It was a traceback of some 300 lines.
            typer.echo(
                f"dimqa: lost the database {_where(url)}: {_reason(error)}; the transaction in "
                "progress was rolled back: run the command again.",
                err=True,
            )
            raise typer.Exit(1) from None
    finally:
        embedded_pg.stop_all()


def _where(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _reason(error: OperationalError | InterfaceError) -> str:
    """libpq's reason, its first line (the others are hints about the server's address)."""
    return str(error.orig or error).strip().splitlines()[0]
