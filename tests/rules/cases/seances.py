"""Cases of the séance rules."""

from tests.rules.cases._support import Case, fails, one, passes, stay

_CHEMO = {"dp": "Z511", "dr": "C509", "seances": "01"}

CASES: list[Case] = [
    fails("C037", "séance on a multi-RUM stay", stay(2, {0: {"seances": "01"}}), (0, "seances", "01")),
    passes("C037", "multi-RUM without séance", stay(2)),
    passes("C037", "single-RUM séance", one(**_CHEMO)),
    fails("C150", "two RUMs in 28Z07Z", stay(2, grouped=True, ghm="28Z07Z"), (None, "ghm", "28Z07Z")),
    passes("C150", "single-RUM 28Z07Z", one(grouped=True, ghm="28Z07Z", **_CHEMO)),
    passes("C150", "two RUMs in 04M051", stay(2, grouped=True)),
    fails("C146", "5 séances in 2 days", one(dp="Z511", dr="C509", seances="05"), (0, "seances", "05")),
    passes("C146", "3 séances in 2 days", one(dp="Z511", dr="C509", seances="03")),
    passes("C146", "not a séance motive", one(seances="05")),
    fails("C187", "Z51.1 without DR", one(dp="Z511", seances="01"), (0, "dr", "")),
    passes("C187", "Z51.1 with the tumour", one(**_CHEMO)),
]
