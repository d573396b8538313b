"""The demo year, counted in Python with the mission's counting rules, reproduces every reference figure."""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from app.core.line_errors import LineError
from app.demo import catalogue as cat
from app.demo import reference_2022 as ref
from app.demo import uncoded
from app.demo.generator import (
    PLANTED_ERRORS,
    UNIT_SERVICE,
    DemoData,
    generate,
    plan_stays,
    rum_version,
)
from app.demo.movements import _at, _day_minutes
from app.ingestion.parser import parse_line
from app.ingestion.records import Rss, as_date
from app.ingestion.rhs.parser import Rhs, parse_rhs_line
from app.ingestion.writer import write_rss
from app.reference.ium import check_ium, parse_ium
from app.structure.service import validate_structure
from app.turnaround.events import StayEvent, local_date
from tests.demo.nomenclatures import Nomenclatures, load


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(year=2022, seed=42)


def _unit_to_pole(data: DemoData) -> dict[str, str]:
    return {u.code: u.pole or "" for u in data.structure.units}


# --- Reference figures ------------------------------------------------------------------------------


def test_reference_data_is_consistent() -> None:
    by_pole = Counter[str]()
    for unit in ref.UNITS:
        by_pole[unit.pole] += unit.rums
    assert dict(by_pole) == ref.RUM_BY_POLE
    assert sum(u.rums for u in ref.UNITS) == ref.RUM_TOTAL == sum(ref.RUM_BY_CARE_TYPE.values())
    assert sum(ref.RSS_BY_CARE_TYPE.values()) == ref.RSS_TOTAL
    assert sum(ref.SEANCES_BY_UNIT.values()) == sum(ref.SEANCES_BY_GHM.values()) == ref.SEANCES_TOTAL
    assert ref.RUM_BY_CARE_TYPE["seance"] == ref.RSS_BY_CARE_TYPE["seance"] == ref.SEANCES_TOTAL
    assert tuple(map(sum, zip(*ref.SSR_BY_CM.values(), strict=True))) == ref.SSR_TOTAL


def test_plan_reproduces_the_counts() -> None:
    plans = plan_stays()
    assert len(plans) == ref.RSS_TOTAL
    assert Counter(p.care for p in plans) == ref.RSS_BY_CARE_TYPE
    zero_day_multi = [p for p in plans if p.care == "zero_day" and len(p.units) > 1]
    assert len(zero_day_multi) == 12 and all(len(p.units) == 2 for p in zero_day_multi)


def test_rss_and_rum_by_care_type(data: DemoData) -> None:
    rss_by_type = Counter(rss.care_type for rss in data.rss)
    rum_by_type = Counter[str]()
    for rss in data.rss:
        rum_by_type[rss.care_type] += len(rss.rums)
    assert rss_by_type == ref.RSS_BY_CARE_TYPE
    assert rum_by_type == ref.RUM_BY_CARE_TYPE
    assert len(data.rss) == ref.RSS_TOTAL
    assert sum(rum_by_type.values()) == ref.RUM_TOTAL


def test_rum_by_unit_and_pole(data: DemoData) -> None:
    poles = _unit_to_pole(data)
    by_unit = Counter(rum.unit for rss in data.rss for rum in rss.rums)
    assert all(unit in poles for unit in by_unit), "every UM of the RSS is in the structure"
    for unit in ref.UNITS:
        assert by_unit[unit.code] == unit.rums, unit.code
    by_pole = Counter[str]()
    for unit, count in by_unit.items():
        by_pole[poles[unit]] += count
    assert by_pole == ref.RUM_BY_POLE


