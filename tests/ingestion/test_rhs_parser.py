"""RHS layouts, parser and writer: every version, the public M09 sample, bad lines, fuzzing."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.line_errors import LineError
from app.ingestion.rhs import service as rhs_service
from app.ingestion.rhs.layouts import (
    GROUPED_VERSIONS,
    LAYOUTS,
    NON_GROUPED_VERSIONS,
    detect_layout,
    grouped_version,
    non_grouped_version,
)
from app.ingestion.rhs.parser import ACT_CLASSES, RHS_ATTRIBUTES, Rhs, iter_rhs, parse_rhs_line
from app.ingestion.rhs.writer import write_rhs
from tests.conftest import shared_file
from tests.ingestion.rhs_builders import make_ccam, make_csar, make_csarr, make_rhs, monday_of

ALL_VERSIONS = sorted(LAYOUTS)
SAMPLE = Path("pmsi_samples/gpmsi/in/t01rhsm09.txt")

# pmsixml short names -> our layout names (fixed part).
PMSIXML_NAMES = {
    "FLR1": "grouped_filler",
    "VRHSG": "version",
    "FINESS": "finess",
    "NSSR": "ssr_stay_number",
    "NADL": "admin_number",
    "ZR40": "reserved",
    "GVC": "classification_version",
    "GCM": "cm",
    "GCD": "grouping_code",
    "GSU": "grouping_subdivision",
    "GNR": "grouping_root",
    "GNL": "grouping_weight_level",
    "GSV": "grouping_severity",
    "GCR": "grouping_return_code",
    "GIE": "grouping_error",
    "DDSEJ": "stay_start_date",
    "DFSEJ": "stay_end_date",
    "DNAIS": "birth_date",
    "SEXE": "sex",
    "CPRE": "postcode",
    "TYHO": "hospitalisation_type",
    "DEUM": "entry_date",
    "MEUM": "entry_mode",
    "PROV": "provenance",
    "DSUM": "exit_date",
    "MSUM": "exit_mode",
    "DEST": "destination",
    "NSEM": "week_number",
    "JHWE": "weekday_presence",
    "JWE": "weekend_presence",
    "NUM": "unit",
    "TAUM": "unit_authorisation_type",
    "DIC": "surgery_date",
    "FPP": "fppc",
    "MMP": "mmp",
    "AE": "ae",
    "DHAB": "dependence_dressing",
    "DDEP": "dependence_moving",
    "DALI": "dependence_feeding",
    "DCNT": "dependence_continence",
    "DCMP": "dependence_behaviour",
    "DREL": "dependence_relation",
    "NDA": "das_count",
    "NCSA": "csarr_count",
    "NCSR": "csar_count",
    "NCCA": "ccam_count",
    "PPTH": "same_project",
    "FI169": "filler_2",
    "FLR182": "filler_2",
    "FLR186": "filler_2",
    "LISP": "identified_beds",
    "TUSP": "specific_unit_type",
}
PMSIXML_ZONES = {"DA": "das", "ACS": "csarr", "ACR": "csar", "ACC": "ccam"}


def _equal_records(a: Rhs, b: Rhs) -> None:
    assert replace(a, line=0, rhs_number="") == replace(b, line=0, rhs_number="")


def _full(version: str) -> Rhs:
    """A record using every zone its version has, several elements each."""
    rhs = make_rhs(version=version)
    rhs.das = ["I10", "E119", "Z9911", "F320"]
    rhs.csarr_acts = [
        make_csarr(),
        make_csarr(code="ZZR+123", count="03", performers="02", doc_extension="A1"),
    ]
    rhs.ccam_acts = [make_ccam(), make_ccam(code="DZQM006", extension="-01", doc_extension="A")]
    if LAYOUTS[version].field("csar_count") is not None:
        rhs.csar_acts = [make_csar(), make_csar(code="ZZ999", time_modifier="T2", multiprofessional="1")]
    return rhs


# --- layouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_layout_is_contiguous_and_names_are_known(version: str) -> None:
    layout = LAYOUTS[version]
    position = 1
    for spec in layout.fixed:
        assert spec.start == position, spec
        position += spec.length
    assert layout.fixed_length == position - 1
    names = [spec.name for spec in layout.fixed]
    assert len(names) == len(set(names))
    assert layout.version_field.start == (11 if layout.grouped else 10)
    for zone in layout.zones:
        assert zone.counter in names
        cls = ACT_CLASSES.get(zone.name)
        if cls is not None:
            assert {f.name for f in zone.fields} <= set(cls.__dataclass_fields__)
    assert "ssr_stay_number" in names and "unit" in names


def test_versions() -> None:
    assert sorted(NON_GROUPED_VERSIONS) == ["M09", "M0A", "M0B", "M0C", "M0D"]
    assert sorted(GROUPED_VERSIONS) == ["M19", "M1A", "M1B", "M1C", "M1D"]
    assert [v for v in ALL_VERSIONS if LAYOUTS[v].inferred] == ["M0C", "M0D"]
    assert grouped_version("M0C") == "M1C" and grouped_version("M1C") == "M1C"
    assert non_grouped_version("M1D") == "M0D" and non_grouped_version("M09") == "M09"


@pytest.mark.parametrize("grouped", sorted(GROUPED_VERSIONS))
def test_non_grouped_is_grouped_without_prefix(grouped: str) -> None:
    """The rule that derives M0C/M0D holds for every pair, the three sourced ones included."""
    plain = LAYOUTS[non_grouped_version(grouped)]
    group = LAYOUTS[grouped]
    grouping = {"classification_version", "cm"} | {
        s.name for s in group.fixed if s.name.startswith("grouping_")
    }
    tail = [
        (s.name, s.start - 13, s.length, s.kind)
        for s in group.fixed
        if s.start > 52 and s.name not in grouping
    ]
    plain_tail = [
        (s.name, s.start, s.length, s.kind) for s in plain.fixed if s.start > 39 and s.name != "reserved"
    ]
    assert tail == plain_tail
    reserved = plain.field("reserved")
    assert reserved is not None
    assert reserved.length == sum(s.length for s in group.fixed if s.name in grouping)
    assert plain.zones == group.zones


@pytest.mark.parametrize("version", ["M09", "M0A", "M0B", "M19", "M1A", "M1B", "M1C", "M1D"])
def test_layout_matches_pmsixml(version: str) -> None:
    path = shared_file(f"pmsi_formats/pmsixml/rhs{version.lower()}.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))[1:]
    layout = LAYOUTS[version]
    fixed = []
    for row in rows:
        if row[0] != "RHS":
            continue
        # VRHS is the line's own format when non-grouped, the embedded one when grouped.
        vrhs = "rhs_version" if layout.grouped else "version"
        name = vrhs if row[2] == "VRHS" else PMSIXML_NAMES[row[2]]
        fixed.append((name, int(row[4]), int(row[3]), row[7].strip()))
    assert [(s.name, s.start, s.length, s.kind) for s in layout.fixed] == fixed
    for zone_code, zone_name in PMSIXML_ZONES.items():
        lengths = [(int(row[3]), row[7].strip()) for row in rows if row[0] == zone_code]
        zone = next((z for z in layout.zones if z.name == zone_name), None)
        if not lengths:
            assert zone is None
            continue
        assert zone is not None
        ours = [(f.length, f.kind) for f in zone.fields]
        if zone_name == "ccam":
            # We split the 10-character act code into the CCAM code and the PMSI extension.
            ours = ours[:1] + [(10, "A")] + ours[3:]
        assert ours == lengths


def test_layout_matches_pmeasyr() -> None:
    """pmeasyr's grouped RHS readers (one per year) agree with M19 (2013-2021) and M1C (2022-2025)."""
    names = {
        "NOSEJ": "ssr_stay_number",
        "NAS": "admin_number",
        "CM": "cm",
        "SEV": "grouping_severity",
        "CDRTR": "grouping_return_code",
        "DTNAIS": "birth_date",
        "NOSEM": "week_number",
        "JOURNEES_HWE": "weekday_presence",
        "NOUM": "unit",
        "FPPC": "fppc",
        "AE": "ae",
        "NBDA": "das_count",
        "NBCSARR": "csarr_count",
        "NBCCAM": "ccam_count",
        "LISP": "identified_beds",
        "TYPUS": "specific_unit_type",
    }
    checked = 0
    with shared_file("pmsi_formats/pmeasyr_formats_mco_ssr.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["champ"] != "ssr" or row["table"] != "rhs" or row["nom"] not in names or row["an"] < "13":
                continue
            layout = LAYOUTS[
                "M1C" if row["an"] >= "22" else "M1B" if row["nom"] in {"LISP", "TYPUS"} else "M19"
            ]
            spec = layout.field(names[row["nom"]])
            assert spec is not None, row
            assert (spec.start, spec.length) == (int(row["position"]), int(row["longueur"])), row
            checked += 1
    assert checked > 150


def test_detect_layout() -> None:
    assert detect_layout("910019447M0C") is LAYOUTS["M0C"]
    assert detect_layout("          M1D910019447M0D") is LAYOUTS["M1D"]
    assert detect_layout("910019447M1C") is None  # grouped version at the non-grouped position
    assert detect_layout("910019447XYZ") is None
    assert detect_layout("") is None


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_version_round_trips(version: str) -> None:
    rhs = _full(version)
    line = write_rhs(rhs)
    layout = LAYOUTS[version]
    zones = {z.name: z.length for z in layout.zones}
    expected = layout.fixed_length + 4 * 8 + 2 * zones["csarr"] + 2 * zones["ccam"] + 2 * zones.get("csar", 0)
    assert len(line) == expected
    parsed = parse_rhs_line(line.encode() + b"\r\n", 7)
    assert isinstance(parsed, Rhs), parsed
    assert parsed.line == 7 and parsed.version == version and parsed.grouped == layout.grouped
    _equal_records(parsed, rhs)
    assert write_rhs(parsed) == line


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_version_round_trips_without_variable_part(version: str) -> None:
    rhs = make_rhs(version=version, das=[], csarr_acts=[], csar_acts=[], ccam_acts=[])
    line = write_rhs(rhs)
    assert len(line) == LAYOUTS[version].fixed_length
    parsed = parse_rhs_line(line.encode(), 1)
    assert isinstance(parsed, Rhs)
    _equal_records(parsed, rhs)


def test_grouped_fields_and_gme() -> None:
    m1c = make_rhs(grouped=True, gme="0811B21", grouping_return_code="000")
    assert m1c.version == "M1C" and m1c.grouped and m1c.cm == "08"
    line = write_rhs(m1c)
    assert line[:10] == " " * 10 and line[10:13] == "M1C" and line[22:25] == "M0C"
    assert line[54:56] == "08" and line[56:65] == "11B21000 "
    parsed = parse_rhs_line(line.encode(), 1)
    assert isinstance(parsed, Rhs)
    assert parsed.cm == "08" and parsed.gme == "0811B21"
    assert parsed.extra["rhs_version"] == "M0C"
    assert parsed.extra["grouping_root"] == "B" and parsed.extra["grouping_weight_level"] == "2"

    m19 = make_rhs(version="M19", gme="1002A3")
    assert write_rhs(m19)[54:60] == "1002A3"
    assert m19.gme == "1002A3"
    assert make_rhs().gme == "" and make_rhs().cm == ""
    assert replace(m19, cm="").gme == ""


def test_builder_helpers() -> None:
    rhs = make_rhs(monday=date(2022, 3, 7), days=3, exit_mode="8", dependence_moving="4")
    assert rhs.week_number == "102022" and rhs.week_monday == date(2022, 3, 7) == monday_of("102022")
    assert rhs.weekday_presence == "11100" and rhs.weekend_presence == "00" and rhs.days_present == 3
    assert rhs.exit_mode == "8" and rhs.extra["dependence_moving"] == "4"
    with pytest.raises(TypeError):
        make_rhs(no_such_field="x")
    with pytest.raises(TypeError):
        make_rhs(gme="0801A1")  # non-grouped
    with pytest.raises(TypeError):
        make_rhs(version="M19", gme="0801A12")  # one character too many for M19


def test_writer_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="unit"):
        write_rhs(make_rhs(unit="12345"))
    with pytest.raises(ValueError, match="das"):
        write_rhs(make_rhs(das=["Z51881234"]))
    with pytest.raises(ValueError, match="das_count"):
        write_rhs(make_rhs(das=["I10"] * 100))
    with pytest.raises(ValueError, match="unknown RHS version"):
        write_rhs(replace(make_rhs(), version="M0Z"))


