"""One parametrized runner for every rule case (tests/rules/cases/): `pytest -k C040`.

Each case RSS is first written as fixed-width lines (`write_rum`) and read back (`parse_line`), so the
rules run on what the parser really produces; then the case's rule alone is run and its findings must
be exactly the expected (rum_index, field, value) triples, with a fully rendered French message.
"""

from __future__ import annotations

import pytest

from app.core.line_errors import LineError
from app.ingestion.parser import parse_line
from app.ingestion.records import Rss, Rum
from app.ingestion.writer import write_rum
from app.rules.catalog import REGISTRY
from app.rules.engine import run_rules
from tests.rules.cases import ALL_CASES, FULL_CTX, Case


def through_lines(rss: Rss) -> Rss:
    """The RSS as the parser reads it back from its fixed-width lines."""
    rums: list[Rum] = []
    for rum in rss.rums:
        parsed = parse_line(write_rum(rum).encode("utf-8"), rum.line)
        assert not isinstance(parsed, LineError), parsed
        rums.append(parsed)
    return Rss(rums[0].rss_number, rums)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda case: f"{case.code}-{case.id}")
def test_case(case: Case) -> None:
    rss = through_lines(case.rss) if case.roundtrip else case.rss
    item = REGISTRY[case.code]
    ctx = case.ctx or FULL_CTX

    findings, skipped = run_rules(rss, ctx, [item])

    assert skipped == set()
    assert [(f.rum_index, f.field, f.value) for f in findings] == list(case.expected)
    for finding in findings:
        assert finding.rule_code == case.code
        assert finding.severity is item.severity
        assert finding.rss_number == rss.rss_number
        expected_rum = "" if finding.rum_index is None else rss.rums[finding.rum_index].rum_number
        assert finding.rum_number == expected_rum
        assert finding.message and "{" not in finding.message and "?" not in finding.message
    # The check alone agrees with the engine (its `when` preconditions only spare calls), and every
    # hit provides exactly the parameters the rule declares for its message.
    hits = list(item.check(rss, ctx))
    assert [(h[0], h[1], h[2]) for h in hits] == list(case.expected)
    for found in hits:
        assert set(found[3]) == set(item.params)