def test_seances(data: DemoData) -> None:
    seances = [rss for rss in data.rss if rss.care_type == "seance"]
    assert Counter(rss.ghm for rss in seances) == ref.SEANCES_BY_GHM
    assert Counter(rss.first.unit for rss in seances) == ref.SEANCES_BY_UNIT
    assert sum(rss.seances for rss in seances) == ref.SEANCES_TOTAL
    assert all(len(rss.rums) == 1 and rss.seances == 1 for rss in seances)
    dp = {"28Z07Z": "Z511", "28Z14Z": "Z5130", "28Z17Z": "Z512"}
    assert all(rss.first.dp == dp[rss.ghm] for rss in seances)
    chemo = [rss for rss in seances if rss.ghm == "28Z07Z"]
    # C187: the tumour is the DR, but for four deliberate errors (no DR, or a history Z85 instead).
    assert sum(rss.first.dr.startswith("C") for rss in chemo) == len(chemo) - 4
    assert sum(rss.first.dr.startswith("C50") for rss in chemo) > 0
    # Only séances are grouped in CMD 28, and nothing but séances carries séances.
    assert all(
        not rss.ghm.startswith("28") and rss.seances == 0 for rss in data.rss if rss.care_type != "seance"
    )


def test_ssr_by_cm(data: DemoData) -> None:
    weeks = Counter[str]()
    days = Counter[str]()
    stays: defaultdict[str, set[str]] = defaultdict(set)
    for rhs in data.rhs:
        weeks[rhs.cm] += 1
        days[rhs.cm] += rhs.days_present
        stays[rhs.cm].add(rhs.ssr_stay_number)
        assert 1 <= rhs.days_present <= 7
    for cm, expected in ref.SSR_BY_CM.items():
        assert (weeks[cm], days[cm], len(stays[cm])) == tuple(expected), cm
    assert len(data.rhs) == ref.SSR_TOTAL.weeks
    assert sum(days.values()) == ref.SSR_TOTAL.days
    assert len({r.ssr_stay_number for r in data.rhs}) == ref.SSR_TOTAL.stays
    by_stay: defaultdict[str, set[str]] = defaultdict(set)
    for rhs in data.rhs:
        by_stay[rhs.ssr_stay_number].add(rhs.cm)
    assert all(len(cms) == 1 for cms in by_stay.values()), "each stay in one CM"


# --- Structure of the records -----------------------------------------------------------------------


def test_every_rss_exits_in_the_year_with_the_format_of_its_exit_date(data: DemoData) -> None:
    for rss in data.rss:
        exit_date = rss.exit_date
        assert exit_date is not None and exit_date.year == 2022
        expected = "020" if exit_date < date(2022, 3, 1) else "021"
        assert expected == rum_version(exit_date)
        assert all(
            rum.version == expected and rum.grouped and rum.format_code == "1" + expected[1:]
            for rum in rss.rums
        )
        assert all(rum.rss_number == rss.rss_number for rum in rss.rums)
        entry = rss.entry_date
        assert entry is not None
        if rss.care_type == "complete":
            assert entry < exit_date
        else:
            assert all(rum.entry_date == rum.exit_date == rss.first.entry_date for rum in rss.rums)


def test_lines_parse_back_without_errors(data: DemoData) -> None:
    line_no = 0
    for rss in data.rss:
        for rum, text in zip(rss.rums, write_rss(rss), strict=True):
            line_no += 1
            parsed = parse_line(text.encode("utf-8"), line_no)
            assert not isinstance(parsed, LineError), (parsed, text)
            assert parsed == dataclasses.replace(rum, line=line_no)
    for label, body in data.rss_files():
        assert body.endswith(b"\n") and label.startswith("2022-")


def test_rhs_lines_parse_back(data: DemoData) -> None:
    for line_no, text in enumerate(data.rhs_file().decode("utf-8").splitlines(), start=1):
        parsed = parse_rhs_line(text.encode("utf-8"), line_no)
        assert isinstance(parsed, Rhs), parsed
        original = data.rhs[line_no - 1]
        assert (parsed.cm, parsed.ssr_stay_number, parsed.week_number, parsed.days_present) == (
            original.cm,
            original.ssr_stay_number,
            original.week_number,
            original.days_present,
        )
        monday = parsed.week_monday
        assert monday is not None and monday.year == 2022 and (monday + timedelta(days=6)).year == 2022


