"""Coded stays before numbering: patients, RUM segments and the builder that turns each planned stay
into diagnoses, acts, modes and a plausible GHM, drawing everything from one seeded generator."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from app.demo import catalogue as cat
from app.demo.catalogue import Profile
from app.demo.dates import Calendar, ddmmyyyy, parse_ddmmyyyy
from app.demo.plan import AMBULATORY_PREFIX, CAESAREAN_RATE, SEANCE_DP, StayPlan
from app.ingestion.records import Act

URGENT_UNITS: Final = frozenset({"5520", "7400"})
CRITICAL_UNITS: Final = frozenset({"5520", "7400", "7410"})
SURGICAL_UNITS: Final = frozenset({"7020", "7050", "7600"})
GERIATRIC_UNITS: Final = frozenset({"7526", "7020", "7515"})
# Stays grouped in CMD 14 record the DDR (FG C162), but for the post-partum roots that need none.
NO_LMP_ROOTS: Final = frozenset({"14C04", "14M02"})
# Pregnancies ending in the first trimester (ectopic, molar, miscarriage, abortion): O00-O08.
EARLY_PREGNANCY_DPS: Final = frozenset(f"O0{n}" for n in range(9))


# --- Stay drafts -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Patient:
    birth: date
    sex: str
    postcode: str


@dataclass(slots=True)
class Segment:
    """One RUM before numbering."""

    unit: str
    entry: date
    exit: date
    entry_mode: str = "8"
    provenance: str = ""
    exit_mode: str = "8"
    destination: str = ""
    dp: str = ""
    dr: str = ""
    das: list[str] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)
    igs2: str = ""
    weight: str = ""
    gestational_age: str = ""
    last_menstrual: str = ""
    seances: str = "00"
    dedicated_bed: str = ""


@dataclass(slots=True)
class Draft:
    plan: StayPlan
    patient: Patient
    segments: list[Segment]
    ghm: str
    non_programmed: str = ""  # "1" / "2"
    category: str = ""  # intervention category of 0-day medical stays
    raac: str = ""  # enhanced recovery flag: blank but for a planted error
    rss_number: str = ""
    admin_number: str = ""

    @property
    def entry(self) -> date:
        return self.segments[0].entry

    @property
    def exit(self) -> date:
        return self.segments[-1].exit


def weighted(rng: random.Random, items: Sequence[tuple[str, int]]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


class StayBuilder:
    """Turns the stay plan into coded stays, drawing everything from one seeded generator."""

    def __init__(self, year: int, rng: random.Random) -> None:
        self.year = year
        self.rng = rng
        self.cal = Calendar(year)

    # Patients ---------------------------------------------------------------------------------------

    def patient(self, on: date, age: tuple[int, int, int], sex: str = "") -> Patient:
        rng = self.rng
        low, mode, high = age
        years = int(rng.triangular(low, high + 0.999, mode)) if high > low else low
        # Infants of the paediatric units are past the neonatal period (newborns are built apart).
        days = int(years * 365.25) + rng.randrange(365) if years else rng.randint(30, 364)
        birth = on - timedelta(days=days)
        if not sex:
            # Women outnumber men among the very old.
            sex = "2" if rng.random() < (0.62 if years >= 80 else 0.5) else "1"
        return Patient(birth, sex, weighted(rng, cat.POSTCODES))

    @staticmethod
    def age(patient: Patient, on: date) -> int:
        b = patient.birth
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))

    # Coding helpers ---------------------------------------------------------------------------------

    def acts(self, spec: str, on: date, anaesthesia: bool) -> list[Act]:
        acts: list[Act] = []
        for part in spec.split("+"):
            code, _, extensions = part.partition(":")
            extension = self.rng.choice(extensions.split(",")) if extensions else ""
            acts.append(
                Act(date=ddmmyyyy(on), code=code, extension=extension, phase="0", activity="1", count="01")
            )
        if anaesthesia and acts:
            main = acts[0]
            acts.append(
                Act(
                    date=main.date,
                    code=main.code,
                    extension=main.extension,
                    phase="0",
                    activity="4",
                    doc_extension="1",
                    count="01",
                )
            )
        return acts

    def exam(self, code: str, on: date) -> Act:
        return Act(date=ddmmyyyy(on), code=code, phase="0", activity="1", count="01")

    def level(self, profile: Profile, los: int) -> str:
        levels = profile.levels
        if len(levels) == 1:
            return levels
        if levels[0] == "A":
            return self.rng.choices(levels, weights=(80, 15, 4, 1)[: len(levels)])[0]
        top = 1 if los < 3 else 2 if los == 3 else 3 if los == 4 else 4
        level = self.rng.choices((1, 2, 3, 4), weights=(58, 26, 12, 4))[0]
        return str(min(level, top))

    def ghm(self, profile: Profile, los: int) -> tuple[str, int]:
        """(GHM, severity rank 0-3 used to size the associated diagnoses)."""
        if los == 0:
            zero = profile.zero
            return (zero if len(zero) == 6 else profile.root + zero), 0
        suffix = self.level(profile, los)
        rank = int(suffix) - 1 if suffix.isdigit() else "ABCD".find(suffix) if suffix in "ABCD" else 0
        return profile.root + suffix, max(rank, 0)

    def diagnoses(self, profile: Profile, rank: int, age: int, dp: str) -> list[str]:
        rng = self.rng
        das: list[str] = []
        pool = [c for c in profile.das if c != dp]
        for _ in range(min(len(pool), rank + (1 if rng.random() < 0.4 else 0))):
            das.append(pool.pop(rng.randrange(len(pool))))
        if age >= 45:
            for code in rng.sample(cat.COMORBIDITIES, k=rng.choice((0, 1, 1, 2, 2, 3))):
                if code not in das and code != dp:
                    das.append(code)
        return das

    def profile_for(self, unit: str, zero_day: bool, *, from_emergency: bool = False) -> Profile:
        choices = [(p, w) for p, w in cat.UNIT_PROFILES[unit] if (p.zero if zero_day else p.levels)]
        if from_emergency:
            # Coming through the emergency department: no scheduled procedure.
            urgent = [(p, w) for p, w in choices if p.emergency or not (p.acts or p.planned)]
            choices = urgent or choices
        if not choices:
            raise ValueError(f"unit {unit} has no {'0-day' if zero_day else 'complete'} profile")
        return self.rng.choices([p for p, _ in choices], weights=[w for _, w in choices])[0]

    def los(self, bounds: tuple[int, int]) -> int:
        low, high = bounds
        # Lengths of stay are right-skewed: the mode sits in the lower third.
        return max(low, min(high, int(self.rng.triangular(low, high + 0.999, low + (high - low) / 3))))

    @staticmethod
    def is_planned(unit: str, profile: Profile) -> bool:
        if unit in URGENT_UNITS or profile.emergency:
            return False
        return unit.startswith(("77", AMBULATORY_PREFIX)) or profile.planned or bool(profile.acts)

    # Stays ------------------------------------------------------------------------------------------

    def single(self, plan: StayPlan) -> Draft:
        unit = plan.units[0]
        zero_day = plan.care == "zero_day"
        profile = self.profile_for(unit, zero_day)
        planned = self.is_planned(unit, profile)
        exit_date = self.cal.planned(self.rng) if planned else self.cal.medical(self.rng)
        los = 0 if zero_day else max(1, self.los(profile.los))
        entry = exit_date - timedelta(days=los)
        patient = self.patient(entry, profile.age, profile.sex)
        seg = Segment(unit, entry, exit_date)
        # Unscheduled admissions mostly come through the emergency department.
        via_emergency = not planned and (unit in URGENT_UNITS or profile.emergency or self.rng.random() < 0.6)
        return self.code_stay(plan, patient, [seg], profile, 0, planned=planned, via_emergency=via_emergency)

    def multi(self, plan: StayPlan) -> Draft:
        units = plan.units
        zero_day = plan.care == "zero_day"
        primary = self.primary_index(units)
        from_emergency = units[0] in URGENT_UNITS
        profile = self.profile_for(units[primary], zero_day, from_emergency=from_emergency)
        lengths: list[int] = []
        for i, unit in enumerate(units):
            if zero_day:
                lengths.append(0)
            elif unit == "5520":
                lengths.append(self.rng.choice((0, 0, 0, 1, 1)))
            elif unit == "7400":
                lengths.append(self.rng.randint(2, 9))
            elif unit == "7410":
                lengths.append(self.rng.randint(1, 4))
            elif i == primary:
                lengths.append(self.los(profile.los) if units.count(unit) == 1 else self.rng.randint(0, 2))
            else:
                lengths.append(self.rng.randint(2, 10))
        if not zero_day and sum(lengths) == 0:
            lengths[-1] = 1
        exit_date = self.cal.medical(self.rng)
        start = exit_date - timedelta(days=sum(lengths))
        segments: list[Segment] = []
        day = start
        for unit, length in zip(units, lengths, strict=True):
            segments.append(Segment(unit, day, day + timedelta(days=length)))
            day += timedelta(days=length)
        patient = self.patient(start, profile.age, profile.sex)
        planned = not from_emergency and self.is_planned(units[0], profile)
        return self.code_stay(
            plan, patient, segments, profile, primary, planned=planned, via_emergency=units[0] == "5520"
        )

    @staticmethod
    def primary_index(units: tuple[str, ...]) -> int:
        """The RUM whose coding drives the GHM: surgery, then intensive care, then the first ward."""
        for i, unit in enumerate(units):
            if unit in SURGICAL_UNITS:
                return i
        for unit in ("7400", "7640"):
            if unit in units:
                return units.index(unit)
        for i, unit in enumerate(units):
            if unit not in CRITICAL_UNITS:
                return i
        return 0

    def code_stay(
        self,
        plan: StayPlan,
        patient: Patient,
        segments: list[Segment],
        profile: Profile,
        primary: int,
        *,
        planned: bool,
        via_emergency: bool,
    ) -> Draft:
        rng = self.rng
        entry, exit_date = segments[0].entry, segments[-1].exit
        los = (exit_date - entry).days
        age = self.age(patient, entry)
        ghm, rank = self.ghm(profile, los)
        dp = rng.choice(profile.dps)
        dr = rng.choice(profile.drs) if profile.drs else ""
        main = segments[primary]
        main.dp, main.dr = dp, dr
        main.das = self.diagnoses(profile, rank, age, dp)
        if profile.acts:
            # Surgery the day of entry into the unit, or the next day for a planned complete stay.
            same_day = main.entry == main.exit or not planned or rng.random() < 0.6
            day = main.entry if same_day else main.entry + timedelta(days=1)
            main.acts = self.acts(rng.choice(profile.acts), day, profile.anaesthesia)
        for code in profile.exams:
            if rng.random() < 0.5:
                main.acts.append(self.exam(code, main.entry))
        if profile is cat.PALLIATIVE:
            main.dedicated_bed = "08"
        for i, seg in enumerate(segments):
            if i == primary:
                continue
            seg.dp, seg.dr = dp, dr
            seg.das = [c for c in main.das if c in cat.COMORBIDITIES][:2]
            if seg.unit == "7400":
                spec = rng.choice(("GLLD004+EBLA003", "GLLD015+EBLA003", "GLLD012"))
                seg.acts = self.acts(spec, seg.entry, anaesthesia=False)
            elif seg.unit == "5520":
                seg.acts = [self.exam(rng.choice(("ZBQK002", "DEQP003", "ACQK001")), seg.entry)]
        for seg in segments:
            if seg.unit == "7400":
                seg.igs2 = f"{rng.randint(25, 75):03d}"
        if via_emergency:
            segments[0].entry_mode, segments[0].provenance = "8", "5"
        elif segments[0].unit == "7400":
            segments[0].entry_mode, segments[0].provenance = "7", "1"  # from another hospital
        self.chain(segments, plan, profile, age, los)
        draft = Draft(plan, patient, segments, ghm)
        cmd = ghm[:2]
        if cmd == "14" and ghm[:5] not in NO_LMP_ROOTS:
            lmp = self.last_menstrual(entry, dp)
            for seg in segments:
                seg.last_menstrual = lmp
        if cmd not in {"14", "15", "28"}:
            draft.non_programmed = "2" if planned else "1"
        if plan.care == "zero_day" and planned and ghm[2] in {"M", "Z"} and cmd not in {"14", "15"}:
            draft.category = rng.choices(("A", "B", "C"), weights=(2, 3, 5))[0]
        return draft

    def last_menstrual(self, entry: date, dp: str) -> str:
        """A pregnancy's date of last menstrual period (DDR), for its term at admission."""
        if dp[:3] in EARLY_PREGNANCY_DPS:
            weeks = self.rng.randint(6, 12)
        elif dp[:3] == "O47":  # false labour
            weeks = self.rng.randint(34, 40)
        else:
            weeks = self.rng.randint(24, 38)
        return ddmmyyyy(entry - timedelta(days=weeks * 7 + self.rng.randint(0, 6)))

    def chain(self, segments: list[Segment], plan: StayPlan, profile: Profile, age: int, los: int) -> None:
        """Mutations 6/1 between the RUMs; how the patient left the last one."""
        rng = self.rng
        last = segments[-1]
        for before, after in zip(segments, segments[1:], strict=False):
            before.exit_mode, before.destination = "6", "1"
            after.entry_mode, after.provenance = "6", "1"
        death = 0.0 if los < 2 else profile.death_rate + (0.02 if age >= 85 else 0.0)
        if rng.random() < death:
            last.exit_mode, last.destination = "9", ""
        elif last.unit == "7400" and plan.care == "complete":
            last.exit_mode, last.destination = "7", "1"  # to the university hospital
        elif plan.care == "complete" and (last.unit in GERIATRIC_UNITS or age >= 80):
            draw = rng.random()
            if draw < 0.18:
                last.exit_mode, last.destination = "7", "2"  # SMR
            elif draw < 0.26:
                last.exit_mode, last.destination = "8", "7"  # nursing home (EHPAD)

    # Séances ----------------------------------------------------------------------------------------

    def seances(self, unit: str, ghm: str, count: int) -> list[Draft]:
        rng = self.rng
        drafts: list[Draft] = []
        plan = StayPlan("seance", (unit,), "seance", ghm)
        remaining = count
        while remaining:
            if ghm == "28Z07Z":
                n, interval, age = rng.randint(4, 18), rng.choice((7, 14, 21, 21, 28)), (30, 64, 88)
            elif ghm == "28Z14Z":
                n, interval = rng.randint(1, 12), rng.choice((7, 14, 21, 28, 35))
                age = (2, 9, 17) if unit == "7630" else (20, 31, 42) if unit == "7600" else (40, 74, 95)
            else:
                n, interval, age = rng.randint(3, 13), rng.choice((28, 42, 56)), (18, 48, 85)
            n = min(n, remaining, 350 // interval + 1)
            span = (n - 1) * interval
            start = self.cal.first + timedelta(
                days=rng.randint(0, (self.cal.last - self.cal.first).days - span)
            )
            sex = "2" if unit == "7600" else ""
            patient = self.patient(start, age, sex)
            dr, das = self.seance_codes(unit, ghm)
            for i in range(n):
                day = self.cal.weekday_on_or_after(start + timedelta(days=i * interval))
                seg = Segment(unit, day, day, dp=SEANCE_DP[ghm], dr=dr, das=list(das), seances="01")
                if ghm == "28Z14Z":
                    seg.acts = [Act(date=ddmmyyyy(day), code="FELF011", phase="0", activity="1", count="01")]
                drafts.append(Draft(plan, patient, [seg], ghm))
            remaining -= n
        return drafts

    def seance_codes(self, unit: str, ghm: str) -> tuple[str, list[str]]:
        rng = self.rng
        if ghm == "28Z07Z":
            tumour = rng.choice(cat.SEANCE_TUMOURS)
            das = [rng.choice(cat.SEANCE_METASTASES)] if rng.random() < 0.35 else []
            return tumour, das
        if ghm == "28Z14Z":
            if unit == "7630":
                return "", [rng.choice(cat.CHILD_TRANSFUSION_DAS)]
            if unit == "7600":
                return "", ["D62"]
            return "", [rng.choice(cat.TRANSFUSION_DAS)]
        if unit == "7724":
            return "", [rng.choice(cat.RHEUMATOLOGY_CHEMO_DAS)]
        if unit == "7703":
            return "", ["J450"]
        if unit == "7727":
            return "", ["M797"]
        return "", [rng.choice(cat.NON_TUMOUR_CHEMO_DAS)]

    # Births -----------------------------------------------------------------------------------------

    def delivery(self, plan: StayPlan, twins: bool) -> Draft:
        rng = self.rng
        caesarean = rng.random() < CAESAREAN_RATE
        after = rng.randint(4, 6) if caesarean else rng.randint(2, 4)
        before = rng.choice((0, 0, 1))
        if len(plan.units) > 1:
            after = max(after, 4)
        exit_date = self.cal.medical(self.rng)
        birth = exit_date - timedelta(days=after)
        entry = birth - timedelta(days=before)
        patient = self.patient(entry, (16, 30, 45), "2")
        primipara = rng.random() < 0.42
        weeks = rng.choices((35, 36, 37, 38, 39, 40, 41), weights=(2, 3, 8, 18, 30, 28, 11))[0]
        if twins:
            weeks = min(weeks, 37)
        if caesarean:
            dp = rng.choice(("O342", "O321", "O680", "O622"))
            ghm = ("14C07" if twins else "14C08") + rng.choices("AB", weights=(85, 15))[0]
            act = rng.choice(("JQGA002", "JQGA003"))
            ext = ("-2" if twins else "-1") + ("1" if primipara else "2")
            acts = self.acts(f"{act}:{ext}", birth, anaesthesia=True)
        else:
            dp = "O300" if twins else "O800"
            root = ("14Z11" if primipara else "14Z12") if twins else ("14Z13" if primipara else "14Z14")
            ghm = root + rng.choices("AB", weights=(88, 12))[0]
            act = (
                ("JQGD002" if primipara else "JQGD007") if twins else ("JQGD010" if primipara else "JQGD012")
            )
            acts = self.acts(act, birth, anaesthesia=False)
            if rng.random() < 0.8:
                acts.append(
                    Act(
                        date=ddmmyyyy(birth),
                        code="AFLB010",
                        phase="0",
                        activity="4",
                        doc_extension="1",
                        count="01",
                    )
                )
        das = ["Z372" if twins else "Z370"]
        if rng.random() < 0.15:
            das.append("O990")
        last_menstrual = birth - timedelta(days=weeks * 7 + rng.randint(0, 6))
        segments = []
        if len(plan.units) == 1:
            segments = [Segment("7600", entry, exit_date)]
            main = segments[0]
        else:
            # Post-partum haemorrhage: a night in continuous care, back to the maternity.
            d1 = birth
            d2 = birth + timedelta(days=1)
            segments = [
                Segment("7600", entry, d1),
                Segment("7410", d1, d2),
                Segment("7600", d2, exit_date),
            ]
            das.append("O721")
            main = segments[0]
            for seg in segments[1:]:
                seg.dp = dp
        main.dp, main.das, main.acts = dp, das, acts
        main.gestational_age = f"{weeks:02d}"
        main.last_menstrual = ddmmyyyy(last_menstrual)
        self.chain(segments, plan, cat.POSTPARTUM, 30, (exit_date - entry).days)
        draft = Draft(plan, patient, segments, ghm)
        return draft

    def newborn(self, plan: StayPlan, mother: Draft, twin: bool) -> Draft:
        rng = self.rng
        birth_act = next(a for a in mother.segments[0].acts if a.activity == "1")
        birth = parse_ddmmyyyy(birth_act.date)
        weeks = int(mother.segments[0].gestational_age)
        to_neonatology = len(plan.units) > 1
        if to_neonatology:
            weeks = min(weeks, rng.randint(33, 36))
        weight = int(rng.gauss(3350 - (40 - weeks) * 230 - (350 if twin else 0), 380))
        weight = max(1500 if to_neonatology else 2100, min(weight, 4700))
        patient = Patient(birth, rng.choice("12"), mother.patient.postcode)
        if to_neonatology:
            first = rng.randint(0, 2)
            stay = rng.randint(6, 21)
            segments = [
                Segment("7699", birth, birth + timedelta(days=first)),
                Segment("7640", birth + timedelta(days=first), birth + timedelta(days=stay)),
            ]
            group = "15M09" if weight < 2000 else "15M07" if weight < 2300 else "15M06"
            ghm = group + rng.choice("BC")
            das = [rng.choice(("P073", "P071", "P220", "P599"))]
        else:
            segments = [Segment("7699", birth, mother.exit)]
            group = "15M05" if weight >= 3000 and weeks >= 39 else "15M06" if weight >= 2500 else "15M07"
            ghm = group + rng.choices("AB", weights=(90, 10))[0]
            das = ["P599"] if rng.random() < 0.1 else []
        first_seg = segments[0]
        first_seg.entry_mode, first_seg.provenance = "N", ""
        first_seg.weight = str(weight)
        first_seg.gestational_age = f"{weeks:02d}"
        for seg in segments:
            seg.dp = "Z383" if twin else "Z380"
        first_seg.das = das
        if to_neonatology:
            segments[1].das = das
            for before, after in zip(segments, segments[1:], strict=False):
                before.exit_mode, before.destination = "6", "1"
                after.entry_mode, after.provenance = "6", "1"
        return Draft(plan, patient, segments, ghm)

    def newborn_elsewhere(self, plan: StayPlan) -> Draft:
        """A newborn admitted to neonatology: transferred in from another maternity, or readmitted."""
        rng = self.rng
        exit_date = self.cal.medical(rng)
        if plan.role == "newborn_in":
            los = rng.randint(5, 20)
            entry = exit_date - timedelta(days=los)
            birth = entry - timedelta(days=rng.randint(0, 1))
            weeks = rng.randint(32, 36)
            weight = max(1400, int(rng.gauss(2250 - (36 - weeks) * 150, 250)))
            seg = Segment(
                "7640", entry, exit_date, entry_mode="7", provenance="1", dp=rng.choice(("P073", "P071"))
            )
            seg.das = [rng.choice(("P220", "P599", "P704"))]
            ghm = ("15M09" if weight < 2000 else "15M07") + rng.choice("BC")
        else:
            los = rng.randint(2, 5)
            entry = exit_date - timedelta(days=los)
            birth = entry - timedelta(days=rng.randint(2, 10))
            weeks = rng.randint(36, 41)
            weight = int(rng.gauss(3100, 350))
            seg = Segment("7640", entry, exit_date, dp="P599")
            ghm = "07M16" + self.level(cat.NEWBORN_JAUNDICE, los)
        seg.weight = str(weight)
        seg.gestational_age = f"{weeks:02d}"
        patient = Patient(birth, rng.choice("12"), weighted(rng, cat.POSTCODES))
        return Draft(plan, patient, [seg], ghm)
