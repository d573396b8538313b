"""COPY rows of RSS versions and their RUM, rendered from parsed records (pure, no database).

Rendered in the block workers (app.ingestion.blocks) with version ids the storage allocated for
the block before sending it (one per line: an RSS it then finds unchanged leaves a gap).
"""

from __future__ import annotations

from functools import lru_cache

from app.ingestion import repository
from app.ingestion.records import Rss, as_date, as_int
from app.ingestion.summaries import SummaryDelta


@lru_cache(maxsize=1 << 16)
def _iso(raw: str) -> str | None:
    """JJMMAAAA -> ISO text for COPY, None when not a date; a file's stays share few distinct dates."""
    day = as_date(raw)
    return day.isoformat() if day is not None else None


@lru_cache(maxsize=256)
def _seances(raw: str) -> int:
    """The séances count of a RUM as `Rss.seances` adds it up (as_int, 0 when absent or not numeric)."""
    return as_int(raw) or 0


def care_type(rss: Rss, seances: int) -> str:
    """`Rss.care_type` from the raw fields and cached conversions (about 4 µs less per RSS).

    Same rules: séance when the GHM is in CMD 28, or ungrouped with séances; zero_day when the
    entry and exit dates are one valid date (a JJMMAAAA text names one day only, so equal texts
    are equal dates); complete otherwise. tests/ingestion/test_store_rows.py checks the two agree."""
    first = rss.rums[0]
    ghm = first.ghm
    if ghm[:2] == "28" or (not ghm and seances > 0):
        return "seance"
    entry = first.entry_date
    if entry == rss.rums[-1].exit_date and _iso(entry) is not None:
        return "zero_day"
    return "complete"


def rows(
    version_id: int,
    batch_id: int,
    rss: Rss,
    texts: list[str],
    content_hash: str,
    summary: SummaryDelta | None = None,
) -> tuple[str, str]:
    """The `rss_version` row and the `rum` rows (one string) of one RSS version in COPY's text format.

    The hot path of storage (once per RSS): no generator, one séances conversion per RUM, cached
    dates."""
    rums = rss.rums
    first, last = rums[0], rums[-1]
    seances = [_seances(rum.seances) for rum in rums]
    total_seances = sum(seances)
    rss_care_type = care_type(rss, total_seances)
    exit_date = _iso(last.exit_date)
    if len(texts) != len(rums):
        raise ValueError("an RSS needs the text of each of its lines")
    # Every stored text value is a piece of these lines: one scan tells whether any needs escaping.
    text = texts[0] if len(texts) == 1 else "\n".join(texts)
    plain = "\\" not in text and '"' not in text
    version_row = repository.version_line(
        version_id, rss.rss_number, batch_id, content_hash, first.finess, last.admin_number,
        first.format_code, _iso(first.entry_date), exit_date, rss_care_type, first.ghm,
        first.return_code, first.classification_version, total_seances, len(rums), last.unit, plain=plain,
    )  # fmt: skip
    rum_rows: list[str] = []
    for position, rum in enumerate(rums):
        rum_exit = _iso(rum.exit_date)
        rum_rows.append(repository.rum_line(
            version_id, position, rum.line, texts[position], rum.rum_number, rum.unit, _iso(rum.entry_date),
            rum_exit, exit_date, rss_care_type, rum.dp, rum.dr, rum.das, seances[position],
            [act.code for act in rum.acts], plain=plain,
        ))  # fmt: skip
        if summary is not None:
            summary.add_rum(exit_date, rum.unit, rss_care_type, rum_exit)
    if summary is not None:
        summary.add_rss(exit_date, last.unit, rss_care_type, first.ghm, total_seances)
    return version_row, "".join(rum_rows)
