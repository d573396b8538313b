"""Cases of the numeric-field rules (séances, weight, gestational age, IGS 2)."""

from tests.rules.cases._support import Case, fails, one, passes

CASES: list[Case] = [
    fails("C036", "letters", one(seances="A1"), (0, "seances", "A1")),
    passes("C036", "number", one(dp="Z511", dr="C509", seances="04")),
    passes("C036", "negative is C066", one(seances="-1")),
    fails("C066", "45", one(seances="45"), (0, "seances", "45")),
    fails("C066", "negative", one(seances="-1"), (0, "seances", "-1")),
    passes("C066", "20", one(dp="Z511", dr="C509", seances="20")),
    fails("C082", "letters", one(newborn_weight="3kg2"), (0, "newborn_weight", "3kg2")),
    passes("C082", "grams", one(newborn_weight="3250")),
    fails("C128", "kilograms typed", one(newborn_weight="0032"), (0, "newborn_weight", "0032")),
    passes("C128", "grams", one(newborn_weight="3200")),
    fails("C125", "letters", one(gestational_age="3S"), (0, "gestational_age", "3S")),
    passes("C125", "weeks", one(gestational_age="39")),
    fails("C127", "52 weeks", one(gestational_age="52"), (0, "gestational_age", "52")),
    fails(
        "C127",
        "20 weeks, newborn alive",
        one(birth_date="04032024", gestational_age="20"),
        (0, "gestational_age", "20"),
    ),
    passes("C127", "39 weeks", one(gestational_age="39")),
    passes("C127", "20 weeks, stillbirth", one(birth_date="04032024", gestational_age="20", exit_mode="9")),
    fails("C169", "letter O", one(igs2="4O"), (0, "igs2", "4O")),
    passes("C169", "number", one(igs2="040")),
]
