"""Helpers shared by the rule families: cached field parsing, code formats, PMSI code lists.

Checks run on every RSS of every batch, so parsing that repeats across RSS (dates, code formats)
is memoised in small bounded dictionaries: a batch of a year holds a few thousand distinct dates
and codes, and a dictionary hit costs a fraction of re-parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any, Final, TypeVar

from app.ingestion.records import Rss, Rum, as_date
from app.rules.engine import Check, Hit, Rule, RuleContext, Severity, declare, hit

NONE: Final[tuple[Hit, ...]] = ()  # what a check returns when it finds nothing

# Short names for the rows of rule tables.
BLOCKING: Final = Severity.BLOCKING
WARNING: Final = Severity.WARNING

_CACHE_LIMIT: Final = 100_000  # entries; cleared when reached (hostile input cannot grow it forever)

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Memo(dict[_K, _V]):
    """A bounded memo of `compute`: ``memo[key]`` is a C-level dictionary hit once `key` was seen.

    Helpers below are the bound ``__getitem__`` of a memo, so a rule calling ``day(raw)`` pays a
    builtin call, not a Python frame.
    """

    __slots__ = ("_compute",)

    def __init__(self, compute: Callable[[_K], _V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: _K) -> _V:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self._compute(key)
        return value


def memo(compute: Callable[[_K], _V]) -> Callable[[_K], _V]:
    """`compute`, memoised in a bounded `Memo` (for pure functions of a field's text)."""
    return Memo(compute).__getitem__


def _number(raw: str) -> int | None:
    if raw.isdigit() and raw.isascii():
        return int(raw)
    return None


# A JJMMAAAA field as a date; None when blank, non-numeric or not a calendar date.
day: Final[Callable[[str], date | None]] = memo(as_date)

# A numeric field as an int; None when blank or not made of ASCII digits.
number: Final[Callable[[str], int | None]] = memo(_number)


def signed_number(raw: str) -> int | None:
    """Like `number`, also accepting a leading minus sign (a negative count is implausible, not
    non-numeric)."""
    if raw[:1] == "-":
        value = number(raw[1:])
        return None if value is None else -value
    return number(raw)


# CIM-10 FR à usage PMSI, without dot: a letter, two digits, then up to three characters where
# positions 4 and 5 are a digit or "+" and position 6 a digit (ATIH "cim.pdf" layout). Checked
# against every code of the ATIH 2021 file.
_CIM_FORMAT: Final = re.compile(r"[A-Z][0-9]{2}(?:[0-9+](?:[0-9+][0-9]?)?)?")
_CCAM_FORMAT: Final = re.compile(r"[A-Z]{4}[0-9]{3}")
# Codes already seen well formed: a subset test settles a whole RUM's DA list at C speed.
CIM_WELL_FORMED: Final[set[str]] = set()
CCAM_WELL_FORMED: Final[set[str]] = set()


def _well_formed(pattern: re.Pattern[str], seen: set[str]) -> Callable[[str], bool]:
    """The test "`code` fully matches `pattern`", remembering in `seen` the codes that do."""

    def format_ok(code: str) -> bool:
        if code in seen:
            return True
        if pattern.fullmatch(code) is None:
            return False
        if len(seen) >= _CACHE_LIMIT:
            seen.clear()
        seen.add(code)
        return True

    return format_ok


cim_format_ok: Final = _well_formed(_CIM_FORMAT, CIM_WELL_FORMED)
ccam_format_ok: Final = _well_formed(_CCAM_FORMAT, CCAM_WELL_FORMED)


# The code of an act, for C-level passes over a RUM's acts (``map(ACT_CODE, rum.acts)``).
ACT_CODE: Final = attrgetter("code")


def rss_exit(rss: Rss) -> date | None:
    """Exit date of the stay (last RUM), the date the grouper reads its tables at."""
    return day(rss.rums[-1].exit_date)


def nomenclature_day(rss: Rss, rum: Rum) -> date | None:
    """The date a code's validity is judged at: the RSS exit date, else the RUM's own exit date."""
    return day(rss.rums[-1].exit_date) or day(rum.exit_date)


def fg(code: str) -> str:
    """Reference of an official grouper control."""
    return f"FG {code} — DRUIDES 2023 §6.4.1 (GENRSA 2022 §8)"


GUIDE: Final = "Guide méthodologique MCO"

# Séance motives: FG list D-145 "Motifs de séances" (V2024), CIM-10 codes without dot.
SEANCE_MOTIVES: Final = frozenset(
    {"Z491", "Z492", "Z4920", "Z4921", "Z5100", "Z5101", "Z511", "Z512", "Z513", "Z5130", "Z5131", "Z5180"}
)


def scan(rss: Rss, get: Callable[[Rum], str], bad: Callable[[str], bool], field: str) -> Sequence[Hit]:
    """One hit per RUM whose field (read by `get`) satisfies `bad`, the value being the field text."""
    rums = rss.rums
    if len(rums) == 1:  # most stays: skip the loop machinery
        raw = get(rums[0])
        return (hit(0, field, raw),) if bad(raw) else NONE
    hits: list[Hit] | None = None
    for index, rum in enumerate(rss.rums):
        raw = get(rum)
        if bad(raw):
            if hits is None:
                hits = []
            hits.append(hit(index, field, raw))
    return hits or NONE


def blank_hits(rss: Rss, get: Callable[[Rum], str], field: str) -> Sequence[Hit]:
    """One hit per RUM whose field (read by `get`) is blank."""
    for rum in rss.rums:
        if not get(rum):
            break
    else:
        return NONE
    return [hit(index, field, "") for index, rum in enumerate(rss.rums) if not get(rum)]


def _not_numeric_date(raw: str) -> bool:
    return bool(raw) and not (len(raw) == 8 and raw.isdigit() and raw.isascii())


def _impossible_date(raw: str) -> bool:
    return len(raw) == 8 and raw.isdigit() and raw.isascii() and day(raw) is None


# Filled in, but not eight ASCII digits.
not_numeric_date: Final[Callable[[str], bool]] = memo(_not_numeric_date)

# Eight digits that are not a calendar day (31022024).
impossible_date: Final[Callable[[str], bool]] = memo(_impossible_date)


# --------------------------------------------------------------------------------------------------
# Families of rules declared as tables: one parametrised check, one row a rule.


def fg_rule(
    code: str, name: str, severity: Severity, message: str, check: Check, doc: str, **options: Any
) -> Rule:
    """`declare` a rule of a table, its reference being the grouper control of its code unless
    ``reference`` says otherwise (`options`: those of `declare`)."""
    options["reference"] = options.get("reference") or fg(code)
    return declare(code, name, severity, message, check, doc, **options)


def blank(field: str, get: Callable[[Rum], str] | None = None) -> Check:
    """The check "every RUM fills `field`" (read by `get`, by default the attribute of that name)."""
    read = get or attrgetter(field)

    def check_blank(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        return blank_hits(rss, read, field)

    return check_blank


def flagged(field: str, bad: Callable[[str], bool], get: Callable[[Rum], str] | None = None) -> Check:
    """The check "no RUM has a `field` satisfying `bad`", the value of a hit being the field's text."""
    read = get or attrgetter(field)

    def check_flagged(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        return scan(rss, read, bad, field)

    return check_flagged


def outside(allowed: frozenset[str]) -> Callable[[str], bool]:
    """The predicate "not one of `allowed`" (for `flagged`)."""

    def is_outside(raw: str) -> bool:
        return raw not in allowed

    return is_outside


# A rule of a family table whose check is fixed by the family: (code, name, docstring).
Row = tuple[str, str, str]


def date_rules(
    field: str,
    label: str,
    when: tuple[str, ...],
    not_numeric: Row,
    invalid: Row,
    missing: tuple[str, str, str, str] | None = None,
) -> tuple[Rule, ...]:
    """The blocking rules of a JJMMAAAA field called `label` in messages: `missing` (code, name,
    message, docstring) when the field is mandatory, then "not eight digits" and "not a calendar
    day", in that order (the order of the catalogue)."""
    rules: list[Rule] = []
    if missing is not None:
        code, name, message, doc = missing
        rules.append(fg_rule(code, name, BLOCKING, message, blank(field), doc, when=when))
    code, name, doc = not_numeric
    message = f"{label} « {{value}} » non numérique (format JJMMAAAA attendu)."
    rules.append(fg_rule(code, name, BLOCKING, message, flagged(field, not_numeric_date), doc, when=when))
    code, name, doc = invalid
    message = f"{label} {{value_date}} incohérente (jour inexistant au calendrier)."
    rules.append(fg_rule(code, name, BLOCKING, message, flagged(field, impossible_date), doc, when=when))
    return tuple(rules)


def extra(key: str) -> Callable[[Rum], str]:
    """Reads a field of the version-specific zone (`Rum.extra`), blank when the RUM's format lacks it."""

    def read_extra(rum: Rum) -> str:
        return rum.extra.get(key, "")

    return read_extra


# --------------------------------------------------------------------------------------------------
# Gates (`Rule.gate`): one cheap pass per RSS standing for several rules that would each make it.

_USUAL_SEXES: Final = frozenset({"1", "2"})


def unusual_identity_or_dates(rss: Rss, ctx: RuleContext) -> bool:
    """Some RUM has a sex other than 1 or 2, or dates that some date rule questions: an exit
    before the entry, an entry or exit after `ctx.today`, an entry before 1985, a birth less than
    two calendar years before the entry (newborns, births after the entry) or more than 140.

    False on most stays, whose rules of sex and date order (C015, C017, C032, C064, C065, C077,
    C168, C258) then find nothing; unusable dates are the other date rules' and count for none.
    """
    today = ctx.today
    for rum in rss.rums:
        if rum.sex not in _USUAL_SEXES:
            return True
        entry, exit_day = day(rum.entry_date), day(rum.exit_date)
        if exit_day is not None and exit_day > today:
            return True
        if entry is None:
            continue
        if entry > today or entry.year < 1985 or (exit_day is not None and exit_day < entry):
            return True
        birth = day(rum.birth_date)
        if birth is not None and not 1 < entry.year - birth.year <= 140:
            return True
    return False


def seance_motive_or_cmd28(rss: Rss, ctx: RuleContext) -> bool:
    """Some RUM's DP is a séance motive, or the stay is grouped in CMD 28: false on most stays,
    whose rules of séance motives (C145, C187, Q011) then find nothing."""
    if rss.rums[0].ghm[:2] == "28":
        return True
    return any(rum.dp in SEANCE_MOTIVES for rum in rss.rums)
