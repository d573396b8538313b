"""Labels of the fonction groupage (FG) MCO return codes, built in.

Our own transcription, as code data, of the control titles listed in the project's PMSI spec
(pmsi-formats.md §6.2 C-codes and §6.3 G-codes, from the ATIH DRUIDES 2023 user guide §6.4.1 and the
GENRSA 2022 manual §8), plus the implementation codes of §6.4. Titles are in sentence case with
accents restored; acronyms (RSS, RUM, DP, CIM, CCAM...) are kept.

Keys are the 3-digit *code retour* as written at positions 13-15 of an RSS groupé line: C-codes,
G-codes and I-codes share one numbering ("040" = C040, "006" = G006, "502" = I502).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

_LABELS: Final[dict[str, str]] = {
    "002": "Incompatibilité sexe diagnostic principal",  # G002
    "003": "Diagnostic principal incohérent",  # G003
    "004": "Tables endommagées ou erreur dans le parcours de l'arbre",  # G004
    "005": "Diagnostic principal : code insuffisamment précis pour la classification des GHM",  # G005
    "006": "Nombre de séances strictement supérieur à zéro et DP n'est pas un motif de séances",  # G006
    "007": "Poids incompatible pour un nouveau-né",  # G007
    "010": "RSS multiunité avec numéro de RSS inconstant",  # C010
    "011": "Numéro de RSS absent",  # C011
    "013": "Date de naissance absente",  # C013
    "014": "Date de naissance non numérique",  # C014
    "015": "Date de naissance improbable par rapport à la date d'entrée",  # C015
    "016": "Code sexe absent",  # C016
    "017": "Code sexe erroné",  # C017
    "019": "Date d'entrée absente",  # C019
    "020": "Date d'entrée non numérique",  # C020
    "021": "Date d'entrée incohérente",  # C021
    "023": "RSS multiunité : chaînage date d'entrée date de sortie incohérent",  # C023
    "024": "Mode d'entrée absent",  # C024
    "025": "Mode d'entrée erroné ou provenance erronée",  # C025
    "026": "Mode d'entrée incorrect ou provenance incorrecte pour commencer un RSS",  # C026
    "027": "RSS multiunité : mode d'entrée incorrect ou provenance incorrecte sur un RUM de suite",  # C027
    "028": "Date de sortie absente",  # C028
    "029": "Date de sortie non numérique",  # C029
    "030": "Date de sortie incohérente",  # C030
    "032": "RUM avec incohérence date de sortie date d'entrée",  # C032
    "033": "Mode de sortie absent",  # C033
    "034": "Mode de sortie erroné, ou destination erronée",  # C034
    "035": "Mode de sortie incorrect ou destination incorrecte pour clore un RSS",  # C035
    "036": "Nombre de séances non numérique",  # C036
    "037": "RSS multiunité : présence de séances sur un des RUM",  # C037
    "039": "Date de naissance incohérente",  # C039
    "040": "Diagnostic principal absent",  # C040
    "041": "Code de diagnostic principal ne respectant pas le format de la CIM",  # C041
    "042": "Code de diagnostic associé ne respectant pas le format de la CIM",  # C042
    "043": "Code d'acte ne respectant pas le format de la CCAM",  # C043
    "045": "RSS multiunité : date de naissance inconstante",  # C045
    "046": "RSS multiunité : code sexe inconstant",  # C046
    # C049
    "049": (
        "RSS multiunité : mode de sortie incorrect ou destination incorrecte pour un RUM autre que le dernier"
    ),
    # C050
    "050": "Délai de séjour incompatible avec le principe administratif de prestation interétablissement",
    "051": "Code de diagnostic relié ne respectant pas le format de la CIM",  # C051
    "052": "Nombre de réalisations d'actes non numérique, ou erroné",  # C052
    "053": "Provenance absente",  # C053
    "054": "Destination absente",  # C054
    "055": "Nombre de DA ou de DAD absent",  # C055
    "056": "Nombre de DA ou de DAD non numérique",  # C056
    "057": "Nombre de zones d'actes absent",  # C057
    "058": "Nombre de zones d'actes non numérique",  # C058
    "059": "Format de RUM inconnu",  # C059
    "062": "Unité médicale non renseignée",  # C062
    "064": "Date système antérieure à la date d'entrée",  # C064
    "065": "Date système antérieure à la date de sortie",  # C065
    "066": "Nombre de séances : valeur invraisemblable",  # C066
    "067": "Diagnostic principal : n'a jamais existé dans la CIM",  # C067
    "068": "Diagnostic principal : n'existe plus dans la CIM",  # C068
    "070": "Diagnostic associé : n'a jamais existé dans la CIM",  # C070
    "071": "Diagnostic associé : n'existe plus dans la CIM",  # C071
    "073": "Acte n'ayant jamais existé dans la CCAM",  # C073
    "076": "Numéro FINESS de format incorrect",  # C076
    "077": "Date d'entrée improbable car trop ancienne",  # C077
    "078": "Date d'entrée du RUM incompatible avec l'utilisation d'un acte CCAM",  # C078
    "079": "Date de sortie du RUM incompatible avec l'utilisation d'un acte CCAM",  # C079
    "080": "Séjour avec acte opératoire mineur reclassant dans un GHM médical",  # G080
    "081": "Code postal non numérique",  # C081
    "082": "Poids d'entrée non numérique",  # C082
    "083": "Zone réservée non vide",  # C083
    "084": "Diagnostic principal invraisemblable car rare",  # C084
    "085": "Diagnostic principal invraisemblable en raison de l'âge",  # C085
    "086": "Diagnostic principal incompatible avec le sexe indiqué",  # C086
    "087": "Diagnostic principal imprécis",  # C087
    "088": "Codes Z à éviter en DP car n'est habituellement pas un motif d'hospitalisation",  # C088
    "090": "Diagnostic associé invraisemblable car rare",  # C090
    "091": "Diagnostic associé invraisemblable en raison de l'âge",  # C091
    "092": "Diagnostic associé incompatible avec le sexe indiqué",  # C092
    "093": "Diagnostic associé imprécis",  # C093
    "094": "Diagnostic relié : n'a jamais existé dans la CIM",  # C094
    "095": "Diagnostic relié : n'existe plus dans la CIM",  # C095
    "096": "Diagnostic relié invraisemblable car rare",  # C096
    "097": "Diagnostic relié invraisemblable en raison de l'âge",  # C097
    "098": "Diagnostic relié incompatible avec le sexe indiqué",  # C098
    "099": "Diagnostic relié imprécis",  # C099
    "100": "Type d'autorisation d'unité médicale non acceptée",  # C100
    "101": "Type d'autorisation de lit dédié non accepté",  # C101
    "102": "Date de réalisation de l'acte CCAM incohérente",  # C102
    "103": "Code d'activité d'un acte CCAM non renseignée ou valeur erronée",  # C103
    "110": "Activité 4 inexistante pour un acte CCAM",  # C110
    "111": "Code d'activité autre que 4 inexistant pour un acte CCAM",  # C111
    "112": "Geste complémentaire sans acte principal",  # C112
    "113": "Code interdit en DP car très imprécis",  # C113
    "114": "Code interdit en DP parce qu'il s'agit d'une cause externe de morbidité (V, W, X, Y)",  # C114
    # C115
    "115": "Code interdit en DP parce qu'il s'agit d'une catégorie non vide ou d'un code père interdit",
    "116": "Code interdit en DR car très imprécis",  # C116
    "117": "Code interdit en DR parce qu'il s'agit d'une cause externe de morbidité (V, W, X, Y)",  # C117
    # C118
    "118": "Code interdit en DR parce qu'il s'agit d'une catégorie non vide ou d'un code père interdit",
    # C119
    "119": "Code interdit en DA parce qu'il s'agit d'une catégorie non vide ou d'un code père interdit",
    "120": "Confirmation du RSS nécessaire mais absente",  # C120
    "121": "Code de confirmation du RSS incorrect",  # C121
    "122": "Code de type de machine de radiothérapie incorrect",  # C122
    "123": "Code de dosimétrie incorrect",  # C123
    "124": "Confirmation du RSS non nécessaire et présente",  # C124
    "125": "Âge gestationnel non numérique",  # C125
    "126": "Âge gestationnel requis absent",  # C126
    "127": "Âge gestationnel incohérent",  # C127
    "128": "Poids d'entrée sur un ou deux caractères non autorisé",  # C128
    "129": "Âge gestationnel incohérent par rapport au poids d'entrée",  # C129
    "130": "DP en O ou Z37 non autorisé par rapport à l'âge",  # C130
    "131": "DR en O ou Z37 non autorisé par rapport à l'âge",  # C131
    "132": "DA en O ou Z37 non autorisé par rapport à l'âge",  # C132
    "133": "DP en P ou Z38 non autorisé par rapport à l'âge",  # C133
    "134": "DR en P ou Z38 non autorisé par rapport à l'âge",  # C134
    "135": "DA en P ou Z38 non autorisé par rapport à l'âge",  # C135
    "142": "Date de réalisation de l'acte d'accouchement non renseignée ou incohérente",  # C142
    "143": "Mode de sortie incohérent par rapport au DP",  # C143
    "145": "Nombre de séances à zéro avec DP motif de séances",  # C145
    "146": "Nombre de séances incohérent par rapport à la durée de séjour",  # C146
    "147": "Données incompatibles avec le DP P95",  # C147
    "148": "Acte incompatible avec le sexe indiqué",  # C148
    "149": "Acte incompatible avec l'âge indiqué",  # C149
    "150": "DP de séances non autorisé dans un RSS multiunité",  # C150
    "151": "Code de conversion du RSS incorrect",  # C151
    "152": "Variable conversion renseignée à oui et UM de type HP",  # C152
    "153": "Condition de conversion presente et variable mise à non",  # C153
    "154": "Condition de conversion possible et variable à vide",  # C154
    "160": "Date des dernières règles non numérique",  # C160
    "161": "Date des dernières règles incohérente",  # C161
    "162": "Date des dernières règles requise absente",  # C162
    "163": "Date des dernières règles inconstante",  # C163
    "164": "Date des dernières règles incompatible avec le sexe indiqué",  # C164
    "165": "Date des dernières règles postérieure à la date d'entrée du séjour",  # C165
    "166": "Date des dernières règles trop ancienne par rapport à la date d'entrée du séjour",  # C166
    "167": "Activité 1 obligatoire pour un acte CCAM mais absente",  # C167
    "168": "Poids d'entrée requis par rapport à l'âge",  # C168
    "169": "IGS non numérique",  # C169
    "170": "Extension documentaire obligatoire pour un acte CCAM mais absente",  # C170
    "173": "Extension documentaire d'un acte CCAM erronée",  # C173
    "174": "Âge gestationnel incohérent par rapport à la présence d'un acte d'accouchement",  # C174
    "175": "Nombre d'IVG antérieurs : format incorrect",  # C175
    "176": "Année de l'IVG précédente : format incorrect",  # C176
    "177": "Année de l'IVG précédente : incohérente par rapport à la date de naissance",  # C177
    "178": "Nombre de naissances vivantes antérieures (format)",  # C178
    "179": "GHM 14Z08Z : absence d'acte CCAM indiquant si l'IVG est médicamenteuse ou instrumentale",  # C179
    "180": "Diagnostic principal : code OMS réservé pour usage urgent",  # C180
    "181": "Diagnostic relié : code OMS réservé pour usage urgent",  # C181
    "182": "Diagnostic associé : code OMS réservé pour usage urgent",  # C182
    "184": "Code postal non renseigné",  # C184
    "185": "Acte CCAM : format incorrect de l'extension ATIH",  # C185
    "186": "Acte CCAM : extension ATIH non acceptée",  # C186
    "187": "Diagnostic relié requis absent",  # C187
    "188": "Code RAAC incorrect",  # C188
    "189": "Code RAAC incompatible avec mode de sortie",  # C189
    "190": "Âge incompatible avec le mode d'entrée N",  # C190
    "191": "Mode d'entrée N incompatible avec le DP Z76.2",  # C191
    "192": "Acte CCAM dont l'extension ATIH existe mais n'est pas renseignée",  # C192
    "193": "Date d'entrée du RUM incompatible avec l'utilisation de l'extension d'un acte CCAM",  # C193
    "194": "Date de sortie du RUM incompatible avec l'utilisation de l'extension d'un acte CCAM",  # C194
    "195": "Code contexte patient surveillance particulière incorrect",  # C195
    "196": "Code administration d'un produit de la réserve hospitalière incorrect",  # C196
    "197": "Code rescrit tarifaire incorrect",  # C197
    "198": "Code catégorie du nombre d'interventions totales incorrect",  # C198
    "200": "Erreur tables : acte non trouvé",  # G200
    "201": "Erreur tables : diagnostic non affecté à une racine médicale",  # G201
    "202": "Erreur tables : autre",  # G202
    "203": "Dialyse péritonéale avec une durée de séjour de 0 jour",  # G203
    # G204
    "204": "DP d'accouchement hors d'un établissement incompatible avec mention d'un acte d'accouchement",
    "205": "Diagnostic d'accouchement sans acte d'accouchement",  # G205
    "206": "Acte d'accouchement sans diagnostic d'accouchement",  # G206
    "207": "Acte d'avortement sans diagnostic en rapport",  # G207
    "208": "Diagnostic d'entrée d'ante partum avec diagnostic indiquant le post partum",  # G208
    "209": "Diagnostic d'entrée du post partum avec diagnostic indiquant l'ante partum",  # G209
    "210": "Aucun des diagnostics ne permet de grouper",  # G210
    "211": "DP de la période périnatale, incompatible avec l'âge ou le mode d'entrée",  # G211
    "212": "DP de préparation à l'irradiation avec un nombre de séances à 0",  # G212
    "213": "Incompatibilité poids à l'entrée dans l'unité médicale et âge gestationnel",  # G213
    "214": "Manque acte de dialyse ou extensions des codes diagnostics",  # G214
    "215": "Manque acte de préparation à l'irradiation",  # G215
    "216": "Manque acte d'irradiation",  # G216
    "222": "Séjour avec acte opératoire non mineur reclassant dans un GHM médical",  # G222
    "223": "Confirmation du RSS nécessaire et présente",  # C223
    "241": "Code catégorie du nombre d'interventions totales attendu mais non renseigné",  # C241
    "242": "Séjour à facturer en externe",  # C242
    "251": "Code indicateur de séjour non programmé incorrect",  # C251
    "252": "Indicateur de séjour non programmé attendu mais non renseigné",  # C252
    "253": "RSS multiunité : code indicateur de séjour non programmé inconstant",  # C253
    "254": "Indicateur de séjour non programmé non attendu mais renseigné",  # C254
    "256": "Code passage par une structure des urgences incorrect",  # C256
    "257": "Passage par une structure des urgences incompatible avec le mode d'entrée",  # C257
    "258": "Sexe incompatible avec l'âge à la sortie de l'unité médicale",  # C258
    "260": "Confirmation du RSS nécessaire mais absente pour un séjour court mais coûteux",  # C260
    "261": "Confirmation du RSS nécessaire mais absente pour un séjour d'accouchement hors CMD 14",  # C261
    "262": "Confirmation du RSS nécessaire mais absente pour un séjour long supérieur à 365 jours",  # C262
    "265": "Confirmation du RSS nécessaire et présente pour un séjour court mais coûteux",  # C265
    "266": "Confirmation du RSS nécessaire et présente pour un séjour d'accouchement hors CMD 14",  # C266
    "267": "Confirmation du RSS nécessaire et présente pour un séjour long supérieur à 365 jours",  # C267
    # C268
    "268": (
        "Confirmation du RSS nécessaire et présente pour un séjour avec un DP menant dans une CMD "
        "incompatible avec le sexe indiqué"
    ),
    # I-codes (implementation errors, GHM 90Z03Z); I004 shares G004's number and meaning.
    "008": "Corruption d'une table",  # I008
    "009": "Table introuvable",  # I009
    "500": "Fichier d'autorisations des unités médicales non trouvé",  # I500
    "501": "Fichier d'autorisations des unités médicales corrompu",  # I501
    "502": "Date de sortie du RSS non gérée par les tables binaires",  # I502
}

FG_LABELS: Final[Mapping[str, str]] = MappingProxyType(_LABELS)


def fg_label(code: str, labels: Mapping[str, str] = FG_LABELS) -> str:
    """Label of a return code ("40", "040" or "C040"); "" when unknown or blank/000."""
    digits = code.strip().lstrip("CGIcgi")
    if not digits.isdigit() or int(digits) == 0:
        return ""
    return labels.get(digits.zfill(3), "")