def test_writer_padding() -> None:
    line = write_rhs(make_rhs(version="M09", das=["I10"], csarr_acts=[], ccam_acts=[], surgery_date=""))
    assert line[160:167] == "0100000"  # counters zero-filled
    assert line[122:130] == " " * 8  # blank numeric date stays blank
    assert line[168:176] == "I10     "


# --- the public M09 sample -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple[bytes, list[Rhs | LineError]]:
    body = shared_file(SAMPLE).read_bytes()
    return body, list(iter_rhs(io.BytesIO(body)))


def test_sample_parses_completely(sample: tuple[bytes, list[Rhs | LineError]]) -> None:
    _, records = sample
    assert len(records) == 31
    assert all(isinstance(r, Rhs) for r in records)
    rhs = [r for r in records if isinstance(r, Rhs)]
    assert {r.version for r in rhs} == {"M09"} and not any(r.grouped for r in rhs)
    stays = {r.ssr_stay_number: 0 for r in rhs}
    for r in rhs:
        stays[r.ssr_stay_number] += 1
    assert stays == {"3687123": 10, "3893491": 17, "3924230": 4}
    days: dict[str, int] = {}
    for r in rhs:
        days[r.ssr_stay_number] = days.get(r.ssr_stay_number, 0) + r.days_present
    assert days == {"3687123": 70, "3893491": 112, "3924230": 25}
    assert sum(len(r.ccam_acts) for r in rhs) == 11
    assert sum(len(r.csarr_acts) for r in rhs) == 0
    assert sum(len(r.das) for r in rhs) == 238
    assert [r.rhs_number for r in rhs[:3]] == ["1", "2", "3"] and rhs[10].rhs_number == "1"
    assert rhs[26].rhs_number == "17"


