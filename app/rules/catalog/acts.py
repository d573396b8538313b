"""CCAM act zones: activity, documentary extension, ATIH extension, count and date.

Rules needing the CCAM itself (existence, validity dates, activities of an act) are in `codes`.
Field names point at the act zone: ``acts[2].activity`` is the activity of the third act of the RUM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter

from app.ingestion.records import Act, Rss
from app.rules.catalog._common import NONE, day, fg, memo, number
from app.rules.catalog.guide import DELIVERY_ACTS
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule

_ACTIVITIES = frozenset("12345")
_CONFUSABLE = frozenset("OoIi")  # letters O and I, refused as they read like 0 and 1

# Act zone readers for the C-level first pass (map over a RUM's acts) that settles the common case.
_ACTIVITY = attrgetter("activity")
_DOC_EXTENSION = attrgetter("doc_extension")
_EXTENSION = attrgetter("extension")
_COUNT = attrgetter("count")
_DATE = attrgetter("date")


def _bad_act_field(
    rss: Rss, field: str, get: Callable[[Act], str], bad: Callable[[str], bool]
) -> Iterator[Hit]:
    """Hits for the acts whose optional `field` (read by `get`) is given and `bad`."""
    for i, rum in enumerate(rss.rums):
        if not any(map(get, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            value = get(act)
            if value and bad(value):
                yield hit(i, f"acts[{k}].{field}", value, act=act.code)


def _bad_doc_extension(value: str) -> bool:
    return bool(value) and (not (value.isascii() and value.isalnum()) or value in _CONFUSABLE)


def _count_ok(raw: str) -> bool:
    return bool(number(raw))  # blank, non-numeric and zero alike are not


_good_count = memo(_count_ok)


def _bad_atih_extension(value: str) -> bool:
    return bool(value) and not (len(value) == 3 and value[0] == "-" and value[1:].isdigit())


def _usual_zones(zones: tuple[str, str, str, str]) -> bool:
    activity, doc_extension, extension, count = zones
    return (
        activity in _ACTIVITIES
        and (activity != "4" or bool(doc_extension))
        and not _bad_doc_extension(doc_extension)
        and not _bad_atih_extension(extension)
        and _count_ok(count)
    )


_usual = memo(_usual_zones)


def unusual_act_zones(rss: Rss, ctx: RuleContext) -> bool:
    """Some act has an activity, documentary extension, ATIH extension or count that a rule of
    this module questions: false on most stays, whose act zone rules (C052, C103, C170, C173,
    C185) then find nothing."""
    for rum in rss.rums:
        for act in rum.acts:
            if not _usual((act.activity, act.doc_extension, act.extension, act.count)):
                return True
    return False


@rule(
    "C103",
    "acts.activity_invalid",
    Severity.BLOCKING,
    "Code d'activité « {value} » de l'acte {act} non renseigné ou erroné (1 à 5 attendu).",
    reference=fg("C103"),
    params=("act",),
    when=("acts",),
)
def activity_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each act carries its CCAM activity code, 1 to 5.

    Bad: acts[0] = ZBQK002 with activity "".
    Good: acts[0] = ZBQK002 with activity "1".
    """
    for i, rum in enumerate(rss.rums):
        if _ACTIVITIES.issuperset(map(_ACTIVITY, rum.acts)):
            continue
        for k, act in enumerate(rum.acts):
            if act.activity not in _ACTIVITIES:
                yield hit(i, f"acts[{k}].activity", act.activity, act=act.code)


