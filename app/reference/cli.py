"""`dimqa nomenclature ...`: load and list the nomenclature files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.auth.schemas import Principal, Role
from app.cli.database import command_database
from app.core import db
from app.core.compression import too_large
from app.core.config import get_settings
from app.core.problems import AppError
from app.reference import service
from app.reference.schemas import NomenclatureKind

nomenclature_app = typer.Typer(
    help="Load nomenclatures (CIM-10, CCAM, GHM, CMD labels, GHS tariffs, national DMS) used by the rules.",
    no_args_is_help=True,
)

CLI_PRINCIPAL = Principal(name="cli", role=Role.ADMIN, units=None)


@nomenclature_app.command("load")
def load(
    kind: Annotated[
        NomenclatureKind,
        typer.Argument(
            help="cim10, ccam, ghm, cmd, ghs_tariffs, ghm_dms, supplement_tariffs or tariff_coefficients"
        ),
    ],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV file, plain or .gz")
    ],
    year: Annotated[
        int, typer.Option(help="Nomenclature year, e.g. 2025 (the tariff campaign for ghs_tariffs)")
    ],
) -> None:
    """Replace one year of a nomenclature with FILE (all or nothing)."""
    try:
        limit = get_settings().max_decompressed_bytes
        if file.stat().st_size > limit:  # refused before it is read into memory
            raise too_large(service.LABELS[kind], limit)
        with command_database(get_settings()):
            with db.new_session() as session, session.begin():
                loaded = service.submit(
                    session, CLI_PRINCIPAL, kind=kind, year=year, data=file.read_bytes(), source=file.name
                )
                rows = loaded.rows
            typer.echo(f"loaded {rows} {kind.value} rows for {year} from {file.name}")
    except AppError as error:
        typer.echo(error.detail, err=True)
        for item in error.errors or []:
            where = f"line {item.line}" if item.line is not None else "file"
            typer.echo(f"  {where}, {item.field or '-'}: {item.message}", err=True)
        raise typer.Exit(1) from error


@nomenclature_app.command("list")
def list_loaded() -> None:
    """List loaded nomenclatures: kind, year, rows, load time."""
    with command_database(get_settings()), db.new_session() as session:
        for item in service.list_loaded(session):
            typer.echo(f"{item.kind.value}\t{item.year}\t{item.rows}\t{item.loaded_at:%Y-%m-%d %H:%M}")
