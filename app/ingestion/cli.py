"""`dimqa ingest rss|rhs|rsa|ium|structure FILE`: the same service code as the API, audited as `cli`.

`dimqa rhs ingest FILE`, the first RHS command, remains as a hidden deprecated alias of
`dimqa ingest rhs` (`rhs_alias_app`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from app.auth.schemas import Principal, Role
from app.cli import exit_codes
from app.cli.database import command_database
from app.cli.options import IdempotencyKeyOption
from app.core import db, origin
from app.core.config import get_settings
from app.core.fixedwidth.text import BOM
from app.core.problems import AppError
from app.medeco.cli import ingest_rsa

ingest_app = typer.Typer(help="Load files through the same code as the API.", no_args_is_help=True)
CLI_PRINCIPAL = Principal(name="cli", role=Role.ADMIN, units=None)

FileArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _run(action: str, path: Path, *, idempotency_key: str | None = None) -> None:
    """Load the file in one transaction, print the outcome as JSON on stdout, and exit with the
    status of `app.cli.exit_codes`; rejected lines get a summary line on stderr."""
    from app.ingestion import service as ingestion_service
    from app.ingestion.rhs import service as rhs_service
    from app.structure import service as structure_service
    from app.structure.schemas import StructureIn

    try:
        with (
            command_database(get_settings()),
            db.new_session() as session,
            session.begin(),
            origin.command(f"dimqa ingest {action}"),
        ):
            if action == "rss":
                with path.open("rb") as stream:
                    batch, created = ingestion_service.ingest_rss_file(
                        session,
                        stream,
                        principal=CLI_PRINCIPAL,
                        source="cli",
                        idempotency_key=idempotency_key,
                    )
                result: object = {"created": created, **batch.model_dump(mode="json")}
                status, outcome = _rss_outcome(batch.id, batch.status, batch.rss_accepted, batch.rss_rejected)
            elif action == "rhs":
                with path.open("rb") as stream:
                    rhs_batch, created = rhs_service.ingest_rhs_file(
                        session,
                        stream,
                        principal=CLI_PRINCIPAL,
                        source="cli",
                        idempotency_key=idempotency_key,
                    )
                result = {"created": created, **rhs_batch.model_dump(mode="json")}
                status, outcome = exit_codes.STORED, None
                if rhs_batch.lines_rejected:
                    status = exit_codes.PARTIAL
                    outcome = (
                        f"batch {rhs_batch.id} partial: {rhs_batch.rhs_accepted} RHS read, "
                        f"{rhs_batch.lines_rejected} line(s) rejected, see errors"
                    )
            elif action == "ium":
                body = path.read_bytes()
                loaded = structure_service.submit_ium(session, CLI_PRINCIPAL, body)
                result = loaded.model_dump()
                status, outcome = exit_codes.STORED, None
                if loaded.lines_rejected:
                    stored = loaded.lines - loaded.lines_rejected
                    status = exit_codes.PARTIAL
                    outcome = f"{loaded.lines_rejected} line(s) rejected, {stored} stored: see errors"
            else:
                # A BOM (Windows editors) is skipped, as PUT /api/v1/structure's JSON reader does.
                structure = StructureIn.model_validate_json(path.read_bytes().removeprefix(BOM))
                result = structure_service.submit_structure(session, CLI_PRINCIPAL, structure).model_dump()
                status, outcome = exit_codes.STORED, None
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    except AppError as error:
        typer.echo(
            json.dumps({"error": error.detail, "errors": [e.as_dict() for e in error.errors or []]}), err=True
        )
        raise typer.Exit(exit_codes.REFUSED) from error
    except ValidationError as error:  # the structure file does not match PUT /api/v1/structure
        errors = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()]
        typer.echo(json.dumps({"error": "invalid structure file", "errors": errors}), err=True)
        raise typer.Exit(exit_codes.REFUSED) from error
    if outcome is not None:
        typer.echo(outcome, err=True)
    if status != exit_codes.STORED:
        raise typer.Exit(status)


def _rss_outcome(batch_id: int, status: str, accepted: int, rejected: int) -> tuple[int, str | None]:
    """Exit status and stderr line of an RSS batch (`status` of RumBatchRead)."""
    if status == "rejected":
        return exit_codes.REFUSED, f"batch {batch_id} rejected: none of its {rejected} RSS stored, see errors"
    if status == "partial":
        return (
            exit_codes.PARTIAL,
            f"batch {batch_id} partial: {accepted} RSS stored, {rejected} rejected, see errors",
        )
    return exit_codes.STORED, None


@ingest_app.command("rss")
def ingest_rss(
    path: FileArg,
    idempotency_key: IdempotencyKeyOption = None,
) -> None:
    """Ingest an RSS file (formats 016-023, grouped 116-123) as one batch, all or nothing."""
    _run("rss", path, idempotency_key=idempotency_key)


@ingest_app.command("rhs")
def ingest_rhs(
    path: FileArg,
    idempotency_key: IdempotencyKeyOption = None,
) -> None:
    """Ingest an RHS file (SSR/SMR, M09-M0D, grouped M19-M1D) as one batch, unreadable lines listed."""
    _run("rhs", path, idempotency_key=idempotency_key)


ingest_app.command("rsa")(ingest_rsa)


@ingest_app.command("ium")
def ingest_ium(path: FileArg) -> None:
    """Load a fichier d'UM (28-character lines); the authorisation history is kept."""
    _run("ium", path)


@ingest_app.command("structure")
def ingest_structure(path: FileArg) -> None:
    """Replace pôles, services and UMs from a JSON file shaped like PUT /api/v1/structure."""
    _run("structure", path)


rhs_alias_app = typer.Typer(help="Deprecated: dimqa ingest rhs.", no_args_is_help=True, hidden=True)


@rhs_alias_app.command("ingest", hidden=True)
def rhs_ingest_deprecated(
    path: FileArg,
    idempotency_key: IdempotencyKeyOption = None,
) -> None:
    """Deprecated alias of `dimqa ingest rhs`."""
    typer.echo("dimqa rhs ingest is deprecated: use dimqa ingest rhs (same file, same options)", err=True)
    _run("rhs", path, idempotency_key=idempotency_key)
