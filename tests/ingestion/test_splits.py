"""The numbers of RSS met in more than one group of a file (app.ingestion.splits), pure."""

from __future__ import annotations

import io
from array import array

from app.ingestion import splits
from app.ingestion.writer import write_rss
from tests.ingestion.builders import make_rss


def body(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def rss(n_rums: int, number: str, **overrides: str) -> list[str]:
    return write_rss(make_rss(n_rums, rss_number=number, **overrides))


def test_the_bloom_filter_never_forgets_and_is_capped() -> None:
    bloom = splits.BlockedBloom(10_000)
    keys = [f"{n:09d}" for n in range(10_000)]
    assert sum(bloom.add(key) for key in keys) < 100  # false candidates, about 3 per 1,000
    assert all(bloom.add(key) for key in keys)
    assert bloom.size_bytes == 10_000 * splits.BITS_PER_NUMBER // 8
    # Memory does not grow with the file: a 100 GB file's filter is the cap.
    assert splits.BlockedBloom(100_000_000_000 // splits.MIN_LINE_BYTES).size_bytes == 32 << 20
    assert splits.BlockedBloom(0).size_bytes == 4


def test_a_number_cut_in_parts_names_every_line_of_each() -> None:
    x1 = rss(3, "7001")
    stream = io.BytesIO(body(x1[0], x1[1], *rss(1, "7002"), "   ", x1[2], *rss(2, "7003")))
    found = splits.find_repeated(stream, len(stream.getvalue()))
    assert stream.tell() == 0
    assert found == {"7001": splits.Repeated([array("q", [1, 2]), array("q", [5])], identical=False)}


def test_identical_copies_are_told_from_parts() -> None:
    a = rss(2, "7101")
    found = splits.find_repeated(io.BytesIO(body(*a, *rss(1, "7102"), *a, *rss(1, "7103"), *a)), 10_000)
    assert found == {
        "7101": splits.Repeated([array("q", [1, 2]), array("q", [4, 5]), array("q", [7, 8])], identical=True)
    }
    # Back to back, the copy is one group with the original: not the same lines.
    found = splits.find_repeated(io.BytesIO(body(*a, *rss(1, "7102"), *a, *a)), 10_000)
    assert found == {"7101": splits.Repeated([array("q", [1, 2]), array("q", [4, 5, 6, 7])], identical=False)}


def test_consecutive_lines_and_distinct_numbers_are_no_repeat() -> None:
    lines = [*rss(3, "7201"), *rss(1, "07201"), *rss(1, "7201A"), *rss(2, "7202")]
    assert splits.find_repeated(io.BytesIO(body(*lines)), 10_000) == {}


def test_the_groups_are_those_the_storage_forms() -> None:
    """A line whose number cannot be read is a group of its own (parser.iter_rss): the lines of
    its neighbour on both sides are two groups. A broken line with a readable number belongs to
    its number's group."""
    x1 = rss(2, "7301")
    broken = rss(1, "7301")[0][:100]  # too short, its number still readable
    lines = [x1[0], "garbage", x1[1], *rss(1, "7302"), broken]
    found = splits.find_repeated(io.BytesIO(body(*lines)), 10_000)
    assert found == {
        "7301": splits.Repeated([array("q", [1]), array("q", [3]), array("q", [5])], identical=False)
    }


def test_false_candidates_are_checked_exactly() -> None:
    """With a filter of one word every number is a candidate; the second read keeps the repeats."""
    lines = [*rss(1, "7401"), *rss(1, "7402"), *rss(1, "7403"), *rss(1, "7402")]
    stream = io.BytesIO(body(*lines))
    maybe = splits.candidates(stream, 0)
    assert maybe >= {"7402"}
    stream.seek(0)
    assert splits.repeated_among(stream, {"7401", "7402", "7403"}) == {
        "7402": splits.Repeated([array("q", [2]), array("q", [4])], identical=True)
    }


def test_grouped_lines_and_a_non_ascii_head_give_the_parser_s_number() -> None:
    grouped = rss(1, "7501", version="022", grouped=True)[0]
    latin = rss(1, "7502")[0].encode()
    latin = latin[:2] + b"\xe9" + latin[3:]  # not UTF-8: read as Latin-1, as the parser does
    stream = io.BytesIO(b"\n".join([grouped.encode(), latin, grouped.encode(), latin]) + b"\n")
    assert set(splits.find_repeated(stream, 10_000)) == {"7501", "7502"}
