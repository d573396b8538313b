"""Rule cases, one module per catalogue family: for every rule, RSS that trigger it (with the exact
findings expected) and RSS that do not. Run by tests/rules/test_cases.py."""

from tests.rules.cases import (
    acts,
    administrative,
    atypia,
    codes,
    consistency,
    counters,
    dates,
    fields_163,
    grouping,
    guide,
    identity,
    menstrual,
    modes,
    perinatal,
    seances,
    structure,
    versions,
)
from tests.rules.cases._support import BARE_CTX, FULL_CTX, Case

ALL_CASES: list[Case] = [
    *identity.CASES,
    *dates.CASES,
    *modes.CASES,
    *counters.CASES,
    *seances.CASES,
    *codes.CASES,
    *acts.CASES,
    *fields_163.CASES,
    *structure.CASES,
    *grouping.CASES,
    *guide.CASES,
    *perinatal.CASES,
    *menstrual.CASES,
    *consistency.CASES,
    *administrative.CASES,
    *versions.CASES,
    *atypia.CASES,
]

__all__ = ["ALL_CASES", "BARE_CTX", "FULL_CTX", "Case"]
