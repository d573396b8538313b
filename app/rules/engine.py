"""Pure (database-free) coding-quality rules engine.

A rule is a small pure function ``check(rss, ctx) -> Iterable[Hit]`` wrapped by the `rule` decorator
into a frozen `Rule` carrying its stable code, dotted name, default severity, French message
template, reference and the reference data it needs. `run_rules` evaluates a catalogue on one RSS
and renders each hit into a `Finding`.

Reference data (CIM-10, CCAM, GHM labels, structure, fichier d'UM) comes in through a `RuleContext`
preloaded once per batch by the caller. A rule needing a reference that the context does not carry
is *skipped* and reported as such, never silently passed; so is a rule needing a column that the
loaded reference lacks (``ccam_activities``: a CCAM whose source lists no act's activities).

Docstrings are the rules' documentation: a summary paragraph, optional details, then one
``Bad:`` and one ``Good:`` paragraph (in that order) giving a failing and a passing example.

Performance: ingestion runs the whole catalogue on every RSS inside a 20,000 RUM/s end-to-end
budget, so the engine does no per-call work beyond calling the checks: the rules a context can run
are computed once per (catalogue, context) pair and split by the preconditions a rule declares
(``when=``: several RUMs, grouped, acts, DAs, DR, séances), so that e.g. the chaining rules are not
even called on a single-RUM stay; rules that question rare values (odd dates or modes, births,
séance motives) share a gate (``gate=``), one test per RSS that spares the calls of all of them
on the stays where it is false; checks return an empty tuple in the common case and messages are
only rendered for actual hits. Indexes over the references (e.g. the set of CIM-10 codes valid on
any day) are built once per context with `RuleContext.derived`.
"""

from __future__ import annotations

import ast
import functools
import re
import string
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias, get_args

from app.core.pickling import reduce_dataclass
from app.ingestion.records import Rss, as_date

# Re-exported: the catalogue, the services, ingestion and the tests name the reference types here.
from app.rules.context import REQUIREMENTS as REQUIREMENTS
from app.rules.context import AuthorisationHistory as AuthorisationHistory
from app.rules.context import AuthorisationLookup as AuthorisationLookup
from app.rules.context import CcamCode as CcamCode
from app.rules.context import CimCode as CimCode
from app.rules.context import Requirement as Requirement
from app.rules.context import RuleContext as RuleContext
from app.rules.context import UnitLookup as UnitLookup
from app.rules.context import UnitPeriods as UnitPeriods
from app.rules.registry import REGISTRY
from app.rules.severity import Severity as Severity  # re-exported: the rules name it from here

# Preconditions a rule may declare (``when=``) so that the engine does not even call it on an RSS
# where it cannot find anything: more than one RUM, a grouped result (GHM), any act, any DA, any
# DR, any séances field other than blank or zero; "blank": a RUM lacks its RSS number, sex, entry
# or exit mode, DP or unit; "bad_date": a RUM's birth, entry or exit date is blank or not a
# calendar day; "perinatal": a RUM gives a newborn weight, a gestational age or a date of last
# menstrual period; "flags": a RUM fills its confirmation, radiotherapy or version-specific flags
# (positions 145-147, 163-177); "newborn": a RUM enters by birth (mode N), on its birth date, or
# has a stillbirth DP (P95); "admin": a RUM's FINESS is not nine ASCII digits or its postcode not
# five.
Condition: TypeAlias = Literal[
    "multi_rum",
    "grouped",
    "acts",
    "das",
    "dr",
    "seances",
    "blank",
    "bad_date",
    "perinatal",
    "flags",
    "newborn",
    "admin",
]
# The Literal above is the one list: a condition added there gets its bit here.
CONDITIONS: Final[tuple[Condition, ...]] = get_args(Condition)
_CONDITION_BITS: Final[Mapping[str, int]] = {name: 1 << bit for bit, name in enumerate(CONDITIONS)}

# Parameters every message template may use, whatever the rule.
# ``value_date`` is the value shown as a date (JJ/MM/AAAA) when it is eight digits, else the value.
BASE_PARAMS: Final = frozenset({"value", "value_date", "field", "rss_number", "rum_number"})

CODE_PATTERN: Final = re.compile(r"^[CQ]\d{3}$")
NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9_]+)+$")


