"""Cases of the date of last menstrual period controls (app/rules/catalog/menstrual.py)."""

from tests.rules.cases._support import Case, act, fails, one, passes, stay

_MOTHER = {"sex": "2", "birth_date": "15061990", "gestational_age": "39"}

CASES: list[Case] = [
    fails(
        "C162",
        "delivery act without DDR",
        one(**_MOTHER, acts=[act(code="JQGD010")]),
        (0, "last_menstrual_date", ""),
    ),
    fails("C162", "DA Z37 without DDR", one(**_MOTHER, das=["Z370"]), (0, "last_menstrual_date", "")),
    fails(
        "C162",
        "grouped in CMD 14",
        one(**_MOTHER, grouped=True, ghm="14Z08Z"),
        (None, "last_menstrual_date", ""),
    ),
    passes("C162", "delivery with DDR", one(**_MOTHER, das=["Z370"], last_menstrual_date="01062023")),
    passes(
        "C162",
        "DDR on another RUM",
        stay(2, {0: {"last_menstrual_date": "01062023"}, 1: {"das": ["Z370"]}}, **_MOTHER),
    ),
    passes("C162", "root 14M02", one(**_MOTHER, grouped=True, ghm="14M02T")),
    passes("C162", "adult pneumonia", one()),
    fails(
        "C163",
        "two DDR",
        stay(2, {0: {"last_menstrual_date": "01062023"}, 1: {"last_menstrual_date": "08062023"}}, **_MOTHER),
        (1, "last_menstrual_date", "08062023"),
    ),
    passes(
        "C163",
        "same DDR",
        stay(2, last_menstrual_date="01062023", **_MOTHER),
    ),
    passes("C163", "second RUM blank", stay(2, {0: {"last_menstrual_date": "01062023"}}, **_MOTHER)),
    fails(
        "C164", "male patient", one(last_menstrual_date="01062023"), (0, "last_menstrual_date", "01062023")
    ),
    passes("C164", "female patient", one(**_MOTHER, last_menstrual_date="01062023")),
    fails(
        "C165",
        "DDR after entry",
        one(**_MOTHER, last_menstrual_date="10032024"),
        (0, "last_menstrual_date", "10032024"),
    ),
    passes("C165", "DDR before entry", one(**_MOTHER, last_menstrual_date="01062023")),
    passes("C165", "impossible DDR is C161", one(**_MOTHER, last_menstrual_date="31062023")),
    fails(
        "C166",
        "DDR 428 days before entry",
        one(**_MOTHER, last_menstrual_date="01012023"),
        (0, "last_menstrual_date", "01012023"),
    ),
    passes("C166", "DDR 277 days before entry", one(**_MOTHER, last_menstrual_date="01062023")),
    passes("C166", "DDR after entry is C165", one(**_MOTHER, last_menstrual_date="10032024")),
]
