"""Every coding error the demo plants gives exactly its finding, and nothing else does.

`PLANTED_ERRORS` names, for each planted error, the rule code it must produce. The catalogue runs
on the demo RSS as the ingestion reads them (monthly RSS groupé files, parsed back), with the
public nomenclatures (shared/data/nomenclatures; the tests skip, naming the file, without them),
the demo structure and its fichier d'UM, on several years and seeds: the findings are exactly the
18 planted (RSS, rule code) pairs. Then the demo is loaded as `make run` loads it, into a database
holding the nomenclatures, and the findings API lists exactly those 18.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from datetime import date
from functools import cache

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.schemas import Principal, Role
from app.demo.generator import PLANTED_ERRORS, DemoData, generate, planted_errors
from app.demo.service import load_demo
from app.ingestion.parser import iter_records, iter_rss
from app.ingestion.records import Rss
from app.reference import service as reference_service
from app.reference.ium import parse_ium
from app.reference.loaders import CcamRow, CimRow, GhmRow, read_ccam, read_cim10, read_ghm
from app.reference.schemas import NomenclatureKind
from app.rules.catalog import REGISTRY
from app.rules.engine import AuthorisationHistory, CcamCode, CimCode, RuleContext, UnitPeriods, run_rules
from tests.conftest import shared_file

PRINCIPAL = Principal(name="demo", role=Role.ADMIN, units=None)
# (public file, kind, year it is loaded as)
NOMENCLATURES = (
    ("nomenclatures/cim10_fr_atih_2021.csv.gz", NomenclatureKind.CIM10, 2021),
    ("nomenclatures/ccam_actes.csv", NomenclatureKind.CCAM, 2024),
    ("nomenclatures/ghm_regroupement_2024_2025.csv", NomenclatureKind.GHM, 2024),
)
YEARS_AND_SEEDS = ((2022, 42), (2020, 1), (2023, 7), (2025, 5))

Planted = list[tuple[str, str]]  # sorted (rss_number, rule code)


def _planted(data: DemoData) -> Planted:
    return sorted((error.rss_number, error.code) for error in data.deliberate_errors)


def _expected_codes() -> Counter[str]:
    return Counter({item.rule_code: item.count for item in PLANTED_ERRORS})


def test_planted_errors_name_catalogue_rules() -> None:
    assert sum(item.count for item in PLANTED_ERRORS) == 18
    assert [item.rule_code for item in PLANTED_ERRORS] == [
        "C187", "Q014", "C170", "C188", "C198", "C023", "Q013", "C102",
    ]  # fmt: skip
    assert all(item.rule_code in REGISTRY and item.description for item in PLANTED_ERRORS)
    assert all(planted_errors(year) == PLANTED_ERRORS for year in range(2020, 2026))
    with pytest.raises(ValueError, match="not supported"):
        planted_errors(2019)


@cache
def _nomenclatures() -> tuple[dict[str, CimCode], dict[str, CcamCode], dict[str, str]]:
    cim_path, ccam_path, ghm_path = (shared_file(path) for path, _, _ in NOMENCLATURES)
    cim10 = {
        row.code: CimCode(row.code, row.label, row.type_mco)
        for row in read_cim10(cim_path)
        if isinstance(row, CimRow)
    }
    ccam = {
        row.code: CcamCode(
            row.code, row.label, frozenset(row.activities) or None, row.valid_from, row.valid_to
        )
        for row in read_ccam(ccam_path)
        if isinstance(row, CcamRow)
    }
    ghm = {row.ghm: row.label for row in read_ghm(ghm_path) if isinstance(row, GhmRow)}
    return cim10, ccam, ghm


def _context(data: DemoData, *, nomenclatures: bool) -> RuleContext:
    """What `rules.service.load_context` builds once the demo and the nomenclatures are loaded."""
    lines, errors = parse_ium(data.ium_file())
    assert errors == []
    cim10, ccam, ghm = _nomenclatures() if nomenclatures else (None, None, None)
    return RuleContext(
        cim10=cim10,
        ccam=ccam,
        ghm_labels=ghm,
        units=UnitPeriods({unit.code: [(None, None)] for unit in data.structure.units}),
        authorisations=AuthorisationHistory((line.unit, line.effect_date, line.auth_type) for line in lines),
        today=date(data.year + 1, 3, 1),
    )


def _read_back(data: DemoData) -> list[Rss]:
    stays: list[Rss] = []
    for _label, body in data.rss_files():
        for result in iter_rss(iter_records(io.BytesIO(body))):
            assert result.accepted and result.rss is not None, result.errors
            stays.append(result.rss)
    return stays


def _findings(stays: list[Rss], ctx: RuleContext) -> tuple[Planted, set[str]]:
    found: Planted = []
    skipped: set[str] = set()
    for rss in stays:
        findings, not_run = run_rules(rss, ctx)
        found += [(rss.rss_number, finding.rule_code) for finding in findings]
        skipped |= not_run
    return sorted(found), skipped


@pytest.mark.parametrize(("year", "seed"), YEARS_AND_SEEDS, ids=lambda v: str(v))
def test_every_planted_error_gives_exactly_its_finding(year: int, seed: int) -> None:
    data = generate(year=year, seed=seed)
    planted = _planted(data)
    assert Counter(code for _, code in planted) == _expected_codes()
    assert len({number for number, _ in planted}) == 18, "one planted error per stay"
    stays = _read_back(data)

    found, skipped = _findings(stays, _context(data, nomenclatures=True))

    # Only the activity checks wait for a CCAM that lists activities (the public one does not), and
    # the GHM bounds for a GHS tariff table (the demo loads none).
    assert skipped == {"C110", "C111", "Q019", "Q020"}
    assert found == planted


def test_same_findings_without_nomenclatures() -> None:
    """None of the planted errors needs a nomenclature: a fresh `make run` finds them all."""
    data = generate(year=2022, seed=42)
    found, _skipped = _findings(_read_back(data), _context(data, nomenclatures=False))
    assert found == _planted(data)


def test_loaded_demo_lists_exactly_the_planted_findings(
    session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    """The demo year loaded by the service `make run` uses, into a database holding the public
    nomenclatures: the findings API lists the 18 planted errors and nothing else."""
    files = [(shared_file(path), kind, year) for path, kind, year in NOMENCLATURES]
    with session.begin():
        for path, kind, year in files:
            reference_service.load(
                session, kind=kind, year=year, data=path.read_bytes(), source=path.name, loaded_by="test"
            )
    with session.begin():
        summary = load_demo(session, year=2022, seed=42, principal=PRINCIPAL)
    assert summary.deliberate_errors == 18
    assert summary.planted_line() == (
        "  18 planted coding errors, one finding each: C187 ×2, Q014 ×2, C170 ×2, C188 ×2, C198 ×3, "
        "C023 ×2, Q013 ×3, C102 ×2 (GET /api/v1/findings; README, section Demo)"
    )

    response = client.get("/api/v1/findings", params={"limit": 100}, headers=auth_headers("dim"))
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    listed = sorted((item["rss_number"], item["rule"]) for item in page["items"])
    assert listed == _planted(generate(year=2022, seed=42))

    # The catalogue endpoint serves every rule a planted error names, run (not skipped).
    catalogue = client.get("/api/v1/rules", headers=auth_headers("reader"))
    assert catalogue.status_code == 200, catalogue.text
    served = {item["code"]: item for item in catalogue.json()["items"]}
    for item in PLANTED_ERRORS:
        assert served[item.rule_code]["skipped"] is False, item.rule_code
    assert served["Q013"]["name"] == "guide.da_equals_dp"
    assert served["Q014"]["name"] == "guide.dr_history_code"
