"""Decompression bombs (issue 15, defect 10): a nomenclature file expanding past
DIMQA_MAX_DECOMPRESSED_BYTES is a 413 problem naming the limit, decompressed no further than it."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.core.compression import decompressed
from app.core.config import Settings, get_settings
from app.core.problems import PayloadTooLarge
from app.reference.models import Cim10Code, NomenclatureLoad

MIB = 1024 * 1024
BOMB_BYTES = 100 * MIB  # zeros, once decompressed
CAP = 1 * MIB
REFUSAL = (
    "The {what} file exceeds the limit of 1048576 bytes once decompressed "
    "(DIMQA_MAX_DECOMPRESSED_BYTES); nothing was loaded."
)
PLAIN_REFUSAL = (
    "The CIM-10 file exceeds the limit of 1048576 bytes (DIMQA_MAX_DECOMPRESSED_BYTES); nothing was loaded."
)


def gzip_bomb(size: int) -> bytes:
    """A gzip of `size` zero bytes, compressed in 1 MiB steps (the test never holds `size` bytes)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(MIB)
    parts = [compressor.compress(zeros) for _ in range(size // MIB)]
    return b"".join([*parts, compressor.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = gzip_bomb(BOMB_BYTES)
    assert len(data) < 150_000  # ~1,000 times smaller than what it expands to
    return data


@pytest.fixture()
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(get_settings(), "max_decompressed_bytes", CAP)
    return CAP


def peak_memory(action: Callable[[], Any]) -> tuple[Any, int]:
    """What `action` returns (or the exception it raises) and the peak of Python allocations, all
    threads (the test client runs the app in another thread)."""
    tracemalloc.start()
    try:
        try:
            result: Any = action()
        except Exception as error:  # returned to the caller, which asserts on it
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_decompression_stops_at_the_limit(bomb: bytes) -> None:
    raised, peak = peak_memory(lambda: decompressed(bomb, CAP, what="CIM-10"))
    assert isinstance(raised, PayloadTooLarge)
    assert raised.detail == REFUSAL.format(what="CIM-10")
    # The limit, one chunk and zlib's buffers; the whole output would be 100 MiB.
    assert peak < 8 * CAP, peak


def test_decompression_within_the_limit() -> None:
    assert decompressed(gzip.compress(b"x" * 100), 100, what="CCAM") == b"x" * 100
    # Concatenated members are one file, as gzip.decompress reads them.
    assert decompressed(gzip.compress(b"ab") + gzip.compress(b"cd"), 4, what="CCAM") == b"abcd"
    with pytest.raises(PayloadTooLarge):
        decompressed(gzip.compress(b"x" * 101), 100, what="CCAM")
    # A plain file is held to the same limit: the limit is on what gets parsed.
    assert decompressed(b"code;label", 10, what="CCAM") == b"code;label"
    with pytest.raises(PayloadTooLarge) as raised:
        decompressed(b"code;label;", 10, what="CCAM")
    assert raised.value.detail == (
        "The CCAM file exceeds the limit of 10 bytes (DIMQA_MAX_DECOMPRESSED_BYTES); nothing was loaded."
    )


def test_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().max_decompressed_bytes == 64 * MIB
    monkeypatch.setenv("DIMQA_MAX_DECOMPRESSED_BYTES", "2048")
    assert Settings().max_decompressed_bytes == 2048


def _post(client: Any, headers: dict[str, str], body: bytes) -> Any:
    return client.post(
        "/api/v1/nomenclatures/cim10?year=2024", content=body, headers={**headers, "Content-Type": "text/csv"}
    )


def test_api_refuses_a_bomb_with_a_413(
    client: Any, auth_headers: Any, session: Session, bomb: bytes, small_cap: int
) -> None:
    admin = auth_headers("admin")
    response, peak = peak_memory(lambda: _post(client, admin, bomb))
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://dimqa.invalid/problems/payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": REFUSAL.format(what="CIM-10"),
        "instance": "/api/v1/nomenclatures/cim10",
    }
    assert peak < 16 * MIB, peak
    assert session.scalar(select(func.count()).select_from(Cim10Code)) == 0
    assert session.scalar(select(func.count()).select_from(NomenclatureLoad)) == 0


def test_api_refuses_a_plain_file_over_the_limit_while_it_streams(
    client: Any, auth_headers: Any, small_cap: int
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"code;label;type_mco\n"
        for _ in range(4):
            yield b"A00;" + b"x" * (MIB // 2) + b";0\n"

    response = client.post(
        "/api/v1/nomenclatures/cim10?year=2024",
        content=chunks(),
        headers={**auth_headers("admin"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "The body exceeds the limit of 1048576 bytes for this endpoint. "
        "Nomenclature files are limited to DIMQA_MAX_DECOMPRESSED_BYTES, compressed or not."
    )


def test_api_still_loads_a_gzip_under_the_limit(client: Any, auth_headers: Any, small_cap: int) -> None:
    body = gzip.compress(b"code;label;type_mco\nJ189;Pneumopathie;0\n")
    response = _post(client, auth_headers("admin"), body)
    assert response.status_code == 200, response.text
    assert response.json()["rows"] == 1


@pytest.fixture()
def load_cli(
    database_url: str, clean_db: object, monkeypatch: pytest.MonkeyPatch, small_cap: int
) -> Callable[[Path], Any]:
    from app.cli import database as cli_database
    from app.cli.main import app
    from app.reference import cli as reference_cli

    settings = Settings(database_url=database_url, max_decompressed_bytes=small_cap)
    monkeypatch.setattr(reference_cli, "get_settings", lambda: settings)
    # The CLI stops the embedded server it started; here it would be the tests' own server.
    monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
    runner = CliRunner()
    return lambda path: runner.invoke(app, ["nomenclature", "load", "cim10", str(path), "--year", "2024"])


def test_cli_refuses_a_bomb(load_cli: Callable[[Path], Any], tmp_path: Path, bomb: bytes) -> None:
    path = tmp_path / "cim10.csv.gz"
    path.write_bytes(bomb)
    result = load_cli(path)
    assert result.exit_code == 1
    assert result.output.strip() == REFUSAL.format(what="CIM-10")


def test_cli_refuses_a_plain_file_over_the_limit(load_cli: Callable[[Path], Any], tmp_path: Path) -> None:
    path = tmp_path / "cim10.csv"
    path.write_bytes(b"code;label;type_mco\n" + b"x" * CAP)
    result = load_cli(path)
    assert result.exit_code == 1
    assert result.output.strip() == PLAIN_REFUSAL
