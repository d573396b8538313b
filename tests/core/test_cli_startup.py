"""What a newcomer sees: `make run` says what each long step does, `dimqa serve` fails at once and
in one line on a busy port (before any migration, token or demo load), the first admin token comes
with how to make another, and no command prints platformdirs' XDG_RUNTIME_DIR warning."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.core.compiled import PROJECT_ROOT


def dimqa(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli.main", *args], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_what_each_long_step_does_before_it() -> None:
    # A dry run (-n) of every step (-B): prints the commands, runs none of them. Under `make test`
    # the outer make's MAKELEVEL/MAKEFLAGS would make this one print "Entering directory" lines.
    outer_make = {"MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "run", "PYTHON=python3"],
        env={name: value for name, value in os.environ.items() if name not in outer_make},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == [
        'echo "dimqa: creating the virtualenv .venv (python3)"',
        "python3 -m venv .venv",
        ".venv/bin/pip install --quiet --upgrade pip",
        'echo "dimqa: installing dimqa and its dependencies into .venv (pip, a few minutes the first time)"',
        ".venv/bin/pip install --quiet -c constraints.txt -e '.[native]'",
        "touch .venv/.installed",
        ".venv/bin/python -m tools.build_native build",  # says "compiling N modules" itself
        'echo "dimqa: starting the service (migrations, then the demo year on first start; Ctrl-C stops it)"',
        ".venv/bin/dimqa serve",
    ]


def test_serve_on_a_busy_port_fails_first_in_one_line(database_url: str, session: Session) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "DIMQA_DEMO": "1"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = dimqa("serve", "--port", str(port), env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"dimqa serve: port {port} is already in use on 127.0.0.1 (another dimqa serve?); "
        "stop it, or choose another port with --port\n"
    )
    # Nothing happened before: no token printed and lost, no demo loaded.
    for table in ("api_token", "rum_batch", "structure_unit", "audit_log"):
        assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table


def test_serve_on_an_address_it_cannot_use_says_why(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    result = dimqa("serve", "--host", "192.0.2.1", "--port", "8000", env=env)  # TEST-NET-1: not ours
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "dimqa serve: cannot listen on 192.0.2.1:8000: Cannot assign requested address\n"


def test_serve_on_a_port_out_of_range_is_a_wrong_command_line(database_url: str, session: Session) -> None:
    result = dimqa("serve", "--port", "99999", env={**os.environ, "DATABASE_URL": database_url})
    assert (result.returncode, result.stdout) == (2, "")  # was 1, with an OverflowError traceback
    assert "Invalid value for '--port': Input should be less than or equal to 65535" in result.stderr
    assert "Traceback" not in result.stderr
    assert session.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0


def test_the_first_start_banner_says_how_to_get_another_token(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli.main import _first_start_banner

    _first_start_banner("127.0.0.1", 8000)
    lines = capsys.readouterr().out.splitlines()
    assert session.execute(text("SELECT count(*) FROM api_token WHERE name = 'admin'")).scalar_one() == 1
    assert lines[0] == ""
    assert lines[1] == "First start: an admin token was created; it is shown only this once:"
    assert lines[2].startswith("  export DIMQA_TOKEN=dq_")
    assert lines[3:] == [
        "  curl http://127.0.0.1:8000/readyz",
        '  curl -H "Authorization: Bearer $DIMQA_TOKEN" http://127.0.0.1:8000/api/v1/me',
        "  API docs: http://127.0.0.1:8000/docs",
        "Lost it? Another admin token, at any time (the service may be running):",
        "  dimqa token create --name NAME --role admin",
        "",
    ]


def test_the_token_is_shown_when_the_first_demo_load_is_interrupted(
    session: Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM during the first start's demo load: the token, already stored, was never
    printed, and the next start, finding it, printed nothing either."""
    from app.cli.main import _first_start_banner
    from app.demo import service as demo_service

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_service, "load_demo", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _first_start_banner("127.0.0.1", 8000, demo=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "First start: loading the demo year (--no-demo or DIMQA_DEMO=0 to skip)...",
        "Demo year not loaded (interrupted); run `dimqa demo` to load it.",
        "",
        "First start: an admin token was created; it is shown only this once:",
    ]
    assert lines[4].startswith("  export DIMQA_TOKEN=dq_")
    assert session.execute(text("SELECT count(*) FROM api_token WHERE name = 'admin'")).scalar_one() == 1


