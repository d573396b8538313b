"""RSA (grouper output, formats 218-229) and TRA fixed-width layouts, as data.

Source: the pmsixml field lists `rsa218.csv` … `rsa229.csv` and `tra2016.csv` (shared data
`pmsi_formats/pmsixml/`). Each version is derived from the previous one by the edits the ATIH made
(a field inserted, widened, renamed or dropped) with the fixed-width toolkit's `derive`, which checks
each new field's documented start (1-based, inclusive, as in the ATIH documents); and
tests/medeco/test_rsa_layouts.py checks every version field by field against the CSV files.

The fixed part is followed by variable zones, in this order, each repeated by a counter of the
fixed part: global authorisations (AG, `n_ag` × 2), radiotherapy supplements (SR, `n_rt` × 7: GHS
number + count), one zone per RUM (RU, `rum_count` ×), the diagnoses (`n_da` × 6) and the acts
(`n_za` × the act zone). `n_da` and `n_za` are the RSA's totals, so the record length follows from
the fixed part alone.

Field names are English; `ATIH_CODES` gives the ATIH short name (Nomc) of every field, the name a
DIM finds in the ATIH documents. Supplement counts are the fields named `sup_*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType
from typing import Final

from app.core.fixedwidth.fields import Field, Kind, check_contiguous, contiguous, derive

A = Kind.ALPHA
N = Kind.NUMERIC

RSA_VERSIONS: Final = tuple(str(v) for v in range(218, 230))

# (name, length, kind) in file order; positions are derived.
_Spec = tuple[str, int, Kind]

_218: tuple[_Spec, ...] = (
    ("finess", 9, A), ("format", 3, A), ("rsa_index", 10, A), ("grouped_format", 3, A),
    ("tariff_sequence", 3, A), ("read_classification", 2, A), ("read_ghm", 6, A),
    ("read_return_code", 3, A), ("classification_version", 2, A), ("ghm", 6, A), ("return_code", 3, A),
    ("rum_count", 2, N), ("age_years", 3, A), ("age_days", 3, A), ("sex", 1, A), ("entry_mode", 1, A),
    ("provenance", 1, A), ("exit_month", 2, N), ("exit_year", 4, N), ("exit_mode", 1, A),
    ("destination", 1, A), ("stay_type", 1, A), ("los", 4, N), ("residence_code", 5, A),
    ("birth_weight", 4, A), ("gestational_age", 2, A), ("lmp_delay", 3, A), ("seances", 2, N),
    ("ghs", 4, A), ("exh_days", 4, N), ("exb_type", 1, A), ("exb_days", 3, N),
    ("dialysis_forfait", 4, A), ("uhcd", 1, A), ("coding_confirmation", 1, A),
    ("sup_hemodialysis", 3, N), ("sup_dpa_training", 3, N), ("sup_dpca_training", 3, N),
    ("sup_hemodialysis_training", 3, N), ("sup_apheresis", 3, N), ("n_rt", 1, N),
    ("filler_125", 22, A), ("sup_caisson", 3, N), ("organ_harvest", 1, A), ("sup_rea", 3, N),
    ("sup_si_from_rea", 3, N), ("sup_si", 3, N), ("sup_src", 3, N), ("sup_nn1", 3, N),
    ("sup_nn2", 3, N), ("sup_nn3", 3, N), ("sup_rep", 3, N), ("palliative_bed", 1, A),
    ("rt_machine", 1, A), ("rt_dosimetry", 1, A), ("innovation_number", 15, A), ("beam", 1, A),
    ("dp_rum", 2, A), ("dp", 6, A), ("dr", 6, A), ("n_da", 4, N), ("n_za", 5, N),
)  # fmt: skip


def _f(name: str, start: int, length: int, kind: Kind = A) -> Field:
    return Field(name, start, length, kind)


def _derive() -> dict[str, tuple[Field, ...]]:
    """Each version from the previous one; a new field's start is the one the ATIH prints (checked)."""
    v: dict[str, tuple[Field, ...]] = {"218": contiguous(_218)}
    v["219"] = s = derive(
        v["218"],
        insert_after={
            "coding_confirmation": [_f("n_ag", 109, 1, N)],  # 2019: global authorisations
            "sup_apheresis": [_f("sup_rt_pediatric", 125, 3, N), _f("sup_antepartum", 128, 3, N)],
        },
    )
    v["220"] = s = derive(s, replace={"filler_125": [_f("tavi", 132, 1), _f("filler_133", 133, 21)]})
    v["221"] = s = derive(s, replace={"dialysis_forfait": [_f("filler_103", 103, 4)]})
    v["222"] = s = derive(
        s,
        replace={
            "filler_103": [_f("birth_house", 103, 1), _f("avastin", 104, 1), _f("partial_radiation", 105, 1)],
            "filler_133": [
                _f("auto_generation", 133, 1), _f("ghs_without_innovation", 134, 4), _f("filler_138", 138, 8),
            ],
            "beam": [
                _f("ivg_count", 192, 2), _f("ivg_prev_year", 194, 4), _f("live_births", 198, 2),
                _f("filler_200", 200, 1),
            ],
        },
        insert_after={"uhcd": [_f("ghs_minore", 107, 1)]},
    )  # fmt: skip
    v["223"] = s = derive(s, append=[_f("filler_224", 224, 15)])
    v["224"] = s = derive(
        s,
        replace={
            "ivg_count": [_f("filler_192", 192, 9)],
            "ivg_prev_year": [],
            "live_births": [],
            "filler_200": [],
        },
    )
    v["225"] = s = derive(
        s,
        replace={
            "filler_192": [
                _f("defibrillator", 192, 1), _f("conversion_hc", 193, 1), _f("raac", 194, 1),
                _f("filler_195", 195, 1), _f("diabetes_forfait", 196, 1), _f("filler_197", 197, 4),
            ]
        },
    )  # fmt: skip
    v["226"] = s = derive(
        s,
        insert_after={"residence_code": [_f("postcode", 80, 5)]},
        replace={
            "partial_radiation": [_f("filler_110", 110, 1)],
            "filler_195": [],
            "diabetes_forfait": [
                _f("diabetes_forfait", 200, 1), _f("gradation", 201, 1), _f("patient_context", 202, 1),
                _f("reserve_product", 203, 1), _f("rescrit", 204, 1), _f("intervention_category", 205, 1),
            ],
        },
    )  # fmt: skip
    v["227"] = s = derive(s, replace={"filler_197": [_f("non_programmed", 206, 1), _f("filler_207", 207, 3)]})
    v["228"] = s = derive(
        s,
        replace={
            "filler_207": [_f("emergency", 207, 1), _f("car_t", 208, 1), _f("filler_209", 209, 1)],
            "filler_224": [_f("filler_233", 233, 30)],
        },
    )
    v["229"] = derive(s, insert_after={"sup_si": [_f("sup_usip", 164, 3, N)]})
    return v


