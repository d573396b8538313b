"""`dimqa token create|revoke` write the same audit entries as the API's token routes, and refuse
what the API refuses with one line on stderr and exit code 1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

Invoke = Callable[..., Result]


@pytest.fixture()
def invoke(database_url: str, clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Run `dimqa ...` in-process against the test database."""
    from app.cli.main import app
    from app.core import db, embedded_pg
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    # The command stops the embedded servers of its process: here, the tests' own server.
    monkeypatch.setattr(embedded_pg, "stop_all", lambda: None)
    get_settings.cache_clear()
    try:
        yield lambda *args: CliRunner().invoke(app, list(args))
    finally:
        get_settings.cache_clear()
        db.configure(database_url)


def token_audit(session: Session) -> list[tuple[Any, ...]]:
    rows = session.execute(
        text(
            "SELECT token_name, role, action, method, endpoint, object_type, object_ids, units "
            "FROM audit_log WHERE object_type = 'token' ORDER BY id"
        )
    )
    return [tuple(row) for row in rows]


def load_units(session: Session, *codes: str) -> None:
    from app.structure import service as structure_service
    from app.structure.schemas import StructureIn

    structure_service.replace_structure(
        session,
        StructureIn.model_validate(
            {"poles": [], "services": [], "units": [{"code": c, "label": c} for c in codes]}
        ),
    )
    session.commit()


def tokens(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row) for row in session.execute(text("SELECT name, role, units FROM api_token ORDER BY id"))
    ]


def test_token_create_and_revoke_are_audited(invoke: Invoke, session: Session) -> None:
    load_units(session, "7500")
    created = invoke("token", "create", "--name", "his-feed", "--role", "ingest", "--unit", "7500")
    assert created.exit_code == 0, created.output
    revoked = invoke("token", "revoke", "his-feed")
    assert revoked.exit_code == 0, revoked.output
    assert token_audit(session) == [
        ("cli", "admin", "write", "CLI", "dimqa token create", "token", ["his-feed"], ["7500"]),
        ("cli", "admin", "write", "CLI", "dimqa token revoke", "token", ["his-feed"], ["7500"]),
    ]


def test_an_existing_name_is_one_line_on_stderr_and_exit_1(invoke: Invoke, session: Session) -> None:
    assert invoke("token", "create", "--name", "dashboard", "--role", "reader").exit_code == 0
    again = invoke("token", "create", "--name", "dashboard", "--role", "dim")
    assert (again.exit_code, again.stdout, again.stderr) == (
        1, "", "A token named 'dashboard' already exists.\n",
    )  # fmt: skip
    assert tokens(session) == [("dashboard", "reader", None)]


@pytest.mark.parametrize("name", ["", " ", "admin ", "dim\nadmin\tadmin\t*", "é" * 3, "x" * 101])
def test_a_name_the_api_refuses_creates_no_token(invoke: Invoke, session: Session, name: str) -> None:
    """A blank name was stored: listed as an empty column, not revocable by DELETE /tokens/{name}."""
    result = invoke("token", "create", "--name", name, "--role", "reader")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Token name {name!r} refused: 1 to 100 letters, digits or the characters . _ @ -.\n"
    )
    assert tokens(session) == [] and token_audit(session) == []


@pytest.mark.parametrize(
    ("units", "stderr"),
    [
        (["--unit", ""], "1 blank UM code(s) in `units`. (--unit #1: a UM code is empty or blank)\n"),
        (
            ["--unit", "7500", "--unit", "  "],
            "1 blank UM code(s) in `units`. (--unit #2: a UM code is empty or blank)\n",
        ),
        (
            ["--unit", "7500", "--unit", "9999"],
            "1 unknown UM code(s) in `units`: load the structure or the fichier d'UM first "
            "(PUT /api/v1/structure, POST /api/v1/structure/ium; dimqa ingest structure|ium). "
            "(--unit #2: UM '9999' is neither in the structure nor in the fichier d'UM)\n",
        ),
    ],
    ids=["empty", "blank", "unknown"],
)
def test_a_blank_or_unknown_unit_creates_no_token(
    invoke: Invoke, session: Session, units: list[str], stderr: str
) -> None:
    """`--unit ""` once made a token on every unit: a restriction that fails must fail closed."""
    load_units(session, "7500")
    result = invoke("token", "create", "--name", "onco", "--role", "dim", *units)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", stderr)
    assert tokens(session) == [] and token_audit(session) == []


def test_a_unit_of_the_fichier_d_um_alone_is_known(invoke: Invoke, session: Session) -> None:
    from app.structure import repository as structure_repository

    structure_repository.upsert_authorisations(
        session,
        [{"unit_code": "7600", "finess_geo": "750000001", "auth_type": "01A", "effect_date": date(2024, 1, 1),
          "beds": 10, "hosp_mode": "C"}],
    )  # fmt: skip
    session.commit()
    result = invoke("token", "create", "--name", "onco", "--role", "dim", "--unit", " 7600 ")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "created token 'onco' role=dim units=7600"
    assert tokens(session) == [("onco", "dim", ["7600"])]


def test_a_failed_revoke_writes_no_entry(invoke: Invoke, session: Session) -> None:
    result = invoke("token", "revoke", "nobody")
    assert result.exit_code == 1
    assert token_audit(session) == []


def test_the_first_start_admin_token_is_audited(session: Session, capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import _first_start_banner

    _first_start_banner("127.0.0.1", 8000)
    assert "DIMQA_TOKEN=" in capsys.readouterr().out
    assert token_audit(session) == [
        ("cli", "admin", "write", "CLI", "dimqa serve (first start)", "token", ["admin"], None)
    ]


def test_a_connection_lost_during_a_command_is_one_line_and_exit_1(
    invoke: Invoke, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server restarted or a network cut during a command: it was a traceback of some 300 lines."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import OperationalError

    from app.auth import service as auth_service

    def lost(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("the connection is lost\nsome hint"))

    monkeypatch.setattr(auth_service, "list_tokens", lost)
    result = invoke("token", "list")
    where = make_url(database_url).render_as_string(hide_password=True)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"dimqa: lost the database {where}: the connection is lost; the transaction in progress was "
        "rolled back: run the command again.\n"
    )
