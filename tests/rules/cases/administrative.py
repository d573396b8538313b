"""Cases of the administrative controls (app/rules/catalog/administrative.py)."""

from tests.rules.cases._support import Case, fails, one, passes, stay

CASES: list[Case] = [
    fails("C076", "eight characters", one(finess="75000001"), (0, "finess", "75000001")),
    fails("C076", "letters O", one(finess="75OOOOOO1"), (0, "finess", "75OOOOOO1")),
    fails(
        "C076",
        "on every RUM",
        stay(2, finess="ABC"),
        (0, "finess", "ABC"),
        (1, "finess", "ABC"),
    ),
    passes("C076", "Paris", one()),
    passes("C076", "Corsica", one(finess="2A0000012")),
    fails("C081", "Corsica written 2A", one(postcode="2A000"), (0, "postcode", "2A000")),
    fails("C081", "space inside", one(postcode="75 13"), (0, "postcode", "75 13")),
    passes("C081", "Paris", one()),
    passes("C081", "abroad (Spain)", one(postcode="99134")),
    passes("C081", "blank is C184", one(postcode="")),
    fails("C184", "blank", one(postcode=""), (0, "postcode", "")),
    fails("C184", "second RUM blank", stay(2, {1: {"postcode": ""}}), (1, "postcode", "")),
    passes("C184", "Paris", one()),
]