# Zone lengths by version: RU grew with the geographic FINESS (219, 220), the gestational age (221)
# and the UM sequence number (226); the act zone with the PMSI extension (222).
_RU_LENGTH: Final = {"218": 40, "219": 58, "221": 60, "226": 61}
_ACT_LENGTH: Final = {"218": 22, "222": 24}
AG_LENGTH: Final = 2
RT_LENGTH: Final = 7  # GHS number (4) + count (3)
DA_LENGTH: Final = 6


def _at(table: Mapping[str, int], version: str) -> int:
    return table[max(key for key in table if key <= version)]


@dataclass(frozen=True, slots=True)
class RsaLayout:
    version: str
    fixed: tuple[Field, ...]
    rum_length: int
    act_length: int
    # Derived once: the reader asks for them on every line of a file of 200,000 RSA.
    supplements: tuple[Field, ...] = dataclass_field(init=False, compare=False, repr=False)
    numeric: tuple[Field, ...] = dataclass_field(init=False, compare=False, repr=False)
    _by_name: Mapping[str, Field] = dataclass_field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "supplements", tuple(i for i in self.fixed if i.name.startswith("sup_")))
        object.__setattr__(self, "numeric", tuple(i for i in self.fixed if i.kind is Kind.NUMERIC))
        object.__setattr__(self, "_by_name", MappingProxyType({i.name: i for i in self.fixed}))

    @property
    def fixed_length(self) -> int:
        return self.fixed[-1].end

    def field(self, name: str) -> Field | None:
        return self._by_name.get(name)

    def expected_length(self, n_ag: int, n_rt: int, rums: int, n_da: int, n_za: int) -> int:
        return (
            self.fixed_length + AG_LENGTH * n_ag + RT_LENGTH * n_rt + self.rum_length * rums
            + DA_LENGTH * n_da + self.act_length * n_za
        )  # fmt: skip


LAYOUTS: Final[Mapping[str, RsaLayout]] = MappingProxyType(
    {
        version: RsaLayout(version, fields, _at(_RU_LENGTH, version), _at(_ACT_LENGTH, version))
        for version, fields in _derive().items()
    }
)

