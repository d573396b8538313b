"""The findings of one RSS, as the ingestion's block workers compute them (app.ingestion.blocks).

Apart from app.rules.service so that the worker processes import only the parser, the rules and
their engine: not SQLAlchemy, FastAPI or pydantic, about 60 MB less per worker. It imports the
catalogue and runs it by name: the engine does not import the catalogue (app.rules.registry).
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from app.ingestion.records import Rss
from app.rules.catalog import REGISTRY
from app.rules.engine import Finding, RuleContext, run_rules


class RssFindings(NamedTuple):
    """What storing the findings of one RSS needs, without the parsed RSS: the ingestion computes
    it in its block workers (other processes) and sends it back, a few strings per RSS."""

    rss_number: str
    exit_date: date | None
    findings: list[Finding]
    units: list[str]  # the UM of each finding's RUM (the exit UM for an RSS-level finding)


def findings_of(rss: Rss, ctx: RuleContext) -> tuple[RssFindings, set[str]]:
    """Run the rules on one RSS: its findings, and the rules skipped for want of a reference."""
    findings, skipped = run_rules(rss, ctx, REGISTRY)
    if not findings:  # most RSS: the exit date and units would be computed for nothing
        return RssFindings(rss.rss_number, None, findings, []), skipped
    rums = rss.rums
    exit_unit = rums[-1].unit
    units = [
        rums[index].unit if (index := found.rum_index) is not None and index < len(rums) else exit_unit
        for found in findings
    ]
    return RssFindings(rss.rss_number, rss.exit_date, findings, units), skipped
