"""CCAM act codes: existence in the nomenclature, validity dates, activities.

Each act is judged against the CCAM of its date's year when several years are loaded
(app.rules.catalog.versions); an act whose year has no loaded version is not judged (Q015). Format
(C043) is checked in app.rules.catalog.codes; an act code whose format is wrong is left to it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final, TypeAlias

from app.ingestion.records import Rss
from app.rules.catalog._common import ACT_CODE, NONE, ccam_format_ok, day, fg
from app.rules.catalog.versions import act_year, ccam_versions
from app.rules.engine import CcamCode, Hit, RuleContext, Severity, hit, rule


@dataclass(frozen=True, slots=True)
class CcamIndex:
    """Sets derived once per context from its CCAM, so that a RUM whose acts are all known, never
    ended, already created and without an activity list is settled by C-level set operations."""

    known: frozenset[str]
    ended: frozenset[str]  # with a valid_to
    with_activities: frozenset[str]  # whose activity list is known
    starts: tuple[date, ...]  # valid_from of the codes that have one, ascending
    started: tuple[str, ...]  # the codes of `starts`, in the same order
    not_yet: dict[date, frozenset[str]]  # exit day -> codes created after it (filled on demand)

    def created_after(self, on: date) -> frozenset[str]:
        found = self.not_yet.get(on)
        if found is None:
            if len(self.not_yet) >= 10_000:
                self.not_yet.clear()
            found = self.not_yet[on] = frozenset(self.started[bisect_right(self.starts, on) :])
        return found


def ccam_index(ctx: RuleContext) -> CcamIndex:
    table = ctx.ccam or {}
    dated = sorted((entry.valid_from, code) for code, entry in table.items() if entry.valid_from is not None)
    return CcamIndex(
        known=frozenset(table),
        ended=frozenset(code for code, entry in table.items() if entry.valid_to is not None),
        with_activities=frozenset(code for code, entry in table.items() if entry.activities is not None),
        starts=tuple(start for start, _ in dated),
        started=tuple(code for _, code in dated),
        not_yet={},
    )


_CCAM_INDEX_KEY: Final = "codes.ccam_index"


# The hits of one CCAM version on the acts of year `only` (None: every act), None when there are none.
VersionCheck: TypeAlias = Callable[[Rss, Mapping[str, CcamCode], CcamIndex, int | None], "list[Hit] | None"]


def _per_version(rss: Rss, ctx: RuleContext, check: VersionCheck) -> Iterable[Hit]:
    """The hits of `check` on the acts of each year, judged against that year's CCAM."""
    hits: list[Hit] = []
    for version, year in ccam_versions(rss, ctx):
        table = version.ccam
        if table is not None:
            hits += check(rss, table, version.derived(_CCAM_INDEX_KEY, ccam_index), year) or ()
    return hits or NONE


