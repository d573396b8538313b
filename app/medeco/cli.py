"""`dimqa ingest rsa`: the grouper's archive, or its RSA and TRA files, through the API's service code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.auth.schemas import Principal, Role
from app.cli import exit_codes
from app.cli.database import command_database
from app.cli.options import IdempotencyKeyOption
from app.core import db, origin
from app.core.config import get_settings
from app.core.problems import AppError, PayloadTooLarge
from app.medeco import service
from app.medeco.rsa_parser import GrouperOutput

CLI_PRINCIPAL = Principal(name="cli", role=Role.ADMIN, units=None)


def ingest_rsa(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="The DRUIDES/GENRSA archive (*.out.zip), or the RSA file when --tra is given",
        ),
    ],  # fmt: skip
    tra: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, readable=True, help="The TRA file (.tra.txt or tra2016)"),
    ] = None,
    campaign: Annotated[
        int | None, typer.Option(help="Tariff campaign of these RSA; default: the one in force at exit")
    ] = None,
    idempotency_key: IdempotencyKeyOption = None,
) -> None:
    """Ingest the grouper's output (RSA + TRA) as one batch; exit 0 stored, 3 partial, 1 refused."""
    try:
        limit = get_settings().max_decompressed_bytes
        if tra is None:
            output = service.open_archive(path.read_bytes())
        else:
            output = GrouperOutput(path.read_bytes(), tra.read_bytes(), path.name, tra.name)
        if max(len(output.rsa), len(output.tra)) > limit:
            raise PayloadTooLarge(f"A file is larger than {limit} bytes.")
        with command_database(get_settings()):
            with db.new_session() as session, session.begin(), origin.command("dimqa ingest rsa"):
                batch, created = service.ingest(
                    session, output, principal=CLI_PRINCIPAL, source="cli", campaign=campaign,
                    idempotency_key=idempotency_key,
                )  # fmt: skip
            typer.echo(
                json.dumps(
                    {"created": created, **batch.model_dump(mode="json")}, ensure_ascii=False, indent=2
                )
            )
    except AppError as error:
        errors = [e.as_dict() for e in error.errors or []]
        typer.echo(json.dumps({"error": error.detail, "errors": errors}, ensure_ascii=False), err=True)
        raise typer.Exit(exit_codes.REFUSED) from error
    if batch.status == "rejected":
        typer.echo(
            f"batch {batch.id} rejected: none of its {batch.rsa_rejected} RSA stored, see errors", err=True
        )
        raise typer.Exit(exit_codes.REFUSED)
    if batch.status == "partial":
        typer.echo(
            f"batch {batch.id} partial: {batch.rsa_accepted} RSA stored, {batch.rsa_rejected} rejected, "
            "see errors",
            err=True,
        )
        raise typer.Exit(exit_codes.PARTIAL)