# Supplement fields of the RSA, by the code used in supplement tariffs and in the API.
SUPPLEMENT_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "sup_hemodialysis": "HD", "sup_dpa_training": "EDPA", "sup_dpca_training": "EDPCA",
        "sup_hemodialysis_training": "EHD", "sup_apheresis": "APH", "sup_rt_pediatric": "RTP",
        "sup_antepartum": "ANT", "sup_caisson": "CAISSON", "sup_rea": "REA", "sup_si_from_rea": "STF_REA",
        "sup_si": "STF", "sup_usip": "USIP", "sup_src": "SRC", "sup_nn1": "NN1", "sup_nn2": "NN2",
        "sup_nn3": "NN3", "sup_rep": "REP",
    }
)  # fmt: skip

ATIH_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "finess": "FINESS", "format": "VRSA", "rsa_index": "NRSA", "grouped_format": "VFRSSG",
        "tariff_sequence": "NSQT", "read_classification": "GLVCL", "read_ghm": "GLCMD",
        "read_return_code": "GLCRT", "classification_version": "GRVCL", "ghm": "GRCMD",
        "return_code": "GRCRT", "rum_count": "NBRUM", "age_years": "AGEA", "age_days": "AGEJ",
        "sex": "SEXE", "entry_mode": "MEPMC", "provenance": "PROV", "exit_month": "MSOR",
        "exit_year": "ASOR", "exit_mode": "MSPMC", "destination": "DEST", "stay_type": "TYSEJ",
        "los": "DUTSP", "residence_code": "CGRES", "postcode": "CPOST", "birth_weight": "PEGR",
        "gestational_age": "AGRG", "lmp_delay": "DDRDE", "seances": "NBSE", "ghs": "NGHS",
        "exh_days": "NJBEH", "exb_type": "NJBEB", "exb_days": "NJEXB", "dialysis_forfait": "FDIAL",
        "birth_house": "TADMM", "avastin": "TRPAV", "partial_radiation": "TRPAL", "uhcd": "TUHCD",
        "ghs_minore": "TGHSM", "coding_confirmation": "CCOSJ", "n_ag": "NAG",
        "sup_hemodialysis": "NSHHS", "sup_dpa_training": "NSEDP", "sup_dpca_training": "NSEDPC",
        "sup_hemodialysis_training": "NSEHHS", "sup_apheresis": "NAG9615", "sup_rt_pediatric": "NSRP",
        "sup_antepartum": "NSAP", "n_rt": "NSR", "tavi": "TVAP", "auto_generation": "TYGARSA",
        "ghs_without_innovation": "GHSNPCI", "sup_caisson": "NSCH", "organ_harvest": "NPPORG",
        "sup_rea": "NSREA", "sup_si_from_rea": "NSSIR", "sup_si": "NSSTF", "sup_usip": "NSUSIP",
        "sup_src": "NSSRC", "sup_nn1": "NSNN1", "sup_nn2": "NSNN2", "sup_nn3": "NSNN3", "sup_rep": "NSREP",
        "palliative_bed": "PLSPAL", "rt_machine": "TYMRT", "rt_dosimetry": "TYDOSI",
        "innovation_number": "NINNOV", "beam": "NFAISC", "ivg_count": "NIVGANT",
        "ivg_prev_year": "AIVGPREC", "live_births": "NNVA", "defibrillator": "SUPPDEFC",
        "conversion_hc": "CONVHC", "raac": "PECRAAC", "diabetes_forfait": "SEJEFD", "gradation": "TOPEG",
        "patient_context": "CTXPATSP", "reserve_product": "ADMPRH", "rescrit": "RESCRT",
        "intervention_category": "CATNIT", "non_programmed": "NPROG", "emergency": "PSUR",
        "car_t": "TSCTC", "dp_rum": "NRUPDP", "dp": "DP", "dr": "DR", "n_da": "NDA", "n_za": "NZA",
    }
)  # fmt: skip

# TRA, fixed-width (tra2016): RSA index → RSS number, RUM number, N° administratif, dates, GHM.
TRA_FIXED: Final = contiguous(
    (
        ("rsa_index", 10, A),
        ("rss_number", 20, A),
        ("rum_number", 10, A),
        ("stay_number", 20, A),
        ("entry_date", 8, A),
        ("ghm", 6, A),
        ("exit_date", 8, A),
    )  # fmt: skip
)
# TRA of DRUIDES (`*.tra.txt`), `;`-separated: the same first fields, then opaque identifiers.
TRA_CSV_COLUMNS: Final = ("rsa_index", "rss_number", "stay_number", "entry_date", "exit_date", "ghm")


for _layout in LAYOUTS.values():
    check_contiguous(_layout.fixed, f"RSA {_layout.version}")
check_contiguous(TRA_FIXED, "TRA tra2016")


def layout(version: str) -> RsaLayout | None:
    return LAYOUTS.get(version)
