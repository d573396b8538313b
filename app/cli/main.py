"""`dimqa` command line: serve, migrate, tokens (and the domain commands mounted below)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer

from app.auth import service as auth_service
from app.auth.schemas import Principal, Role, valid_token_name
from app.cli.database import command_database, open_database
from app.core import compiled, db, dbwaits, embedded_pg, origin
from app.core.config import Settings, environment_errors, get_settings
from app.core.logging import configure_logging
from app.core.problems import AppError
from app.demo.cli import demo as demo_command
from app.ingestion import service as ingestion_service
from app.ingestion import workers as ingestion_workers
from app.ingestion.cli import ingest_app, rhs_alias_app
from app.reference.cli import nomenclature_app
from app.turnaround.settings import TurnaroundSettings

logger = logging.getLogger(__name__)

app = typer.Typer(help="dimqa: PMSI coding-quality service for the DIM.", no_args_is_help=True)
token_app = typer.Typer(
    help="Manage API tokens (stored hashed; the secret is shown once).", no_args_is_help=True
)
app.add_typer(token_app, name="token")
app.add_typer(nomenclature_app, name="nomenclature")
app.add_typer(ingest_app, name="ingest")
app.add_typer(rhs_alias_app, name="rhs", hidden=True)  # deprecated: dimqa ingest rhs
app.command("demo")(demo_command)


@app.callback()
def _check_environment() -> None:
    # Before any command: an invalid DIMQA_* value (or DATABASE_URL) was a pydantic traceback in
    # the middle of a start, after the port was taken; one line naming each variable instead.
    errors = [
        error
        for kind in (Settings, dbwaits.WaitSettings, TurnaroundSettings)
        for error in environment_errors(kind)
    ]
    if errors:
        typer.echo(f"dimqa: invalid configuration: {'; '.join(errors)}", err=True)
        raise typer.Exit(1)


# Token commands are audited like the API's token routes, under this name (as `dimqa ingest`).
CLI_PRINCIPAL = Principal(name="cli", role=Role.ADMIN, units=None)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    # Bounded here: bind() raised OverflowError, a traceback, for a port past 65535.
    port: Annotated[int, typer.Option(help="TCP port", min=0, max=65535)] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            envvar="DIMQA_DEMO",
            help="On first start (empty database), load the demo year (env DIMQA_DEMO=0 turns it off)",
        ),
    ] = True,
) -> None:
    """Migrate the database, then serve the API (embedded PostgreSQL when DATABASE_URL is unset)."""
    import uvicorn

    from app.main import create_app

    # First of all: a port in use must not be found after the migrations, the demo load and the
    # first admin token, printed once and then lost with the failed start.
    listener = _listen_socket(host, port)
    settings = get_settings()
    configure_logging(settings.log_level)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _log_native_status()
    try:
        url = open_database(settings)
        _first_start_banner(host, port, demo=demo)
        # The first start's demo load waited as long as it needed; requests are bounded: a hung
        # database answers 503 within seconds (app.core.dbwaits, DIMQA_DB_*).
        db.configure(url, pool_size=settings.db_pool_size, waits=dbwaits.request_waits())
        if count := ingestion_service.worker_count():
            # Started beside the server: the first large batch then finds its workers ready.
            threading.Thread(
                target=ingestion_workers.start, args=(count,), name="workers-start", daemon=True
            ).start()
        config = uvicorn.Config(create_app(settings), host=host, port=port, log_config=None, access_log=False)
        server = uvicorn.Server(config)
        logger.info("listening", extra={"address": f"http://{host}:{port}"})
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, re-raised by uvicorn once it stopped
            server.run(sockets=[listener])
        if not server.started:
            raise SystemExit(3)  # uvicorn's own code for a failed startup (the lifespan failed)
    finally:
        listener.close()
        ingestion_workers.shutdown()
        embedded_pg.stop_all()


def _listen_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound to (host, port) as uvicorn binds it; exits with one line on stderr
    and status 1 when the address is taken or unusable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off (TCP_NODELAY) only on connections whose
    # socket says TCP, and without it a small response body written after its headers waits for
    # the client's delayed ACK, about 40 ms on every short answer.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        if error.errno == errno.EADDRINUSE:
            reason = (
                f"port {port} is already in use on {host} (another dimqa serve?); "
                "stop it, or choose another port with --port"
            )
        else:
            reason = f"cannot listen on {host}:{port}: {error.strerror or error}"
        typer.echo(f"dimqa serve: {reason}", err=True)
        raise typer.Exit(1) from None
    return listener


def _log_native_status() -> None:
    status = compiled.status()
    if status.stale:
        logger.warning(
            "compiled modules older than their source: run `make native`", extra={"modules": status.stale}
        )
    elif status.complete:
        logger.info("ingestion modules compiled", extra={"modules": len(status.compiled)})
    else:
        logger.warning(
            "ingestion modules interpreted (about half as fast): run `make native`",
            extra={"reason": status.unavailable or "not built"},
        )


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (systemd, Docker, `kill`) ends `dimqa serve` like Ctrl-C: uvicorn shuts down
    gracefully, then raises the signal again with the handler it found, this one, so that the
    `finally` stopping the embedded PostgreSQL runs; with the default handler the process died there
    and left the server running."""
    raise SystemExit(128 + signum)