def test_sample_exact_fields(sample: tuple[bytes, list[Rhs | LineError]]) -> None:
    _, records = sample
    first = records[0]
    assert isinstance(first, Rhs)
    assert (first.line, first.finess, first.ssr_stay_number, first.admin_number) == (
        1,
        "910019447",
        "3687123",
        "000000001",
    )
    assert (first.stay_start_date, first.stay_end_date, first.birth_date, first.sex, first.postcode) == (
        "04042016",
        "17042017",
        "26111961",
        "2",
        "91580",
    )
    assert (first.hospitalisation_type, first.entry_date, first.entry_mode, first.provenance) == (
        "1",
        "04042016",
        "7",
        "1",
    )
    assert (first.exit_date, first.exit_mode, first.destination) == ("17042017", "7", "1")
    assert (first.week_number, first.week_monday, first.iso_week) == ("042017", date(2017, 1, 23), (2017, 4))
    assert (first.unit, first.unit_authorisation_type, first.surgery_date) == ("6117", "52A", "")
    assert (first.fppc, first.mmp, first.ae) == ("Z5188", "G931", "F09")
    assert first.das == ["R2630", "G408", "F411", "Z741", "F322"]
    assert first.extra == {
        "reserved": "",
        "dependence_dressing": "4",
        "dependence_moving": "4",
        "dependence_feeding": "4",
        "dependence_continence": "4",
        "dependence_behaviour": "4",
        "dependence_relation": "4",
        "same_project": "",
    }

    entry = records[10]  # first week of the second stay: entered on a Thursday
    assert isinstance(entry, Rhs)
    assert entry.weekday_presence == "00011" and entry.weekend_presence == "11" and entry.days_present == 4
    assert entry.presence == (False, False, False, True, True, True, True)
    assert entry.week_monday == date(2016, 10, 10) and entry.extra["same_project"] == "2"
    assert entry.extra["dependence_dressing"] == "2" and entry.extra["dependence_relation"] == "1"

    acts = records[11]
    assert isinstance(acts, Rhs)
    assert [(a.date, a.code, a.extension, a.phase, a.activity, a.count) for a in acts.ccam_acts] == [
        ("17102016", "ZZQH033", "", "0", "1", "01"),
        ("17102016", "YYYY600", "", "0", "1", "01"),
        ("19102016", "DZQM006", "", "0", "1", "01"),
    ]
    assert len(acts.das) == 10

    last_week = records[26]
    assert isinstance(last_week, Rhs)
    assert (last_week.weekday_presence, last_week.weekend_presence, last_week.days_present) == (
        "11100",
        "00",
        3,
    )

    third = records[27]
    assert isinstance(third, Rhs)
    assert (third.exit_mode, third.destination, third.ae, third.das) == (
        "8",
        "",
        "",
        ["W010", "I10", "E440", "Z741"],
    )


