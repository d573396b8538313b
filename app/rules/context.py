"""Reference data the rules read, preloaded once per batch: the `RuleContext` and its members.

CIM-10 and CCAM codes, the hospital structure (`UnitLookup`), the fichier d'UM (`AuthorisationLookup`),
GHM labels and GHS bounds. A context crosses to the ingestion workers (app.ingestion.workers), so every
class here pickles, compiled by mypyc (app.core.compiled) or not: the frozen dataclasses and the
slotted lookups rebuild themselves through their constructor (app.core.pickling). The engine
re-exports these names; pickle names a class by the module that defines it (this one).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Literal, Protocol, TypeAlias, TypeVar, get_args

from app.core.pickling import reduce_dataclass
from app.rules.fg_labels import FG_LABELS
from app.rules.severity import Severity

_T = TypeVar("_T")
_MISSING: Final = object()

# "ccam_activities": a CCAM that lists the activities of its acts. Its source may not (the public
# ATIH extract has no such column), and an activity check could then find nothing, which would
# read as "no problem" instead of "not checked".
# "ghs_tariffs": the GHS tariff table of some campaign (bounds of the GHMs).
Requirement: TypeAlias = Literal["cim10", "ccam", "ccam_activities", "ghm", "structure", "ium", "ghs_tariffs"]
REQUIREMENTS: Final[tuple[Requirement, ...]] = get_args(Requirement)


@dataclass(frozen=True, slots=True)
class CimCode:
    """One CIM-10 FR code (no dot, upper case) with its ATIH "type MCO" restriction.

    type_mco (ATIH CIM-10 FR file, column "Type MCO/HAD"):
    0 no restriction; 1 forbidden as DP and DR (allowed elsewhere: very imprecise codes);
    2 forbidden as DP and DR (external cause of morbidity, chapters V-Y);
    3 forbidden as DP, DR and DA (non-empty category / forbidden father code);
    4 forbidden as DP (allowed elsewhere: sequelae).

    Validity: ``valid_from`` is the first day the code may be used, ``valid_to`` the first day it
    may no longer be (exclusive end), None = open. ``deleted`` marks a code kept in the file but
    withdrawn (the ATIH "*** SUaa ***" labels), whatever the dates.
    """

    code: str
    label: str = ""
    type_mco: int = 0
    valid_from: date | None = None
    valid_to: date | None = None
    deleted: bool = False

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return reduce_dataclass(self)  # app.core.pickling: compiled frozen classes must be rebuilt

    def valid_on(self, day: date | None) -> bool:
        """Usable on `day` (on any day when `day` is None, unless deleted)."""
        if self.deleted:
            return False
        if day is None:
            return True
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day < self.valid_to


@dataclass(frozen=True, slots=True)
class CcamCode:
    """One CCAM act code.

    ``activities``: the activity codes ("1".."5") the act has, or None when the source does not say
    (activity-existence rules are then not applied). ``valid_from`` / ``valid_to``: the CCAM
    "date de début" / "date de fin" (``valid_to`` = first day the code may no longer be used).
    """

    code: str
    label: str = ""
    activities: frozenset[str] | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return reduce_dataclass(self)  # app.core.pickling: compiled frozen classes must be rebuilt


class UnitLookup(Protocol):
    """The hospital structure: does a UM code exist on a date?"""

    def unit_known(self, code: str, on: date) -> bool: ...


class AuthorisationLookup(Protocol):
    """The fichier d'UM history: authorisation types of a UM in force on a date.

    The type in force is the one of the line with the latest date d'effet on or before `on`;
    an empty collection means the UM has no line in force (unknown UM, or effect dates all later).
    """

    def types_on(self, unit: str, on: date) -> Collection[str]: ...


class UnitPeriods:
    """In-memory `UnitLookup`: each UM code with its validity periods (inclusive ends, None = open)."""

    __slots__ = ("_periods",)

    def __init__(self, periods: Mapping[str, Iterable[tuple[date | None, date | None]]]) -> None:
        self._periods: dict[str, tuple[tuple[date | None, date | None], ...]] = {
            code: tuple(spans) for code, spans in periods.items()
        }

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        # A compiled class has no __dict__ for pickle to restore: it is rebuilt by its constructor.
        return type(self), (self._periods,)

    def unit_known(self, code: str, on: date) -> bool:
        for start, end in self._periods.get(code, ()):
            if (start is None or start <= on) and (end is None or on <= end):
                return True
        return False


class AuthorisationHistory:
    """In-memory `AuthorisationLookup` built from fichier d'UM lines ``(unit, effect_date, type)``."""

    __slots__ = ("_dates", "_lines", "_memo")

    def __init__(self, lines: Iterable[tuple[str, date, str]]) -> None:
        by_unit: dict[str, list[tuple[date, str]]] = {}
        for unit, effect, auth_type in lines:
            by_unit.setdefault(unit, []).append((effect, auth_type.strip()))
        self._lines = {unit: sorted(rows) for unit, rows in by_unit.items()}
        self._dates = {unit: [effect for effect, _ in rows] for unit, rows in self._lines.items()}
        # Every RSS of a batch asks again for the same few units and exit dates.
        self._memo: dict[tuple[str, date], tuple[str, ...]] = {}

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        # Rebuilt from its lines by the constructor (a compiled class has no __dict__ to restore);
        # the memo stays behind, a worker fills its own.
        lines = [(unit, effect, auth) for unit, rows in self._lines.items() for effect, auth in rows]
        return type(self), (lines,)

    def types_on(self, unit: str, on: date) -> tuple[str, ...]:
        key = (unit, on)
        found = self._memo.get(key)
        if found is None:
            found = self._types_on(unit, on)
            if len(self._memo) >= 100_000:
                self._memo.clear()
            self._memo[key] = found
        return found

    def _types_on(self, unit: str, on: date) -> tuple[str, ...]:
        dates = self._dates.get(unit)
        if not dates:
            return ()
        position = bisect_right(dates, on)
        if position == 0:
            return ()
        current = dates[position - 1]
        return tuple(auth for effect, auth in self._lines[unit] if effect == current)


