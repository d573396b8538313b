"""Cases of the nomenclatures by year (app/rules/catalog/versions.py): Q015, and the CIM-10 and CCAM
rules judging a stay against its year's version (YEARS_CTX: 2023 and 2024 loaded)."""

from datetime import date

from tests.rules.cases._support import YEARS_CTX, Case, act, fails, one, passes

IN_2022 = date(2022, 3, 4)
IN_2023 = date(2023, 3, 4)

CASES: list[Case] = [
    fails(
        "Q015",
        "stay and act of 2022",
        one(entry=IN_2022, acts=[act(date="04032022")]),
        (None, "cim10", "2022"),
        (None, "ccam", "2022"),
        ctx=YEARS_CTX,
    ),
    fails(
        "Q015",
        "2024 stay, one act dated 2022",
        one(acts=[act(), act(date="04032022")]),
        (None, "ccam", "2022"),
        ctx=YEARS_CTX,
    ),
    passes("Q015", "2024 stay", one(), ctx=YEARS_CTX),
    passes("Q015", "one version judges every year", one(entry=IN_2022, acts=[act(date="04032022")])),
    # CIM-10 by the exit year
    fails("C070", "code of 2023 only, 2024 stay", one(das=["K358"]), (0, "das[0]", "K358"), ctx=YEARS_CTX),
    passes("C070", "code of 2023 only, 2023 stay", one(entry=IN_2023, das=["K358"], acts=[]), ctx=YEARS_CTX),
    fails(
        "C067",
        "code of 2024 only, 2023 stay",
        one(entry=IN_2023, dp="U0716", acts=[]),
        (0, "dp", "U0716"),
        ctx=YEARS_CTX,
    ),
    passes("C067", "code of 2024 only, 2024 stay", one(dp="U0716"), ctx=YEARS_CTX),
    passes(
        "C067", "year not loaded: not judged (Q015)", one(entry=IN_2022, dp="J199", acts=[]), ctx=YEARS_CTX
    ),
    # CCAM by the act's year
    fails(
        "C073",
        "act of 2024 only, dated 2023",
        one(entry=IN_2023, acts=[act(code="GEQE007", date="04032023")]),
        (0, "acts[0].code", "GEQE007"),
        ctx=YEARS_CTX,
    ),
    passes("C073", "act of 2024 only, dated 2024", one(acts=[act(code="GEQE007")]), ctx=YEARS_CTX),
    fails(
        "C073",
        "a 2023 stay's acts on both sides of New Year",
        one(
            entry=date(2023, 12, 30),
            acts=[act(code="GEQE007", date="30122023"), act(code="GEQE007", date="01012024")],
        ),
        (0, "acts[0].code", "GEQE007"),
        ctx=YEARS_CTX,
    ),
    passes(
        "C073",
        "act year not loaded: not judged (Q015)",
        one(acts=[act(code="ZBQK999", date="04032022")]),
        ctx=YEARS_CTX,
    ),
]
