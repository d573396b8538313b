"""RSS parser: public samples (read from ../shared/data at test time), structural errors, streaming."""

from __future__ import annotations

import io
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import MISSING, fields, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.line_errors import LineError
from app.ingestion.parser import (
    ENCODING_NOTE,
    MAX_LINE_BYTES,
    RssResult,
    iter_lines,
    iter_records,
    iter_rss,
    parse_line,
    rss_number_of_line,
)
from app.ingestion.records import Act, Rum
from app.ingestion.writer import write_rum
from tests.conftest import shared_file
from tests.ingestion.builders import make_act, make_rss, make_rum

SAMPLE_017 = Path("pmsi_samples/gpmsi/in/t01rss017.txt")
SAMPLE_122 = Path("pmsi_samples/gpmsi/inout/RSS_test.txt")


def read_sample(relative: Path) -> bytes:
    return shared_file(relative).read_bytes()


def parse_bytes(data: bytes) -> list[Rum | LineError]:
    return list(iter_records(io.BytesIO(data)))


def rums_of(data: bytes) -> list[Rum]:
    items = parse_bytes(data)
    assert all(isinstance(item, Rum) for item in items), [i for i in items if isinstance(i, LineError)]
    return [item for item in items if isinstance(item, Rum)]


def only_error(raw: bytes | str, line_no: int = 1) -> LineError:
    result = parse_line(raw.encode() if isinstance(raw, str) else raw, line_no)
    assert isinstance(result, LineError), result
    return result


def set_at(line: str, start: int, value: str) -> str:
    """Overwrite `line` at 1-based `start` with `value`."""
    return line[: start - 1] + value + line[start - 1 + len(value) :]


# ---------------------------------------------------------------------------------------------
# Public sample, RUM 017 (CRLF, space-padded counters and act counts)


def test_sample_017_all_lines_parse() -> None:
    data = read_sample(SAMPLE_017)
    assert b"\r\n" in data
    rums = rums_of(data)
    assert [rum.line for rum in rums] == list(range(1, 11))
    assert Counter(rum.format_code for rum in rums) == {"017": 10}
    assert {rum.finess for rum in rums} == {"910019447"}
    assert [len(rum.das) for rum in rums] == [2, 1, 0, 4, 5, 5, 3, 1, 4, 8]
    assert [len(rum.acts) for rum in rums] == [0, 2, 4, 1, 4, 0, 3, 0, 0, 0]
    assert all(rum.dads == [] and not rum.grouped and rum.ghm == "" for rum in rums)
    results = list(iter_rss(rums))
    assert len(results) == 10 and all(result.accepted for result in results)


def test_sample_017_field_values() -> None:
    rums = rums_of(read_sample(SAMPLE_017))
    first = rums[0]
    assert first.version == "017"
    assert first.rss_number == "00000000000000000067"
    assert first.admin_number == "000000001"
    assert first.unit == "6201"
    assert first.dedicated_bed == ""
    assert (first.entry_date, first.entry_mode, first.provenance) == ("31122016", "8", "5")
    assert (first.exit_date, first.exit_mode, first.destination) == ("01012017", "8", "")
    assert first.newborn_weight == ""
    assert first.gestational_age == "0"  # written ' 0': space-padded numerics are stored stripped
    assert first.seances == "0"
    assert (first.dp, first.dr, first.igs2) == ("A083", "", "")
    assert first.das == ["J108", "E86"]
    assert first.acts == []
    assert first.extra == {"ivg_count": "00", "ivg_prev_year": "0000", "live_births": "00", "reserved": ""}

    second = rums[1]
    assert (second.dp, second.das) == ("K402", ["C61"])
    assert second.acts == [
        Act(date="03012017", code="LMMA012", phase="0", activity="1", exceptional_refund="N", count="1"),
        Act(
            date="03012017",
            code="LMMA012",
            phase="0",
            activity="4",
            doc_extension="3",
            exceptional_refund="N",
            count="1",
        ),
    ]

    third = rums[2]
    assert third.dp == "Q530"
    assert [(a.code, a.activity, a.doc_extension, a.unplanned_association, a.count) for a in third.acts] == [
        ("JHDA001", "1", "", "1", "1"),
        ("JHDA001", "4", "1", "1", "1"),
        ("JHDA001", "1", "", "2", "1"),
        ("JHDA001", "4", "1", "2", "1"),
    ]

    fourth = rums[3]
    assert (fourth.dp, fourth.gestational_age, fourth.exit_date) == ("O800", "37", "12012017")
    assert fourth.das == ["Z3908", "Z391", "Z300", "Z370"]
    assert fourth.acts[0].code == "JQGD012"
    assert fourth.acts[0].modifiers == "A"

    sixth = rums[5]
    assert (sixth.exit_mode, sixth.destination, sixth.igs2) == ("7", "1", "38")
    assert rums[9].das == ["R630", "R11", "R628", "R05", "H659", "S0600", "S008", "W2909"]