def test_sample_round_trips_byte_for_byte(sample: tuple[bytes, list[Rhs | LineError]]) -> None:
    body, records = sample
    assert "\r\n".join(write_rhs(r) for r in records if isinstance(r, Rhs)).encode() + b"\r\n" == body


def test_sample_with_lf_and_bom_and_blank_lines(sample: tuple[bytes, list[Rhs | LineError]]) -> None:
    body, records = sample
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    altered = b"\xef\xbb\xbf" + lines[0] + b"\n\n   \n" + b"\n".join(lines[1:])
    again = list(iter_rhs(io.BytesIO(altered)))
    assert len(again) == 31 and all(isinstance(r, Rhs) for r in again)
    assert again[0].line == 1 and again[1].line == 4
    for a, b in zip(again, records, strict=True):
        assert isinstance(a, Rhs) and isinstance(b, Rhs)
        _equal_records(a, b)


# --- leniency and structural errors --------------------------------------------------------------


def _line(**overrides: object) -> bytes:
    return write_rhs(make_rhs(**overrides)).encode()


def _error(raw: bytes) -> LineError:
    result = parse_rhs_line(raw, 5)
    assert isinstance(result, LineError), result
    assert result.line == 5
    return result


def test_truncated_fixed_part() -> None:
    line = _line(version="M0B")
    error = _error(line[:150])
    assert error.code == "line_length" and "fixed part" in error.message


