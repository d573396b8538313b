"""Nomenclatures by year: which loaded version of the CIM-10 and the CCAM judges a stay.

When several years of a nomenclature are loaded (`RuleContext.cim10_years` / `ccam_years`):

* a CIM-10 check judges the stay against the version of the **year of its exit date** (the RSS
  exit date, last RUM); a stay whose exit date is unusable is not judged (the date controls
  report it);
* a CCAM check judges each act against the version of the **year of its date** (an act without a
  usable date: the year of the stay's exit date);
* a stay (or an act) whose year has no loaded version is not judged by those checks, and Q015
  says so on the stay, naming the nomenclature and the year.

With one year loaded (or a context built without versions) that version judges every stay, as
before the versions existed: a DIM that loads one CIM-10 gets it applied, not silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.ingestion.records import Act, Rss
from app.rules.catalog._common import NONE, day, rss_exit
from app.rules.engine import Hit, RuleContext, Severity, hit, rule


def cim10_version(rss: Rss, ctx: RuleContext) -> RuleContext | None:
    """The context whose `cim10` judges this stay; None when no loaded version does."""
    years = ctx.cim10_years
    if years is None:
        return ctx
    exit_day = rss_exit(rss)
    return None if exit_day is None else years.get(exit_day.year)


def act_year(rss: Rss, act: Act) -> int | None:
    """The year whose CCAM judges an act: its date's, else the stay's exit date's."""
    found = day(act.date) or rss_exit(rss)
    return None if found is None else found.year


def ccam_versions(rss: Rss, ctx: RuleContext) -> Sequence[tuple[RuleContext, int | None]]:
    """(context, year) pairs whose `ccam` judges the acts of that year (year None: every act)."""
    years = ctx.ccam_years
    if years is None:
        return ((ctx, None),)
    wanted = sorted(
        {year for rum in rss.rums for act in rum.acts if (year := act_year(rss, act)) is not None}
    )
    return [(years[year], year) for year in wanted if year in years]


@rule(
    "Q015",
    "versions.year_not_loaded",
    Severity.INFO,
    "Contrôles {nomenclature} non appliqués à ce séjour : {nomenclature} {value} non chargée ({basis}).",
    reference="Nomenclatures par année : CIM-10 de l'année de sortie, CCAM de l'année de l'acte "
    "(docs/nomenclatures.md)",
    params=("nomenclature", "basis"),
)
def year_not_loaded(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay whose year has no loaded CIM-10 (exit year) or CCAM (act year) version, when several
    years are loaded: the checks of that nomenclature skip it, and this finding says why.

    Only when two or more years of the nomenclature are loaded: one loaded year judges every stay.

    Bad: CIM-10 2023 and 2024 loaded, a stay leaving on 06/03/2022 (CIM-10 2022 missing).
    Good: the same stay with CIM-10 2022 loaded too.
    """
    hits: list[Hit] | None = None
    cim10_years = ctx.cim10_years
    if cim10_years is not None:
        exit_day = rss_exit(rss)
        if exit_day is not None and exit_day.year not in cim10_years:
            hits = [hit(None, "cim10", str(exit_day.year), nomenclature="CIM-10", basis="année de sortie")]
    ccam_years = ctx.ccam_years
    if ccam_years is not None:
        missing = sorted(
            {
                year
                for rum in rss.rums
                for act in rum.acts
                if (year := act_year(rss, act)) is not None and year not in ccam_years
            }
        )
        for year in missing:
            if hits is None:
                hits = []
            hits.append(hit(None, "ccam", str(year), nomenclature="CCAM", basis="année des actes"))
    return hits or NONE


RULES = (year_not_loaded,)
