"""The fixed-width toolkit (app/core/fixedwidth): fields and derived layouts, lines, decoding,
padding, hashes. The formats built on it (RUM/RSS, RHS, IUM, RSA/TRA) are tested with their readers."""

from __future__ import annotations

import hashlib
import io

import pytest

from app.core.fixedwidth.digest import bytes_sha256, lines_hash, stream_sha256
from app.core.fixedwidth.fields import Field, Kind, check_contiguous, contiguous, derive, field_covering
from app.core.fixedwidth.text import MAX_LINE_BYTES, decode_line, iter_lines, pad

A, N = Kind.ALPHA, Kind.NUMERIC
V1 = (Field("finess", 1, 9), Field("version", 10, 3), Field("number", 13, 7), Field("count", 20, 2, N))


class TestField:
    def test_positions_are_atih_ones(self) -> None:
        item = Field("number", 13, 7)
        assert (item.end, item.slice(), item.slice(10)) == (19, slice(12, 19), slice(22, 29))
        assert "0123456789ABCDEFGHIJKLMNOP"[item.slice()] == "CDEFGHI"
        assert item.shifted(2) == Field("number", 15, 7) and item.at(1) == Field("number", 1, 7)

    def test_kind_values_are_the_atih_letters(self) -> None:
        assert (Kind.ALPHA.value, Kind.NUMERIC.value, Field("x", 1, 1).kind) == ("A", "N", Kind.ALPHA)

    def test_field_covering_a_column(self) -> None:
        assert field_covering(V1, 12) == V1[1]
        assert field_covering(V1, 13) == V1[2]
        assert field_covering(V1, 22) is None

    def test_contiguous_lays_a_zone_end_to_end(self) -> None:
        assert contiguous([("code", 7, A), ("count", 2, N)]) == (Field("code", 1, 7), Field("count", 8, 2, N))
        assert contiguous([("code", 8, A)], start=30) == (Field("code", 30, 8),)

    def test_check_contiguous_refuses_a_gap_or_an_overlap(self) -> None:
        check_contiguous(V1, "v1")
        with pytest.raises(RuntimeError, match="layout v1: field number starts at 14, expected 13"):
            check_contiguous((V1[0], V1[1], Field("number", 14, 7)), "v1")
        with pytest.raises(RuntimeError, match="field version starts at 9, expected 10"):
            check_contiguous((V1[0], Field("version", 9, 3)), "v1")


class TestDerive:
    def test_append_keeps_the_base(self) -> None:
        assert derive(V1, append=(Field("flag", 22, 1),)) == (*V1, Field("flag", 22, 1))

    def test_a_wider_field_shifts_the_later_ones(self) -> None:
        v2 = derive(V1, replace={"number": (Field("number", 13, 8),)})
        assert v2 == (V1[0], V1[1], Field("number", 13, 8), Field("count", 21, 2, N))

    def test_insert_after_and_replace_by_several_or_none(self) -> None:
        v2 = derive(
            V1,
            replace={"finess": (Field("filler", 1, 2), Field("finess", 3, 9)), "version": ()},
            insert_after={"number": (Field("kind", 0, 1),)},  # 0: no documented start
        )
        assert v2 == (
            Field("filler", 1, 2), Field("finess", 3, 9), Field("number", 12, 7), Field("kind", 19, 1),
            Field("count", 20, 2, N),
        )  # fmt: skip

    def test_a_documented_start_is_checked_where_the_field_lands(self) -> None:
        with pytest.raises(ValueError, match="derive: flag is documented at 23 but lands at 22"):
            derive(V1, append=(Field("flag", 23, 1),))

    def test_an_unknown_field_is_refused(self) -> None:
        with pytest.raises(ValueError, match="derive: no field nope, other in the base layout"):
            derive(V1, replace={"nope": ()}, insert_after={"other": ()})


class TestText:
    def test_decode_line_utf8_else_latin1(self) -> None:
        assert decode_line("Éa".encode()) == "Éa"
        assert decode_line("Éa".encode("latin-1")) == "Éa"
        assert decode_line(b"\xc3") == "Ã"

    def test_iter_lines_numbers_every_physical_line(self) -> None:
        body = b"\xef\xbb\xbfa\r\n\n  \r\nb\nc"
        assert list(iter_lines(io.BytesIO(body))) == [(1, b"a"), (4, b"b"), (5, b"c")]
        assert list(iter_lines((body,))) == [(1, b"a"), (4, b"b"), (5, b"c")]

    def test_iter_lines_last_line_terminated_or_not(self) -> None:
        # The last line goes through the same checks (CR, BOM, blank, bound) with or without a line end.
        assert list(iter_lines([b"\xef\xbb\xbfa\r"])) == list(iter_lines([b"a\r\n"])) == [(1, b"a")]
        assert list(iter_lines([b"a\n", b"b\r"])) == [(1, b"a"), (2, b"b")]
        assert list(iter_lines([b"a\n", b"  \r"])) == list(iter_lines([b"a\n\n"])) == [(1, b"a")]
        (_, (number, raw)) = iter_lines([b"a\n", b"x" * (MAX_LINE_BYTES + 10)])
        assert (number, len(raw)) == (2, MAX_LINE_BYTES + 1)

    def test_iter_lines_bounds_a_line(self) -> None:
        ((number, raw),) = iter_lines([b"x" * (MAX_LINE_BYTES + 10)])
        assert (number, len(raw)) == (1, MAX_LINE_BYTES + 1)

    def test_pad_follows_the_atih_rule(self) -> None:
        assert pad("12", 4, N, "count") == "0012"
        assert pad("AB", 4, A, "code") == "AB  "
        assert pad("", 3, N, "count") == "   "  # absent stays absent
        assert pad("1a", 4, N, "count") == "  1a"  # test data for the rules: not refused
        assert pad("²", 2, N, "count") == " ²"  # a digit, but not an ASCII one

    def test_pad_never_shows_a_value_too_long(self) -> None:
        with pytest.raises(ValueError, match=r"^birth_date: 9 characters do not fit in 8$"):
            pad("010119801", 8, A, "birth_date")


class TestDigest:
    def test_stream_sha256_rewinds(self) -> None:
        stream = io.BytesIO(b"abc")
        assert stream_sha256(stream) == (hashlib.sha256(b"abc").hexdigest(), 3)
        assert stream.read() == b"abc"
        assert bytes_sha256(b"abc") == hashlib.sha256(b"abc").hexdigest()

    def test_lines_hash_joins_with_lf(self) -> None:
        assert lines_hash(["a", "É"]) == hashlib.sha256("a\nÉ".encode()).hexdigest()