def test_mutations_are_chained(data: DemoData) -> None:
    planted = {e.rss_number for e in data.deliberate_errors if e.code == "C023"}
    multi = [rss for rss in data.rss if len(rss.rums) > 1]
    extra = sum(len(rss.rums) - 1 for rss in multi if rss.care_type == "complete")
    assert extra == ref.RUM_BY_CARE_TYPE["complete"] - ref.RSS_BY_CARE_TYPE["complete"] == 1773
    assert sum(rss.care_type == "zero_day" for rss in multi) == 12
    for rss in multi:
        for before, after in zip(rss.rums, rss.rums[1:], strict=False):
            assert (before.exit_mode, before.destination) == ("6", "1")
            assert (after.entry_mode, after.provenance) == ("6", "1")
            if rss.rss_number not in planted:
                assert before.exit_date == after.entry_date
    for rss in data.rss:
        first, last = rss.first, rss.last
        assert (first.entry_mode, first.provenance) in {("8", ""), ("8", "5"), ("7", "1"), ("N", "")}
        assert (last.exit_mode, last.destination) in {
            ("8", ""),
            ("8", "7"),
            ("7", "1"),
            ("7", "2"),
            ("9", ""),
        }


def test_births(data: DemoData) -> None:
    newborns = [rss for rss in data.rss if rss.first.unit == "7699"]
    assert len(newborns) == 714
    deliveries = [rss for rss in data.rss if any(a.code.startswith("JQG") for a in rss.first.acts)]
    assert len(deliveries) == 700
    birth_dates = Counter(a.date for rss in deliveries for a in rss.first.acts if a.code.startswith("JQG"))
    for rss in newborns:
        first = rss.first
        assert (first.entry_mode, first.provenance) == ("N", "")
        assert first.birth_date == first.entry_date and first.birth_date in birth_dates
        assert 1400 <= int(first.newborn_weight) <= 4700 and 30 <= int(first.gestational_age) <= 42
        assert first.dp in {"Z380", "Z383"} and rss.ghm.startswith("15M")
    for rss in deliveries:
        assert rss.first.sex == "2" and rss.first.gestational_age and rss.first.last_menstrual_date


def test_structure_and_fichier_ium_are_valid(data: DemoData) -> None:
    assert validate_structure(data.structure) == []
    assert {p.code: p.label for p in data.structure.poles} == {p.code: p.label for p in ref.POLES}
    units = {u.code: u for u in data.structure.units}
    for unit in ref.UNITS:
        assert units[unit.code].label == unit.label and units[unit.code].pole == unit.pole
        assert units[unit.code].service
    lines, errors = parse_ium(data.ium_file())
    assert errors == [] and check_ium(lines) == []
    assert {line.unit for line in lines} == {u.code for u in ref.UNITS}


def test_events(data: DemoData) -> None:
    ndas = {rss.first.admin_number: rss for rss in data.rss}
    assert len(ndas) == len(data.rss), "one NDA per RSS"
    by_stay: defaultdict[str, list[str]] = defaultdict(list)
    for event in data.stay_events:
        by_stay[event.stay_number].append(event.type)
        assert event.occurred_at.tzinfo is not None
    # The stays planted without RSS (coding exhaustivity) are the only ones without.
    assert len(data.uncoded_stays) == uncoded.UNCODED_STAYS == 30
    assert set(by_stay) == set(ndas) | set(data.uncoded_stays) and not set(ndas) & set(data.uncoded_stays)
    for nda, types in by_stay.items():
        assert types[0] == "admit" and types[-1] == "discharge"
        if nda in ndas:
            assert types.count("transfer") == len(ndas[nda].rums) - 1
    assert len({e.event_id for e in data.stay_events}) == len(data.stay_events)
    assert len({e.event_id for e in data.document_events}) == len(data.document_events)
    stays = [rss for rss in data.rss if rss.care_type != "seance"]
    reports = {e.stay_number for e in data.document_events if e.document_type != "18748-4"}
    missing = sum(rss.first.admin_number not in reports for rss in stays)
    assert 0.03 < missing / len(stays) < 0.08
    delays = []
    for event in data.document_events:
        if event.action == "new" and event.document_type != "18748-4" and event.stay_number in ndas:
            exit_date = ndas[event.stay_number].exit_date
            assert exit_date is not None
            delays.append((event.received_at.date() - exit_date).days)
    assert all(d >= 0 for d in delays)
    assert sum(d <= 8 for d in delays) / len(delays) > 0.8
    assert any(d > 8 for d in delays)
    total = len(data.stay_events) + len(data.document_events)
    assert 45_000 < total < 70_000


