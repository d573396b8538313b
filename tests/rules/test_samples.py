"""The catalogue on the public PMSI samples (shared/data/pmsi_samples), read by the real parser.

What a DIM expects on them:

* ``gpmsi/inout/RSS_test.txt``: one RSS groupé 122 (2023-2024 stay, GHM 04M143, blank return code,
  26 DA, 3 acts). It is coherently coded: no finding, with or without the nomenclatures loaded.
* ``gpmsi/in/t01rss017.txt``: ten single-RUM RSS in format 017 (January 2017). Only one signal: the
  RSS ...103 delivery codes the epidural AFLB010 (activity 4, anaesthesia) without its documentary
  extension (type of anaesthesia), which is FG control C170, non-blocking — the very return code
  "170" seen on the grouped versions of such lines. Its twin RSS ...106 gives the extension ("2").
"""

from __future__ import annotations

from datetime import date

import pytest

from app.ingestion.parser import iter_records, iter_rss
from app.ingestion.records import Rss
from app.reference.loaders import CcamRow, CimRow, GhmRow, read_ccam, read_cim10, read_ghm
from app.rules.engine import CcamCode, CimCode, RuleContext, run_rules
from tests.conftest import shared_file

TODAY = date(2025, 1, 30)
SAMPLE_122 = "pmsi_samples/gpmsi/inout/RSS_test.txt"
SAMPLE_017 = "pmsi_samples/gpmsi/in/t01rss017.txt"


def _stays(relative: str) -> list[Rss]:
    with shared_file(relative).open("rb") as handle:
        results = list(iter_rss(iter_records(handle)))
    assert all(result.accepted for result in results), [result.errors for result in results]
    return [result.rss for result in results if result.rss is not None]


@pytest.fixture(scope="module")
def nomenclature_ctx() -> RuleContext:
    """The public ATIH CIM-10 2021, CCAM and GHM 2024-2025 tables, read by the reference loaders."""
    cim_path = shared_file("nomenclatures/cim10_fr_atih_2021.csv.gz")
    ccam_path = shared_file("nomenclatures/ccam_actes.csv")
    ghm_path = shared_file("nomenclatures/ghm_regroupement_2024_2025.csv")
    cim10 = {
        row.code: CimCode(row.code, row.label, row.type_mco)
        for row in read_cim10(cim_path)
        if isinstance(row, CimRow)
    }
    ccam = {  # activities as the service stores them: None when the row lists none
        row.code: CcamCode(
            row.code, row.label, frozenset(row.activities) or None, row.valid_from, row.valid_to
        )
        for row in read_ccam(ccam_path)
        if isinstance(row, CcamRow)
    }
    ghm = {row.ghm: row.label for row in read_ghm(ghm_path) if isinstance(row, GhmRow)}
    return RuleContext(cim10=cim10, ccam=ccam, ghm_labels=ghm, today=TODAY)


def _findings(stays: list[Rss], ctx: RuleContext) -> list[tuple[str, str, int | None, str, str]]:
    found = []
    for rss in stays:
        for finding in run_rules(rss, ctx)[0]:
            found.append((rss.rss_number, finding.rule_code, finding.rum_index, finding.field, finding.value))
    return found


class TestGroupedSample2024:
    def test_clean_without_references(self) -> None:
        stays = _stays(SAMPLE_122)
        assert [(rss.rss_number, rss.ghm, len(rss.first.das)) for rss in stays] == [("308461", "04M143", 26)]
        assert _findings(stays, RuleContext(today=TODAY)) == []

    def test_clean_with_nomenclatures(self, nomenclature_ctx: RuleContext) -> None:
        stays = _stays(SAMPLE_122)
        assert _findings(stays, nomenclature_ctx) == []


def test_public_ccam_lists_no_activities_so_c110_c111_are_skipped(nomenclature_ctx: RuleContext) -> None:
    """The ATIH extract lists no activities: C110/C111 must say "not checked", not "no problem"."""
    stays = _stays(SAMPLE_017)
    assert nomenclature_ctx.ccam is not None and len(nomenclature_ctx.ccam) > 1000
    assert nomenclature_ctx.has("ccam") and not nomenclature_ctx.has("ccam_activities")
    # Besides C110/C111, only the rules of the references this context does not carry.
    assert run_rules(stays[0], nomenclature_ctx)[1] == {"C110", "C111", "C100", "Q008", "Q019", "Q020"}


class TestRum017Sample:
    EXPECTED = [("00000000000000000103", "C170", 0, "acts[1].doc_extension", "")]

    def test_epidural_without_documentary_extension(self) -> None:
        stays = _stays(SAMPLE_017)
        assert len(stays) == 10
        assert _findings(stays, RuleContext(today=TODAY)) == self.EXPECTED

    def test_same_with_nomenclatures(self, nomenclature_ctx: RuleContext) -> None:
        stays = _stays(SAMPLE_017)
        assert _findings(stays, nomenclature_ctx) == self.EXPECTED
