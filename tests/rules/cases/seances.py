"""Cases of the séance rules."""

from datetime import date

from tests.rules.cases._support import Case, fails, one, passes, stay

_CHEMO = {"dp": "Z511", "dr": "C509", "seances": "01"}
_NO_DR = {"dp": "Z511", "seances": "01"}

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
    # C187 (pmsi-formats.md §6.6, §7.5): CMD 28 + DP Z51.1 without DR, exits from 01/03/2016; a line
    # without GHM is in CMD 28 when its RSS is a séance (séances declared).
    fails("C187", "Z51.1 séance without DR, not grouped", one(dp="Z511", seances="01"), (0, "dr", "")),
    fails("C187", "grouped in 28Z07Z without DR", one(grouped=True, ghm="28Z07Z", dp="Z511"), (0, "dr", "")),
    fails(
        "C187",
        "exit on 01/03/2016",
        one(version="017", entry=date(2016, 2, 28), **_NO_DR),
        (0, "dr", ""),
    ),
    passes("C187", "Z51.1 with the tumour", one(**_CHEMO)),
    passes("C187", "Z51.1 with the tumour grouped in 28Z07Z", one(grouped=True, ghm="28Z07Z", **_CHEMO)),
    passes("C187", "Z51.1 without DR, not a séance", one(dp="Z511")),
    passes("C187", "Z51.1 without DR grouped outside CMD 28", one(grouped=True, dp="Z511", seances="01")),
    passes("C187", "exit on 28/02/2016", one(version="017", entry=date(2016, 2, 26), **_NO_DR)),
]