def test_uncoded_stays_and_the_collapsing_service(data: DemoData) -> None:
    planted = set(data.uncoded_stays)
    discharges = [e for e in data.stay_events if e.stay_number in planted and e.type == "discharge"]
    assert len(discharges) == 30
    assert all(date(2022, 10, 1) <= local_date(e.occurred_at) <= date(2022, 12, 20) for e in discharges)
    # Cardiology's reports: mostly within 8 days until September, mostly late from October.
    exits = {rss.first.admin_number: rss.exit_date for rss in data.rss if rss.care_type != "seance"}
    services = {rss.first.admin_number: UNIT_SERVICE.get(rss.last.unit) for rss in data.rss}
    on_time: defaultdict[bool, list[bool]] = defaultdict(list)
    for event in data.document_events:
        if (
            event.action == "new"
            and event.document_type != "18748-4"
            and services.get(event.stay_number) == "CARDIO"
        ):
            exit_date = exits[event.stay_number]
            assert exit_date is not None
            on_time[exit_date >= date(2022, 10, 1)].append(
                (local_date(event.received_at) - exit_date).days <= 8
            )
    before, after = (sum(on_time[q]) / len(on_time[q]) for q in (False, True))
    assert before > 0.8 and after < 0.5


def test_deliberate_errors_are_the_planted_ones(data: DemoData) -> None:
    numbers = {rss.rss_number for rss in data.rss}
    assert len(data.deliberate_errors) == sum(item.count for item in PLANTED_ERRORS) == 18
    assert all(e.rss_number in numbers and e.description for e in data.deliberate_errors)
    assert Counter(e.code for e in data.deliberate_errors) == {i.rule_code: i.count for i in PLANTED_ERRORS}


def _movements_and_rss_dates(data: DemoData) -> list[str]:
    """Every stay whose movements leave the dates of its RSS, or go back in time."""
    movements: defaultdict[str, list[StayEvent]] = defaultdict(list)
    for event in data.stay_events:
        movements[event.stay_number].append(event)
    problems: list[str] = []
    for rss in data.rss:
        events = movements[rss.first.admin_number]
        days = [local_date(e.occurred_at) for e in events]
        # A transfer happens the day the previous RUM ends: its next RUM's entry date, but for a
        # planted C023, which shifts only the coded entry date of the next RUM, not the patient.
        expected = [as_date(rss.first.entry_date)]
        expected += [as_date(before.exit_date) for before in rss.rums[:-1]]
        expected.append(as_date(rss.last.exit_date))
        if days != expected:
            problems.append(f"{rss.rss_number} ({rss.care_type}): movements on {days}, RSS {expected}")
        if any(a.occurred_at >= b.occurred_at for a, b in zip(events, events[1:], strict=False)):
            problems.append(f"{rss.rss_number}: movements out of order")
    return problems


def test_movements_happen_on_the_rss_dates(data: DemoData) -> None:
    """Admission on the RSS entry date, transfers on the mutation days, discharge on the exit date,
    in hospital time: no same-day stay is discharged after midnight (issue 15, item 19)."""
    assert _movements_and_rss_dates(data) == []
    clock_days = {date(2022, 3, 27), date(2022, 10, 30)}
    assert any(local_date(e.occurred_at) in clock_days for e in data.stay_events)


@pytest.mark.parametrize(("year", "seed"), [(2020, 1), (2024, 3)])
def test_movements_happen_on_the_rss_dates_other_years(year: int, seed: int) -> None:
    assert _movements_and_rss_dates(generate(year=year, seed=seed)) == []


