"""The Dockerfile, read as instructions (no Docker daemon needed): a builder stage with a compiler
compiles the hot modules and builds the wheels, a slim runtime stage installs them without one."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

Instruction = tuple[str, str]  # ("RUN", "pip install ...")


def stages(text: str) -> list[list[Instruction]]:
    """The instructions of each stage, a stage starting at its FROM; continuation lines joined and
    comments dropped, as Docker reads them."""
    logical = re.sub(
        r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    )
    found: list[list[Instruction]] = []
    for line in logical.splitlines():
        if not line.strip():
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            found.append([])
        found[-1].append((keyword.upper(), " ".join(arguments.split())))
    return found


def commands(stage: list[Instruction], keyword: str) -> list[str]:
    return [arguments for name, arguments in stage if name == keyword]


STAGES = stages((ROOT / "Dockerfile").read_text(encoding="utf-8"))
BUILDER, RUNTIME = STAGES if len(STAGES) == 2 else ([], [])


def test_the_parser_joins_continuations_and_splits_stages() -> None:
    text = '# c\nFROM a AS b\nRUN x \\\n    && y\nFROM c\nCMD ["z"]\n'
    assert stages(text) == [[("FROM", "a AS b"), ("RUN", "x && y")], [("FROM", "c"), ("CMD", '["z"]')]]


def test_two_stages_a_full_builder_and_a_slim_runtime() -> None:
    assert len(STAGES) == 2
    assert BUILDER[0] == ("FROM", "python:3.11 AS builder")  # gcc and the Python headers
    assert RUNTIME[0] == ("FROM", "python:3.11-slim")


def test_the_builder_compiles_with_mypyc_and_then_builds_the_wheels() -> None:
    assert "tools ./tools" in commands(BUILDER, "COPY")
    assert "app ./app" in commands(BUILDER, "COPY")
    assert "pyproject.toml README.md constraints.txt ./" in commands(BUILDER, "COPY")
    [run] = commands(BUILDER, "RUN")
    steps = [step.strip() for step in run.split("&&")]
    # Required: a builder without a compiler fails instead of producing an interpreted image.
    assert steps == [
        "pip install -c constraints.txt '.[native]'",
        "python -m tools.build_native build --require",
        "pip wheel -c constraints.txt --wheel-dir /wheels .",
    ]


def test_the_runtime_installs_the_builders_wheels_without_a_compiler_and_checks_they_are_compiled() -> None:
    assert commands(RUNTIME, "COPY") == [
        "alembic.ini ./",
        "migrations ./migrations",
        "--from=builder /wheels /tmp/wheels",
    ]
    [run] = commands(RUNTIME, "RUN")
    steps = [step.strip() for step in run.split("&&")]
    assert steps[:2] == ["pip install --no-index --find-links /tmp/wheels dimqa", "rm -rf /tmp/wheels"]
    assert 'python -c "from app.core import compiled; s = compiled.status(); assert s.complete, s"' in steps
    assert not re.search(r"\b(gcc|build-essential|apt-get|mypy|native)\b", run)


def test_the_runtime_runs_as_a_user_with_the_same_health_check_and_command() -> None:
    assert commands(RUNTIME, "USER") == ["dimqa"]
    assert commands(RUNTIME, "EXPOSE") == ["8000"]
    assert commands(RUNTIME, "HEALTHCHECK") == [
        '--interval=30s --timeout=5s CMD python -c "import urllib.request,sys; '
        "urllib.request.urlopen('http://127.0.0.1:8000/healthz')\" || exit 1"
    ]
    [cmd] = commands(RUNTIME, "CMD")
    assert json.loads(cmd) == [
        "sh",
        "-c",
        "test -n \"$DATABASE_URL\" || { echo 'DATABASE_URL is required' >&2; exit 1; }; "
        'test -n "$DIMQA_SECRET_KEY" || { echo "DIMQA_SECRET_KEY is required: the key of the token hashes '
        "must outlive the container (generate one once: python -c 'import secrets; "
        "print(secrets.token_hex(32))')\" >&2; exit 1; }; "
        "exec dimqa serve --host 0.0.0.0 --port 8000",
    ]
    assert not commands(BUILDER, "USER") and not commands(BUILDER, "CMD")


def test_the_build_context_leaves_out_the_hosts_extensions() -> None:
    """The host's .so files are built for its Python; the builder compiles its own."""
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {"**/*.so", "app/native-manifest.json", ".venv", "var"} <= set(ignored)


def test_the_wheel_carries_the_extensions_and_their_manifest() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]["app"]
    assert {"native-manifest.json", "*.so", "**/*.so"} <= set(package_data)


def _start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The runtime's CMD run by sh as Docker runs it, with `dimqa` a stub saying it was started."""
    stub = tmp_path / "dimqa"
    stub.write_text('#!/bin/sh\necho "dimqa $*"\n')
    stub.chmod(0o755)
    [cmd] = commands(RUNTIME, "CMD")
    argv = json.loads(cmd)
    assert argv[:2] == ["sh", "-c"]
    return subprocess.run(
        argv, env={"PATH": f"{tmp_path}:/usr/bin:/bin", **env}, capture_output=True, text=True, check=False
    )


def test_the_image_starts_only_with_a_database_and_a_secret_key_that_outlive_the_container(
    tmp_path: Path,
) -> None:
    """Without DIMQA_SECRET_KEY the server key was generated into the container's own var/: the next
    container (an upgrade, a `docker rm`) made another, and every token in the database answered 401
    (first-start banner skipped, tokens exist), every webhook secret could no longer be unsealed."""
    url = "postgresql://dimqa@db:5432/dimqa"
    started = _start(tmp_path, DATABASE_URL=url, DIMQA_SECRET_KEY="k" * 64)
    assert (started.returncode, started.stdout) == (0, "dimqa serve --host 0.0.0.0 --port 8000\n")
    no_key = _start(tmp_path, DATABASE_URL=url)
    assert (no_key.returncode, no_key.stdout) == (1, "")
    assert no_key.stderr == (
        "DIMQA_SECRET_KEY is required: the key of the token hashes must outlive the container "
        "(generate one once: python -c 'import secrets; print(secrets.token_hex(32))')\n"
    )
    no_database = _start(tmp_path, DIMQA_SECRET_KEY="k" * 64)
    assert (no_database.returncode, no_database.stderr) == (1, "DATABASE_URL is required\n")