# --------------------------------------------------------------------------------------------------
# Rules and findings

# What a check yields: (rum_index or None for the whole RSS, field, value, message parameters).
Hit: TypeAlias = tuple[int | None, str, str, Mapping[str, Any]]
Check: TypeAlias = Callable[[Rss, RuleContext], Iterable[Hit]]
# A cheap test shared by several rules, true on every RSS where one of them can find something
# (`Rule.gate`): the engine calls it once per RSS and spares the calls of all of its rules.
Gate: TypeAlias = Callable[[Rss, RuleContext], bool]

_NO_PARAMS: Final[Mapping[str, Any]] = {}


def hit(rum_index: int | None, field: str, value: str, **params: Any) -> Hit:
    """One problem found by a check; `params` fill the rule's message template."""
    return (rum_index, field, value, params or _NO_PARAMS)


@dataclass(frozen=True, slots=True)
class DocSections:
    summary: str
    details: str
    bad: str
    good: str


_BAD = "Bad:"
_GOOD = "Good:"


def split_doc(doc: str) -> DocSections:
    """Summary (first paragraph), details (the rest before ``Bad:``), bad and good examples."""
    lines = [line.strip() for line in doc.strip().splitlines()]
    head: list[str] = []
    bad: list[str] = []
    good: list[str] = []
    target = head
    for line in lines:
        if line.startswith(_BAD):
            target = bad
            line = line[len(_BAD) :].strip()
        elif line.startswith(_GOOD):
            target = good
            line = line[len(_GOOD) :].strip()
        target.append(line)
    paragraphs = "\n".join(head).strip().split("\n\n", 1)
    summary = " ".join(paragraphs[0].split())
    details = paragraphs[1].strip() if len(paragraphs) > 1 else ""
    return DocSections(summary, details, "\n".join(bad).strip(), "\n".join(good).strip())


def template_fields(template: str) -> set[str]:
    """The top-level names a ``str.format`` template refers to."""
    names: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(re.split(r"[.\[]", name, maxsplit=1)[0])
    return names


@dataclass(frozen=True, slots=True)
class Rule:
    code: str  # "C040" (official FG control) or "Q001" (ours); never reused
    name: str  # dotted: "diagnoses.dp_missing"
    severity: Severity  # default; RuleContext.severities may override it
    message: str  # French str.format template: BASE_PARAMS plus `params`
    reference: str
    needs: tuple[Requirement, ...]
    check: Check
    doc: str
    params: tuple[str, ...] = ()  # extra template parameters every hit provides
    when: tuple[Condition, ...] = ()  # preconditions; the check finds nothing when one fails
    # Not served (`as_dict`): an implementation detail like the check, which it only spares.
    gate: Gate | None = None

    @property
    def summary(self) -> str:
        return split_doc(self.doc).summary

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description for the rules catalogue endpoint."""
        sections = split_doc(self.doc)
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "reference": self.reference,
            "needs": list(self.needs),
            "params": list(self.params),
            "when": list(self.when),
            "summary": sections.summary,
            "details": sections.details,
            "bad": sections.bad,
            "good": sections.good,
        }


def validate_rule(item: Rule) -> list[str]:
    """Declaration problems of a rule (empty when well formed)."""
    problems: list[str] = []
    if not CODE_PATTERN.match(item.code):
        problems.append(f"code {item.code!r} does not match {CODE_PATTERN.pattern}")
    if not NAME_PATTERN.match(item.name):
        problems.append(f"name {item.name!r} is not dotted lower case")
    unknown_needs = set(item.needs) - set(REQUIREMENTS)
    if unknown_needs:
        problems.append(f"unknown needs {sorted(unknown_needs)}")
    unknown_conditions = set(item.when) - set(CONDITIONS)
    if unknown_conditions:
        problems.append(f"unknown conditions {sorted(unknown_conditions)}")
    if not item.message.strip():
        problems.append("empty message")
    if not item.reference.strip():
        problems.append("empty reference")
    extra = template_fields(item.message) - BASE_PARAMS - set(item.params)
    if extra:
        problems.append(f"message uses undeclared parameters {sorted(extra)}")
    lines = [line.strip() for line in item.doc.splitlines()]
    bad = [i for i, line in enumerate(lines) if line.startswith(_BAD)]
    good = [i for i, line in enumerate(lines) if line.startswith(_GOOD)]
    if len(bad) != 1 or len(good) != 1 or bad[0] > good[0]:
        problems.append("docstring needs exactly one 'Bad:' paragraph followed by one 'Good:' paragraph")
    else:
        sections = split_doc(item.doc)
        if not (sections.summary and sections.bad and sections.good):
            problems.append("docstring summary, Bad: or Good: is empty")
    return problems


@functools.cache
def _module_docstrings(module: str) -> dict[str, str]:
    """Docstring of each top-level function of a module, read from its source file."""
    # Found through the package: the module itself may still be initialising.
    package, _, leaf = module.rpartition(".")
    folders = getattr(sys.modules.get(package), "__path__", None) or []
    try:
        source = Path(next(iter(folders))) / f"{leaf}.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
    except (OSError, StopIteration, SyntaxError):
        return {}
    return {
        node.name: ast.get_docstring(node, clean=False) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def docstring_of(check: Callable[..., object]) -> str:
    """A check's docstring. mypyc drops the docstrings of the functions it compiles
    (app.core.compiled), so a compiled check's is read from the source beside its extension."""
    doc = getattr(check, "__doc__", None)
    if doc is None:
        module = getattr(check, "__module__", None)
        doc = _module_docstrings(module).get(getattr(check, "__name__", ""), "") if module else ""
    return str(doc).strip()


