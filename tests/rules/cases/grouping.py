"""Cases of the grouped-line rules."""

from tests.rules.cases._support import Case, fails, one, passes

_CHEMO = {"dp": "Z511", "dr": "C509", "seances": "01"}

CASES: list[Case] = [
    fails("Q009", "90Z00Z", one(grouped=True, ghm="90Z00Z", return_code="040"), (None, "ghm", "90Z00Z")),
    fails(
        "Q009", "blank return code", one(grouped=True, ghm="90Z00Z", return_code=""), (None, "ghm", "90Z00Z")
    ),
    passes("Q009", "04M051", one(grouped=True)),
    passes("Q009", "not grouped", one()),
    fails("Q010", "signal 170", one(grouped=True, return_code="170"), (None, "return_code", "170")),
    passes("Q010", "000", one(grouped=True)),
    passes("Q010", "blank", one(grouped=True, return_code="")),
    passes("Q010", "CMD 90 is Q009", one(grouped=True, ghm="90Z00Z", return_code="040")),
    fails(
        "Q011",
        "28Z07Z with Z51.2",
        one(grouped=True, ghm="28Z07Z", dp="Z512", seances="01"),
        (0, "dp", "Z512"),
    ),
    fails(
        "Q011",
        "28Z16Z with Z51.30",
        one(grouped=True, ghm="28Z16Z", dp="Z5130", seances="01"),
        (0, "dp", "Z5130"),
    ),
    passes("Q011", "28Z07Z with Z51.1", one(grouped=True, ghm="28Z07Z", **_CHEMO)),
    passes("Q011", "28Z14Z with Z51.3", one(grouped=True, ghm="28Z14Z", dp="Z513", seances="01")),
    fails("Q012", "unknown GHM", one(grouped=True, ghm="04M999"), (None, "ghm", "04M999")),
    passes("Q012", "known GHM", one(grouped=True)),
]