def test_truncated_variable_part() -> None:
    line = _line()  # 2 DAS, 1 CSARR, 1 CCAM: the CCAM act is last
    error = _error(line[:-23])
    assert error.code == "line_length"
    assert "ccam 1" in error.message


def test_trailing_blanks_stripped_from_last_element_are_tolerated() -> None:
    rhs = make_rhs(csarr_acts=[], ccam_acts=[], das=["I10", "E44"])
    line = write_rhs(rhs).encode()
    assert line.endswith(b"E44     ")
    parsed = parse_rhs_line(line.rstrip(b" "), 1)
    assert isinstance(parsed, Rhs) and parsed.das == ["I10", "E44"]
    # ...but not a whole missing element.
    assert _error(line[:-8]).code == "line_length"
    # Without a variable part, the optional fields after the counters may be cut.
    bare = write_rhs(make_rhs(version="M09", das=[], csarr_acts=[], ccam_acts=[])).encode()
    parsed = parse_rhs_line(bare[:-1], 1)
    assert isinstance(parsed, Rhs) and parsed.extra["same_project"] == ""


def test_padding_after_the_record_is_tolerated_but_not_data() -> None:
    line = _line()
    parsed = parse_rhs_line(line + b"      ", 1)
    assert isinstance(parsed, Rhs)
    _equal_records(parsed, make_rhs())
    assert _error(line + b"   X").code == "line_length"