def test_sample_017_same_result_with_lf() -> None:
    data = read_sample(SAMPLE_017)
    assert rums_of(data.replace(b"\r\n", b"\n")) == rums_of(data)


# ---------------------------------------------------------------------------------------------
# Public sample, RSS groupé 122


def test_sample_122() -> None:
    (rum,) = rums_of(read_sample(SAMPLE_122))
    assert rum.grouped
    assert (rum.version, rum.format_code) == ("022", "122")
    assert (rum.classification_version, rum.ghm, rum.cmd) == ("11", "04M143", "04")
    assert rum.return_code == ""  # blank in the file
    assert (rum.finess, rum.rss_number, rum.rum_number) == ("910019447", "308461", "360441")
    assert (rum.unit, rum.entry_date, rum.entry_mode) == ("4002", "30112023", "8")
    assert (rum.exit_date, rum.exit_mode, rum.destination) == ("03012024", "7", "2")
    assert (rum.seances, rum.igs2, rum.gestational_age) == ("00", "000", "")
    assert rum.dp == "J841"
    assert rum.das == [
        "E058", "E43", "E86", "F067", "F322", "F419", "I10", "I456", "J189", "J91", "R001", "R060", "R090",
        "R091", "R268", "R32", "R508", "R53+2", "R634", "R64", "Z138", "Z290", "E8758", "E8768", "I5009",
        "U0712",
    ]  # fmt: skip
    assert len(rum.das) == 26
    assert rum.dads == ["F321", "F99"]
    assert rum.acts == [
        Act(date="30112023", code="GEQE007", extension="-00", phase="0", activity="1", count="01"),
        Act(date="30112023", code="YYYY600", extension="-00", phase="0", activity="1", count="01"),
        Act(
            date="30112023",
            code="ZZQH033",
            extension="-00",
            phase="0",
            activity="1",
            modifiers="Z",
            count="01",
        ),
    ]
    assert rum.extra["conversion_hc"] == "2"
    assert rum.extra["non_programmed"] == "2"
    assert rum.extra["emergency"] == ""
    (result,) = iter_rss([rum])
    assert result.rss is not None and result.rss.ghm == "04M143"


# ---------------------------------------------------------------------------------------------
# Structural errors


def test_every_version_parses_grouped_and_not() -> None:
    for version in ("016", "017", "018", "019", "020", "021", "022", "023"):
        for grouped in (False, True):
            rum = make_rum(version=version, grouped=grouped)
            assert parse_line(write_rum(rum).encode(), 1) == rum


def test_truncated_line() -> None:
    line = write_rum(make_rum(rss_number="77"))
    error = only_error(line[:150])
    assert (error.code, error.line, error.rss_number, error.fg_code) == ("line_length", 1, "77", "C059")
    assert "shorter than the fixed part" in error.message
    cut = only_error(line[:20])
    assert (cut.code, cut.field, cut.rss_number) == ("line_length", "rss_number", None)
    assert cut.message.endswith(", cut before the end of its N° de RSS")
    error = only_error("91001")
    assert error == LineError(
        1,
        None,
        "line_length",
        "line of 5 characters is too short to hold a RUM (format code at positions 10-12)",
        None,
        "C059",
    )


def test_counters_disagreeing_with_content() -> None:
    rum = make_rum(das=["A01", "B02"], acts=[])
    line = set_at(write_rum(rum), 119, "03")  # nDA says 3, two DA present
    error = only_error(line, 5)
    assert error == LineError(
        5,
        None,
        "line_length",
        "format 022 with nDA=3, nDAD=0, nZA=0 expects 201 characters, got 193",
        "1000001",
        "C059",  # FG C059 also fires when the length is not the formula's (pmsi-formats.md §2.5)
    )
    error = only_error(set_at(write_rum(make_rum()), 123, "002"))  # one act zone missing
    assert (error.code, error.fg_code) == ("line_length", "C059")


