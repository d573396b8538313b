"""The storage fast path (app.ingestion.rows.rows) agrees with the records' own properties."""

from __future__ import annotations

import pytest

from app.ingestion import rows
from app.ingestion.records import Rss
from tests.ingestion.builders import make_rss, make_rum

CASES = [
    make_rss(1),
    make_rss(3),
    make_rss(1, days_per_rum=0),  # zero day
    make_rss(2, days_per_rum=0),
    make_rss(1, grouped=True, ghm="28Z07Z", days_per_rum=0, seances="01", dp="Z511", dr="C509"),
    make_rss(1, grouped=True, ghm="04M051", days_per_rum=0),
    make_rss(1, seances="01", days_per_rum=0),  # ungrouped séance
    make_rss(1, seances="03"),
    make_rss(1, seances="x1"),  # not numeric: no séance
    make_rss(1, days_per_rum=0, entry_date="31022024", exit_date="31022024"),  # not a date
    make_rss(1, days_per_rum=0, entry_date="", exit_date=""),
    make_rss(1, exit_date="04032024"),
    Rss("1000001", [make_rum(entry_date="04032024", exit_date="04032024", grouped=True, ghm="")]),
]


@pytest.mark.parametrize("rss", CASES, ids=range(len(CASES)))
def test_rows_match_the_record_properties(rss: Rss) -> None:
    assert rows.care_type(rss, rss.seances) == rss.care_type
    texts = [f"line {rum.line}" for rum in rss.rums]
    version_line, rum_lines = rows.rows(17, 3, rss, texts, "h")
    version = version_line.rstrip("\n").split("\t")
    assert version[0] == "17" and version[2] == "3"
    assert version[10] == rss.care_type
    assert version[15] == str(rss.seances)
    lines = rum_lines.rstrip("\n").split("\n")
    assert len(lines) == len(rss.rums)
    for position, (row, rum) in enumerate(zip(lines, rss.rums, strict=True)):
        values = row.split("\t")
        assert values[:4] == ["17", str(position), str(rum.line), texts[position]]
        assert values[9] == rss.care_type


def test_rows_need_every_line_text() -> None:
    with pytest.raises(ValueError):
        rows.rows(1, 1, make_rss(2), ["only one"], "h")


def test_rows_escape_backslashes_and_quotes() -> None:
    rss = make_rss(1, dp="J1\\8", das=['I"10'])
    version_line, rum_lines = rows.rows(1, 1, rss, ['line \\ with "quote"'], "h")
    values = rum_lines.rstrip("\n").split("\t")
    assert values[3] == 'line \\\\ with "quote"'
    assert values[10] == "J1\\\\8"
    assert values[12] == '{"I\\\\"10"}'
    assert "\\" not in version_line.replace("\\N", "")