def test_space_padded_counter_is_accepted() -> None:
    line = bytearray(_line(version="M09"))
    assert line[160:162] == b"02"
    line[160:162] = b" 2"
    parsed = parse_rhs_line(bytes(line), 1)
    assert isinstance(parsed, Rhs) and parsed.das == ["I10", "E119"]


@pytest.mark.parametrize(
    ("version", "counter", "position"),
    [
        ("M09", "das_count", 160),
        ("M0B", "csarr_count", 162),
        ("M1D", "csar_count", 179),
        ("M1C", "ccam_count", 179),
    ],
)
def test_non_numeric_counter(version: str, counter: str, position: int) -> None:
    line = bytearray(_line(version=version))
    spec = LAYOUTS[version].field(counter)
    assert spec is not None and spec.start - 1 == position
    line[position] = ord("X")
    error = _error(bytes(line))
    assert (error.code, error.field) == ("not_numeric", counter)


def test_unknown_version() -> None:
    line = bytearray(_line(version="M0B"))
    line[9:12] = b"M0Z"
    error = _error(bytes(line))
    assert (error.code, error.field) == ("unknown_format", "version")
    assert _error(b"910019447").code == "unknown_format"


def test_missing_stay_number() -> None:
    error = _error(_line(ssr_stay_number=""))
    assert (error.code, error.field) == ("missing_stay_number", "ssr_stay_number")


def test_control_characters() -> None:
    line = bytearray(_line())
    line[30] = 0x09
    error = _error(bytes(line))
    # The column and the field are named, as for a RUM line: "the line contains a control
    # character" left the DIM searching a 300-character line for an invisible byte.
    assert (error.code, error.field, error.message) == (
        "control_character", "admin_number", "control character 0x09 at column 31 (field admin_number)",
    )  # fmt: skip
    unreadable = _error(b"\x00" * 300)
    assert (unreadable.code, unreadable.field, unreadable.message) == (
        "control_character", None, "control character 0x00 at column 1",
    )  # fmt: skip


def test_garbage() -> None:
    assert _error(b"hello world").code == "unknown_format"
    assert _error("\u00e9\u00e8".encode() * 120).code == "unknown_format"


def test_latin1_and_utf8_text() -> None:
    utf8 = _line(admin_number="DOSSIER-É1")
    latin1 = utf8.decode("utf-8").encode("latin-1")
    assert len(utf8) == len(latin1) + 1  # "É" takes two bytes in UTF-8
    for raw in (utf8, latin1):
        parsed = parse_rhs_line(raw, 1)
        assert (
            isinstance(parsed, Rhs) and parsed.admin_number == "DOSSIER-É1" and parsed.das == ["I10", "E119"]
        )


def test_no_break_space_is_not_a_control_character() -> None:
    parsed = parse_rhs_line(_line(admin_number="A\u00a0B"), 1)
    assert isinstance(parsed, Rhs) and parsed.admin_number == "A\u00a0B"


def test_iter_rhs_keeps_going_after_errors() -> None:
    good = _line()
    body = b"\n".join([good, b"garbage", good[:100], _line(ssr_stay_number="2200002"), good]) + b"\n"
    records = list(iter_rhs(io.BytesIO(body)))
    assert [type(r).__name__ for r in records] == ["Rhs", "LineError", "LineError", "Rhs", "Rhs"]
    assert [r.line for r in records] == [1, 2, 3, 4, 5]
    assert [r.rhs_number for r in records if isinstance(r, Rhs)] == ["1", "1", "2"]


def test_week_helpers_on_bad_values() -> None:
    assert make_rhs(week_number="542021").week_monday is None  # 2021 has 52 ISO weeks
    assert make_rhs(week_number="532020").week_monday == date(2020, 12, 28)
    assert make_rhs(week_number="ab2022").iso_week is None
    assert make_rhs(week_number="").week_monday is None
    assert make_rhs(weekday_presence="1X1", weekend_presence="").days_present == 2


