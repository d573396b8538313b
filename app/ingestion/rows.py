"""COPY rows of RSS versions and their RUM, rendered from parsed records (pure, no database).

Rendered in the block workers (app.ingestion.blocks) with version ids the storage allocated for
the block before sending it (one per line: an RSS it then finds unchanged leaves a gap). The COPY
text format is written here, not in the repository: this module is compiled (app.core.compiled).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from app.ingestion.records import Rss, as_date, as_int
from app.ingestion.summaries import SummaryDelta

NULL = "\\N"  # COPY text format


def _array(items: Sequence[str]) -> str:
    # Every element quoted: codes read from a file may hold commas, braces, spaces or "NULL".
    if any('"' in item or "\\" in item for item in items):
        items = [item.replace("\\", "\\\\").replace('"', '\\"') for item in items]
    return "{" + ",".join(f'"{item}"' for item in items) + "}" if items else "{}"


def copy_line(values: Sequence[object]) -> str:
    """One row in COPY's text format. None -> NULL; str; list[str] -> text[]; int, bool, date -> str().

    Tabs, newlines and other control characters cannot occur: the parser rejects lines holding them;
    backslashes can, and are doubled."""
    out = []
    for value in values:
        kind = type(value)
        if kind is str:
            text_value: str = value  # type: ignore[assignment]
        elif value is None:
            out.append("\\N")
            continue
        elif kind is list:
            text_value = _array(value)  # type: ignore[arg-type]
        else:
            out.append(str(value))
            continue
        out.append(text_value.replace("\\", "\\\\") if "\\" in text_value else text_value)
    return "\t".join(out) + "\n"


def version_line(
    version_id: int,
    rss_number: str,
    batch_id: int,
    content_hash: str,
    finess: str,
    stay_number: str,
    format_code: str,
    entry_date: str | None,
    exit_date: str | None,
    care_type: str,
    ghm: str,
    return_code: str,
    classification_version: str,
    seances: int,
    rum_count: int,
    exit_unit: str,
    *,
    plain: bool = False,
) -> str:
    """An `rss_version` row (`repository.VERSION_COLUMNS` order, current) in COPY's text format.
    The text values are pieces of RUM lines; blank grouping values are stored as NULL. `plain`:
    the caller checked that the lines hold no backslash (nothing to escape)."""
    if not plain and any(
        "\\" in value
        for value in (
            rss_number, finess, stay_number, format_code, ghm, return_code, classification_version, exit_unit
        )
    ):  # fmt: skip
        return copy_line(
            (
                version_id, rss_number, batch_id, True, content_hash, finess, stay_number, format_code,
                entry_date, exit_date, care_type, ghm or None, ghm[:2] or None, return_code or None,
                classification_version or None, seances, rum_count, exit_unit,
            )
        )  # fmt: skip
    return (
        f"{version_id}\t{rss_number}\t{batch_id}\tt\t{content_hash}\t{finess}\t{stay_number}\t{format_code}\t"
        f"{entry_date or NULL}\t{exit_date or NULL}\t{care_type}\t{ghm or NULL}\t{ghm[:2] or NULL}\t"
        f"{return_code or NULL}\t{classification_version or NULL}\t{seances}\t{rum_count}\t{exit_unit}\n"
    )


def rum_line(
    version_id: int,
    position: int,
    line: int,
    line_text: str,
    rum_number: str,
    unit: str,
    entry_date: str | None,
    exit_date: str | None,
    rss_exit_date: str | None,
    care_type: str,
    dp: str,
    dr: str,
    das: list[str],
    seances: int,
    acts: list[str],
    *,
    plain: bool = False,
) -> str:
    """A `rum` row (`repository.RUM_COLUMNS` order) in COPY's text format; dates as ISO text or
    None. `plain`: the caller checked that line_text holds no backslash and no double quote."""
    # Every text value is a piece of line_text: without a backslash or a double quote there, nothing
    # needs escaping and the row is one f-string (the hot path: a row per RUM).
    if not plain and ("\\" in line_text or '"' in line_text):
        return copy_line(
            (
                version_id, position, line, line_text, rum_number, unit, entry_date, exit_date,
                rss_exit_date, care_type, dp, dr, das, seances, acts,
            )
        )  # fmt: skip
    das_array = '{"' + '","'.join(das) + '"}' if das else "{}"
    acts_array = '{"' + '","'.join(acts) + '"}' if acts else "{}"
    return (
        f"{version_id}\t{position}\t{line}\t{line_text}\t{rum_number}\t{unit}\t{entry_date or NULL}\t"
        f"{exit_date or NULL}\t{rss_exit_date or NULL}\t{care_type}\t{dp}\t{dr}\t{das_array}\t{seances}\t"
        f"{acts_array}\n"
    )


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
    version_row = version_line(
        version_id, rss.rss_number, batch_id, content_hash, first.finess, last.admin_number,
        first.format_code, _iso(first.entry_date), exit_date, rss_care_type, first.ghm,
        first.return_code, first.classification_version, total_seances, len(rums), last.unit, plain=plain,
    )  # fmt: skip
    rum_rows: list[str] = []
    for position, rum in enumerate(rums):
        rum_exit = _iso(rum.exit_date)
        rum_rows.append(rum_line(
            version_id, position, rum.line, texts[position], rum.rum_number, rum.unit, _iso(rum.entry_date),
            rum_exit, exit_date, rss_care_type, rum.dp, rum.dr, rum.das, seances[position],
            [act.code for act in rum.acts], plain=plain,
        ))  # fmt: skip
        if summary is not None:
            summary.add_rum(exit_date, rum.unit, rss_care_type, rum_exit)
    if summary is not None:
        summary.add_rss(exit_date, last.unit, rss_care_type, first.ghm, total_seances)
    return version_row, "".join(rum_rows)
