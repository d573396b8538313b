"""Built-in French labels for the activity tables, used when the nomenclature is not loaded.

Our own transcription, as data:

* CMD labels: ATIH list, as in shared/spec/pmsi-formats.md §7.2;
* CMD 28 (séances) GHM labels, V2025 (same 19 GHM in 2019-2025): pmsi-formats.md §7.3;
* SSR/SMR catégories majeures (CM) of the GME classification (Manuel des GME, ATIH). The CM codes
  reuse the MCO CMD numbering; labels are the GME manual's where they differ from the CMD ones
  ("organes digestifs", "système ostéoarticulaire", "appareil génito-urinaire"). To be checked
  against the year's manual: an unlisted CM is shown as "CM <code>".

Loaded nomenclatures (`ref_ghm`, `ref_cmd`) always win over these.
"""

from __future__ import annotations

from typing import Final

CARE_TYPE_LABELS: Final[dict[str, str]] = {
    "complete": "Hospitalisation complète",
    "zero_day": "Hospitalisation 0 jour (hors séance)",
    "seance": "Séances",
}
CARE_TYPES: Final = tuple(CARE_TYPE_LABELS)

UNMAPPED_POLE: Final = "unmapped"
UNMAPPED_POLE_LABEL: Final = "UM inconnue de la structure"
NO_POLE: Final = "no_pole"
NO_POLE_LABEL: Final = "UM sans pôle de rattachement"

NO_GHM_LABEL: Final = "RSS non groupé (sans GHM)"
NO_CM_LABEL: Final = "RHS non groupé (sans CM)"

CMD_LABELS: Final[dict[str, str]] = {
    "01": "Affections du système nerveux",
    "02": "Affections de l'œil",
    "03": "Affections des oreilles, du nez, de la gorge, de la bouche et des dents",
    "04": "Affections de l'appareil respiratoire",
    "05": "Affections de l'appareil circulatoire",
    "06": "Affections du tube digestif",
    "07": "Affections du système hépatobiliaire et du pancréas",
    "08": "Affections et traumatismes de l'appareil musculosquelettique et du tissu conjonctif",
    "09": "Affections de la peau, des tissus sous-cutanés et des seins",
    "10": "Affections endocriniennes, métaboliques et nutritionnelles",
    "11": "Affections du rein et des voies urinaires",
    "12": "Affections de l'appareil génital masculin",
    "13": "Affections de l'appareil génital féminin",
    "14": "Grossesses pathologiques, accouchements et affections du post-partum",
    "15": "Nouveau-nés, prématurés et affections de la période périnatale",
    "16": "Affections du sang et des organes hématopoïétiques",
    "17": "Affections myéloprolifératives et tumeurs de siège imprécis ou diffus",
    "18": "Maladies infectieuses et parasitaires",
    "19": "Maladies et troubles mentaux",
    "20": "Troubles mentaux organiques liés à l'absorption de drogues ou induits par celles-ci",
    "21": "Traumatismes, allergies et empoisonnements",
    "22": "Brûlures",
    "23": "Facteurs influant sur l'état de santé et autres motifs de recours aux services de santé",
    "25": "Maladies dues à une infection par le VIH",
    "26": "Traumatismes multiples graves",
    "27": "Transplantations d'organes",
    "28": "Séances",
    "90": "Erreurs et autres séjours inclassables",
}

CMD28_GHM_LABELS: Final[dict[str, str]] = {
    "28Z01Z": "Entraînements à la dialyse péritonéale automatisée, en séances",
    "28Z02Z": "Entraînements à la dialyse péritonéale continue ambulatoire, en séances",
    "28Z03Z": "Entraînements à l'hémodialyse, en séances",
    "28Z04Z": "Hémodialyse, en séances",
    "28Z07Z": "Chimiothérapie pour tumeur, en séances",
    "28Z10Z": "Curiethérapie, en séances",
    "28Z11Z": "Techniques spéciales d'irradiation externe, en séances",
    "28Z14Z": "Transfusions, en séances",
    "28Z15Z": "Oxygénothérapie hyperbare, en séances",
    "28Z16Z": "Aphérèses sanguines, en séances",
    "28Z17Z": "Chimiothérapie pour affection non tumorale, en séances",
    "28Z18Z": "Radiothérapie conformationnelle avec modulation d'intensité, en séances",
    "28Z19Z": "Préparations à une irradiation externe par RCMI ou techniques spéciales",
    "28Z20Z": "Préparations à une irradiation externe avec dosimétrie tridimensionnelle avec HDV",
    "28Z21Z": "Préparations à une irradiation externe avec dosimétrie tridimensionnelle sans HDV",
    "28Z22Z": "Autres préparations à une irradiation externe",
    "28Z23Z": "Techniques complexes d'irradiation externe avec repositionnement, en séances",
    "28Z24Z": "Techniques complexes d'irradiation externe sans repositionnement, en séances",
    "28Z25Z": "Autres techniques d'irradiation externe, en séances",
}

SSR_CM_LABELS: Final[dict[str, str]] = {
    "01": "Affections du système nerveux",
    "02": "Affections de l'œil",
    "03": "Affections des oreilles, du nez, de la gorge, de la bouche et des dents",
    "04": "Affections de l'appareil respiratoire",
    "05": "Affections de l'appareil circulatoire",
    "06": "Affections des organes digestifs",
    "08": "Affections et traumatismes du système ostéoarticulaire",
    "09": "Affections de la peau, des tissus sous-cutanés et des seins",
    "10": "Affections endocriniennes, métaboliques et nutritionnelles",
    "11": "Affections de l'appareil génito-urinaire",
    "16": "Affections du sang et des organes hématopoïétiques",
    "18": "Maladies infectieuses et parasitaires",
    "19": "Maladies et troubles mentaux",
    "20": "Troubles mentaux organiques liés à l'absorption de drogues ou induits par celles-ci",
    "21": "Traumatismes, allergies et empoisonnements",
    "23": "Facteurs influant sur l'état de santé et autres motifs de recours aux services de santé",
    "27": "Posttransplantation d'organe",
    "90": "Erreurs et autres séjours inclassables",
}


def cmd_label(cmd: str) -> str:
    return CMD_LABELS.get(cmd, f"CMD {cmd}")


def ghm_fallback_label(ghm: str) -> str | None:
    """The built-in label of a CMD 28 GHM; None for any other GHM (needs the nomenclature)."""
    return CMD28_GHM_LABELS.get(ghm)


def ssr_cm_label(cm: str | None) -> str:
    if not cm:
        return NO_CM_LABEL
    return SSR_CM_LABELS.get(cm, f"CM {cm}")
