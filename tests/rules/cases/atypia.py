"""Cases of the atypia a DIM audits (definitions in app/rules/catalog/atypia.py)."""

from datetime import date

from tests.rules.cases._support import Case, fails, one, passes, stay

# GHM bounds of the case context (tests/rules/cases/_support.py): 01C031 GHS 0022 [0, 11],
# 01C034 GHS 0025 [12, 124], in campaigns 2023 and 2024.
ENTRY = date(2024, 3, 4)

CASES: list[Case] = [
    fails("Q016", "DR repeats the DP", one(dp="C509", dr="C509"), (0, "dr", "C509")),
    passes("Q016", "séance with its tumour", one(dp="Z511", dr="C509", seances="01")),
    passes("Q016", "no DR", one()),
    fails(
        "Q017",
        "abdominal pain with a gallstone DA",
        one(dp="R101", das=["I10", "K800"]),
        (0, "dp", "R101"),
    ),
    fails("Q017", "dyspnoea with heart failure", one(dp="R060", das=["I500"]), (0, "dp", "R060")),
    fails(
        "Q017",
        "second RUM only",
        stay(2, {1: {"dp": "R33", "das": ["N400"]}}),
        (1, "dp", "R33"),
    ),
    passes("Q017", "hypertension does not explain chest pain", one(dp="R074", das=["I10"])),
    passes("Q017", "DA of another system", one(dp="R101", das=["J189"])),
    fails("Q017", "fever with a pneumonia", one(dp="R509", das=["I10", "J189"]), (0, "dp", "R509")),
    fails("Q017", "fever with a urinary infection", one(dp="R509", das=["N390"]), (0, "dp", "R509")),
    passes("Q017", "fever with cystitis of another kind", one(dp="R509", das=["N308"])),
    passes("Q017", "chest pain with atrial fibrillation", one(dp="R074", das=["I480", "J449"])),
    fails("Q017", "syncope with an atrioventricular block", one(dp="R55", das=["I442"]), (0, "dp", "R55")),
    passes("Q017", "syncope with atrial fibrillation", one(dp="R55", das=["I480"])),
    passes("Q017", "symptom not listed", one(dp="R69", das=["J189"])),
    passes("Q017", "disease as DP", one(dp="K800", das=["R101"])),
    fails(
        "Q018",
        "level 3 in 0 day",
        one(grouped=True, ghm="04M053", exit_date="04032024"),
        (None, "ghm", "04M053"),
    ),
    fails("Q018", "level 2 in 2 days", one(grouped=True, ghm="04M052"), (None, "ghm", "04M052")),
    passes("Q018", "level 2 in 3 days", one(grouped=True, ghm="04M052", exit_date="07032024")),
    passes(
        "Q018",
        "level 4 ending in death",
        one(grouped=True, ghm="04M054", exit_mode="9", exit_date="04032024"),
    ),
    passes("Q018", "level 1 in 0 day", one(grouped=True, exit_date="04032024")),
    passes("Q018", "very short stay GHM", one(grouped=True, ghm="04M05T", exit_date="04032024")),
    passes("Q018", "not grouped", one(exit_date="04032024")),
    fails(
        "Q019",
        "15 days in 01C031",
        one(grouped=True, ghm="01C031", exit_date="19032024"),
        (None, "los", "15"),
    ),
    fails(
        "Q019",
        "January stay: campaign 2023",
        one(grouped=True, ghm="01C031", entry=date(2024, 1, 2), exit_date="20012024", acts=[]),
        (None, "los", "18"),
    ),
    passes("Q019", "11 days in 01C031", one(grouped=True, ghm="01C031", exit_date="15032024")),
    passes(
        "Q019",
        "campaign not loaded",
        one(grouped=True, ghm="01C031", entry=date(2022, 3, 4), exit_date="31032022", acts=[]),
    ),
    passes("Q019", "GHM without settled bounds", one(grouped=True, ghm="04M051", exit_date="30042024")),
    fails(
        "Q020",
        "5 days in 01C034",
        one(grouped=True, ghm="01C034", exit_date="09032024"),
        (None, "los", "5"),
    ),
    fails(
        "Q020",
        "0 day in 01C034",
        one(grouped=True, ghm="01C034", exit_date="04032024"),
        (None, "los", "0"),
    ),
    passes("Q020", "12 days in 01C034", one(grouped=True, ghm="01C034", exit_date="16032024")),
    passes("Q020", "low bound 0", one(grouped=True, ghm="01C031", exit_date="04032024")),
]
