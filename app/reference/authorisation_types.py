"""MCO medical-unit authorisation types (type d'autorisation d'UM), built in.

Our own transcription of the ATIH table (GENRSA 2022 manual §5.6.1, reproduced in the project's
pmsi-formats spec §5.2), completed with:

* the codes of the 2023-2024 critical-care reform (02C-02I, 07C, 13G, 15C-15I), from the refpmsi
  "autorisation_mco" 2025 referential — a secondary source whose labels were not checked against the
  ATIH notice (`confirmed=False`);
* 24C/24D/25C/25D, listed by refpmsi with the labels of 02C/02D/15C/15D; their exact meaning is
  unconfirmed (`confirmed=False`);
* 62 (établissement ciblé par le forfait diabète), the fictitious `$$$$` unit of the fichier d'UM.

Labels are shown to DIM staff, hence in French. `modes` lists the hospitalisation modes of the
fichier d'UM the type accepts (C complète, P partielle, M mixte); None = any (facility-wide types).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

CriticalCare = Literal["rea", "si", "sc"]

_HC: Final = frozenset({"C"})
_HP: Final = frozenset({"P"})
_HC_HP: Final = frozenset({"C", "P"})
_ALL: Final = frozenset({"C", "P", "M"})


@dataclass(frozen=True, slots=True)
class AuthorisationType:
    code: str
    label: str
    modes: frozenset[str] | None
    discipline: str = ""  # SAE discipline
    critical_care: CriticalCare | None = None  # réanimation / soins intensifs / surveillance continue
    confirmed: bool = True  # False: secondary source or unconfirmed meaning (see module docstring)
    ended_on: date | None = None  # first day the code is no longer accepted


_T = AuthorisationType
_MED = "Médecine"
_CHIR = "Chirurgie"
_DIAL = "Dialyse"
_URG = "Urgences"
_GYN = "Gynécologie-obstétrique"


def _refpmsi(
    code: str, label: str, critical_care: CriticalCare | None = "si", discipline: str = _MED
) -> AuthorisationType:
    """A code of the refpmsi 2025 referential only (see the module docstring): full hospitalisation,
    its label not checked against the ATIH notice."""
    return AuthorisationType(code, label, _HC, discipline, critical_care, confirmed=False)


_TYPES: Final = (
    _T("01A", "Réanimation adulte hors grands brûlés", _HC, _MED, "rea"),
    _T("01B", "Réanimation adulte grands brûlés", _HC, _MED, "rea"),
    _T("02A", "Soins intensifs en cardiologie (USIC)", _HC, _MED, "si"),
    _T("02B", "Autres soins intensifs (hors UNV, USIC, néonatologie)", _HC, _MED, "si"),
    _T("03A", "Surveillance continue adulte hors grands brûlés", _HC, _MED, "sc"),
    _T("03B", "Surveillance continue adulte grands brûlés", _HC, _MED, "sc"),
    _T("04", "Néonatologie sans soins intensifs", _HC, _MED),
    _T("05", "Soins intensifs en néonatologie", _HC, _MED, "si"),
    _T("06", "Réanimation néonatale", _HC, _MED, "rea"),
    _T("07A", "UHCD des structures des urgences générales", _HC, _URG),
    _T("07B", "UHCD des structures des urgences pédiatriques", _HC, _URG),
    _T("08", "Unité de soins palliatifs (malades en phase terminale)", _HC, _MED),
    _T("13A", "Réanimation pédiatrique hors grands brûlés", _HC, _MED, "rea"),
    _T("13B", "Réanimation pédiatrique grands brûlés", _HC, _MED, "rea"),
    _T("14A", "Surveillance continue pédiatrique hors grands brûlés", _HC, _MED, "sc"),
    _T("14B", "Surveillance continue pédiatrique grands brûlés", _HC, _MED, "sc"),
    _T("16", "Unité d'hématologie avec traitement de l'air", _HC, _MED, "si"),
    _T("17", "Unité neurovasculaire (UNV) hors soins intensifs", _HC, _MED),
    _T("18", "Soins intensifs en unité neurovasculaire", _HC, _MED, "si"),
    _T("19", "Addictologie de recours et de référence", _ALL, _MED),
    _T("20", "Grands brûlés (hors réanimation et surveillance continue)", _HC_HP, _CHIR),
    _T("21", "Hémodialyse en centre, adulte", _HP, _DIAL),
    _T("22", "Hémodialyse en centre, enfant", _HP, _DIAL),
    _T("23", "Hémodialyse en unité médicalisée", _HP, _DIAL),
    _T("26", "Unité hospitalière sécurisée interrégionale (UHSI)", _HC, _MED),
    _T("27", "Médecine gériatrique", _ALL, _MED),
    _T("28", "Médecine pédiatrique (hors oncologie médicale)", _ALL, _MED),
    _T("29", "Autres spécialités médicales adultes ou médecine indifférenciée", _ALL, _MED),
    _T("30", "Centre de prise en charge des infections ostéo-articulaires (UM fictive $$$1)", None),
    _T("34", "Hémodialyse en unité d'autodialyse", _HP, _DIAL),
    _T("35", "Hémodialyse à domicile", _HP, _DIAL),
    _T("36", "Dialyse péritonéale à domicile", _HP, _DIAL),
    _T("37", "Unité de dialyse saisonnière", _HP, _DIAL),
    _T("40", "Oncologie médicale", _ALL, _MED),
    _T("41", "Oncologie chirurgicale", _ALL, _CHIR),
    _T("42", "Radiothérapie ambulatoire", _HP, _MED),
    _T("43", "Chimiothérapie ambulatoire", _HP, _MED),
    _T("50", "Chirurgie cardiaque", _ALL, _CHIR),
    _T("51", "Neurochirurgie", _ALL, _CHIR),
    _T("52", "Autre chirurgie pédiatrique (ou chirurgie pédiatrique indifférenciée)", _ALL, _CHIR),
    _T("53", "Autre chirurgie adulte (ou chirurgie adulte indifférenciée)", _ALL, _CHIR),
    _T("60", "Centre de pose de valves aortiques par voie percutanée (UM fictive $$$2)", _ALL),
    _T("61", "Prise en charge de la douleur chronique", _ALL, _MED),
    _T("62", "Établissement ciblé par le forfait diabète (UM fictive $$$$)", None),
    _T("70", "Gynécologie seule", _ALL, _GYN),
    _T("71", "Obstétrique seule", _ALL, _GYN),
    _T("72", "Interruption volontaire de grossesse", _ALL, _GYN, ended_on=date(2019, 3, 1)),
    _T("73", "Gynécologie-obstétrique indifférenciée", _ALL, _GYN),
    _T("88", "Unité supprimée", _ALL),
    # 2023-2024 critical-care reform (refpmsi 2025).
    _refpmsi("02C", "Soins intensifs polyvalents adultes"),
    _refpmsi("02D", "Soins intensifs polyvalents dérogatoires adultes"),
    _refpmsi("02E", "Soins intensifs de cardiologie (USIC) adultes"),
    _refpmsi("02F", "Soins intensifs neurovasculaires (USINV) adultes"),
    _refpmsi("02H", "Soins intensifs d'hématologie (USIH) adultes"),
    _refpmsi("02I", "Soins intensifs de spécialité adultes (néphrologie, respiratoire, hépato-gastro...)"),
    _refpmsi("07C", "UHCD des antennes de médecine d'urgence", None, _URG),
    _refpmsi("13G", "Réanimation pédiatrique de recours hors grands brûlés", "rea"),
    _refpmsi("15C", "Soins intensifs polyvalents pédiatriques"),
    _refpmsi("15D", "Soins intensifs polyvalents dérogatoires pédiatriques"),
    _refpmsi("15E", "Soins intensifs pédiatriques de cardiologie"),
    _refpmsi("15G", "Soins intensifs polyvalents pédiatriques de recours"),
    _refpmsi("15H", "Soins intensifs d'hématologie (USIH) pédiatriques"),
    _refpmsi("15I", "Soins intensifs pédiatriques de spécialité (néphrologie, diabétologie...)"),
    _refpmsi("24C", "Soins intensifs polyvalents adultes (variante 24, sens non confirmé)"),
    _refpmsi("24D", "Soins intensifs polyvalents dérogatoires adultes (variante 24, sens non confirmé)"),
    _refpmsi("25C", "Soins intensifs polyvalents pédiatriques (variante 25, sens non confirmé)"),
    _refpmsi("25D", "Soins intensifs polyvalents dérogatoires pédiatriques (variante 25, sens non confirmé)"),
)

AUTHORISATION_TYPES: Final[Mapping[str, AuthorisationType]] = MappingProxyType({t.code: t for t in _TYPES})


def lookup(code: str) -> AuthorisationType | None:
    """The type for a code as found in a file ("29 ", "01A"), or None when unknown."""
    return AUTHORISATION_TYPES.get(code.strip().upper())


def mode_allowed(code: str, mode: str) -> bool | None:
    """Whether the hospitalisation mode is accepted for the type; None when the type is unknown."""
    found = lookup(code)
    if found is None:
        return None
    return found.modes is None or mode in found.modes
