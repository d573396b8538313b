"""The realistic configuration of the benchmarks, the one the end-to-end tests run in
(tests/fixtures/realistic.py): what a hospital has loaded before its first RUM file.

* the demo structure (pôles, services, UMs) and its fichier d'UM (an authorisation per MCO unit);
* the CIM-10, CCAM and GHM nomenclatures: the slices of app/demo/data (the codes the demo and the
  generated files use);
* the compiled modules (`make bench` builds them) and the ingestion worker pool (one worker per
  core; every benchmark file is far above the 4 MiB threshold);
* a token restricted to one unit next to the hospital-wide ones.

`configure` sets it up over HTTP on a served instance, `load` in this process on a database URL,
`rule_context` gives the rules' context the service builds from it, without a database.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import httpx

from app.core import compiled as compiled_modules
from app.demo import data
from app.demo.generator import build_structure
from app.demo.reference_2022 import UNITS as DEMO_UNITS
from app.demo.reference_2022 import YEAR
from app.reference.schemas import NomenclatureKind
from tests.fixtures.live import free_port

if TYPE_CHECKING:
    from app.rules.engine import RuleContext

RESTRICTED_UNIT: Final = "7500"
# The demo's MCO units, in which the generated RUM are: known to the structure, authorised.
UNITS: Final[tuple[str, ...]] = tuple(unit.code for unit in DEMO_UNITS)
DAY_UNITS: Final[tuple[str, ...]] = tuple(unit.code for unit in DEMO_UNITS if unit.code.startswith("77"))
# For a served instance: every RUM batch, however small, crosses to the ingestion workers.
SERVER_ENV: Final = {"DIMQA_INGEST_PARALLEL_MIN_BYTES": "0"}
DESCRIPTION: Final = (
    "realistic configuration (bench/realistic.py): demo structure and fichier d'UM, CIM-10/CCAM/GHM "
    "slices of app/demo/data, compiled modules, ingestion workers, a unit-restricted token beside"
)


def compiled() -> str:
    status = compiled_modules.status()
    return f"{len(status.compiled)}/{len(compiled_modules.COMPILED_MODULES)} modules compiled"


def configure(client: httpx.Client, admin: dict[str, str], *, role: str = "ingest") -> dict[str, str]:
    """Load the configuration through the API of a served instance (admin token `admin`); the
    headers of a new token of `role` restricted to RESTRICTED_UNIT."""
    put = client.put("/api/v1/structure", json=build_structure().model_dump(mode="json"), headers=admin)
    put.raise_for_status()
    text = {**admin, "Content-Type": "text/plain"}
    client.post("/api/v1/structure/ium", content=data.ium_file(), headers=text).raise_for_status()
    for kind in data.FILES:
        client.post(
            f"/api/v1/nomenclatures/{kind.value}",
            params={"year": YEAR},
            content=data.read(kind),
            headers={**admin, "Content-Type": "text/csv"},
        ).raise_for_status()
    created = client.post(
        "/api/v1/tokens",
        json={"name": f"bench-{role}-{RESTRICTED_UNIT}", "role": role, "units": [RESTRICTED_UNIT]},
        headers=admin,
    )
    created.raise_for_status()
    return {"Authorization": f"Bearer {created.json()['token']}"}


def load(url: str) -> None:
    """Load the configuration into the (migrated) database at `url`, in this process."""
    from app.core import db

    db.configure(url)
    with db.new_session() as session, session.begin():
        data.load_configuration(session, loaded_by="bench")


def load_nomenclatures(url: str) -> None:
    """Only the nomenclature slices, for a benchmark that brings its own structure (its activity is
    in its own UMs: bench.activity, bench.turnaround)."""
    from app.core import db

    db.configure(url)
    with db.new_session() as session, session.begin():
        data.load_slices(session, loaded_by="bench")
    db.dispose()


def rule_context() -> RuleContext:
    """The `RuleContext` `app.rules.service.load_context` builds on the realistic configuration."""
    from collections import defaultdict
    from datetime import date

    from app.reference import loaders
    from app.reference.ium import parse_ium
    from app.rules import engine
    from app.rules import service as rules_service
    from app.rules.engine import AuthorisationHistory, CcamCode, CimCode, UnitPeriods

    def rows(kind: NomenclatureKind) -> io.BytesIO:
        return io.BytesIO(data.read(kind))

    cim10 = {
        row.code: CimCode(row.code, row.label, row.type_mco, deleted=rules_service._deleted_label(row.label))
        for row in loaders.read_cim10(rows(NomenclatureKind.CIM10))
        if isinstance(row, loaders.CimRow)
    }
    ccam = {
        row.code: CcamCode(
            row.code, row.label, frozenset(row.activities) or None, row.valid_from, row.valid_to
        )
        for row in loaders.read_ccam(rows(NomenclatureKind.CCAM))
        if isinstance(row, loaders.CcamRow)
    }
    ghm = {
        row.ghm: row.label
        for row in loaders.read_ghm(rows(NomenclatureKind.GHM))
        if isinstance(row, loaders.GhmRow)
    }
    periods: dict[str, list[tuple[date | None, date | None]]] = defaultdict(list)
    for unit in build_structure().units:
        periods[unit.code].append((unit.valid_from, unit.valid_to))
    lines, _errors = parse_ium(data.ium_file())
    history = [(line.unit, line.effect_date, line.auth_type) for line in lines if line.effect_date]
    return engine.RuleContext(
        cim10=cim10, ccam=ccam, ghm_labels=ghm, units=UnitPeriods(periods),
        authorisations=AuthorisationHistory(history),
    )  # fmt: skip


@contextmanager
def served(url: str, *args: str, timeout: float = 60) -> Iterator[httpx.Client]:
    """A `dimqa serve` subprocess on `url`'s database (realistic settings, warnings only in its log),
    and a client on it once /readyz answers; the server is stopped on leaving."""
    port = free_port()
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": url, "DIMQA_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port), *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            for _ in range(300):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                raise RuntimeError("dimqa serve did not become ready")
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def timed_get(
    client: httpx.Client, path: str, params: dict[str, str], headers: dict[str, str], *, warm: bool
) -> float:
    """Milliseconds of one GET, after five unmeasured ones when `warm` (connection pool, plans,
    caches); an error answer raises."""
    if warm:
        for _ in range(5):
            client.get(path, params=params, headers=headers).raise_for_status()
    started = time.perf_counter()
    response = client.get(path, params=params, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed
