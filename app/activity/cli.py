"""`dimqa rhs ingest FILE`: load an SSR/SMR RHS file from the command line (same rules as the API)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.activity import service
from app.auth.schemas import Principal, Role
from app.cli import exit_codes
from app.cli.database import open_database
from app.core import db, embedded_pg
from app.core.config import get_settings
from app.core.problems import AppError

activity_cli = typer.Typer(help="SSR/SMR RHS files (weekly summaries).", no_args_is_help=True)

CLI_PRINCIPAL = Principal(name="cli", role=Role.ADMIN, units=None)
SHOWN_ERRORS = 20


@activity_cli.command("ingest")
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="RHS file")],
    idempotency_key: Annotated[
        str | None, typer.Option(help="Key making retries safe, as the API's Idempotency-Key")
    ] = None,
) -> None:
    """Store FILE as one RHS batch (grouped or not, M09 onwards): lines that cannot be read are
    listed and the others stored. Exit status 0 all stored, 1 nothing stored, 3 some lines rejected."""
    try:
        open_database(get_settings())
        with db.new_session() as session, session.begin(), file.open("rb") as stream:
            batch, created = service.ingest_rhs_file(
                session, stream, principal=CLI_PRINCIPAL, source="cli", idempotency_key=idempotency_key
            )
        verb = "stored" if created else "already received as"
        typer.echo(
            f"{verb} RHS batch {batch.id}: {batch.status}, {batch.lines} lines, "
            f"{batch.rhs_accepted} RHS read, {batch.rhs_stored} stored, "
            f"{batch.rhs_unchanged} unchanged, {batch.rhs_superseded} superseded, "
            f"{batch.lines_rejected} rejected"
        )
        for error in batch.errors[:SHOWN_ERRORS]:
            typer.echo(f"  line {error.line}, {error.field or '-'}: {error.code}: {error.message}", err=True)
    except AppError as error:
        typer.echo(error.detail, err=True)
        for item in (error.errors or [])[:SHOWN_ERRORS]:
            where = f"line {item.line}" if item.line is not None else "file"
            typer.echo(f"  {where}, {item.field or '-'}: {item.code}: {item.message}", err=True)
        raise typer.Exit(exit_codes.REFUSED) from error
    finally:
        embedded_pg.stop_all()
    if batch.lines_rejected:
        raise typer.Exit(exit_codes.PARTIAL)