@rule(
    "C173",
    "acts.doc_extension_invalid",
    Severity.BLOCKING,
    "Extension documentaire « {value} » de l'acte {act} erronée (lettre ou chiffre, sauf O et I).",
    reference=fg("C173"),
    params=("act",),
    when=("acts",),
)
def doc_extension_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The documentary extension, when given, is a letter or a digit other than O and I.

    Bad: acts[0].doc_extension = "O" (letter O, confusable with zero).
    Good: acts[0].doc_extension = "1", or blank.
    """
    return _bad_act_field(rss, "doc_extension", _DOC_EXTENSION, _bad_doc_extension)


@rule(
    "C170",
    "acts.doc_extension_missing",
    Severity.WARNING,
    "Extension documentaire absente pour l'acte d'anesthésie {act} (activité 4).",
    reference=fg("C170"),
    params=("act",),
    when=("acts",),
)
def doc_extension_missing(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An anaesthesia act (activity 4) must carry its documentary extension (type of anaesthesia).

    Bad: acts[1] = LMMA012 activity "4", doc_extension "".
    Good: acts[1] = LMMA012 activity "4", doc_extension "3".
    """
    for i, rum in enumerate(rss.rums):
        if "4" not in map(_ACTIVITY, rum.acts):
            continue
        for k, act in enumerate(rum.acts):
            if act.activity == "4" and not act.doc_extension:
                yield hit(i, f"acts[{k}].doc_extension", "", act=act.code)


@rule(
    "C052",
    "acts.count_invalid",
    Severity.BLOCKING,
    "Nombre de réalisations « {value} » de l'acte {act} non numérique ou nul.",
    reference=fg("C052"),
    params=("act",),
    when=("acts",),
)
def count_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Each act says how many times it was performed: a number of at least 1.

    Bad: acts[0].count = "00" (or blank).
    Good: acts[0].count = "01".
    """
    for i, rum in enumerate(rss.rums):
        if all(map(_good_count, map(_COUNT, rum.acts))):
            continue
        for k, act in enumerate(rum.acts):
            if not _good_count(act.count):
                yield hit(i, f"acts[{k}].count", act.count, act=act.code)


@rule(
    "C185",
    "acts.atih_extension_format",
    Severity.BLOCKING,
    "Extension ATIH « {value} » de l'acte {act} au format incorrect (tiret et deux chiffres, ex. -01).",
    reference=fg("C185"),
    params=("act",),
    when=("acts",),
)
def atih_extension_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The ATIH ("PMSI") extension of an act, from RUM format 017 on, is a dash and two digits.

    Bad: acts[0].extension = "01" (dash missing).
    Good: acts[0].extension = "-01", or blank.
    """
    return _bad_act_field(rss, "extension", _EXTENSION, _bad_atih_extension)


@rule(
    "C102",
    "acts.date_outside_rum",
    Severity.WARNING,
    "Date de réalisation {value_date} de l'acte {act} incohérente (invalide, ou hors du RUM du {entry_date} "
    "au {exit_date}).",
    reference=fg("C102"),
    params=("act", "entry_date", "exit_date"),
    when=("acts",),
)
def date_outside_rum(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An act date, when given, is a real day within the RUM's entry and exit dates.

    Checked only on RUMs whose own dates are usable. A delivery act is C142 (blocking) instead.

    Bad: RUM from 04/03/2024 to 06/03/2024, act dated "10032024".
    Good: the same RUM, act dated "05032024" (or blank).
    """
    hits: list[Hit] | None = None
    for i, rum in enumerate(rss.rums):
        if not rum.acts:
            continue
        entry, exit_day = day(rum.entry_date), day(rum.exit_date)
        if entry is None or exit_day is None:
            continue
        for done in map(day, map(_DATE, rum.acts)):  # first pass: every act dated inside the RUM
            if done is None or not entry <= done <= exit_day:
                break
        else:
            continue
        for k, act in enumerate(rum.acts):
            if not act.date or act.code in DELIVERY_ACTS:
                continue
            done = day(act.date)
            if done is None or not entry <= done <= exit_day:
                if hits is None:
                    hits = []
                hits.append(
                    hit(
                        i,
                        f"acts[{k}].date",
                        act.date,
                        act=act.code,
                        entry_date=fr_date(rum.entry_date),
                        exit_date=fr_date(rum.exit_date),
                    )
                )
    return hits or NONE


RULES = (
    activity_invalid,
    doc_extension_invalid,
    doc_extension_missing,
    count_invalid,
    atih_extension_format,
    date_outside_rum,
)