def declare(
    code: str,
    name: str,
    severity: Severity,
    message: str,
    check: Check,
    doc: str,
    *,
    reference: str,
    needs: Sequence[Requirement] = (),
    params: Sequence[str] = (),
    when: Sequence[Condition] = (),
    gate: Gate | None = None,
) -> Rule:
    """A rule from its check and its documentation (summary, details, ``Bad:``, ``Good:``).

    For a family of rules sharing one parametrised check, declared as a table; `rule` declares a
    rule from a function of its own. `when` lists preconditions under which alone the check can
    find anything (see `Condition`); `gate`, a test that several rules share, true on every RSS
    where the check can find something. Both only spare calls: the check must stay correct
    without them.

    Raises ValueError at import time when the declaration is malformed (code, name, docstring
    sections, message parameters), so a broken rule never reaches the registry.
    """
    declared = Rule(
        code=code,
        name=name,
        severity=severity,
        message=message,
        reference=reference,
        needs=tuple(needs),
        check=check,
        doc=doc.strip(),
        params=tuple(params),
        when=tuple(when),
        gate=gate,
    )
    problems = validate_rule(declared)
    if problems:
        raise ValueError(f"rule {code} ({getattr(check, '__name__', name)}): " + "; ".join(problems))
    return declared


def rule(code: str, name: str, severity: Severity, message: str, **options: Any) -> Callable[[Check], Rule]:
    """Declare a rule from its check function, whose docstring is its documentation.

    `options` are those of `declare` (``reference`` required; ``needs``, ``params``, ``when``,
    ``gate``).
    """

    def decorate(check: Check) -> Rule:
        return declare(code, name, severity, message, check, docstring_of(check), **options)

    return decorate


@dataclass(frozen=True, slots=True, init=False)
class Finding:
    rule_code: str
    severity: Severity
    rss_number: str
    rum_number: str  # "" for an RSS-level finding
    rum_index: int | None  # 0-based position of the RUM within the RSS; None = RSS-level
    field: str
    value: str
    message: str  # rendered French message

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return reduce_dataclass(self)  # app.core.pickling: compiled frozen classes must be rebuilt

    def __init__(
        self,
        rule_code: str,
        severity: Severity,
        rss_number: str,
        rum_number: str,
        rum_index: int | None,
        field: str,
        value: str,
        message: str,
    ) -> None:
        # What the frozen dataclass would generate, with object.__setattr__ looked up once instead
        # of once per field: a batch builds one Finding per hit, and this halves the cost.
        set_ = object.__setattr__
        set_(self, "rule_code", rule_code)
        set_(self, "severity", severity)
        set_(self, "rss_number", rss_number)
        set_(self, "rum_number", rum_number)
        set_(self, "rum_index", rum_index)
        set_(self, "field", field)
        set_(self, "value", value)
        set_(self, "message", message)