# --- fuzzing -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_record_or_an_error(raw: bytes) -> None:
    assert isinstance(parse_rhs_line(raw, 1), Rhs | LineError)


_VALID_LINES = [write_rhs(_full(version)).encode() for version in ALL_VERSIONS]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(_VALID_LINES),
    st.integers(min_value=0, max_value=400),
    st.binary(min_size=0, max_size=6),
    st.integers(min_value=0, max_value=6),
)
def test_mutated_lines_give_a_record_or_an_error(line: bytes, at: int, insert: bytes, cut: int) -> None:
    mutated = line[:at] + insert + line[at + cut :]
    result = parse_rhs_line(mutated, 1)
    assert isinstance(result, Rhs | LineError)
    if isinstance(result, Rhs):
        write_rhs(result)  # whatever was accepted can be written back


# Whole bodies as the batch route receives them: valid lines, raw noise and damaged lines, joined by
# any line end (a lone CR does not split lines), a BOM or not.
_BODY_LINES = st.lists(
    st.one_of(
        st.sampled_from(_VALID_LINES),
        st.binary(max_size=200),
        st.builds(
            lambda line, at, junk: line[:at] + junk + line[at + len(junk) :],
            st.sampled_from(_VALID_LINES),
            st.integers(0, 400),
            st.binary(min_size=1, max_size=5),
        ),
    ),
    max_size=10,
)
_BODIES = st.one_of(
    st.binary(),
    st.builds(
        lambda bom, lines, end: bom + end.join(lines),
        st.sampled_from([b"", b"\xef\xbb\xbf"]),
        _BODY_LINES,
        st.sampled_from([b"\n", b"\r\n", b"\r"]),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_BODIES)
def test_iter_rhs_gives_records_or_errors_for_any_body(body: bytes) -> None:
    results = list(iter_rhs(io.BytesIO(body)))
    assert all(isinstance(r, Rhs | LineError) for r in results)
    assert len(results) <= body.count(b"\n") + 1
    assert [r.line for r in results] == sorted({r.line for r in results})


@settings(max_examples=300, deadline=None)
@given(_BODIES)
def test_batch_parse_gives_rows_or_line_errors_for_any_body(body: bytes) -> None:
    """The batch route's whole parse path (service._parse, what ingest_rhs_file stores), not one line."""
    parsed = rhs_service._parse(io.BytesIO(body))
    assert parsed.lines == len(parsed.rows) + parsed.rejected
    assert all(isinstance(e, LineError) for e in parsed.errors)
    assert len(parsed.errors) == min(parsed.rejected, rhs_service.MAX_STORED_ERRORS)
    assert sum(parsed.formats.values()) == len(parsed.rows)
    for row in parsed.rows:
        # Stored as text and dates: a row must hold a decodable line and a real Monday.
        assert isinstance(row[1], str) and "\x00" not in row[1]
        assert isinstance(row[6], date) and row[6].isoweekday() == 1


_TEXT = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ALL_VERSIONS),
    st.text(alphabet="0123456789ABCDEF", min_size=1, max_size=7),
    _TEXT,
    st.lists(st.text(alphabet="ABCDEFZ0123456789", min_size=3, max_size=8), max_size=12),
)
def test_written_records_parse_back(version: str, stay: str, fppc: str, das: list[str]) -> None:
    rhs = make_rhs(version=version, ssr_stay_number=stay, fppc=fppc, das=das)
    parsed = parse_rhs_line(write_rhs(rhs).encode(), 1)
    assert isinstance(parsed, Rhs)
    _equal_records(parsed, rhs)


def test_rhs_attributes_cover_the_common_fields() -> None:
    for layout in LAYOUTS.values():
        for name in ("finess", "ssr_stay_number", "unit", "week_number", "fppc", "mmp", "ae", "entry_date"):
            assert name in RHS_ATTRIBUTES and layout.field(name) is not None