def test_clock_change_days_keep_their_movements_in_the_day() -> None:
    """On the 23- and 25-hour days, a movement's minutes count elapsed time from local midnight."""
    spring, autumn = date(2022, 3, 27), date(2022, 10, 30)
    assert (_day_minutes(spring), _day_minutes(autumn), _day_minutes(date(2022, 3, 28))) == (1380, 1500, 1440)
    assert _at(spring, 150).isoformat() == "2022-03-27T03:30:00+02:00"  # 02:30 does not exist
    assert local_date(_at(spring, 1379)) == spring and local_date(_at(autumn, 1499)) == autumn
    assert _at(spring, 119) < _at(spring, 120) < _at(spring, 121)


# --- Determinism --------------------------------------------------------------------------------------


def _fingerprint(data: DemoData) -> tuple[object, ...]:
    return (
        [line for rss in data.rss for line in write_rss(rss)],
        data.rhs_file(),
        data.stay_events,
        data.document_events,
        data.deliberate_errors,
    )


def test_same_seed_same_year(data: DemoData) -> None:
    assert _fingerprint(generate(year=2022, seed=42)) == _fingerprint(data)


def test_other_seed_other_data_same_figures(data: DemoData) -> None:
    other = generate(year=2022, seed=7)
    assert _fingerprint(other) != _fingerprint(data)
    assert Counter(r.care_type for r in other.rss) == ref.RSS_BY_CARE_TYPE
    assert Counter(rum.unit for r in other.rss for rum in r.rums) == Counter(
        {u.code: u.rums for u in ref.UNITS if u.rums}
    )
    assert Counter(r.ghm for r in other.rss if r.care_type == "seance") == ref.SEANCES_BY_GHM
    assert len(other.rhs) == ref.SSR_TOTAL.weeks


def test_unsupported_year() -> None:
    with pytest.raises(ValueError, match="not supported"):
        generate(year=1999)


# --- Codes against the public nomenclatures ----------------------------------------------------------


@pytest.fixture(scope="module")
def nomenclatures() -> Nomenclatures:
    return load()


def _check_rss_codes(rss_list: list[Rss], n: Nomenclatures, planted_c170: set[str]) -> list[str]:
    problems: list[str] = []
    for rss in rss_list:
        if rss.ghm not in n.ghm:
            problems.append(f"GHM {rss.ghm}")
        for rum in rss.rums:
            if n.cim_type.get(rum.dp) != 0:
                problems.append(f"DP {rum.dp}")
            if rum.dr and n.cim_type.get(rum.dr) not in (0, 4):
                problems.append(f"DR {rum.dr}")
            problems += [f"DA {da}" for da in rum.das if n.cim_type.get(da) in (None, 3)]
            for act in rum.acts:
                if act.code not in n.ccam:
                    problems.append(f"act {act.code} ended or unknown")
                if (act.code, act.activity) not in n.ccam_activities:
                    problems.append(f"act {act.code} activity {act.activity}")
                allowed = n.ccam_extensions.get(act.code)
                if (allowed is None and act.extension) or (
                    allowed is not None and act.extension not in allowed
                ):
                    problems.append(f"act {act.code} extension {act.extension!r}")
                if act.activity == "4" and not act.doc_extension and rss.rss_number not in planted_c170:
                    problems.append(f"act {act.code}: anaesthesia without documentary extension")
    return sorted(set(problems))


def test_generated_codes_exist(data: DemoData, nomenclatures: Nomenclatures) -> None:
    planted_c170 = {e.rss_number for e in data.deliberate_errors if e.code == "C170"}
    assert _check_rss_codes(data.rss, nomenclatures, planted_c170) == []
    problems = set()
    for rhs in data.rhs:
        for position, code in ((0, rhs.fppc), (1, rhs.mmp), (2, rhs.ae), *((3, da) for da in rhs.das)):
            if code and (nomenclatures.ssr.get(code) or "NNNN")[position] != "O":
                problems.add(f"SMR position {position}: {code}")
        problems |= {f"CSARR {a.code}" for a in rhs.csarr_acts if a.code not in nomenclatures.csarr}
    assert sorted(problems) == []


