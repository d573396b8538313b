"""Clinical catalogue of the demo year: what kind of stay each unit produces, as codes.

Every code here is checked against the public nomenclatures (CIM-10 FR 2021, CCAM, GHM V2024)
by tests/demo/test_generator.py when ../shared/data is available, so a typo is caught there.
Groupings are *plausible*, not the output of the official grouper: the demo's lines carry the GHM
an HIS would have written, chosen from the root of the stay's profile and a severity consistent
with its length (level 2 needs 3 days, 3 needs 4, 4 needs 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


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


p = Profile


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

_ADULT_OLD = (40, 78, 100)
_ELDERLY = (65, 86, 102)

# --- Medicine ---------------------------------------------------------------------------------
PNEUMONIA = p(
    "pneumopathie",
    "04M05",
    ("J189", "J159", "J181"),
    das=("J9600", "E86", "E440", "N179"),
    exams=("ZBQK002", "ZBQK001"),
    los=(3, 12),
    age=_ADULT_OLD,
    zero="T",
    death_rate=0.03,
)
COVID = p(
    "covid",
    "04M05",
    ("U0710",),
    das=("J9600", "E86", "E440"),
    exams=("ZBQK001",),
    los=(5, 14),
    age=_ADULT_OLD,
)
COPD_EXACERBATION = p(
    "bpco surinfectée",
    "04M20",
    ("J441",),
    das=("J9600", "F1720", "E440"),
    exams=("ZBQK002",),
    los=(4, 12),
    age=(45, 72, 95),
    zero="T",
)
COPD = p(
    "bpco",
    "04M08",
    ("J449",),
    das=("J9610", "F1720"),
    exams=("ZBQK002",),
    los=(2, 8),
    age=(45, 72, 95),
    zero="T",
)
PULMONARY_EMBOLISM = p(
    "embolie pulmonaire",
    "04M10",
    ("I269", "I260"),
    das=("I802", "D685"),
    exams=("ZBQK001",),
    los=(3, 10),
    age=(30, 70, 95),
    zero="T",
)
PULMONARY_OEDEMA = p(
    "oap", "04M13", ("J81",), das=("I5000", "N179"), exams=("ZBQK002",), los=(3, 10), age=_ELDERLY, zero="T"
)
LUNG_CANCER = p(
    "cancer bronchique",
    "04M09",
    ("C341", "C343", "C349"),
    das=("C787", "C795", "E440"),
    exams=("ZBQK001",),
    los=(3, 12),
    age=(45, 68, 90),
    zero="T",
    death_rate=0.06,
)
BRONCHOSCOPY = p(
    "fibroscopie bronchique",
    "04K02",
    ("R91", "C349"),
    acts=("GEQE007",),
    zero="J",
    levels="",
    age=(40, 65, 85),
)
RESP_FOLLOW_UP = p(
    "exploration respiratoire",
    "04M22",
    ("J841", "J449", "G473"),
    exams=("GLQP012",),
    zero="Z",
    levels="",
    age=(30, 62, 85),
    planned=True,
)
HEART_FAILURE = p(
    "insuffisance cardiaque",
    "05M09",
    ("I5000", "I5001", "I1100"),
    das=("I480", "N183", "E877"),
    exams=("DEQP003", "DZQM006"),
    los=(4, 14),
    age=_ELDERLY,
    zero="T",
    death_rate=0.04,
)
ARRHYTHMIA = p(
    "arythmie",
    "05M08",
    ("I480", "I481", "I442"),
    das=("I10", "E055"),
    exams=("DEQP003",),
    los=(2, 6),
    age=(50, 75, 95),
    zero="T",
)
MYOCARDIAL_INFARCTION = p(
    "infarctus",
    "05M04",
    ("I2140", "I2110"),
    das=("I5000", "E785"),
    exams=("DEQP003", "DZQM006"),
    los=(4, 9),
    age=(40, 68, 95),
    zero="T",
    death_rate=0.03,
)
SYNCOPE = p(
    "syncope", "05M05", ("R55",), exams=("DEQP003", "ACQK001"), los=(1, 3), age=(20, 75, 98), zero="T"
)
CHEST_PAIN = p(
    "douleur thoracique",
    "05M13",
    ("R074", "R072"),
    exams=("DEQP003", "ZBQK002"),
    los=(1, 2),
    age=(25, 58, 90),
    zero="T",
)
CORONAROGRAPHY = p(
    "coronarographie",
    "05K10",
    ("I200", "I251"),
    acts=("DDQH009",),
    anaesthesia=False,
    los=(1, 3),
    age=(40, 66, 88),
    zero="J",
)
ANGIOPLASTY = p(
    "angioplastie coronaire",
    "05K24",
    ("I200", "I251"),
    acts=("DDAF008",),
    los=(1, 3),
    age=(40, 66, 88),
    zero="J",
)
CARDIO_FOLLOW_UP = p(
    "exploration cardiologique",
    "05M20",
    ("I5000", "I251", "I350"),
    exams=("DZQM006", "DEQP003", "DEQP005"),
    zero="Z",
    levels="",
    age=(40, 70, 92),
    planned=True,
)
URINARY_INFECTION = p(
    "pyélonéphrite",
    "11M04",
    ("N10", "N390"),
    das=("N179", "E86"),
    exams=("JAQM002",),
    los=(2, 8),
    age=(18, 70, 100),
    zero="T",
)
GASTROENTERITIS = p(
    "gastro-entérite",
    "06M03",
    ("A090", "A084"),
    das=("E86", "E8760"),
    los=(1, 5),
    age=(18, 70, 100),
    zero="T",
)
DEHYDRATION = p(
    "déshydratation", "10M16", ("E86", "E8710"), das=("N179", "E440"), los=(2, 8), age=_ELDERLY, zero="T"
)
SEPSIS = p(
    "sepsis",
    "18M07",
    ("A419", "A415"),
    das=("R572", "N179", "N390"),
    los=(5, 15),
    age=_ELDERLY,
    zero="T",
    death_rate=0.08,
)
STROKE = p(
    "avc ischémique",
    "01M30",
    ("I634", "I639"),
    das=("R4700", "G819", "I480"),
    exams=("ACQK001",),
    los=(5, 15),
    age=_ELDERLY,
    zero="T",
    death_rate=0.05,
)
TIA = p(
    "ait", "01M15", ("G459", "G458"), exams=("ACQK001", "EBQM001"), los=(1, 3), age=(45, 74, 95), zero="T"
)
FALLS = p(
    "chutes à répétition",
    "01M34",
    ("R296", "R262"),
    das=("M810", "E440", "F03"),
    los=(3, 12),
    age=_ELDERLY,
    zero="T",
    levels="Z",
)
GI_BLEEDING = p(
    "hémorragie digestive",
    "06M04",
    ("K922", "K921"),
    das=("D62", "K766"),
    los=(3, 9),
    age=(40, 72, 95),
    zero="T",
)
PANCREATITIS = p(
    "pancréatite",
    "07M10",
    ("K859", "K851"),
    das=("F1020", "E86"),
    exams=("ZCQK004",),
    los=(4, 12),
    age=(30, 58, 90),
    zero="T",
)
CHEMO_INPATIENT = p(
    "chimiothérapie hospitalisée",
    "17M06",
    ("Z511",),
    drs=("C341", "C509", "C189", "C20", "C259"),
    das=("C787", "C795"),
    los=(1, 4),
    age=(35, 64, 88),
    # Never 0-day: a chemotherapy without a night is a séance (28Z07Z, HDJ), and a 0-day stay with
    # DP Z51.1 and no séance is refused by the grouper (C145).
    planned=True,
)
PALLIATIVE = p(
    "soins palliatifs",
    "23Z02",
    ("Z515",),
    das=("C341", "C787", "C259", "C509", "R529"),
    los=(4, 20),
    age=(45, 75, 100),
    zero="T",
    levels="Z",
    death_rate=0.45,
)
CANCER_FOLLOW_UP = p(
    "surveillance tumorale",
    "17M14",
    ("Z082", "Z080"),
    drs=("C509", "C341", "C189", "C61"),
    exams=("ZBQK001", "ZCQK004"),
    zero="Z",
    levels="",
    age=(35, 64, 88),
    planned=True,
)
RHEUMATO_FOLLOW_UP = p(
    "bilan rhumatologique",
    "08M35",
    ("M0690", "M45", "M8199"),
    exams=("PAQK007",),
    zero="Z",
    levels="",
    age=(25, 58, 88),
    planned=True,
)
REHAB_FOLLOW_UP = p(
    "rééducation en hôpital de jour",
    "08M35",
    ("M170", "M161", "M545"),
    exams=("PAQK007",),
    zero="Z",
    levels="",
    age=(35, 62, 88),
    planned=True,
)
DIABETES = p(
    "diabète déséquilibré",
    "10M02",
    ("E1190", "E1160", "E1140"),
    das=("E785", "I10", "N183"),
    los=(3, 10),
    age=(36, 66, 95),
    zero="T",
)
DIABETES_YOUNG = p(
    "diabète de type 1", "10M03", ("E109", "E101"), das=("E8760",), los=(2, 6), age=(10, 22, 35), zero="T"
)
DIABETES_DAY = p(
    "bilan diabétologique",
    "10M13",
    ("E1190", "E109", "E6613"),
    exams=("DEQP003",),
    zero="Z",
    levels="",
    age=(25, 60, 90),
    planned=True,
)
KETOACIDOSIS = p(
    "acidocétose", "10M08", ("E101",), das=("E8760", "E86"), los=(2, 6), age=(12, 30, 70), zero="T"
)
HYPOGLYCAEMIA = p("hypoglycémie", "10M15", ("E160", "E162"), los=(1, 3), age=(30, 75, 98), zero="T")

# --- Emergency short stay (UHCD) ----------------------------------------------------------------
MIGRAINE = p(
    "céphalée", "01M22", ("G439", "G430"), exams=("ACQK001",), los=(1, 2), age=(16, 38, 80), zero="T"
)
CONCUSSION = p(
    "traumatisme crânien",
    "01M20",
    ("S0600", "S0601"),
    exams=("ACQK001",),
    los=(1, 2),
    age=(2, 50, 100),
    zero="1",
)
DRUG_POISONING = p(
    "intoxication médicamenteuse",
    "21M10",
    ("T424", "T423", "T436"),
    das=("F322",),
    los=(1, 3),
    age=(15, 35, 80),
    zero="T",
)
ALCOHOL_INTOXICATION = p("ivresse aiguë", "20Z05", ("F1000", "F1001"), los=(1, 2), age=(16, 40, 75), zero="1")
ABDOMINAL_PAIN = p(
    "douleur abdominale",
    "06M12",
    ("R104", "R101", "R103"),
    exams=("ZCQK004", "ZCQM005"),
    los=(1, 3),
    age=(15, 45, 90),
    zero="T",
)
RENAL_COLIC = p(
    "colique néphrétique",
    "11M02",
    ("N200", "N201", "N23"),
    exams=("ZCQK004",),
    los=(1, 3),
    age=(20, 45, 80),
    zero="T",
)
ALLERGY = p("réaction allergique", "21M04", ("T784", "T783"), los=(1, 2), age=(5, 35, 85), zero="T")

# --- Intensive care ------------------------------------------------------------------------------
RESPIRATORY_DISTRESS = p(
    "détresse respiratoire",
    "04M13",
    ("J9600", "J9609"),
    das=("J189", "I5000", "R572"),
    acts=("GLLD004+EBLA003", "GLLD015+EBLA003", "GLLD012"),
    los=(3, 14),
    age=(35, 70, 95),
    zero="T",
    death_rate=0.15,
    emergency=True,
)
SEPTIC_SHOCK = p(
    "choc septique",
    "18M07",
    ("A419", "A415"),
    das=("R572", "N179", "J9600"),
    acts=("GLLD004+EBLA003", "EBLA003"),
    los=(4, 16),
    age=(35, 70, 95),
    zero="T",
    death_rate=0.2,
    emergency=True,
)
CARDIAC_ARREST = p(
    "arrêt cardiaque récupéré",
    "05M14",
    ("I460",),
    das=("I2140", "G931"),
    acts=("GLLD004+EBLA003",),
    los=(3, 12),
    age=(35, 65, 90),
    zero="1",
    death_rate=0.3,
    emergency=True,
)
SEVERE_POISONING = p(
    "intoxication grave",
    "21M10",
    ("T424", "T436"),
    das=("J690", "F322"),
    acts=("GLLD004", "GLLD012"),
    los=(2, 5),
    age=(16, 38, 80),
    zero="T",
    emergency=True,
)

# --- Orthopaedics ----------------------------------------------------------------------------------
HIP_FRACTURE_PROSTHESIS = p(
    "fracture du col - prothèse",
    "08C47",
    ("S7200",),
    das=("D62", "E440", "F03"),
    acts=("NEKA020:-01,-02",),
    anaesthesia=True,
    exams=("NZQK001",),
    los=(5, 12),
    age=(68, 86, 102),
    death_rate=0.03,
    emergency=True,
)
HIP_FRACTURE_FIXATION = p(
    "fracture trochantérienne - ostéosynthèse",
    "08C49",
    ("S7210",),
    das=("D62", "E440", "F03"),
    acts=("NBCA006", "NBCA010"),
    anaesthesia=True,
    los=(5, 12),
    age=(65, 85, 102),
    death_rate=0.03,
    emergency=True,
)
HIP_REPLACEMENT = p(
    "prothèse totale de hanche",
    "08C48",
    ("M161", "M160", "M169"),
    acts=("NEKA020:-01,-02",),
    anaesthesia=True,
    los=(2, 6),
    age=(45, 70, 90),
)
KNEE_REPLACEMENT = p(
    "prothèse totale de genou",
    "08C24",
    ("M170", "M171"),
    acts=("NFKA007:-01,-02", "NFKA008:-01,-02"),
    anaesthesia=True,
    los=(3, 7),
    age=(50, 72, 90),
)
FOREARM_FRACTURE = p(
    "fracture de l'avant-bras",
    "08C39",
    ("S5250",),
    acts=("MCCB007",),
    anaesthesia=True,
    los=(1, 3),
    age=(5, 50, 95),
    zero="J",
    emergency=True,
)
MENISCECTOMY = p(
    "méniscectomie",
    "08C45",
    ("M2320", "M2321"),
    acts=("NFFC004",),
    anaesthesia=True,
    los=(1, 2),
    age=(18, 45, 75),
    zero="J",
)
DUPUYTREN = p(
    "maladie de Dupuytren",
    "08C44",
    ("M720",),
    acts=("MJFA010",),
    anaesthesia=True,
    los=(1, 2),
    age=(40, 65, 85),
    zero="J",
)
CARPAL_TUNNEL = p(
    "canal carpien",
    "01C15",
    ("G560",),
    acts=("AHPC001", "AHPA009"),
    anaesthesia=True,
    los=(1, 2),
    age=(30, 58, 90),
    zero="J",
)
MATERIAL_REMOVAL = p(
    "ablation de matériel",
    "08C14",
    ("Z470",),
    acts=("PAGA011",),
    anaesthesia=True,
    los=(1, 2),
    age=(15, 40, 75),
    zero="J",
)

# --- Digestive, gynaecological, urological, vascular, plastic, ENT, eye, dental surgery -------------
APPENDICECTOMY = p(
    "appendicectomie",
    "06C09",
    ("K358", "K353"),
    acts=("HHFA016", "HHFA011"),
    anaesthesia=True,
    los=(1, 4),
    age=(6, 25, 80),
    emergency=True,
)
CHOLECYSTECTOMY = p(
    "cholécystectomie",
    "07C14",
    ("K802", "K801"),
    acts=("HMFC004",),
    anaesthesia=True,
    los=(1, 4),
    age=(20, 50, 85),
    zero="J",
)
INGUINAL_HERNIA = p(
    "hernie inguinale",
    "06C12",
    ("K409",),
    acts=("LMMA012",),
    anaesthesia=True,
    los=(1, 3),
    age=(18, 58, 90),
    sex="1",
    zero="J",
)
CHILD_HERNIA = p(
    "hernie de l'enfant",
    "06C25",
    ("K429", "K409"),
    acts=("LMMA014",),
    anaesthesia=True,
    los=(1, 2),
    age=(1, 4, 15),
    zero="J",
)
COLECTOMY = p(
    "colectomie",
    "06C04",
    ("C187", "C189", "K573"),
    das=("E440", "K660"),
    acts=("HHFC040:-30",),
    anaesthesia=True,
    los=(5, 14),
    age=(45, 70, 92),
    death_rate=0.02,
)
SLEEVE = p(
    "sleeve gastrectomie",
    "10C09",
    ("E6613", "E6614", "E6615"),
    das=("G473", "I10"),
    acts=("HFFC018:-30",),
    anaesthesia=True,
    los=(2, 4),
    age=(20, 42, 65),
)
PROCTOLOGY = p(
    "chirurgie proctologique",
    "06C19",
    ("K648", "K643"),
    acts=("EGFA007",),
    anaesthesia=False,
    los=(1, 3),
    age=(25, 50, 80),
    zero="J",
)
ENDOSCOPY_DIAGNOSTIC = p(
    "endoscopie digestive",
    "06K04",
    ("K297", "K210", "D509"),
    acts=("HHQE002+HEQE002",),
    anaesthesia=True,
    zero="J",
    levels="",
    age=(25, 60, 88),
)
POLYPECTOMY = p(
    "polypectomie",
    "06K02",
    ("D126", "D125", "K635"),
    acts=("HHFE002",),
    anaesthesia=True,
    zero="Z",
    levels="",
    age=(40, 64, 88),
)
HYSTERECTOMY = p(
    "hystérectomie",
    "13C03",
    ("D259", "N800"),
    acts=("JKFA015",),
    anaesthesia=True,
    los=(2, 5),
    age=(35, 50, 75),
    sex="2",
)
OVARIAN_CYST = p(
    "kyste de l'ovaire",
    "13C07",
    ("N830", "N831"),
    acts=("JJFC003",),
    anaesthesia=True,
    los=(1, 3),
    age=(18, 35, 60),
    sex="2",
    zero="J",
)
HYSTEROSCOPY = p(
    "hystéroscopie opératoire",
    "13C12",
    ("N840", "N920"),
    acts=("JKFE001",),
    anaesthesia=True,
    los=(1, 2),
    age=(25, 48, 80),
    sex="2",
    zero="J",
)
MISCARRIAGE_EVACUATION = p(
    "fausse couche - aspiration",
    "14C05",
    ("O021", "O039"),
    acts=("JNJD002",),
    anaesthesia=True,
    los=(1, 2),
    age=(18, 32, 45),
    sex="2",
    zero="J",
    levels="Z",
)
VARICOSE_VEINS = p(
    "varices",
    "05C17",
    ("I839", "I830"),
    acts=("EJFA002",),
    anaesthesia=True,
    los=(1, 2),
    age=(30, 55, 85),
    zero="J",
)
ARTERIAL_SURGERY = p(
    "chirurgie artérielle",
    "05C11",
    ("I7020", "I7021"),
    acts=("DGCA009",),
    anaesthesia=True,
    los=(4, 10),
    age=(55, 72, 90),
)
SKIN_GRAFT = p(
    "greffe de peau",
    "09C09",
    ("L905", "L910"),
    acts=("QZEA024",),
    anaesthesia=True,
    los=(1, 4),
    age=(5, 45, 90),
    zero="J",
)
BENIGN_SKIN_TUMOUR = p(
    "tumeur cutanée bénigne",
    "09C26",
    ("D179", "D231"),
    acts=("QZFA002",),
    anaesthesia=False,
    los=(1, 2),
    age=(15, 48, 85),
    zero="J",
)
SKIN_CANCER = p(
    "carcinome cutané",
    "09C25",
    ("C443", "C444"),
    acts=("QZFA036",),
    anaesthesia=False,
    los=(1, 2),
    age=(50, 76, 98),
    zero="J",
)
AESTHETIC = p(
    "chirurgie esthétique",
    "09Z02",
    ("Z410",),
    acts=("QZFA036",),
    anaesthesia=False,
    los=(1, 2),
    age=(20, 40, 70),
    zero="A",
    levels="A",
)
TONSILLECTOMY = p(
    "amygdalectomie",
    "03C10",
    ("J350", "J353"),
    acts=("FAFA014",),
    anaesthesia=True,
    los=(1, 2),
    age=(3, 8, 40),
    zero="03C27J",
)
ADENOIDECTOMY = p(
    "adénoïdectomie",
    "03C28",
    ("J352",),
    acts=("FAFA008",),
    anaesthesia=True,
    zero="J",
    levels="",
    age=(1, 4, 12),
)
EAR_TUBES = p(
    "aérateurs transtympaniques",
    "03C14",
    ("H653", "H652"),
    acts=("CBLD001",),
    anaesthesia=False,
    los=(1, 2),
    age=(1, 4, 12),
    zero="J",
)
CATARACT = p(
    "cataracte",
    "02C05",
    ("H251", "H259"),
    acts=("BFGA427",),
    anaesthesia=True,
    los=(1, 2),
    age=(55, 76, 96),
    zero="J",
)
DENTAL_EXTRACTION = p(
    "extractions dentaires",
    "03K02",
    ("K011", "K010"),
    acts=("HBGD036", "HBGD489"),
    anaesthesia=False,
    los=(1, 2),
    age=(12, 22, 70),
    zero="J",
)
BLADDER_TUMOUR = p(
    "résection de tumeur de vessie",
    "11C13",
    ("C679", "D414"),
    acts=("JDFE002",),
    anaesthesia=True,
    los=(1, 4),
    age=(50, 72, 92),
    zero="J",
)
PROSTATE_RESECTION = p(
    "résection de prostate",
    "12C04",
    ("N40",),
    acts=("JGFE023:-01,-02",),
    anaesthesia=True,
    los=(1, 4),
    age=(55, 72, 92),
    sex="1",
    zero="J",
)
URETERAL_STONE = p(
    "calcul urétéral",
    "11C11",
    ("N201", "N202"),
    acts=("JCGE001",),
    anaesthesia=True,
    los=(1, 3),
    age=(20, 48, 85),
    zero="J",
)
CIRCUMCISION = p(
    "posthectomie",
    "12C08",
    ("N47",),
    acts=("JHFA009",),
    anaesthesia=True,
    los=(1, 2),
    age=(2, 7, 60),
    sex="1",
    zero="J",
)

# --- Obstetrics, newborns, paediatrics ------------------------------------------------------------
THREATENED_PRETERM = p(
    "menace d'accouchement prématuré",
    "14Z16",
    ("O470", "O479"),
    los=(1, 6),
    age=(18, 30, 44),
    sex="2",
    zero="Z",
    levels="Z",
)
ANTEPARTUM = p(
    "pathologie de la grossesse",
    "14M03",
    ("O13", "O244", "O365", "O368"),
    los=(1, 6),
    age=(18, 30, 44),
    sex="2",
    zero="T",
    levels="AB",
)
POSTPARTUM = p(
    "pathologie du post-partum",
    "14M02",
    ("O864", "O721"),
    los=(2, 5),
    age=(18, 30, 44),
    sex="2",
    zero="T",
    levels="AB",
)
# A medical abortion (JNJP001) is a same-day stay; only an aspiration may keep the patient overnight.
ABORTION = p(
    "ivg", "14Z08", ("O0490",), acts=("JNJP001", "JNJD002"), age=(15, 28, 47), sex="2", zero="Z", levels=""
)
ABORTION_ASPIRATION = p(
    "ivg par aspiration",
    "14Z08",
    ("O0490",),
    acts=("JNJD002",),
    anaesthesia=True,
    los=(1, 1),
    age=(15, 28, 47),
    sex="2",
    zero="Z",
    levels="Z",
)
BRONCHIOLITIS = p(
    "bronchiolite", "04M18", ("J210", "J219"), exams=("ZBQK002",), los=(2, 6), age=(0, 0, 1), zero="T"
)
CHILD_ASTHMA = p("asthme de l'enfant", "04M03", ("J450", "J451"), los=(1, 4), age=(2, 7, 17), zero="T")
CHILD_GASTROENTERITIS = p(
    "gastro-entérite de l'enfant",
    "06M02",
    ("A084", "A090"),
    das=("E86",),
    los=(1, 4),
    age=(0, 2, 17),
    zero="T",
)
FEBRILE_SEIZURE = p("convulsion hyperthermique", "01M23", ("R560",), los=(1, 2), age=(0, 2, 5), zero="1")
CHILD_FEVER = p("fièvre du nourrisson", "18M04", ("R509",), los=(1, 3), age=(0, 0, 2), zero="T")
CHILD_DIABETES = p("diabète de l'enfant", "10M03", ("E109", "E101"), los=(3, 8), age=(3, 11, 17), zero="T")
NEWBORN_JAUNDICE = p("ictère néonatal", "07M16", ("P599",), los=(2, 5), age=(0, 0, 0), zero="1")

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

# Unit -> weighted profiles of its single-unit stays (zero-day and complete draws filter on
# `zero` / `levels`). The first profile of a unit is also used for the unit's RUM of multi-unit stays.
UNIT_PROFILES: Final[dict[str, tuple[tuple[Profile, int], ...]]] = {
    "5540": ((COVID, 1),),
    "7500": ((CHEMO_INPATIENT, 3), (LUNG_CANCER, 3), (PALLIATIVE, 2), (CANCER_FOLLOW_UP, 1)),
    "7510": (
        (HEART_FAILURE, 4),
        (ARRHYTHMIA, 3),
        (MYOCARDIAL_INFARCTION, 2),
        (CORONAROGRAPHY, 2),
        (ANGIOPLASTY, 2),
        (SYNCOPE, 1),
        (CHEST_PAIN, 1),
    ),
    "7515": (
        (PNEUMONIA, 3),
        (URINARY_INFECTION, 2),
        (FALLS, 1),
        (DEHYDRATION, 1),
        (SEPSIS, 1),
        (GASTROENTERITIS, 1),
    ),
    "7521": ((GI_BLEEDING, 2), (PANCREATITIS, 1)),
    "7525": (
        (PNEUMONIA, 3),
        (URINARY_INFECTION, 2),
        (STROKE, 2),
        (SEPSIS, 1),
        (GASTROENTERITIS, 1),
        (TIA, 1),
        (HEART_FAILURE, 1),
    ),
    "7526": (
        (FALLS, 3),
        (PNEUMONIA, 3),
        (HEART_FAILURE, 2),
        (DEHYDRATION, 2),
        (URINARY_INFECTION, 2),
        (STROKE, 1),
    ),
    "7529": (
        (COPD_EXACERBATION, 3),
        (PNEUMONIA, 3),
        (COPD, 2),
        (PULMONARY_EMBOLISM, 1),
        (LUNG_CANCER, 1),
        (PULMONARY_OEDEMA, 1),
    ),
    "7702": ((CANCER_FOLLOW_UP, 1),),
    "7703": ((RESP_FOLLOW_UP, 3), (BRONCHOSCOPY, 1)),
    "7705": ((CARDIO_FOLLOW_UP, 1),),
    "7724": ((RHEUMATO_FOLLOW_UP, 1),),
    "7020": (
        (HIP_FRACTURE_FIXATION, 4),
        (HIP_FRACTURE_PROSTHESIS, 3),
        (HIP_REPLACEMENT, 3),
        (KNEE_REPLACEMENT, 3),
        (FOREARM_FRACTURE, 2),
        (MENISCECTOMY, 1),
        (MATERIAL_REMOVAL, 1),
    ),
    "7030": ((DENTAL_EXTRACTION, 1),),
    "7040": ((HYSTERECTOMY, 3), (OVARIAN_CYST, 2), (HYSTEROSCOPY, 1)),
    "7050": (
        (APPENDICECTOMY, 4),
        (CHOLECYSTECTOMY, 4),
        (COLECTOMY, 2),
        (INGUINAL_HERNIA, 2),
        (SLEEVE, 1),
        (PROCTOLOGY, 1),
    ),
    "7065": ((SKIN_GRAFT, 2), (BENIGN_SKIN_TUMOUR, 1), (SKIN_CANCER, 1)),
    "7070": ((ARTERIAL_SURGERY, 1), (VARICOSE_VEINS, 1)),
    "7075": ((AESTHETIC, 1),),
    "7080": ((TONSILLECTOMY, 2), (EAR_TUBES, 1)),
    "7400": ((RESPIRATORY_DISTRESS, 3), (SEPTIC_SHOCK, 3), (CARDIAC_ARREST, 1), (SEVERE_POISONING, 1)),
    "7410": ((SEVERE_POISONING, 2), (KETOACIDOSIS, 1), (MYOCARDIAL_INFARCTION, 1), (PULMONARY_EMBOLISM, 1)),
    "7600": ((ANTEPARTUM, 3), (THREATENED_PRETERM, 2), (POSTPARTUM, 1)),
    "7620": ((ABORTION, 3), (ABORTION_ASPIRATION, 1)),
    "7630": (
        (BRONCHIOLITIS, 4),
        (CHILD_GASTROENTERITIS, 3),
        (CHILD_ASTHMA, 2),
        (CHILD_FEVER, 2),
        (FEBRILE_SEIZURE, 1),
        (CHILD_DIABETES, 1),
    ),
    "7635": ((TONSILLECTOMY, 2), (ADENOIDECTOMY, 1), (EAR_TUBES, 1)),
    "7636": ((FOREARM_FRACTURE, 3), (MATERIAL_REMOVAL, 1)),
    "7637": ((APPENDICECTOMY, 3), (CHILD_HERNIA, 2), (CIRCUMCISION, 1)),
    "7638": ((DENTAL_EXTRACTION, 1),),
    "7640": ((NEWBORN_JAUNDICE, 1),),
    "7720": ((CATARACT, 1),),
    "7721": ((BLADDER_TUMOUR, 2), (PROSTATE_RESECTION, 2), (URETERAL_STONE, 1)),
    "7730": ((REHAB_FOLLOW_UP, 1),),
    "7910": ((CORONAROGRAPHY, 3), (ANGIOPLASTY, 1)),
    "7920": (
        (MENISCECTOMY, 3),
        (CARPAL_TUNNEL, 3),
        (DUPUYTREN, 1),
        (MATERIAL_REMOVAL, 2),
        (FOREARM_FRACTURE, 1),
    ),
    "7921": ((BLADDER_TUMOUR, 2), (URETERAL_STONE, 2), (CIRCUMCISION, 1), (PROSTATE_RESECTION, 1)),
    "7925": ((CATARACT, 1),),
    "7930": ((DENTAL_EXTRACTION, 1),),
    "7940": ((HYSTEROSCOPY, 3), (MISCARRIAGE_EVACUATION, 2), (OVARIAN_CYST, 1)),
    "7950": ((INGUINAL_HERNIA, 3), (CHOLECYSTECTOMY, 2), (PROCTOLOGY, 2)),
    "7965": ((BENIGN_SKIN_TUMOUR, 3), (SKIN_CANCER, 2), (SKIN_GRAFT, 1)),
    "7970": ((VARICOSE_VEINS, 1),),
    "7975": ((AESTHETIC, 1),),
    "7980": ((TONSILLECTOMY, 2), (ADENOIDECTOMY, 2), (EAR_TUBES, 2)),
    "7985": ((BRONCHOSCOPY, 1),),
    "7990": ((ENDOSCOPY_DIAGNOSTIC, 3), (POLYPECTOMY, 1)),
    "7120": ((DIABETES, 4), (DIABETES_DAY, 2), (HYPOGLYCAEMIA, 1), (DIABETES_YOUNG, 1)),
    "5520": (
        (CHEST_PAIN, 3),
        (SYNCOPE, 2),
        (MIGRAINE, 1),
        (CONCUSSION, 2),
        (DRUG_POISONING, 2),
        (ALCOHOL_INTOXICATION, 2),
        (ABDOMINAL_PAIN, 2),
        (RENAL_COLIC, 1),
        (ALLERGY, 1),
        (GASTROENTERITIS, 1),
        (HYPOGLYCAEMIA, 1),
    ),
}

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