@pytest.mark.parametrize(
    ("counters", "field", "fg_code"),
    [
        ("A2" + "00" + "001", "n_da", "C056"),  # FG: nombre de DA ou de DAD non numérique
        ("  " + "00" + "001", "n_da", "C055"),  # FG: nombre de DA ou de DAD absent
        ("01" + "0x" + "001", "n_dad", "C056"),
        ("01" + "  " + "001", "n_dad", "C055"),
        ("01" + "00" + "x01", "n_za", "C058"),  # FG: nombre de zones d'actes non numérique
        ("01" + "00" + "   ", "n_za", "C057"),  # FG: nombre de zones d'actes absent
    ],
)
def test_non_numeric_counter(counters: str, field: str, fg_code: str) -> None:
    error = only_error(set_at(write_rum(make_rum()), 119, counters))
    assert (error.code, error.field, error.fg_code) == ("not_numeric", field, fg_code)
    assert error.rss_number == "1000001"


def test_counter_error_in_full() -> None:
    error = only_error(set_at(write_rum(make_rum()), 119, "01" + "  " + "001"), 7)
    assert error == LineError(
        7, "n_dad", "not_numeric", "counter n_dad (positions 121-122) is not numeric: '  '", "1000001", "C055"
    )
    grouped = only_error(set_at(write_rum(make_rum(grouped=True)), 134, "0100x01"))
    assert grouped == LineError(
        1, "n_za", "not_numeric", "counter n_za (positions 138-140) is not numeric: 'x01'", "1000001", "C058"
    )


def test_space_padded_counters_are_accepted() -> None:
    rum = make_rum(das=["A01", "B02"], dads=["C03"], acts=[make_act(), make_act(code="ZZQK002")])
    line = set_at(write_rum(rum), 119, " 2 1  2")
    assert parse_line(line.encode(), 1) == rum
    grouped = make_rum(grouped=True)
    assert parse_line(set_at(write_rum(grouped), 134, " 1 0  1").encode(), 1) == grouped


def test_non_structural_problems_are_kept_as_text() -> None:
    rum = make_rum(entry_date="31022024", entry_mode="X", seances="AB", dp="???", birth_date="")
    parsed = parse_line(write_rum(rum).encode(), 1)
    assert parsed == rum


@pytest.mark.parametrize("code", ["024", "015", "115", "124", "ABC", "   "])
def test_unknown_format(code: str) -> None:
    error = only_error(set_at(write_rum(make_rum(rss_number="55")), 10, code))
    assert (error.code, error.field, error.fg_code) == ("unknown_format", "version", "C059")
    assert repr(code) in error.message
    assert error.rss_number == ("55" if code[0] in "01" else None)


def test_unknown_grouped_format_reads_the_shifted_rss_number() -> None:
    line = set_at(write_rum(make_rum(grouped=True, rss_number="55")), 10, "115")
    assert only_error(line).rss_number == "55"


def test_inconsistent_grouped_and_rum_versions() -> None:
    line = set_at(write_rum(make_rum(grouped=True)), 25, "021")
    error = only_error(line)
    assert (error.code, error.field, error.rss_number) == ("version_mismatch", "version", "1000001")
    assert error.fg_code is None  # no FG control is this check (README, structural errors)
    assert "122" in error.message and "'021'" in error.message


def test_missing_rss_number() -> None:
    line = set_at(write_rum(make_rum()), 13, " " * 20)
    error = only_error(line, 3)
    assert (error.code, error.field, error.line, error.rss_number, error.fg_code) == (
        "missing_rss_number",
        "rss_number",
        3,
        None,
        "C011",
    )


def test_control_characters() -> None:
    line = write_rum(make_rum())
    error = only_error(set_at(line, 127, "\t"))
    assert (error.code, error.field, error.fg_code) == ("invalid_character", "dp", None)
    assert error.message == "control character 0x09 at column 127 (field dp)"
    assert error.rss_number == "1000001"
    error = only_error(set_at(line, 180, "\x00"))  # in the first DA
    assert (error.code, error.field) == ("invalid_character", "das[0]")
    assert only_error(set_at(line, 50, "\x7f")).field == "admin_number"
    assert only_error(line + "\x1a").code == "invalid_character"
    assert only_error("\x0c" * 30).field is None
    assert "invalid_character" in ENCODING_NOTE


def test_binary_garbage_line() -> None:
    garbage = bytes(range(256)) * 2
    assert only_error(garbage).code == "invalid_character"
    assert only_error(b"\xff\xfe\x00\x01" * 60).code == "invalid_character"
    assert only_error(b"\xff\xfe\xfd" * 80).code == "unknown_format"


