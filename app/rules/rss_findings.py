"""The findings of one RSS, as the ingestion's block workers compute them (app.ingestion.blocks).

Apart from app.rules.service so that the worker processes import only the parser, the rules and
their engine: not SQLAlchemy, FastAPI or pydantic, about 60 MB less per worker. It imports the
catalogue, which fills `app.rules.registry`, and runs that registry: the engine does not import
the catalogue.

Compiled by mypyc (app.core.compiled): `findings_of` runs once per RSS in the workers.
"""

from __future__ import annotations

import importlib
from datetime import date
from typing import NamedTuple

from app.ingestion.records import Rss
from app.rules.engine import Finding, RuleContext, run_rules
from app.rules.registry import REGISTRY

# By name, not by an import statement: the mypyc build cannot type the catalogue package from a
# compiled module that imports it (its family modules and the engine import each other).
importlib.import_module("app.rules.catalog")


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
