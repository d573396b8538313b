"""Cases of the guide méthodologique rules (definitions in app/rules/catalog/guide.py)."""

from tests.rules.cases._support import Case, act, fails, one, passes, stay

CASES: list[Case] = [
    fails("Q001", "RUM 1 twice", stay(2, {1: {"rum_number": "1"}}), (1, "rum_number", "1")),
    passes("Q001", "1 and 2", stay(2)),
    fails("Q002", "blank", one(rum_number=""), (0, "rum_number", "")),
    # Eleven characters cannot be written in the 10-character field: a record from another feed.
    fails(
        "Q002", "too long", one(rum_number="12345678901"), (0, "rum_number", "12345678901"), roundtrip=False
    ),
    passes("Q002", "1", one()),
    fails("Q003", "séance with a pneumonia DP", one(seances="01"), (0, "seances", "01")),
    passes("Q003", "chemotherapy séance", one(dp="Z511", dr="C509", seances="01")),
    passes("Q003", "no séance", one()),
    fails(
        "Q004",
        "plasma exchange coded as transfusion",
        one(dp="Z513", seances="01", acts=[act(code="FEJF004")]),
        (0, "dp", "Z513"),
    ),
    passes("Q004", "apheresis séance", one(dp="Z5131", seances="01", acts=[act(code="FEJF004")])),
    passes("Q004", "apheresis outside a séance", one(acts=[act(code="FEJF004")])),
    fails(
        "Q005",
        "medical abortion over two days",
        one(dp="O0490", acts=[act(code="JNJP001")]),
        (0, "exit_date", "06032024"),
    ),
    passes("Q005", "same day", one(dp="O0490", exit_date="04032024", acts=[act(code="JNJP001")])),
    passes("Q005", "no medication act", one(dp="O0490")),
    passes("Q005", "IMG for a foetal cause", one(dp="O0491", acts=[act(code="JNJP001")])),
    passes("Q005", "IMG for a maternal cause", one(dp="O0492", acts=[act(code="JNJP001")])),
    passes("Q005", "IMG for both causes", one(dp="O0493", acts=[act(code="JNJP001")])),
    fails(
        "Q006",
        "delivery RUM without AG, AG on RUM 1",
        stay(2, {0: {"gestational_age": "39"}, 1: {"acts": [act(code="JQGD010", date="05032024")]}}),
        (1, "gestational_age", ""),
    ),
    passes("Q006", "delivery with AG", one(gestational_age="39", acts=[act(code="JQGD010")])),
    passes("Q006", "no AG in the whole stay is C126", one(acts=[act(code="JQGD010")])),
    fails(
        "Q007",
        "AG on the second RUM only",
        stay(2, {0: {"entry_mode": "N", "birth_date": "04032024"}, 1: {"gestational_age": "39"}}),
        (0, "gestational_age", ""),
    ),
    fails(
        "Q007",
        "entry by birth the day after",
        one(entry_mode="N", birth_date="03032024"),
        (0, "gestational_age", ""),
    ),
    passes("Q007", "with AG", one(entry_mode="N", birth_date="04032024", gestational_age="39")),
    passes("Q007", "no AG in the whole stay is C126", one(entry_mode="N", birth_date="04032024")),
    passes("Q007", "adult", one()),
    fails("Q013", "DP repeated as DA", one(das=["I10", "J189"]), (0, "das[1]", "J189")),
    fails(
        "Q013",
        "on the second RUM, twice",
        stay(2, {1: {"dp": "I634", "das": ["I634", "I10", "I634"]}}),
        (1, "das[0]", "I634"),
        (1, "das[2]", "I634"),
    ),
    passes("Q013", "distinct DAs", one(das=["I10", "E1198"])),
    # A RUM is coded for its own unit: the DP of another RUM may be a DA here.
    passes("Q013", "DP of another RUM", stay(2, {1: {"dp": "I634", "das": ["J189"]}})),
    fails(
        "Q014",
        "chemotherapy for a breast cancer history",
        one(dp="Z511", dr="Z853", seances="01"),
        (0, "dr", "Z853"),
    ),
    fails("Q014", "family history", one(dp="Z511", dr="Z803", seances="01"), (0, "dr", "Z803")),
    fails("Q014", "treatment history", one(dp="Z098", dr="Z920"), (0, "dr", "Z920")),
    passes("Q014", "the tumour under treatment", one(dp="Z511", dr="C509", seances="01")),
    # A permanent state present during the stay (acquired absence of a limb) may be a DR.
    passes("Q014", "permanent state", one(dp="Z440", dr="Z894")),
    passes("Q014", "no DR", one()),
]