def test_latin1_and_utf8_bytes_in_a_field() -> None:
    rum = make_rum(innovation_number="ESSAI-É-ç", dp="J189")
    line = write_rum(rum)
    assert parse_line(line.encode("utf-8"), 1) == rum  # é is 2 bytes in UTF-8: still one column
    assert parse_line(line.encode("latin-1"), 1) == rum  # invalid UTF-8: Latin-1 fallback
    # Bytes 0x80-0x9F of a line that is not UTF-8 (a Windows-1252 "€") are the undecodable ones:
    # Latin-1 reads them as C1 control codes, reported like the other control characters.
    cp1252 = set_at(line, 148, "N°€").encode("cp1252")
    error = only_error(cp1252)
    assert (error.code, error.field, error.fg_code) == ("invalid_character", "innovation_number", None)
    assert error.message == "control character 0x80 at column 150 (field innovation_number)"
    # The same code point written in UTF-8 is refused too, and the writer never writes it.
    assert only_error(set_at(line, 148, "N°\x85").encode("utf-8")).code == "invalid_character"
    with pytest.raises(ValueError, match="control character 0x9C in field innovation_number"):
        write_rum(make_rum(innovation_number="\x9c"))


def test_non_breaking_space_is_data_not_padding() -> None:
    rum = make_rum(innovation_number="A\u00a0")
    parsed = parse_line(write_rum(rum).encode(), 1)
    assert isinstance(parsed, Rum) and parsed.innovation_number == "A\u00a0"


def test_trailing_cr_is_tolerated_by_parse_line() -> None:
    rum = make_rum()
    assert parse_line(write_rum(rum).encode() + b"\r", 1) == rum


# ---------------------------------------------------------------------------------------------
# Record length leniency


def test_line_trimmed_inside_its_last_field_is_accepted() -> None:
    rum = make_rum(das=["I10", "R11"], acts=[])
    line = write_rum(rum)
    assert line.endswith("R11     ")
    assert parse_line(line.rstrip(" ").encode(), 1) == rum
    grouped = make_rum(grouped=True, das=["I10"], dads=["Z915"], acts=[])
    assert parse_line(write_rum(grouped).rstrip(" ").encode(), 1) == grouped


def test_line_trimmed_beyond_its_last_field_is_rejected() -> None:
    line = write_rum(make_rum(das=["I10", "R11"], acts=[]))
    assert only_error(line[:-8]).code == "line_length"  # the whole last DA is missing
    assert only_error(line[:-3]).code == "line_length"  # ends with a space: not a trimmed line
    no_variable_part = write_rum(make_rum(das=[], acts=[]))
    assert only_error(no_variable_part.rstrip(" ")).code == "line_length"  # shorter than the fixed part


def test_trailing_spaces_beyond_the_record_are_accepted() -> None:
    rum = make_rum()
    assert parse_line((write_rum(rum) + " " * 300).encode(), 1) == rum
    error = only_error(write_rum(rum) + "   X")
    assert error.code == "line_length"


# ---------------------------------------------------------------------------------------------
# Lines and streaming


def test_iter_lines_lf_crlf_blank_lines_and_numbering() -> None:
    data = b"a\r\n\r\nb\n   \n\t\nc\r\n\nd"
    assert list(iter_lines(io.BytesIO(data))) == [(1, b"a"), (3, b"b"), (6, b"c"), (8, b"d")]
    assert list(iter_lines(io.BytesIO(b""))) == []
    assert list(iter_lines(io.BytesIO(b"\n\n"))) == []
    assert list(iter_lines([b"x\n"])) == [(1, b"x")]


def test_iter_lines_bom() -> None:
    assert list(iter_lines([b"\xef\xbb\xbfabc\n", b"\xef\xbb\xbfdef"])) == [
        (1, b"abc"),
        (2, b"\xef\xbb\xbfdef"),
    ]


def test_iter_lines_chunk_boundaries() -> None:
    data = b"line one\r\nline two\n\nline three\r\n"
    expected = [(1, b"line one"), (2, b"line two"), (4, b"line three")]
    assert list(iter_lines([bytes([byte]) for byte in data])) == expected
    assert list(iter_lines([data[:9], data[9:10], data[10:]])) == expected  # CR | LF split


@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=300), max_size=6))
def test_iter_lines_does_not_depend_on_chunking(data: bytes, cuts: list[int]) -> None:
    bounds = sorted({0, len(data), *(min(cut, len(data)) for cut in cuts)})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    assert list(iter_lines(chunks)) == list(iter_lines([data]))


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)


