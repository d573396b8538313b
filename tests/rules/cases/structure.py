"""Cases of the unit rules (context units and fichier d'UM: tests/rules/cases/_support.py)."""

from tests.rules.cases._support import Case, fails, one, passes

CASES: list[Case] = [
    fails("C062", "blank", one(unit=""), (0, "unit", "")),
    passes("C062", "present", one()),
    fails("Q008", "not in the structure", one(unit="9999"), (0, "unit", "9999")),
    fails("Q008", "closed before the stay", one(unit="7600"), (0, "unit", "7600")),
    passes("Q008", "open", one()),
    fails("C100", "closed unit (type 88)", one(unit="7505"), (0, "unit", "7505")),
    fails("C100", "type 72 after 2019", one(unit="7506"), (0, "unit", "7506")),
    fails("C100", "takes effect after the stay", one(unit="7507"), (0, "unit", "7507")),
    fails("C100", "unknown type", one(unit="7508"), (0, "unit", "7508")),
    fails("C100", "not in the fichier d'UM", one(unit="9999"), (0, "unit", "9999")),
    passes("C100", "type 29 in force", one()),
]