def _unknown_acts(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None
) -> list[Hit] | None:
    known = index.known
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if known.issuperset(map(ACT_CODE, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            code = act.code
            if only is not None and act_year(rss, act) != only:
                continue
            if code not in ccam and ccam_format_ok(code):
                if hits is None:
                    hits = []
                hits.append(hit(i, f"acts[{k}].code", code))
    return hits


def _withdrawn_acts(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None
) -> list[Hit] | None:
    ended = index.ended
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if ended.isdisjoint(map(ACT_CODE, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            entry = ccam.get(act.code)
            if entry is None or entry.valid_to is None or (only is not None and act_year(rss, act) != only):
                continue
            entry_day = day(rum.entry_date)
            if entry_day is not None and entry_day >= entry.valid_to:
                if hits is None:
                    hits = []
                hits.append(hit(i, f"acts[{k}].code", act.code, limit=entry.valid_to.strftime("%d/%m/%Y")))
    return hits


def _future_acts(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None
) -> list[Hit] | None:
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        exit_day = day(rum.exit_date)
        if exit_day is None or index.created_after(exit_day).isdisjoint(map(ACT_CODE, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            if only is not None and act_year(rss, act) != only:
                continue
            entry = ccam.get(act.code)
            if entry is not None and entry.valid_from is not None and exit_day < entry.valid_from:
                if hits is None:
                    hits = []
                hits.append(hit(i, f"acts[{k}].code", act.code, limit=entry.valid_from.strftime("%d/%m/%Y")))
    return hits


@rule(
    "C073",
    "codes.act_unknown",
    Severity.BLOCKING,
    "Acte {value} n'ayant jamais existé dans la CCAM.",
    reference=fg("C073"),
    needs=("ccam",),
    when=("acts",),
)
def act_unknown(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each act code must exist in the CCAM (or the ATIH additions to it, e.g. YYYY codes).

    Bad: acts[0].code = "ZBQK999".
    Good: acts[0].code = "ZBQK002".
    """
    return _per_version(rss, ctx, _unknown_acts)


@rule(
    "C078",
    "codes.act_withdrawn_before_entry",
    Severity.BLOCKING,
    "Acte {value} supprimé de la CCAM le {limit}, avant l'entrée dans l'UM.",
    reference=fg("C078"),
    needs=("ccam",),
    params=("limit",),
    when=("acts",),
)
def act_withdrawn_before_entry(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An act withdrawn from the CCAM cannot be coded in a RUM starting on or after its end date.

    Bad: act AANL001 (ended 01/05/2010) in a RUM entered on 04/03/2024.
    Good: act ZBQK002 (still valid) in the same RUM.
    """
    return _per_version(rss, ctx, _withdrawn_acts)


@rule(
    "C079",
    "codes.act_not_yet_valid",
    Severity.BLOCKING,
    "Acte {value} créé dans la CCAM le {limit}, après la sortie de l'UM.",
    reference=fg("C079"),
    needs=("ccam",),
    params=("limit",),
    when=("acts",),
)
def act_not_yet_valid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An act cannot be coded in a RUM that ended before the act entered the CCAM.

    Bad: act ZZNL066 (created 02/02/2010) in a RUM that ended on 31/12/2009.
    Good: the same act in a RUM ending on 05/02/2010.
    """
    return _per_version(rss, ctx, _future_acts)


def _activity_hits(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None, anaesthesia: bool
) -> list[Hit] | None:
    listed = index.with_activities
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if listed.isdisjoint(map(ACT_CODE, rum.acts)):  # no act with a known activity list
            continue
        for k, act in enumerate(rum.acts):
            activity = act.activity
            if (activity == "4") != anaesthesia or not activity or activity not in "12345":
                continue
            if only is not None and act_year(rss, act) != only:
                continue
            entry = ccam.get(act.code)
            # YYYY supplements carry no activity list (the grouper skips them too).
            if entry is None or entry.activities is None or act.code.startswith("YYYY"):
                continue
            if activity not in entry.activities:
                if hits is None:
                    hits = []
                hits.append(hit(i, f"acts[{k}].activity", activity, act=act.code))
    return hits


def _anaesthesia_hits(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None
) -> list[Hit] | None:
    return _activity_hits(rss, ccam, index, only, True)


def _other_activity_hits(
    rss: Rss, ccam: Mapping[str, CcamCode], index: CcamIndex, only: int | None
) -> list[Hit] | None:
    return _activity_hits(rss, ccam, index, only, False)


@rule(
    "C110",
    "codes.act_anaesthesia_missing",
    Severity.BLOCKING,
    "Activité 4 (anesthésie) inexistante pour l'acte {act}.",
    reference=fg("C110"),
    needs=("ccam", "ccam_activities"),
    params=("act",),
    when=("acts",),
)
def act_anaesthesia_missing(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Activity 4 (anaesthesia) can only be coded for an act that has one in the CCAM.

    Needs a CCAM that lists activities (skipped otherwise: the public ATIH extract has no such
    column); an act listed without its activities, or a YYYY supplement, is not checked.

    Bad: ZBQK002 (chest X-ray, activity 1 only) coded with activity "4".
    Good: LMMA012 with activity "4".
    """
    return _per_version(rss, ctx, _anaesthesia_hits)


@rule(
    "C111",
    "codes.act_activity_missing",
    Severity.WARNING,
    "Activité {value} inexistante pour l'acte {act}.",
    reference=fg("C111"),
    needs=("ccam", "ccam_activities"),
    params=("act",),
    when=("acts",),
)
def act_activity_missing(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An activity other than 4 must exist for the act in the CCAM.

    Needs a CCAM that lists activities (skipped otherwise: the public ATIH extract has no such
    column); an act listed without its activities, or a YYYY supplement, is not checked.

    Bad: ZBQK002 (activity 1 only) coded with activity "2".
    Good: ZBQK002 with activity "1".
    """
    return _per_version(rss, ctx, _other_activity_hits)


RULES = (
    act_unknown,
    act_withdrawn_before_entry,
    act_not_yet_valid,
    act_anaesthesia_missing,
    act_activity_missing,
)
