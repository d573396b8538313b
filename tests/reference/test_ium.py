"""Fichier d'UM: the public DRUIDES sample, round trips, format and referential errors."""

from __future__ import annotations

import csv
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.line_errors import LineError
from app.reference.authorisation_types import AUTHORISATION_TYPES, AuthorisationType, lookup, mode_allowed
from app.reference.ium import IumLine, check_authorisation, check_ium, parse_ium, write_ium
from tests.conftest import shared_file

ZIP = "pmsi_samples/gpmsi/inout/910019447.2024.0.20250130112254.in.zip"


@pytest.fixture(scope="module")
def ium_body() -> bytes:
    with zipfile.ZipFile(shared_file(ZIP)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("ium.txt"))
        return archive.read(name)


def _line(**overrides: object) -> IumLine:
    values: dict[str, object] = {
        "line": 1,
        "unit": "4001",
        "finess_geo": "910001973",
        "auth_type": "29",
        "effect_date_raw": "20122000",
        "effect_date": date(2000, 12, 20),
        "beds": None,
        "hosp_mode": "C",
    }
    values.update(overrides)
    return IumLine(**values)  # type: ignore[arg-type]


def _only_error(body: bytes) -> LineError:
    lines, errors = parse_ium(body)
    assert lines == [] and len(errors) == 1
    return errors[0]


def test_sample_exact_counts(ium_body: bytes) -> None:
    lines, errors = parse_ium(ium_body)
    assert errors == []
    assert len(lines) == 49
    assert len({line.unit for line in lines}) == 49
    assert Counter(line.finess_geo for line in lines) == {"910001973": 31, "910000280": 18}
    assert Counter(line.hosp_mode for line in lines) == {"C": 34, "P": 15}
    assert Counter(line.auth_type for line in lines) == {
        "53": 17,
        "29": 9,
        "28": 5,
        "43": 4,
        "71": 3,
        "03A": 2,
        "70": 2,
        "73": 2,
        "07A": 2,
        "04": 1,
        "01A": 1,
        "61": 1,
    }
    assert sum(line.beds is not None for line in lines) == 14
    assert sum(line.beds or 0 for line in lines) == 71
    assert min(line.effect_date for line in lines if line.effect_date) == date(1998, 4, 21)
    assert check_ium(lines) == []
    assert not any(line.facility_wide for line in lines)


def test_sample_exact_values(ium_body: bytes) -> None:
    lines, _ = parse_ium(ium_body)
    assert lines[0] == _line()
    assert lines[9] == IumLine(10, "4030", "910001973", "01A", "01012005", date(2005, 1, 1), 10, "C")
    assert lines[48] == IumLine(49, "6503", "910000280", "73", "01012007", date(2007, 1, 1), None, "C")
    reanimation = lookup(lines[9].auth_type)
    assert reanimation is not None and reanimation.critical_care == "rea"


def test_sample_round_trips(ium_body: bytes) -> None:
    lines, _ = parse_ium(ium_body)
    assert "\r\n".join(write_ium(line) for line in lines).encode() + b"\r\n" == ium_body


def test_lf_blank_lines_bom_and_short_lines() -> None:
    body = (
        b"\xef\xbb\xbf400191000197329 20122000   C\n"
        b"\n  \n"
        b"$$$$91000197362 01012022\n"
        b"$$$191000197330 01032014    \n"
    )
    lines, errors = parse_ium(body)
    assert errors == []
    assert [(line.line, line.unit, line.auth_type, line.beds, line.hosp_mode) for line in lines] == [
        (1, "4001", "29", None, "C"),
        (4, "$$$$", "62", None, ""),
        (5, "$$$1", "30", None, ""),
    ]
    assert lines[1].facility_wide
    assert check_ium(lines) == []  # facility-wide types need no mode
    assert write_ium(lines[1]) == "$$$$91000197362 01012022    "


def test_latin1_and_trailing_padding() -> None:
    lines, errors = parse_ium("UMÉ 91000197329 20122000   C     ".encode("latin-1"))
    assert errors == [] and lines[0].unit == "UMÉ"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (b"400191000197329 20122000   CX", "line_length", None),
        (b"400191000197329 2012200", "line_length", None),
        (b"    91000197329 20122000   C", "missing_unit", "unit"),
        (b"4001         29 20122000   C", "missing_finess", "finess_geo"),
        (b"4001910001973   20122000   C", "missing_authorisation_type", "auth_type"),
        (b"400191000197329 31022000   C", "invalid_date", "effect_date"),
        (b"400191000197329         0  C", "invalid_date", "effect_date"),
        (b"400191000197329 20122500   C", "date_out_of_range", "effect_date"),
        (b"400191000197329 20121899   C", "date_out_of_range", "effect_date"),
        (b"400191000197329 20122000 A C", "not_numeric", "beds"),
        (b"400191000197329 20122000   H", "unknown_mode", "hosp_mode"),
        (b"400191000197329 2012\x002000C", "control_character", "effect_date"),
    ],
)
def test_format_errors(body: bytes, code: str, field: str | None) -> None:
    error = _only_error(body)
    assert (error.line, error.code, error.field) == (1, code, field)


def test_an_effect_date_outside_1900_2100_is_refused() -> None:
    """A typo (2500 for 2000) was stored: GET /structure then gave an authorisation PUT /structure
    refuses, so the structure could no longer be sent back as read."""
    error = _only_error(b"400191000197329 20122500   C")
    assert error.message == "date d'effet 2500-12-20 is outside the accepted range (1900-01-01 to 2100-12-31)"