def test_file_objects_are_read_in_bounded_chunks() -> None:
    rss = make_rss(3)
    data = b"".join(write_rum(rum).encode() + b"\r\n" for rum in rss.rums) * 400
    reader = CountingReader(data)
    items = list(iter_records(reader))
    assert len(items) == 1200 and all(isinstance(item, Rum) for item in items)
    assert len(reader.sizes) > 1 and all(0 < size <= 1 << 16 for size in reader.sizes)


def test_iteration_is_lazy() -> None:
    line = write_rum(make_rum()).encode() + b"\n"

    def endless() -> Iterator[bytes]:
        while True:
            yield line

    first = list(itertools.islice(iter_records(endless()), 5))
    assert [item.line for item in first] == [1, 2, 3, 4, 5]


def test_overlong_line_is_cut_and_rejected() -> None:
    good = write_rum(make_rum(rss_number="9")).encode()
    data = b"x" * (3 * MAX_LINE_BYTES) + b"\n" + good + b"\n" + b"y" * (2 * MAX_LINE_BYTES)
    lines = list(iter_lines(io.BytesIO(data)))
    assert [(number, len(raw)) for number, raw in lines] == [
        (1, MAX_LINE_BYTES + 1),
        (2, len(good)),
        (3, MAX_LINE_BYTES + 1),
    ]
    items = [parse_line(raw, number) for number, raw in lines]
    assert isinstance(items[0], LineError) and isinstance(items[1], Rum) and isinstance(items[2], LineError)


# ---------------------------------------------------------------------------------------------
# RSS grouping


def encode(rums: list[Rum]) -> bytes:
    return b"".join(write_rum(rum).encode() + b"\r\n" for rum in rums)


def renumber(rums: list[Rum], start: int) -> list[Rum]:
    return [replace(rum, line=start + index) for index, rum in enumerate(rums)]


def test_rss_grouping_and_atomic_rejection() -> None:
    first = renumber(make_rss(2, rss_number="A1").rums, 1)
    second = renumber(make_rss(3, rss_number="B2").rums, 3)
    third = renumber(make_rss(1, rss_number="C3").rums, 6)
    lines = [write_rum(rum) for rum in [*first, *second, *third]]
    lines[3] = set_at(lines[3], 119, "09")  # 2nd RUM of B2: counters disagree with the content
    data = "\n".join(lines).encode()

    results = list(iter_rss(iter_records(io.BytesIO(data))))
    assert [(r.rss_number, r.accepted, r.lines) for r in results] == [
        ("A1", True, [1, 2]),
        ("B2", False, [3, 4, 5]),
        ("C3", True, [6]),
    ]
    assert results[0].rss is not None and results[0].rss.rums == first
    assert results[2].rss is not None and results[2].rss.rums == third
    rejected = results[1]
    assert rejected.rss is None
    assert [(e.line, e.code, e.rss_number) for e in rejected.errors] == [(4, "line_length", "B2")]


def test_every_problem_of_a_rejected_rss_is_listed() -> None:
    rums = renumber(make_rss(3, rss_number="X").rums, 1)
    lines = [write_rum(rum) for rum in rums]
    lines[0] = set_at(lines[0], 119, "AA")
    lines[2] = set_at(lines[2], 10, "024")
    (result,) = iter_rss(iter_records([("\n".join(lines)).encode()]))
    assert result.rss is None and result.rss_number == "X" and result.lines == [1, 2, 3]
    assert [(e.line, e.code) for e in result.errors] == [(1, "not_numeric"), (3, "unknown_format")]


def test_a_line_cut_in_its_rss_number_is_rejected_with_the_rss_before_it() -> None:
    """A transfer cut inside the N° de RSS of the last line: the RSS before it used to be accepted
    without that RUM, replacing its stored version by one RUM short."""
    a = renumber(make_rss(3, rss_number="A1").rums, 1)
    lines = [write_rum(rum) for rum in a]
    data = ("\n".join([*lines[:2], lines[2][:25]]) + "\n").encode() + encode(
        renumber(make_rss(1, rss_number="B2").rums, 4)
    )
    results = list(iter_rss(iter_records(io.BytesIO(data))))
    assert [(r.rss_number, r.accepted, r.lines) for r in results] == [
        ("A1", False, [1, 2, 3]),
        ("B2", True, [4]),
    ]
    assert [(e.line, e.field, e.code, e.rss_number) for e in results[0].errors] == [
        (3, "rss_number", "line_length", "A1")
    ]
    # Too short to hold a format code, a line is not read as a RUM: a group of its own, as before.
    data = encode(a[:1]) + b"91001\n"
    assert [(r.rss_number, r.accepted) for r in iter_rss(iter_records(io.BytesIO(data)))] == [
        ("A1", True),
        (None, False),
    ]


