"""Cases of the flag rules (confirmation, radiotherapy, zone 163-177)."""

from tests.rules.cases._support import Case, extra, fails, one, passes, stay

CASES: list[Case] = [
    fails("C121", "letter O", one(confirmation="O"), (0, "confirmation", "O")),
    passes("C121", "confirmed", one(confirmation="1")),
    passes("C121", "2 tolerated", one(confirmation="2")),
    fails("C122", "5", one(rt_machine="5"), (0, "rt_machine", "5")),
    passes("C122", "2", one(rt_machine="2")),
    fails("C123", "0", one(rt_dosimetry="0"), (0, "rt_dosimetry", "0")),
    passes("C123", "1", one(rt_dosimetry="1")),
    fails("C083", "filled", one(extra=extra(reserved="X")), (0, "reserved", "X")),
    passes("C083", "blank", one()),
    fails("C151", "0", one(extra=extra(conversion_hc="0")), (0, "conversion_hc", "0")),
    passes("C151", "no conversion", one(extra=extra(conversion_hc="2"))),
    passes("C151", "format 018 has no such field", one(version="018")),
    fails("C188", "letter O", one(extra=extra(raac="O")), (0, "raac", "O")),
    passes("C188", "RAAC", one(extra=extra(raac="1"))),
    fails("C195", "3", one(extra=extra(patient_context="3")), (0, "patient_context", "3")),
    passes("C195", "no", one(extra=extra(patient_context="2"))),
    fails("C196", "N", one(extra=extra(reserve_product="N")), (0, "reserve_product", "N")),
    passes("C196", "no", one(extra=extra(reserve_product="2"))),
    fails("C197", "9", one(extra=extra(rescrit="9")), (0, "rescrit", "9")),
    passes("C197", "blank", one()),
    fails("C198", "D", one(extra=extra(intervention_category="D")), (0, "intervention_category", "D")),
    passes("C198", "A", one(extra=extra(intervention_category="A"))),
    fails(
        "C251",
        "0 on the second RUM",
        stay(2, {1: {"extra": extra(non_programmed="0")}}),
        (1, "non_programmed", "0"),
    ),
    passes("C251", "no", one(extra=extra(non_programmed="2"))),
    fails("C256", "1", one(extra=extra(emergency="1")), (0, "emergency", "1")),
    passes("C256", "own emergency unit", one(extra=extra(emergency="5"))),
    fails(
        "C257",
        "born in the hospital",
        one(entry_mode="N", birth_date="04032024", gestational_age="39", extra=extra(emergency="5")),
        (0, "emergency", "5"),
    ),
    passes("C257", "from home", one(extra=extra(emergency="5"))),
]
