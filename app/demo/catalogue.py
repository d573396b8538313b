"""Clinical catalogue of the demo year: what kind of stay each unit produces, as codes.

The stay profiles and each unit's mix of them are data, in app/demo/data/profiles.toml (read once, at
import); the short code lists the stay builder draws from are below.
Every code here is checked against the public nomenclatures (CIM-10 FR 2021, CCAM, GHM V2024)
by tests/demo/test_generator.py when ../shared/data is available, so a typo is caught there.
Groupings are *plausible*, not the output of the official grouper: the demo's lines carry the GHM
an HIS would have written, chosen from the root of the stay's profile and a severity consistent
with its length (level 2 needs 3 days, 3 needs 4, 4 needs 5).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Profile:
    """One kind of stay: how it is coded and how long it lasts."""

    name: str
    root: str  # GHM root (5 characters)
    dps: tuple[str, ...]
    das: tuple[str, ...] = ()  # complications and comorbidities typical of the profile
    # Classifying procedures: one alternative is drawn; "+" joins acts done together, ":" lists the
    # allowed extensions PMSI ("NEKA020:-01,-02").
    acts: tuple[str, ...] = ()
    anaesthesia: bool = False  # adds the activity-4 line of the main act
    exams: tuple[str, ...] = ()  # non-classifying acts, drawn at random
    drs: tuple[str, ...] = ()
    los: tuple[int, int] = (2, 7)  # length of a complete stay, days
    age: tuple[int, int, int] = (18, 65, 95)  # min, mode, max
    sex: str = ""  # "1", "2" or "" for either
    zero: str = ""  # 0-day grouping: a severity letter ("J", "T", "Z", "1") or a whole GHM; "" = never 0-day
    levels: str = "1234"  # severity levels of complete stays; "" = never complete
    death_rate: float = 0.0
    planned: bool = False  # scheduled in advance (weekday, "non programmé" = 2) even without a procedure
    emergency: bool = False  # comes through the emergency department even with a procedure


def _profile(table: dict[str, Any]) -> Profile:
    """A [profile.NAME] table of profiles.toml; TOML arrays become the tuples `Profile` holds."""
    unknown = set(table) - {f.name for f in fields(Profile)}
    if unknown:
        raise ValueError(f"profiles.toml: unknown profile fields {sorted(unknown)}")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}
    return Profile(**values)


_DATA: Final = tomllib.loads(resources.files("app.demo.data").joinpath("profiles.toml").read_text("utf-8"))
PROFILES: Final[dict[str, Profile]] = {name: _profile(table) for name, table in _DATA["profile"].items()}
# Unit -> weighted profiles of its single-unit stays (zero-day and complete draws filter on
# `zero` / `levels`). The first profile of a unit is also used for the unit's RUM of multi-unit stays.
UNIT_PROFILES: Final[dict[str, tuple[tuple[Profile, int], ...]]] = {
    unit: tuple((PROFILES[name], weight) for name, weight in mix.items())
    for unit, mix in _DATA["unit"].items()
}
# The profiles the stay builder names (deliveries, newborns, palliative care).
PALLIATIVE: Final = PROFILES["PALLIATIVE"]
POSTPARTUM: Final = PROFILES["POSTPARTUM"]
NEWBORN_JAUNDICE: Final = PROFILES["NEWBORN_JAUNDICE"]


# Comorbidities drawn for adults, by frequency of use.
COMORBIDITIES: Final = (
    "I10",
    "I10",
    "E1190",
    "E785",
    "I480",
    "Z921",
    "N183",
    "E440",
    "F329",
    "E039",
    "J449",
    "E6603",
    "F1020",
    "Z950",
)

SEANCE_TUMOURS: Final = (
    "C509",
    "C509",
    "C504",
    "C341",
    "C343",
    "C187",
    "C189",
    "C20",
    "C61",
    "C56",
    "C259",
    "C169",
)
SEANCE_METASTASES: Final = ("C787", "C795", "C780", "C772")
TRANSFUSION_DAS: Final = ("D649", "D611", "D462", "D630", "D509")
CHILD_TRANSFUSION_DAS: Final = ("D571", "D570", "D561")
NON_TUMOUR_CHEMO_DAS: Final = ("M0690", "M45", "K509", "K519", "L400", "G35", "D693")
RHEUMATOLOGY_CHEMO_DAS: Final = ("M0690", "M0699", "M45", "L405")

# Postcodes around the reference hospital (Ardèche méridionale), weighted; 99xxx = abroad.
POSTCODES: Final[tuple[tuple[str, int], ...]] = (
    ("07200", 30),
    ("07600", 10),
    ("07380", 6),
    ("07110", 6),
    ("07260", 5),
    ("07140", 5),
    ("07120", 5),
    ("07150", 4),
    ("07170", 4),
    ("07530", 3),
    ("07230", 3),
    ("07000", 2),
    ("07700", 2),
    ("26200", 2),
    ("30500", 1),
    ("99109", 1),
    ("99132", 1),
)

# SMR: what a stay of each CM looks like (finalité, manifestation, étiologie, CSARR acts).
SSR_CM_CONTENT: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    # CM: (manifestations morbides principales, affections étiologiques, CSARR acts)
    "08": (
        ("M161", "M170", "S7200", "Z966"),
        ("M161", "S7200", "M170"),
        ("NKQ+284", "NKQ+295", "NKQ+021", "NKQ+222"),
    ),
    "10": (("E1190", "E6613", "E109"), ("E1190", "E109"), ("HSQ+197", "ZZC+028", "ZZQ+027", "HSQ+222")),
    "01": (("I634", "G20", "G35", "G819"), ("I694", "I634"), ("ALR+298", "ALR+004", "NKQ+021")),
    "05": (("I5000", "I251", "I2140"), ("I2140", "I251"), ("EQR+175", "NKQ+021")),
    "09": (("L893", "L97"), ("E1150", "L893"), ("NKQ+021", "HSQ+197")),
    "04": (("J449", "J9610", "J441"), ("J449",), ("GLR+226", "GLR+074", "EQR+175")),
    "23": (("R268", "Z740"), (), ("NKQ+021", "ZZR+145")),
    "06": (("K565", "Z933"), ("C189", "K565"), ("HSQ+197", "NKQ+021")),
    "16": (("D649", "D619"), ("D649",), ("NKQ+021", "HSQ+197")),
    "11": (("N185", "N184"), ("N185",), ("HSQ+197", "NKQ+021")),
    "19": (("F03", "F329"), ("F03",), ("ALR+298", "ZZR+145")),
    "03": (("H811", "R42"), ("H811",), ("NKQ+021", "EQR+175")),
    "18": (("A46", "L031"), ("A46",), ("NKQ+021",)),
}
SSR_FINALITIES: Final = ("Z501", "Z501", "Z508", "Z5180", "Z509")
