"""From drafts to RSS: admission and RSS numbers, the `Rss` records, and the deliberate coding
errors planted on eligible stays."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from app.demo.dates import ddmmyyyy, parse_ddmmyyyy, rum_version
from app.demo.drafts import SURGICAL_UNITS, Draft, StayBuilder
from app.demo.hospital import FINESS
from app.demo.plan import DeliberateError, plan_stays, planted_errors
from app.ingestion.layouts import layout
from app.ingestion.records import Rss, Rum

# --- Numbering and records -------------------------------------------------------------------------


def build_drafts(year: int, rng: random.Random) -> list[Draft]:
    builder = StayBuilder(year, rng)
    plans = plan_stays()
    drafts: list[Draft] = []
    by_kind: dict[tuple[str, str], int] = {}
    for plan in plans:
        if plan.role == "seance":
            by_kind[(plan.units[0], plan.ghm)] = by_kind.get((plan.units[0], plan.ghm), 0) + 1
    for (unit, ghm), count in by_kind.items():
        drafts += builder.seances(unit, ghm, count)
    deliveries = [p for p in plans if p.role == "delivery"]
    newborns = [p for p in plans if p.role == "newborn"]
    twins = len(newborns) - len(deliveries)
    mothers = [builder.delivery(plan, twins=i < twins) for i, plan in enumerate(deliveries)]
    drafts += mothers
    # The newborns sent to neonatology need time left in the year for their stay.
    singles = [p for p in newborns if len(p.units) == 1]
    transfers = [p for p in newborns if len(p.units) > 1]
    room = [m for m in mothers[twins:] if m.exit <= builder.cal.last - timedelta(days=25)]
    rng.shuffle(room)
    chosen = room[: len(transfers)]
    if len(chosen) < len(transfers):
        raise ValueError("not enough deliveries early enough in the year for the neonatology transfers")
    chosen_ids = {id(m) for m in chosen}
    for plan, mother in zip(transfers, chosen, strict=True):
        drafts.append(builder.newborn(plan, mother, twin=False))
    single_iter = iter(singles)
    for i, mother in enumerate(mothers):
        if id(mother) in chosen_ids:
            continue
        babies = 2 if i < twins else 1
        for _ in range(babies):
            drafts.append(builder.newborn(next(single_iter), mother, twin=babies == 2))
    if next(single_iter, None) is not None:
        raise ValueError("newborns left without a mother")
    for plan in plans:
        if plan.role in {"seance", "delivery", "newborn"}:
            continue
        if plan.role in {"newborn_in", "newborn_readmission"}:
            drafts.append(builder.newborn_elsewhere(plan))
        elif len(plan.units) == 1:
            drafts.append(builder.single(plan))
        else:
            drafts.append(builder.multi(plan))
    return drafts


def number_stays(drafts: list[Draft], year: int) -> None:
    """NDA in admission order (per admission year), RSS numbers in export (exit) order."""
    ordered = sorted(range(len(drafts)), key=lambda i: (drafts[i].entry, i))
    sequences: Counter[int] = Counter()
    for i in ordered:
        entry_year = drafts[i].entry.year
        sequences[entry_year] += 1
        drafts[i].admin_number = f"{entry_year}{sequences[entry_year]:06d}"
    for n, i in enumerate(
        sorted(range(len(drafts)), key=lambda i: (drafts[i].exit, drafts[i].admin_number)), 1
    ):
        drafts[i].rss_number = f"{year % 100:02d}{n:06d}"


def to_rss(draft: Draft) -> Rss:
    version = rum_version(draft.exit)
    extra_names = [item.name for item in layout(version).extra_fields()]
    rums: list[Rum] = []
    for position, seg in enumerate(draft.segments, start=1):
        extra = dict.fromkeys(extra_names, "")
        if "non_programmed" in extra:
            extra["non_programmed"] = draft.non_programmed
        if "intervention_category" in extra:
            extra["intervention_category"] = draft.category
        if "raac" in extra:
            extra["raac"] = draft.raac
        provenance = seg.provenance
        if "emergency" in extra and provenance == "5":
            # From RUM 022 on, the emergency passage has its own field.
            extra["emergency"], provenance = "5", ""
        rums.append(
            Rum(
                version=version,
                grouped=True,
                classification_version="11",
                ghm=draft.ghm,
                return_code="000",
                finess=FINESS,
                rss_number=draft.rss_number,
                admin_number=draft.admin_number,
                rum_number=f"{draft.rss_number}{position:02d}",
                birth_date=ddmmyyyy(draft.patient.birth),
                sex=draft.patient.sex,
                unit=seg.unit,
                dedicated_bed=seg.dedicated_bed,
                entry_date=ddmmyyyy(seg.entry),
                entry_mode=seg.entry_mode,
                provenance=provenance,
                exit_date=ddmmyyyy(seg.exit),
                exit_mode=seg.exit_mode,
                destination=seg.destination,
                postcode=draft.patient.postcode,
                newborn_weight=seg.weight.rjust(4, "0") if seg.weight else "",
                gestational_age=seg.gestational_age,
                last_menstrual_date=seg.last_menstrual,
                seances=seg.seances,
                dp=seg.dp,
                dr=seg.dr,
                igs2=seg.igs2,
                extra=extra,
                das=list(seg.das),
                acts=list(seg.acts),
            )
        )
    return Rss(draft.rss_number, rums)


# --- Deliberate coding errors ----------------------------------------------------------------------


def plant_errors(drafts: list[Draft], year: int, rng: random.Random) -> list[DeliberateError]:
    """`planted_errors(year)`, each on stays chosen at random among the eligible ones (one error per
    stay, so that each planted stay produces exactly its one finding)."""
    planned = {item.rule_code: item for item in planted_errors(year)}
    errors: list[DeliberateError] = []
    by_number = sorted(drafts, key=lambda d: d.rss_number)
    used: set[str] = set()

    def pick(code: str, eligible: Iterable[Draft]) -> list[Draft]:
        count = planned[code].count
        pool = [d for d in eligible if d.rss_number not in used]
        if len(pool) < count:
            raise ValueError(f"{year}: only {len(pool)} stays can carry the planted error {code}")
        chosen = sorted(rng.sample(pool, k=count), key=lambda d: d.rss_number)
        used.update(d.rss_number for d in chosen)
        return chosen

    def planted(d: Draft, code: str, detail: str = "") -> None:
        description = planned[code].description + (f" ({detail})" if detail else "")
        errors.append(DeliberateError(d.rss_number, code, description))

    chemo = [d for d in by_number if d.ghm == "28Z07Z"]
    for d in pick("C187", chemo):
        d.segments[0].dr = ""
        planted(d, "C187")
    for d in pick("Q014", (d for d in chemo if d.segments[0].dr.startswith("C50"))):
        d.segments[0].dr = "Z853"
        planted(d, "Q014")
    anaesthesia = [
        d
        for d in by_number
        if d.plan.care != "seance"
        and any(a.activity == "4" and a.doc_extension for s in d.segments for a in s.acts)
    ]
    for d in pick("C170", anaesthesia):
        act = next(a for s in d.segments for a in s.acts if a.activity == "4" and a.doc_extension)
        act.doc_extension = ""
        planted(d, "C170", act.code)
    surgery = [
        d
        for d in by_number
        if d.plan.care == "complete"
        and not d.plan.role
        and len(d.segments) == 1  # the flag is written on every RUM: one RUM, one finding
        and d.segments[0].unit in SURGICAL_UNITS
        and any(a.activity == "1" for a in d.segments[0].acts)
    ]
    for d in pick("C188", surgery):
        d.raac = "O"
        planted(d, "C188")
    # The intervention category exists from format 020 (exits from March 2020).
    day_hospital = [d for d in by_number if d.category and rum_version(d.exit) != "019"]
    for d in pick("C198", day_hospital):
        d.category = "3"
        planted(d, "C198")
    chained = [
        d
        for d in by_number
        if len(d.segments) == 2
        and d.plan.care == "complete"
        and (d.segments[1].exit - d.segments[1].entry).days >= 2
    ]
    for d in pick("C023", chained):
        moved = d.segments[1]
        moved.entry += timedelta(days=1)
        for act in moved.acts:  # keep the acts inside the RUM: one error per stay
            act.date = max(act.date, ddmmyyyy(moved.entry), key=parse_ddmmyyyy)
        planted(d, "C023")
    with_da = [d for d in by_number if d.plan.care == "complete" and d.segments[0].das and not d.plan.role]
    for d in pick("Q013", with_da):
        d.segments[0].das.append(d.segments[0].dp)
        planted(d, "Q013", d.segments[0].dp)
    with_acts = [
        d
        for d in by_number
        if d.plan.care == "complete"
        and len(d.segments) == 1
        and not d.plan.role
        and any(a.activity == "1" for a in d.segments[0].acts)
    ]
    for d in pick("C102", with_acts):
        act = next(a for a in d.segments[0].acts if a.activity == "1")
        act.date = ddmmyyyy(d.segments[0].exit + timedelta(days=1))
        planted(d, "C102", act.code)
    return sorted(errors, key=lambda e: (e.rss_number, e.code))
