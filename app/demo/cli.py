"""`dimqa demo`: load the demo year (shaped like the reference hospital's 2022) into the database."""

from __future__ import annotations

from typing import Annotated

import typer

from app.auth.schemas import Principal, Role
from app.cli.database import command_database
from app.core import db
from app.core.config import get_settings
from app.core.problems import AppError
from app.demo.generator import DEFAULT_SEED, SUPPORTED_YEARS
from app.demo.reference_2022 import YEAR

# The demo writes under this name in the audit log and the batches' token column.
DEMO_PRINCIPAL = Principal(name="demo", role=Role.ADMIN, units=None)


def demo(
    year: Annotated[
        int,
        typer.Option(
            min=SUPPORTED_YEARS.start,
            max=SUPPORTED_YEARS.stop - 1,
            help="Year to generate (the reference figures are those of 2022)",
        ),
    ] = YEAR,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed always gives the same data")
    ] = DEFAULT_SEED,
) -> None:
    """Load the demo year through the ingestion services (idempotent: a second run changes nothing)."""
    from app.demo.service import load_demo

    try:
        with command_database(get_settings()):
            with db.new_session() as session, session.begin():
                summary = load_demo(session, year=year, seed=seed, principal=DEMO_PRINCIPAL)
            typer.echo(summary.line())
            typer.echo(summary.planted_line())
            for note in summary.notes:
                typer.echo(f"  note: {note}", err=True)
    except AppError as error:
        typer.echo(f"demo not loaded: {error.detail}", err=True)
        raise typer.Exit(1) from error
