"""Cases of the cross-field controls (app/rules/catalog/consistency.py)."""

from tests.rules.cases._support import Case, act, extra, fails, one, passes, stay

_DAY = {"entry_date": "04032024", "exit_date": "04032024"}

CASES: list[Case] = [
    fails(
        "C145",
        "chemotherapy motive without séances",
        one(**_DAY, dp="Z511", dr="C509", acts=[]),
        (0, "dp", "Z511"),
    ),
    passes("C145", "with séances", one(**_DAY, dp="Z511", dr="C509", acts=[], seances="01")),
    passes("C145", "with an act (may be tolerated)", one(**_DAY, dp="Z511", dr="C509")),
    passes("C145", "stay of 2 days", one(dp="Z511", dr="C509", acts=[])),
    passes("C145", "not a séance motive", one(**_DAY, acts=[])),
    passes(
        "C145",
        "discharged before 01/03/2019",
        one(entry_date="04022019", exit_date="04022019", dp="Z511", dr="C509", acts=[]),
    ),
    fails(
        "C189",
        "RAAC then death",
        one(exit_mode="9", extra=extra(raac="1")),
        (0, "exit_mode", "9"),
    ),
    fails(
        "C189",
        "RAAC on RUM 1, transfer to MCO at the end",
        stay(2, {0: {"extra": extra(raac="1")}, 1: {"exit_mode": "7", "destination": "1"}}),
        (1, "exit_mode", "7-1"),
    ),
    passes("C189", "RAAC home", one(extra=extra(raac="1"))),
    passes("C189", "no RAAC, death", one(exit_mode="9", extra=extra(raac="2"))),
    passes("C189", "RAAC, transfer to SMR", one(exit_mode="7", destination="2", extra=extra(raac="1"))),
    fails(
        "C179",
        "IVG GHM without method act",
        one(grouped=True, ghm="14Z08Z", sex="2", dp="O0490", acts=[]),
        (None, "ghm", "14Z08Z"),
    ),
    passes(
        "C179",
        "medical IVG",
        one(grouped=True, ghm="14Z08Z", sex="2", dp="O0490", acts=[act(code="JNJP001")]),
    ),
    passes("C179", "other GHM", one(grouped=True)),
    fails(
        "C253",
        "1 then 2",
        stay(2, {0: {"extra": extra(non_programmed="1")}, 1: {"extra": extra(non_programmed="2")}}),
        (1, "non_programmed", "2"),
    ),
    passes("C253", "1 on both", stay(2, extra=extra(non_programmed="1"))),
    passes("C253", "format 020 has no such field", stay(2, version="020")),
    fails(
        "C261",
        "childbirth in CMD 06 unconfirmed",
        one(grouped=True, ghm="06C04A", sex="2", das=["Z370"]),
        (None, "ghm", "06C04A"),
    ),
    fails(
        "C261",
        "vaginal delivery DA in CMD 06",
        one(grouped=True, ghm="06C04A", sex="2", das=["O800"]),
        (None, "ghm", "06C04A"),
    ),
    passes("C261", "confirmed", one(grouped=True, ghm="06C04A", sex="2", das=["Z370"], confirmation="1")),
    passes("C261", "CMD 14", one(grouped=True, ghm="14C08A", sex="2", das=["Z370"])),
    passes("C261", "root 07C09", one(grouped=True, ghm="07C091", sex="2", das=["Z370"])),
    passes("C261", "no childbirth", one(grouped=True, ghm="06C04A")),
    fails(
        "C262",
        "369 days unconfirmed",
        one(entry_date="01032023", exit_date="04032024", acts=[act(date="01032023")]),
        (0, "confirmation", ""),
    ),
    passes(
        "C262",
        "369 days confirmed",
        one(entry_date="01032023", exit_date="04032024", acts=[act(date="01032023")], confirmation="1"),
    ),
    passes("C262", "2 days", one()),
    fails(
        "C262",
        "the whole leap year 2024",
        one(entry_date="01012024", exit_date="31122024", acts=[act(date="01012024")]),
        (0, "confirmation", ""),
    ),
    passes(
        "C262",
        "the whole year 2023 (364 days)",
        one(entry_date="01012023", exit_date="31122023", acts=[act(date="01012023")]),
    ),
]