def test_a_control_character_is_located() -> None:
    """It was "the line contains a control character", with no column nor field."""
    error = _only_error(b"400191000197329 2012\x002000C")
    assert error.message == "control character 0x00 at column 21 (field effect_date)"


def test_errors_do_not_stop_the_file() -> None:
    body = b"400191000197329 20122000   C\r\ngarbage\r\n400291000197329 20122000005P\r\n"
    lines, errors = parse_ium(body)
    assert [line.line for line in lines] == [1, 3] and lines[1].beds == 5
    assert [(e.line, e.code) for e in errors] == [(2, "line_length")]


def test_referential_checks() -> None:
    assert check_authorisation(_line()) == []
    (unknown,) = check_authorisation(_line(auth_type="99"))
    assert (unknown.code, unknown.field) == ("unknown_authorisation_type", "auth_type")
    (mode,) = check_authorisation(_line(auth_type="21", hosp_mode="C"))
    assert mode.code == "mode_not_allowed"
    (blank,) = check_authorisation(_line(hosp_mode=""))
    assert blank.code == "missing_mode"
    (ended,) = check_authorisation(
        _line(auth_type="72", effect_date=date(2019, 3, 1), effect_date_raw="01032019")
    )
    assert ended.code == "authorisation_ended"
    assert check_authorisation(_line(auth_type="72", effect_date=date(2019, 2, 28))) == []
    duplicate = check_ium([_line(), _line(line=2, auth_type="53")])
    assert [(e.line, e.code) for e in duplicate] == [(2, "duplicate_effect_date")]


def test_authorisation_table() -> None:
    assert len(AUTHORISATION_TYPES) == 67
    assert lookup("01A ") is lookup("01a")
    assert mode_allowed("29", "M") is True and mode_allowed("01A", "P") is False
    assert mode_allowed("30", "C") is True and mode_allowed("XX", "C") is None
    assert {t.code for t in AUTHORISATION_TYPES.values() if t.critical_care == "sc"} == {
        "03A",
        "03B",
        "14A",
        "14B",
    }
    assert not lookup("24C").confirmed  # type: ignore[union-attr]


def test_refpmsi_codes_are_unconfirmed_full_hospitalisation() -> None:
    reform = [t for t in AUTHORISATION_TYPES.values() if not t.confirmed]
    assert len(reform) == 18 and all(t.modes == frozenset("C") and t.ended_on is None for t in reform)
    assert AUTHORISATION_TYPES["07C"] == AuthorisationType(
        "07C", "UHCD des antennes de médecine d'urgence", frozenset("C"), "Urgences", None, confirmed=False
    )
    assert (AUTHORISATION_TYPES["13G"].discipline, AUTHORISATION_TYPES["13G"].critical_care) == (
        "Médecine",
        "rea",
    )
    assert {t.critical_care for t in reform if t.code not in ("07C", "13G")} == {"si"}


def test_authorisation_table_matches_the_shared_referential() -> None:
    """Every code of the ATIH-derived referential is known, with the same hospitalisation modes."""
    modes = {"HC": frozenset("C"), "HP": frozenset("P"), "HP /HC /mixte": frozenset("CPM")}
    path = shared_file("nomenclatures/mco_types_autorisation_um.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 45
    for row in rows:
        ours = lookup(row["code_um"])
        assert ours is not None, row["code_um"]
        if row["code_um"] == "20":
            # GENRSA 2022 §5.6.1 allows HC and HP for the burns units; the referential says HC only.
            assert ours.modes == frozenset("CP")
        else:
            assert ours.modes == modes[row["type_hospitalisation"]], row["code_um"]
        flagged = "rea" if row["flag_rea"] else "si" if row["flag_si"] else "sc" if row["flag_sc"] else None
        assert ours.critical_care == flagged, row["code_um"]


def test_writer() -> None:
    assert write_ium(_line(beds=6, hosp_mode="P")) == "400191000197329 20122000006P"
    assert write_ium(_line(effect_date=None, effect_date_raw="01012022")) == "400191000197329 01012022   C"
    with pytest.raises(ValueError, match="unit"):
        write_ium(_line(unit="40011"))
    with pytest.raises(ValueError, match="beds"):
        write_ium(_line(beds=1000))
    with pytest.raises(ValueError, match="beds"):
        write_ium(_line(beds=-1))


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="0123456789ABCDEF$", min_size=1, max_size=4),
    st.sampled_from(sorted(AUTHORISATION_TYPES)),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    st.none() | st.integers(min_value=0, max_value=999),
    st.sampled_from(["C", "P", "M", ""]),
)
def test_round_trip(unit: str, auth_type: str, effect: date, beds: int | None, mode: str) -> None:
    line = _line(
        unit=unit,
        auth_type=auth_type,
        effect_date=effect,
        effect_date_raw=effect.strftime("%d%m%Y"),
        beds=beds,
        hosp_mode=mode,
    )
    lines, errors = parse_ium(write_ium(line).encode())
    assert errors == [] and lines == [line]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(body: bytes) -> None:
    lines, errors = parse_ium(body)
    assert all(isinstance(line, IumLine) for line in lines) and all(isinstance(e, LineError) for e in errors)
    for line in lines:
        write_ium(line)
        replace(line)