def _first_start_banner(host: str, port: int, *, demo: bool = False) -> None:
    with db.new_session() as session, session.begin():
        if auth_service.has_active_tokens(session):
            return
        with origin.command("dimqa serve (first start)"):
            token, secret = auth_service.create_first_admin(session, CLI_PRINCIPAL)
    base = f"http://{host}:{port}"
    try:
        if demo:
            _load_first_start_demo()
    finally:
        # Even when the demo load is interrupted (Ctrl-C, SIGTERM during its minute): the token is
        # stored already, and the next start, finding it, prints nothing. It was lost.
        print(
            "\n"
            "First start: an admin token was created; it is shown only this once:\n"
            f"  export DIMQA_TOKEN={secret}\n"
            f"  curl {base}/readyz\n"
            f'  curl -H "Authorization: Bearer $DIMQA_TOKEN" {base}/api/v1/me\n'
            f"  API docs: {base}/docs\n"
            "Lost it? Another admin token, at any time (the service may be running):\n"
            f"  {_command()} token create --name NAME --role admin\n",
            flush=True,
        )


def _command() -> str:
    """How the user can call dimqa again: `dimqa` when that is on PATH, else the path of the
    script that started this process (`.venv/bin/dimqa` under `make run`)."""
    script = Path(sys.argv[0])
    if script.name != "dimqa":
        return "dimqa"  # python -m app.cli.main, tests
    on_path = shutil.which("dimqa")
    if on_path is not None and Path(on_path).resolve() == script.resolve():
        return "dimqa"
    try:
        return os.path.relpath(script)
    except ValueError:
        return str(script)


def _load_first_start_demo() -> None:
    """The demo year, in its own transaction: a failure leaves the service usable and empty."""
    from app.demo.cli import DEMO_PRINCIPAL
    from app.demo.service import holds_data, load_demo

    try:
        with db.new_session() as session, session.begin():
            if holds_data(session):
                return  # not an empty database: tokens were revoked, data stays as it is
            print("First start: loading the demo year (--no-demo or DIMQA_DEMO=0 to skip)...", flush=True)
            summary = load_demo(session, principal=DEMO_PRINCIPAL)
        print(summary.line(), flush=True)
        print(summary.planted_line(), flush=True)
    except Exception as error:  # the server must start anyway; the demo can be loaded later
        reason = f"{type(error).__name__}: {error}"
        print(f"Demo year not loaded ({reason}); run `dimqa demo` to retry.", flush=True)
    except (KeyboardInterrupt, SystemExit):  # stopped during the load: rolled back, nothing kept
        print("Demo year not loaded (interrupted); run `dimqa demo` to load it.", flush=True)
        raise


@app.command()
def migrate() -> None:
    """Apply the Alembic migrations up to head."""
    with command_database(get_settings()):
        typer.echo("database at head")


@app.command("turnaround-rebuild")
def turnaround_rebuild() -> None:
    """Recompute the turnaround's derived stay and document periods from all stored events (run
    after any change of the derivation rules; migration 0010 carries its own copy in SQL)."""
    from app.turnaround import derivation

    with command_database(get_settings()):
        with db.new_session() as session, session.begin():
            count = derivation.rebuild_derived(session)
        typer.echo(f"turnaround: derived rows of {count} stay numbers rebuilt")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Unique token name (shown in the audit log)")],
    role: Annotated[Role, typer.Option(help="ingest, reader, dim or admin")],
    unit: Annotated[
        list[str] | None,
        typer.Option(help="Restrict to this UM, in the structure or the fichier d'UM (repeatable)"),
    ] = None,
) -> None:
    """Create a token; its secret is printed alone on the last line."""
    # The API's rule (POST /api/v1/tokens): an empty, blank or multi-line name was stored, listed
    # as an empty column or a forged line, and could not be revoked through the API.
    if not valid_token_name(name):
        typer.echo(
            f"Token name {name!r} refused: 1 to 100 letters, digits or the characters . _ @ -.", err=True
        )
        raise typer.Exit(1)
    try:
        with command_database(get_settings()):
            with db.new_session() as session, session.begin():
                with origin.command("dimqa token create"):
                    token, secret = auth_service.grant_token(
                        session, CLI_PRINCIPAL, name=name, role=role, units=unit
                    )
                scope = ",".join(token.units) if token.units else "all units"
            typer.echo(f"created token {name!r} role={role.value} units={scope}")
            typer.echo(secret)
    except AppError as error:
        _refused(error)


@token_app.command("list")
def token_list() -> None:
    """List tokens (names, roles, units, state; never secrets)."""
    with command_database(get_settings()), db.new_session() as session:
        for token in auth_service.list_tokens(session, CLI_PRINCIPAL):
            state = "revoked" if token.revoked_at else "active"
            units = ",".join(token.units) if token.units else "*"
            typer.echo(f"{token.name}\t{token.role}\t{units}\t{state}\t{token.created_at:%Y-%m-%d}")


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="Token name")]) -> None:
    """Revoke a token at once."""
    try:
        with command_database(get_settings()):
            with db.new_session() as session, session.begin(), origin.command("dimqa token revoke"):
                auth_service.revoke_token(session, CLI_PRINCIPAL, name=name)
            typer.echo(f"revoked {name!r}")
    except AppError as error:
        _refused(error)


def _refused(error: AppError) -> NoReturn:
    """A refused token command: one line on stderr (the reason, then each located error), exit 1."""
    # The located errors are about `units`, given as repeated --unit options: #n is the n-th.
    reasons = "; ".join(
        f"--unit #{item.line}: {item.message}" if item.line is not None else item.message
        for item in error.errors or ()
    )
    typer.echo(f"{error.detail} ({reasons})" if reasons else error.detail, err=True)
    raise typer.Exit(1) from error


if __name__ == "__main__":
    app()