def test_catalogue_codes_exist(nomenclatures: Nomenclatures) -> None:
    """Every code any seed may draw, not only those seed 42 happened to draw."""
    n = nomenclatures
    problems: list[str] = []
    profiles = {id(p): p for mix in cat.UNIT_PROFILES.values() for p, _ in mix}
    for p in profiles.values():
        ghms = [p.zero if len(p.zero) == 6 else p.root + p.zero] if p.zero else []
        ghms += [p.root + level for level in p.levels]
        problems += [f"{p.name}: GHM {g}" for g in ghms if g not in n.ghm]
        problems += [f"{p.name}: DP {c}" for c in p.dps if n.cim_type.get(c) != 0]
        problems += [f"{p.name}: DR {c}" for c in p.drs if n.cim_type.get(c) not in (0, 4)]
        problems += [f"{p.name}: DA {c}" for c in p.das if n.cim_type.get(c) in (None, 3)]
        for spec in p.acts:
            for i, part in enumerate(spec.split("+")):
                code, _, extensions = part.partition(":")
                if code not in n.ccam:
                    problems.append(f"{p.name}: act {code} ended or unknown")
                wanted = [(code, "1")] + ([(code, "4")] if p.anaesthesia and i == 0 else [])
                problems += [f"{p.name}: act {c}/{a}" for c, a in wanted if (c, a) not in n.ccam_activities]
                allowed = n.ccam_extensions.get(code, set())
                if {e for e in extensions.split(",") if e} != (allowed & set(extensions.split(","))) or (
                    allowed and not extensions
                ):
                    problems.append(f"{p.name}: extensions of {code}")
        problems += [f"{p.name}: exam {c}" for c in p.exams if (c, "1") not in n.ccam_activities]
    codes = [
        *cat.COMORBIDITIES,
        *cat.SEANCE_METASTASES,
        *cat.TRANSFUSION_DAS,
        *cat.CHILD_TRANSFUSION_DAS,
        *cat.NON_TUMOUR_CHEMO_DAS,
        *cat.RHEUMATOLOGY_CHEMO_DAS,
    ]
    problems += [f"DA {c}" for c in codes if n.cim_type.get(c) in (None, 3)]
    problems += [f"tumour {c}" for c in cat.SEANCE_TUMOURS if n.cim_type.get(c) != 0]
    for cm, (mmps, aes, csarr) in cat.SSR_CM_CONTENT.items():
        problems += [f"CM {cm} MMP {c}" for c in mmps if (n.ssr.get(c) or "NNNN")[1] != "O"]
        problems += [f"CM {cm} AE {c}" for c in aes if (n.ssr.get(c) or "NNNN")[2] != "O"]
        problems += [f"CM {cm} CSARR {c}" for c in csarr if c not in n.csarr]
    problems += [f"FPPC {c}" for c in cat.SSR_FINALITIES if (n.ssr.get(c) or "NNNN")[0] != "O"]
    assert problems == []


def test_dates_are_plausible(data: DemoData) -> None:
    for rss in data.rss:
        birth = as_date(rss.first.birth_date)
        entry = rss.entry_date
        assert birth is not None and entry is not None and birth <= entry
        assert (entry - birth).days < 103 * 366
        for rum in rss.rums:
            assert rum.postcode.isdigit() and len(rum.postcode) == 5
            assert rum.sex in {"1", "2"}


def test_another_year_keeps_the_shape_and_its_formats() -> None:
    other = generate(year=2023, seed=3)
    assert Counter(r.care_type for r in other.rss) == ref.RSS_BY_CARE_TYPE
    for rss in other.rss:
        exit_date = rss.exit_date
        assert exit_date is not None and exit_date.year == 2023
        assert rss.first.format_code == ("121" if exit_date < date(2023, 3, 1) else "122")
        for text in write_rss(rss):
            assert not isinstance(parse_line(text.encode("utf-8"), 1), LineError)
    assert all(isinstance(parse_rhs_line(t.encode(), 1), Rhs) for t in other.rhs_file().decode().splitlines())
