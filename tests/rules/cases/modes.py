"""Cases of the entry / exit mode rules and their chaining."""

from tests.rules.cases._support import Case, fails, one, passes, stay

_TRANSFER_IN = {"entry_mode": "0", "provenance": "1"}
_TRANSFER_OUT = {"exit_mode": "0", "destination": "1"}

CASES: list[Case] = [
    fails("C024", "blank", one(entry_mode=""), (0, "entry_mode", "")),
    passes("C024", "home", one()),
    fails("C053", "transfer without provenance", one(entry_mode="7"), (0, "provenance", "")),
    passes("C053", "transfer from MCO", one(entry_mode="7", provenance="1")),
    passes("C053", "home needs none", one()),
    fails("C025", "home with a provenance", one(provenance="1"), (0, "entry_mode", "8-1")),
    fails("C025", "unknown mode", one(entry_mode="9"), (0, "entry_mode", "9")),
    fails(
        "C025", "mutation from a réanimation", one(entry_mode="6", provenance="R"), (0, "entry_mode", "6-R")
    ),
    fails("C025", "birth with a provenance", one(entry_mode="N", provenance="1"), (0, "entry_mode", "N-1")),
    passes("C025", "transfer from réanimation", one(entry_mode="7", provenance="R")),
    passes("C025", "legacy emergency provenance", one(provenance="5")),
    passes("C025", "birth", one(entry_mode="N")),
    fails(
        "C025",
        "birth discharged before 01/03/2019",
        one(entry_mode="N", entry_date="04022019", exit_date="06022019", acts=[]),
        (0, "entry_mode", "N"),
    ),
    passes(
        "C025",
        "birth discharged on 01/03/2019",
        one(entry_mode="N", entry_date="27022019", exit_date="01032019", acts=[]),
    ),
    fails(
        "C025",
        "organ procurement discharged before 01/03/2024",
        one(entry_mode="O", entry_date="28022024", exit_date="29022024", acts=[]),
        (0, "entry_mode", "O"),
    ),
    passes("C025", "organ procurement", one(entry_mode="O")),
    passes("C025", "blank provenance is C053", one(entry_mode="6")),
    fails("C026", "mutation 6-1 first", one(entry_mode="6", provenance="1"), (0, "entry_mode", "6-1")),
    fails("C026", "temporary transfer not closed by 0", one(**_TRANSFER_IN), (0, "entry_mode", "0-1")),
    passes("C026", "home", one()),
    passes("C026", "mutation from SMR", one(entry_mode="6", provenance="2")),
    passes(
        "C026", "temporary transfer both ends", one(**_TRANSFER_IN, **_TRANSFER_OUT, exit_date="05032024")
    ),
    fails(
        "C027",
        "home on a following RUM",
        stay(2, {1: {"entry_mode": "8", "provenance": ""}}),
        (1, "entry_mode", "8"),
    ),
    fails("C027", "mutation from SMR inside", stay(2, {1: {"provenance": "2"}}), (1, "entry_mode", "6-2")),
    passes("C027", "mutations", stay(3)),
    passes("C027", "back from a temporary transfer", stay(2, {0: _TRANSFER_OUT, 1: _TRANSFER_IN})),
    fails("C033", "blank", one(exit_mode=""), (0, "exit_mode", "")),
    passes("C033", "home", one()),
    fails("C054", "transfer without destination", one(exit_mode="7"), (0, "destination", "")),
    passes("C054", "transfer to MCO", one(exit_mode="7", destination="1")),
    fails("C034", "death with a destination", one(exit_mode="9", destination="1"), (0, "exit_mode", "9-1")),
    fails("C034", "unknown mode", one(exit_mode="5"), (0, "exit_mode", "5")),
    fails("C034", "temporary transfer to HAD", one(exit_mode="0", destination="6"), (0, "exit_mode", "0-6")),
    passes("C034", "death", one(exit_mode="9")),
    passes("C034", "home to médico-social", one(exit_mode="8", destination="7")),
    fails("C035", "mutation 6-1 last", one(exit_mode="6", destination="1"), (0, "exit_mode", "6-1")),
    fails("C035", "temporary transfer not opened by 0", one(**_TRANSFER_OUT), (0, "exit_mode", "0-1")),
    passes("C035", "mutation to SMR", one(exit_mode="6", destination="2")),
    passes("C035", "home", one()),
    fails(
        "C049",
        "home before the end",
        stay(2, {0: {"exit_mode": "8", "destination": ""}}),
        (0, "exit_mode", "8"),
    ),
    fails(
        "C049",
        "transfer 0 not followed by 0",
        stay(3, {1: _TRANSFER_OUT}),
        (1, "exit_mode", "0-1"),
    ),
    passes("C049", "mutations", stay(3)),
    passes("C049", "temporary transfer and back", stay(2, {0: _TRANSFER_OUT, 1: _TRANSFER_IN})),
    fails(
        "C050",
        "two-day service",
        one(**_TRANSFER_IN, **_TRANSFER_OUT),
        (None, "exit_date", "06032024"),
    ),
    fails(
        "C050",
        "three days away",
        stay(2, {0: _TRANSFER_OUT, 1: {**_TRANSFER_IN, "entry_date": "09032024", "exit_date": "10032024"}}),
        (1, "entry_date", "09032024"),
    ),
    passes("C050", "one-day service", one(**_TRANSFER_IN, **_TRANSFER_OUT, exit_date="05032024")),
    passes(
        "C050",
        "back the next day",
        stay(2, {0: _TRANSFER_OUT, 1: {**_TRANSFER_IN, "entry_date": "07032024", "exit_date": "10032024"}}),
    ),
]
