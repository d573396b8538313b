"""Writing RSA lines and their DRUIDES TRA, the layouts of app.medeco.rsa_layouts read backwards.

dimqa never groups a stay: these lines are what a grouper's output looks like, for the demo year
(app.demo.rsa: the GHS the grouper would give each demo stay) and the tests; they hold the fields
the valuation reads (GHM, GHS, EXB/EXH days, séances, supplements) and zeros or blanks elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache

from app.ingestion.layouts import Kind
from app.medeco.rsa_layouts import DA_LENGTH, LAYOUTS


@cache
def _template(version: str) -> tuple[str, dict[str, tuple[int, int, bool]]]:
    """The fixed part of `version` with every field at its default (zeros, blanks), and where each
    field is: a line is the template with its few given fields written in (the demo writes 18,000)."""
    parts: list[str] = []
    where: dict[str, tuple[int, int, bool]] = {}
    position = 0
    for item in LAYOUTS[version].fixed:
        numeric = item.kind is Kind.NUMERIC
        parts.append(("0" if numeric else " ") * item.length)
        where[item.name] = (position, item.length, numeric)
        position += item.length
    return "".join(parts), where


def rsa_line(
    version: str = "228",
    *,
    index: int = 1,
    ghm: str = "04M143",
    ghs: str = "1187",
    los: int = 34,
    exit_month: int = 1,
    exit_year: int = 2024,
    seances: int = 0,
    exh_days: int = 0,
    exb_type: str = "0",
    exb_days: int = 0,
    ghs_minore: bool = False,
    supplements: Mapping[str, int] | None = None,
    radiotherapy: Mapping[str, int] | None = None,
    n_da: int = 1,
    n_za: int = 1,
    n_ag: int = 0,
) -> str:
    """An RSA line of `version` with one RUM zone, `n_da` diagnoses and `n_za` act zones
    (`supplements` keyed by the layout's field names, e.g. sup_rea)."""
    layout = LAYOUTS[version]
    values: dict[str, str | int] = {
        "finess": "910019447", "format": version, "rsa_index": f"{index:010d}", "grouped_format": "122",
        "classification_version": "11", "ghm": ghm, "return_code": "000", "rum_count": 1,
        "exit_month": exit_month, "exit_year": exit_year, "los": los, "seances": seances, "ghs": ghs,
        "exh_days": exh_days, "exb_type": exb_type, "exb_days": exb_days,
        "ghs_minore": "1" if ghs_minore else "0", "n_da": n_da, "n_za": n_za,
        "n_rt": len(radiotherapy or {}), "dp": "J841",
    }  # fmt: skip
    if layout.field("n_ag") is not None:
        values["n_ag"] = n_ag
    values.update(supplements or {})
    template, where = _template(version)
    line = list(template)
    for name, value in values.items():
        if name not in where:
            continue
        start, length, numeric = where[name]
        text = str(value).zfill(length) if numeric else str(value).ljust(length)
        if len(text) != length:
            raise ValueError(f"{name}: {text!r} does not fit {length} characters")
        line[start : start + length] = text
    parts = ["".join(line)]
    parts.append("29" * n_ag)
    parts.extend(f"{code:>4}{count:03d}" for code, count in (radiotherapy or {}).items())
    parts.append("0" * layout.rum_length)
    parts.append("J189".ljust(DA_LENGTH) * n_da)
    parts.append("0" * layout.act_length * n_za)
    return "".join(parts)


def tra_lines(links: Iterable[tuple[int, str, str, date | None, date | None, str]]) -> bytes:
    """DRUIDES `.tra.txt` lines for (index, N° RSS, N° administratif, entry, exit, GHM)."""

    def day(value: date | None) -> str:
        return "" if value is None else f"{value:%d%m%Y}"

    return "".join(
        f"{index:010d};{rss:<20};{stay:<20};{day(entry)};{day(exit_)};{ghm};x@{rss}\r\n"
        for index, rss, stay, entry, exit_, ghm in links
    ).encode()