# --------------------------------------------------------------------------------------------------
# Running


class _Plan:
    """The rules one (catalogue, context) pair runs, split by the preconditions an RSS meets.

    A rule's mask holds the bits of its `when` conditions and, above them, the bit of its gate
    (`gates`, in the order of their bits): the gates are called once per RSS, before the checks.
    """

    __slots__ = ("by_features", "gates", "meta", "rules", "skipped")

    def __init__(
        self,
        rules: tuple[tuple[Rule, Severity, int], ...],
        skipped: frozenset[str],
        gates: tuple[Gate, ...],
    ) -> None:
        self.rules = rules
        self.skipped = skipped
        self.gates = gates
        self.meta: dict[Check, tuple[Rule, Severity]] = {item.check: (item, sev) for item, sev, _ in rules}
        if len(self.meta) != len(rules):
            raise ValueError("two rules of the catalogue share one check function")
        self.by_features: dict[int, tuple[Check, ...]] = {}

    def checks(self, features: int) -> tuple[Check, ...]:
        found = self.by_features.get(features)
        if found is None:
            found = tuple(item.check for item, _, mask in self.rules if mask & features == mask)
            self.by_features[features] = found
        return found


# One-entry cache: a batch runs the same catalogue with the same context on every RSS. Stored as a
# single tuple so that concurrent callers never read a mismatched triple.
_last_plan: tuple[object, RuleContext, _Plan] | None = None


def _make_plan(rules: Iterable[Rule], ctx: RuleContext) -> _Plan:
    runnable: list[tuple[Rule, Severity, int]] = []
    skipped: set[str] = set()
    gates: dict[Gate, int] = {}  # gate -> its bit, above the conditions' bits
    overrides = ctx.severities or {}
    for item in rules:
        if all(ctx.has(need) for need in item.needs):
            mask = 0
            for condition in item.when:
                mask |= _CONDITION_BITS[condition]
            if item.gate is not None:
                mask |= gates.setdefault(item.gate, 1 << (len(CONDITIONS) + len(gates)))
            runnable.append((item, overrides.get(item.code, item.severity), mask))
        else:
            skipped.add(item.code)
    return _Plan(tuple(runnable), frozenset(skipped), tuple(gates))


def _plan_for(rules: Mapping[str, Rule] | Sequence[Rule], ctx: RuleContext) -> _Plan:
    global _last_plan
    cached = _last_plan
    if cached is not None and cached[0] is rules and cached[1] is ctx:
        return cached[2]
    if rules is REGISTRY and not rules:
        # Running nothing would read as "no finding".
        raise RuntimeError("the rule catalogue is not loaded: import app.rules.catalog first")
    plan = _make_plan(rules.values() if isinstance(rules, Mapping) else rules, ctx)
    _last_plan = (rules, ctx, plan)
    return plan


_MULTI: Final = _CONDITION_BITS["multi_rum"]
_GROUPED: Final = _CONDITION_BITS["grouped"]
_ACTS: Final = _CONDITION_BITS["acts"]
_DAS: Final = _CONDITION_BITS["das"]
_DR: Final = _CONDITION_BITS["dr"]
_SEANCES: Final = _CONDITION_BITS["seances"]
_BLANK: Final = _CONDITION_BITS["blank"]
_BAD_DATE: Final = _CONDITION_BITS["bad_date"]
_PERINATAL: Final = _CONDITION_BITS["perinatal"]
_FLAGS: Final = _CONDITION_BITS["flags"]
_NEWBORN: Final = _CONDITION_BITS["newborn"]
_ADMIN: Final = _CONDITION_BITS["admin"]
_NO_SEANCES: Final = frozenset({"", "0", "00"})
_FIRST_GATE: Final = 1 << len(CONDITIONS)

# JJMMAAAA texts already seen to be calendar days (bounded like the catalogue's memos).
_CALENDAR_DAYS: Final[set[str]] = set()


def _calendar_days(*raws: str) -> bool:
    """Every text is a calendar day written with eight ASCII digits (remembered when it is)."""
    for raw in raws:
        if raw not in _CALENDAR_DAYS:
            if not raw.isascii() or as_date(raw) is None:
                return False
            if len(_CALENDAR_DAYS) >= 100_000:
                _CALENDAR_DAYS.clear()
            _CALENDAR_DAYS.add(raw)
    return True