def test_the_banner_names_the_script_that_is_not_on_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from app.cli.main import _command

    script = tmp_path / ".venv" / "bin" / "dimqa"
    script.parent.mkdir(parents=True)
    script.write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "serve"])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert _command() == ".venv/bin/dimqa"
    monkeypatch.setenv("PATH", str(script.parent))
    script.chmod(0o755)
    assert _command() == "dimqa"


def test_no_command_prints_the_xdg_runtime_dir_warning(tmp_path: Path) -> None:
    """platformdirs warns when XDG_RUNTIME_DIR is unset (cron, containers, sudo) at the import of
    the embedded PostgreSQL's package: a command on the embedded server is the case to check."""
    unset = ("XDG_RUNTIME_DIR", "DATABASE_URL", "PYTHONWARNINGS")
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env["DIMQA_VAR_DIR"] = str(tmp_path)
    helped = dimqa("--help", env=env)
    assert (helped.returncode, helped.stderr) == (0, "")
    migrated = dimqa("migrate", env=env)
    assert (migrated.returncode, migrated.stdout, migrated.stderr) == (0, "database at head\n", "")


def test_an_invalid_setting_is_one_line_before_anything(database_url: str, session: Session) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DIMQA_INGEST_WORKERS": "four",
        "DIMQA_DB_CONNECT_TIMEOUT": "1",
        "DIMQA_MAX_BODY_BYTES": "0",
    }
    result = dimqa("serve", "--port", "0", env=env)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "dimqa: invalid configuration: "
        "DIMQA_MAX_BODY_BYTES: Input should be greater than 0; "
        "DIMQA_INGEST_WORKERS: Input should be a valid integer, unable to parse string as an integer; "
        "DIMQA_DB_CONNECT_TIMEOUT: Input should be greater than or equal to 2\n"
    )
    # Refused before the migrations, the first admin token and the demo load.
    assert session.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0
    level = dimqa(
        "token", "list", env={**os.environ, "DATABASE_URL": database_url, "DIMQA_LOG_LEVEL": "verbose"}
    )
    assert (level.returncode, level.stdout) == (1, "")
    assert level.stderr == (
        "dimqa: invalid configuration: "
        "DIMQA_LOG_LEVEL: a log level is one of DEBUG, INFO, WARNING, ERROR, CRITICAL\n"
    )


def test_the_log_level_is_read_in_any_case() -> None:
    from app.core.config import Settings
    from app.core.logging import configure_logging

    settings = Settings(log_level="debug")
    assert settings.log_level == "DEBUG"
    configure_logging(settings.log_level)  # `debug` as written was a ValueError at the start of serve
    assert logging.getLogger().level == logging.DEBUG
    configure_logging("INFO")


def test_a_database_it_cannot_reach_is_one_line_without_the_password() -> None:
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"postgresql://dimqa:s3cret@127.0.0.1:{port}/dimqa"}
    refused = (
        f"dimqa: cannot connect to the database postgresql+psycopg://dimqa:***@127.0.0.1:{port}/dimqa: "
        f'connection failed: connection to server at "127.0.0.1", port {port} failed: Connection refused\n'
    )
    migrated = dimqa("migrate", env=env)
    assert (migrated.returncode, migrated.stdout, migrated.stderr) == (1, "", refused)
    served = dimqa("serve", "--port", "0", env=env)
    assert (served.returncode, served.stdout) == (1, "")
    # After the JSON log line of the compiled modules, that line alone: no traceback.
    assert served.stderr.splitlines(keepends=True)[1:] == [refused]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://dimqa@127.0.0.1:5432a/dimqa", "not a URL"),
        ("mysql://dimqa@127.0.0.1/dimqa", "not a PostgreSQL URL with the psycopg driver"),
    ],
)
def test_a_database_url_that_is_not_postgresql_is_one_line(url: str, reason: str) -> None:
    result = dimqa("token", "list", env={**os.environ, "DATABASE_URL": url})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"dimqa: invalid configuration: DATABASE_URL: {reason}; "
        "expected postgresql://user:password@host:5432/database\n"
    )
