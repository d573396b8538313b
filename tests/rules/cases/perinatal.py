"""Cases of the birth / newborn / stillbirth controls (app/rules/catalog/perinatal.py)."""

from tests.rules.cases._support import Case, act, fails, one, passes, stay

_MOTHER = {"sex": "2", "birth_date": "15061990", "dp": "O800", "das": ["Z370"]}
_DELIVERY = [act(code="JQGD010")]
_NEWBORN = {"entry_mode": "N", "birth_date": "04032024", "dp": "Z380", "das": [], "acts": []}
_STILLBIRTH = {
    "entry_mode": "N",
    "birth_date": "04032024",
    "exit_date": "04032024",
    "exit_mode": "9",
    "dp": "P95",
    "das": [],
    "acts": [],
    "newborn_weight": "0650",
    "gestational_age": "24",
}

CASES: list[Case] = [
    # C126: gestational age required
    fails(
        "C126",
        "delivery act without any AG",
        one(sex="2", birth_date="15061990", acts=_DELIVERY),
        (0, "gestational_age", ""),
    ),
    fails("C126", "DA Z37 without any AG", one(**_MOTHER), (0, "gestational_age", "")),
    fails(
        "C126",
        "delivery on the second RUM",
        stay(2, {1: {"acts": [act(code="JQGD010", date="05032024")]}}, sex="2", birth_date="15061990"),
        (1, "gestational_age", ""),
    ),
    fails(
        "C126",
        "newborn entered on its birth day",
        one(**_NEWBORN, newborn_weight="3250"),
        (0, "gestational_age", ""),
    ),
    fails("C126", "AG 00 is no AG", one(**_MOTHER, gestational_age="00"), (0, "gestational_age", "00")),
    passes("C126", "delivery with AG", one(**_MOTHER, gestational_age="39")),
    passes(
        "C126",
        "AG on another RUM",
        stay(2, {0: {"gestational_age": "39"}, 1: {"das": ["Z370"]}}, sex="2", birth_date="15061990"),
    ),
    passes("C126", "non-numeric AG is C125", one(**_MOTHER, gestational_age="3S")),
    passes("C126", "adult pneumonia", one()),
    # C168: weight required before 29 days
    fails("C168", "newborn without weight", one(**_NEWBORN, gestational_age="39"), (0, "newborn_weight", "")),
    fails(
        "C168",
        "28 days old, weight 0000",
        one(birth_date="05022024", newborn_weight="0000"),
        (0, "newborn_weight", "0000"),
    ),
    passes("C168", "newborn weighed", one(**_NEWBORN, gestational_age="39", newborn_weight="3250")),
    passes("C168", "29 days old", one(birth_date="04022024")),
    passes("C168", "non-numeric weight is C082", one(birth_date="01032024", newborn_weight="3kg2")),
    passes("C168", "birth after entry is C015", one(birth_date="05032024")),
    # C129: gestational age against weight
    fails(
        "C129",
        "39 weeks and 850 g",
        one(**_NEWBORN, gestational_age="39", newborn_weight="0850"),
        (0, "gestational_age", "39"),
    ),
    fails(
        "C129",
        "28 weeks and 2600 g",
        one(**_NEWBORN, gestational_age="28", newborn_weight="2600"),
        (0, "gestational_age", "28"),
    ),
    fails(
        "C129",
        "32 weeks and 4100 g",
        one(**_NEWBORN, gestational_age="32", newborn_weight="4100"),
        (0, "gestational_age", "32"),
    ),
    passes("C129", "39 weeks and 3250 g", one(**_NEWBORN, gestational_age="39", newborn_weight="3250")),
    passes("C129", "33 weeks and 4100 g", one(**_NEWBORN, gestational_age="33", newborn_weight="4100")),
    passes(
        "C129",
        "stillbirth of 37 weeks and 900 g",
        one(**{**_STILLBIRTH, "gestational_age": "37", "newborn_weight": "0900"}),
    ),
    passes("C129", "AG over 44 is C127", one(**_NEWBORN, gestational_age="50", newborn_weight="0850")),
    passes("C129", "no weight", one(**_NEWBORN, gestational_age="39")),
    # C174: delivery act and AG under 22 weeks
    fails(
        "C174",
        "delivery at 20 weeks",
        one(**_MOTHER, acts=_DELIVERY, gestational_age="20"),
        (0, "gestational_age", "20"),
    ),
    passes("C174", "delivery at 39 weeks", one(**_MOTHER, acts=_DELIVERY, gestational_age="39")),
    passes("C174", "no AG is C126", one(**_MOTHER, acts=_DELIVERY)),
    passes("C174", "20 weeks without delivery act", one(**_MOTHER, gestational_age="20")),
    passes(
        "C174",
        "discharged before 01/03/2013",
        one(
            **_MOTHER,
            acts=[act(code="JQGD010", date="04022013")],
            entry_date="04022013",
            exit_date="06022013",
            gestational_age="20",
        ),
    ),
    # C142: delivery act date
    fails(
        "C142",
        "undated delivery act",
        one(**_MOTHER, acts=[act(code="JQGD010", date="")]),
        (0, "acts[0].date", ""),
    ),
    fails(
        "C142",
        "delivery after the exit",
        one(**_MOTHER, acts=[act(), act(code="JQGD010", date="10032024")]),
        (0, "acts[1].date", "10032024"),
    ),
    passes("C142", "dated delivery", one(**_MOTHER, acts=[act(code="JQGD010", date="05032024")])),
    passes("C142", "undated X-ray is not a delivery", one(acts=[act(date="")])),
    # C143 / C147: stillbirth
    fails("C143", "stillbirth leaving home", one(**{**_STILLBIRTH, "exit_mode": "8"}), (0, "exit_mode", "8")),
    passes("C143", "stillbirth", one(**_STILLBIRTH)),
    passes("C143", "blank exit mode is C033", one(**{**_STILLBIRTH, "exit_mode": ""})),
    fails(
        "C147", "stillbirth without weight", one(**{**_STILLBIRTH, "newborn_weight": ""}), (0, "dp", "P95")
    ),
    fails(
        "C147",
        "stillbirth over two days",
        one(**{**_STILLBIRTH, "exit_date": "06032024"}),
        (0, "dp", "P95"),
    ),
    fails(
        "C147",
        "stillbirth in a 2-RUM stay",
        stay(
            2,
            {1: {**_STILLBIRTH, "entry_date": "05032024", "exit_date": "05032024", "birth_date": "05032024"}},
        ),
        (1, "dp", "P95"),
    ),
    passes("C147", "stillbirth", one(**_STILLBIRTH)),
    passes("C147", "stillbirth from home", one(**{**_STILLBIRTH, "entry_mode": "8"})),
    passes("C147", "exit mode 8 is C143", one(**{**_STILLBIRTH, "exit_mode": "8", "newborn_weight": ""})),
    # C190 / C191: entry by birth
    fails(
        "C190",
        "born the day before",
        one(**{**_NEWBORN, "birth_date": "03032024"}),
        (0, "entry_date", "04032024"),
    ),
    passes("C190", "born on the entry day", one(**_NEWBORN)),
    passes(
        "C190",
        "transferred newborn",
        one(**{**_NEWBORN, "birth_date": "03032024", "entry_mode": "7", "provenance": "1"}),
    ),
    fails("C191", "healthy infant follow-up", one(**{**_NEWBORN, "dp": "Z762"}), (0, "dp", "Z762")),
    fails("C191", "born outside a hospital", one(**{**_NEWBORN, "dp": "Z381"}), (0, "dp", "Z381")),
    passes("C191", "born here", one(**_NEWBORN)),
    passes("C191", "Z76.2 from home", one(**{**_NEWBORN, "dp": "Z762", "entry_mode": "8"})),
]