@dataclass(frozen=True, slots=True, eq=False)
class RuleContext:
    """Reference data for one batch; every member is optional.

    Compared and hashed by identity: the engine caches, per context object, which rules can run.
    ``severities`` overrides the default severity of some rule codes (deployment settings).
    The references must not change once the context is built: checks derive indexes from them
    once per context (`derived`).

    Nomenclatures by year: ``cim10_years`` / ``ccam_years`` (year -> a context holding that
    year's table only) are set when several years of the nomenclature are loaded; ``cim10`` /
    ``ccam`` then hold the newest year's. A CIM-10 check judges a stay against the version of its
    exit year, a CCAM check an act against the version of its date's year (app.rules.catalog.
    versions); without them (one year loaded, or a context built by hand) the one table judges
    every stay.

    ``ghm_bounds``: (campaign, GHM) -> (GHS, low bound, high bound) for the GHMs whose GHS the
    campaign's tariff table settles (one GHS, or several sharing their bounds); ``campaign_starts``:
    loaded campaign -> its first day (1 March unless the table says later).
    """

    cim10: Mapping[str, CimCode] | None = None
    ccam: Mapping[str, CcamCode] | None = None
    ghm_labels: Mapping[str, str] | None = None
    units: UnitLookup | None = None
    authorisations: AuthorisationLookup | None = None
    fg_labels: Mapping[str, str] = field(default_factory=lambda: FG_LABELS)
    today: date = field(default_factory=date.today)
    severities: Mapping[str, Severity] | None = None
    cim10_years: Mapping[int, RuleContext] | None = None
    ccam_years: Mapping[int, RuleContext] | None = None
    ghm_bounds: Mapping[tuple[int, str], tuple[str, int, int]] | None = None
    campaign_starts: Mapping[int, date] | None = None
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return reduce_dataclass(self)  # app.core.pickling: compiled frozen classes must be rebuilt

    def derived(self, key: str, build: Callable[[RuleContext], _T]) -> _T:
        """A value computed once per context from its references (e.g. an index used by checks).

        `key` must be unique to `build` (use the module-qualified name of the builder).
        """
        value = self._derived.get(key, _MISSING)
        if value is _MISSING:
            value = self._derived[key] = build(self)
        return value  # type: ignore[no-any-return]

    def has(self, requirement: Requirement) -> bool:
        if requirement == "cim10":
            return self.cim10 is not None
        if requirement == "ccam":
            return self.ccam is not None
        if requirement == "ccam_activities":
            return self.ccam is not None and self.derived(_LISTS_ACTIVITIES_KEY, _lists_activities)
        if requirement == "ghm":
            return self.ghm_labels is not None
        if requirement == "structure":
            return self.units is not None
        if requirement == "ghs_tariffs":
            return self.ghm_bounds is not None
        return self.authorisations is not None


_LISTS_ACTIVITIES_KEY: Final = "app.rules.context._lists_activities"


def _lists_activities(ctx: RuleContext) -> bool:
    if ctx.ccam_years is not None:  # some year's CCAM lists them
        return any(_lists_activities(version) for version in ctx.ccam_years.values())
    return ctx.ccam is not None and any(code.activities is not None for code in ctx.ccam.values())