def test_error_without_rss_number_is_its_own_group() -> None:
    a = renumber(make_rss(1, rss_number="A").rums, 1)
    b = renumber(make_rss(2, rss_number="A").rums, 3)  # same number again after the broken line
    data = encode(a) + b"garbage\r\n" + encode(b)
    results = list(iter_rss(iter_records(io.BytesIO(data))))
    assert [(r.rss_number, r.accepted, r.lines) for r in results] == [
        ("A", True, [1]),
        (None, False, [2]),
        ("A", True, [3, 4]),
    ]
    assert results[1].errors[0].code == "line_length"


def test_formats_counter() -> None:
    rums = [
        *renumber(make_rss(2, rss_number="1").rums, 1),
        *renumber(make_rss(1, rss_number="2", grouped=True).rums, 3),
        *renumber(make_rss(1, rss_number="3", version="021").rums, 4),
    ]
    parsed = rums_of(encode(rums))
    assert Counter(rum.format_code for rum in parsed) == {"022": 2, "122": 1, "021": 1}


def test_rss_result_shape() -> None:
    result = RssResult(None)
    assert (result.errors, result.lines, result.rss_number, result.accepted) == ([], [], None, False)


# ---------------------------------------------------------------------------------------------
# Robustness


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    results = list(iter_rss(iter_records([data])))
    non_blank = [number for number, _ in iter_lines([data])]
    assert sorted(number for result in results for number in result.lines) == non_blank
    for result in results:
        assert result.accepted == (not result.errors)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=255)),
        max_size=4,
    ),
    st.booleans(),
)
def test_corrupted_valid_lines_never_raise(edits: list[tuple[int, int]], grouped: bool) -> None:
    raw = bytearray(write_rum(make_rum(grouped=grouped, das=["I10", "E119"], dads=["Z915"])).encode())
    for position, byte in edits:
        if position < len(raw):
            raw[position] = byte
    result = parse_line(bytes(raw), 1)
    assert isinstance(result, Rum | LineError)
    assert list(iter_rss([result]))


@pytest.mark.parametrize("record", [Act, Rum])
def test_written_out_constructors_take_every_field_in_declaration_order(record: type) -> None:
    """Act and Rum spell out their __init__ (faster compiled): it must stay the dataclass's."""
    declared = fields(record)
    distinct = [{"x": str(i)} if f.name == "extra" else [str(i)] if f.name in ("das", "dads", "acts")
                else True if f.default is False else i if f.default == 0 else f"v{i}"
                for i, f in enumerate(declared)]  # fmt: skip
    built = record(*distinct)
    assert [getattr(built, f.name) for f in declared] == distinct
    assert record(**{f.name: value for f, value in zip(declared, distinct, strict=True)}) == built
    empty = record()
    for item in declared:
        expected = item.default_factory() if item.default is MISSING else item.default  # type: ignore[misc]
        assert getattr(empty, item.name) == expected, item.name
    assert record() == record()


@pytest.mark.parametrize(
    "raw",
    [
        write_rum(make_rum(rss_number="8001")).encode(),
        write_rum(make_rum(rss_number="8002", version="022", grouped=True)).encode(),
        write_rum(make_rum(rss_number="8003")).encode()[:40],  # broken, number readable
        write_rum(make_rum(rss_number="8004")).encode()[:20],  # number unreadable
        write_rum(make_rum(rss_number="80é5")).encode(),  # UTF-8 in the number
        "é".encode() + write_rum(make_rum(rss_number="8006")).encode()[1:],  # UTF-8 before it
        b"\xe9" + write_rum(make_rum(rss_number="8007")).encode()[1:],  # Latin-1 before it
        write_rum(make_rum(rss_number="8008")).encode().replace(b"8008", b"80\x0008", 1),
        write_rum(make_rum(rss_number="8009")).encode()[:100] + b"\xff",  # not UTF-8 after it
    ],
)
def test_rss_number_of_a_raw_line_is_the_one_lines_are_grouped_by(raw: bytes) -> None:
    """The blocks and the search for split RSS (app.ingestion.splits) read it without parsing."""
    parsed = parse_line(raw, 1)
    assert rss_number_of_line(raw) == parsed.rss_number
