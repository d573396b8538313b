"""The SMR year of the demo: grouped RHS whose weeks and days reproduce the reference totals by CM."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.demo import catalogue as cat
from app.demo import reference_2022 as ref
from app.demo.dates import ddmmyyyy, rhs_version
from app.demo.drafts import weighted
from app.demo.hospital import FINESS
from app.ingestion.rhs.parser import CsarrAct, Rhs

# --- SMR (RHS) -------------------------------------------------------------------------------------


def _split(total: int, parts: int, rng: random.Random, low: int, high: int, initial: list[int]) -> list[int]:
    """Adjust `initial` (one value per part, each within [low, high]) to sum exactly `total`."""
    values = [max(low, min(high, v)) for v in initial]
    diff = total - sum(values)
    if not parts * low <= total <= parts * high:
        raise ValueError(f"cannot split {total} into {parts} parts of {low}-{high}")
    while diff:
        i = rng.randrange(parts)
        if diff > 0 and values[i] < high:
            step = min(diff, high - values[i], 1 + diff // parts)
            values[i] += step
            diff -= step
        elif diff < 0 and values[i] > low:
            step = min(-diff, values[i] - low, 1 + (-diff) // parts)
            values[i] -= step
            diff += step
    return values


@dataclass(slots=True)
class _SsrWeek:
    week: int
    days: list[int]  # ISO weekdays present, 0 = Monday


def build_rhs(year: int, rng: random.Random) -> list[Rhs]:
    version = rhs_version(year)
    weeks_available = range(2, 52)  # ISO weeks entirely inside the calendar year, whatever the year
    records: list[Rhs] = []
    stay_no = 0
    for cm, target in ref.SSR_BY_CM.items():
        mean = target.weeks / target.stays
        initial = [max(1, round(rng.expovariate(1 / mean))) for _ in range(target.stays)]
        weeks_per_stay = _split(target.weeks, target.stays, rng, 1, 30, initial)
        partial = [rng.random() < 0.12 for _ in range(target.stays)]
        # Days: complete hospitalisation is 7 days a week (5 with a weekend at home), partial
        # 2-3 days; first and last weeks are cut by the entry and exit days.
        slots: list[tuple[int, int, int]] = []  # (stay, week index, days)
        for s, (n, hp) in enumerate(zip(weeks_per_stay, partial, strict=True)):
            for w in range(n):
                if hp:
                    week_days = rng.randint(2, 3)
                elif n == 1:
                    week_days = rng.randint(3, 7)
                elif w in (0, n - 1):
                    week_days = rng.randint(1, 7)
                else:
                    week_days = 7 if rng.random() < 0.8 else 5
                slots.append((s, w, week_days))
        days = _split(target.days, len(slots), rng, 1, 7, [d for _, _, d in slots])
        per_stay: list[list[int]] = [[] for _ in range(target.stays)]
        for (s, _, _), d in zip(slots, days, strict=True):
            per_stay[s].append(d)
        mmps, aes, csarr = cat.SSR_CM_CONTENT[cm]
        for s, stay_days in enumerate(per_stay):
            stay_no += 1
            n = len(stay_days)
            first_week = rng.randint(weeks_available.start, weeks_available.stop - n)
            weeks: list[_SsrWeek] = []
            for w, d in enumerate(stay_days):
                if partial[s]:
                    present = sorted(rng.sample(range(5), d) if d <= 5 else range(d))
                elif n == 1:
                    start = rng.randint(0, 7 - d)
                    present = list(range(start, start + d))
                elif w == 0:
                    present = list(range(7 - d, 7))
                else:
                    present = list(range(d))
                weeks.append(_SsrWeek(first_week + w, present))
            records += _ssr_stay(year, version, cm, stay_no, weeks, partial[s], mmps, aes, csarr, rng)
    return records


def _ssr_stay(
    year: int,
    version: str,
    cm: str,
    stay_no: int,
    weeks: list[_SsrWeek],
    partial: bool,
    mmps: tuple[str, ...],
    aes: tuple[str, ...],
    csarr: tuple[str, ...],
    rng: random.Random,
) -> list[Rhs]:
    def day_of(week: _SsrWeek, weekday: int) -> date:
        return date.fromisocalendar(year, week.week, weekday + 1)

    entry = day_of(weeks[0], weeks[0].days[0])
    exit_date = day_of(weeks[-1], weeks[-1].days[-1])
    age = int(rng.triangular(25, 99, 78))
    birth = entry - timedelta(days=int(age * 365.25) + rng.randrange(365))
    sex = "2" if rng.random() < 0.56 else "1"
    postcode = weighted(rng, cat.POSTCODES)
    unit, auth = ("7150", "50A") if partial else ("7140", "51A") if cm in {"08", "01"} else ("7130", "50A")
    draw = rng.random()
    entry_mode, provenance = ("6", "1") if draw < 0.6 else ("8", "") if draw < 0.9 else ("7", "1")
    draw = rng.random()
    exit_mode, destination = (
        ("9", "") if draw < 0.03 else ("7", "1") if draw < 0.11 else ("8", "7") if draw < 0.2 else ("8", "")
    )
    if partial:
        entry_mode, provenance, exit_mode, destination = "8", "", "8", ""
    fppc = rng.choice(cat.SSR_FINALITIES)
    mmp = rng.choice(mmps)
    ae = rng.choice(aes) if aes and rng.random() < 0.6 else ""
    das = [c for c in rng.sample(cat.COMORBIDITIES, k=rng.randint(0, 3)) if c not in (mmp, ae)]
    dependence = [str(rng.randint(1, 4)) for _ in range(6)]
    grouping = (f"{rng.randint(1, 9):02d}", rng.choice("ABC"), rng.choice("012"), rng.choice("01"))
    records: list[Rhs] = []
    for i, week in enumerate(weeks):
        last = i == len(weeks) - 1
        flags = "".join("1" if d in week.days else "0" for d in range(7))
        acts = []
        for code in rng.sample(csarr, k=min(len(csarr), rng.randint(1, 3))):
            on = day_of(week, rng.choice(week.days))
            acts.append(
                CsarrAct(
                    code=code,
                    performer_code=rng.choice(("21", "24", "26")),
                    count="01",
                    date=ddmmyyyy(on),
                    real_patients="01",
                    performers="01",
                )
            )
        extra = {
            "classification_version": "15",
            "grouping_code": grouping[0],
            "grouping_root": grouping[1],
            "grouping_weight_level": grouping[2],
            "grouping_severity": grouping[3],
            "grouping_return_code": "000",
            "dependence_dressing": dependence[0],
            "dependence_moving": dependence[1],
            "dependence_feeding": dependence[2],
            "dependence_continence": dependence[3],
            "dependence_behaviour": dependence[4],
            "dependence_relation": dependence[5],
            "same_project": "1",
        }
        records.append(
            Rhs(
                version=version,
                finess=FINESS,
                ssr_stay_number=f"{year % 100:02d}{stay_no:05d}",
                admin_number=f"{year}8{stay_no:05d}",
                stay_start_date=ddmmyyyy(entry),
                stay_end_date=ddmmyyyy(exit_date),
                birth_date=ddmmyyyy(birth),
                sex=sex,
                postcode=postcode,
                hospitalisation_type="2" if partial else "1",
                entry_date=ddmmyyyy(entry),
                entry_mode=entry_mode,
                provenance=provenance,
                exit_date=ddmmyyyy(exit_date) if last else "",
                exit_mode=exit_mode if last else "",
                destination=destination if last else "",
                week_number=f"{week.week:02d}{year}",
                weekday_presence=flags[:5],
                weekend_presence=flags[5:],
                unit=unit,
                unit_authorisation_type=auth,
                fppc=fppc,
                mmp=mmp,
                ae=ae,
                cm=cm,
                extra=extra,
                das=list(das),
                csarr_acts=acts,
            )
        )
    return records