def _digits(text: str) -> bool:
    return text.isdigit() and text.isascii()


def features(rss: Rss) -> int:
    """The preconditions (`Condition` bits) this RSS meets."""
    rums = rss.rums
    mask = _MULTI if len(rums) > 1 else 0
    if rums[0].ghm:
        mask |= _GROUPED
    days = _CALENDAR_DAYS
    for rum in rums:
        if rum.acts:
            mask |= _ACTS
        if rum.das:
            mask |= _DAS
        if rum.dr:
            mask |= _DR
        if rum.seances not in _NO_SEANCES:
            mask |= _SEANCES
        if not (rum.rss_number and rum.sex and rum.entry_mode and rum.exit_mode and rum.dp and rum.unit):
            mask |= _BLANK
        birth, entry, exit_ = rum.birth_date, rum.entry_date, rum.exit_date
        known = birth in days and entry in days and exit_ in days
        if not known and not _calendar_days(birth, entry, exit_):
            mask |= _BAD_DATE
        if rum.newborn_weight or rum.gestational_age or rum.last_menstrual_date:
            mask |= _PERINATAL
        if rum.confirmation or rum.rt_machine or rum.rt_dosimetry or any(rum.extra.values()):
            mask |= _FLAGS
        if rum.entry_mode == "N" or rum.birth_date == rum.entry_date or rum.dp.startswith("P95"):
            mask |= _NEWBORN
        finess, postcode = rum.finess, rum.postcode
        if len(finess) != 9 or len(postcode) != 5 or not _digits(finess) or not _digits(postcode):
            mask |= _ADMIN
    return mask


def fr_date(raw: str) -> str:
    """JJMMAAAA shown as JJ/MM/AAAA; any other text unchanged."""
    if len(raw) == 8 and raw.isdigit() and raw.isascii():
        return f"{raw[0:2]}/{raw[2:4]}/{raw[4:8]}"
    return raw


def conditions_met(rss: Rss) -> frozenset[Condition]:
    """The preconditions this RSS meets, by name (for documentation and tests)."""
    mask = features(rss)
    return frozenset(name for name in CONDITIONS if mask & _CONDITION_BITS[name])


class _Params(dict[str, Any]):
    """Template parameters; a missing one renders as "?" instead of failing the whole batch."""

    def __missing__(self, key: str) -> str:
        return "?"


def render(item: Rule, severity: Severity, rss: Rss, found: Hit) -> Finding:
    rum_index, field_name, value, params = found
    rums = rss.rums
    rum_number = rums[rum_index].rum_number if rum_index is not None and rum_index < len(rums) else ""
    values = _Params(
        params,
        value=value,
        value_date=fr_date(value),
        field=field_name,
        rss_number=rss.rss_number,
        rum_number=rum_number,
    )
    return Finding(
        item.code,
        severity,
        rss.rss_number,
        rum_number,
        rum_index,
        field_name,
        value,
        item.message.format_map(values),
    )


def run_rules(
    rss: Rss,
    ctx: RuleContext,
    rules: Mapping[str, Rule] | Sequence[Rule] | None = None,
) -> tuple[list[Finding], set[str]]:
    """Run a catalogue (default: the full `REGISTRY`, app.rules.registry) on one RSS.

    Returns the findings, in catalogue order then hit order, and the codes of the rules skipped
    because the context lacks a reference they need. Raises RuntimeError when the default is asked
    for before `app.rules.catalog` has filled the registry (the engine does not import the
    catalogue, which imports it).
    """
    if rules is None:
        rules = REGISTRY
    cached = _last_plan
    plan = (
        cached[2] if cached is not None and cached[0] is rules and cached[1] is ctx else _plan_for(rules, ctx)
    )
    findings: list[Finding] = []
    if rss.rums:
        mask = features(rss)
        bit = _FIRST_GATE
        for gate in plan.gates:
            if gate(rss, ctx):
                mask |= bit
            bit <<= 1
        for check in plan.by_features.get(mask) or plan.checks(mask):
            hits = check(rss, ctx)
            if hits:
                item, severity = plan.meta[check]
                for found in hits:
                    findings.append(render(item, severity, rss, found))
    return findings, set(plan.skipped)
