"""Test-only builders of valid RUM / RSS records, shared by the ingestion, rules and activity tests.

Records come out *normalized* (as the parser returns them: numeric fields empty or full-width,
every `Rum.extra` key of the version present), so ``parse_line(write_rum(r).encode(), r.line) == r``
holds for them and for any override keeping that form.

    rum = make_rum(dp="Z511", dr="C349", seances="01")
    rss = make_rss(3, rss_number="42", grouped=True)   # three chained RUMs, grouped 122 lines
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from app.ingestion.layouts import layout
from app.ingestion.records import Act, Rss, Rum

DEFAULT_VERSION = "022"
DEFAULT_ENTRY = date(2024, 3, 4)
DEFAULT_DAYS_PER_RUM = 2


def ddmmyyyy(day: date) -> str:
    """A date in the RUM notation JJMMAAAA."""
    return day.strftime("%d%m%Y")


def blank_extra(version: str) -> dict[str, str]:
    """Every version-specific field of `version`, blank: what the parser returns for an empty zone."""
    return {item.name: "" for item in layout(version).extra_fields()}


def make_act(**overrides: Any) -> Act:
    """A chest X-ray (ZBQK002, activity 1, done once) on the default entry date."""
    act = Act(date=ddmmyyyy(DEFAULT_ENTRY), code="ZBQK002", phase="0", activity="1", count="01")
    return replace(act, **overrides)


def make_rum(**overrides: Any) -> Rum:
    """A valid single-unit stay, format 022 unless `version` is overridden.

    Adult man (born 15/06/1950) admitted from home (mode 8) to unit 7500 on 04/03/2024, discharged
    home (mode 8) on 06/03/2024; DP J189 (pneumonia), one DA I10, one act ZBQK002. When `grouped`
    is true and no GHM is given, the grouped prefix says classification 11, GHM 04M051, return
    code 000. `extra` defaults to the blank zone of the chosen version.
    """
    version = overrides.get("version", DEFAULT_VERSION)
    grouped = overrides.get("grouped", False)
    rum = Rum(
        line=1,
        version=version,
        grouped=grouped,
        classification_version="11" if grouped else "",
        ghm="04M051" if grouped else "",
        return_code="000" if grouped else "",
        finess="750000001",
        rss_number="1000001",
        admin_number="2024000001",
        rum_number="1",
        birth_date="15061950",
        sex="1",
        unit="7500",
        entry_date=ddmmyyyy(DEFAULT_ENTRY),
        entry_mode="8",
        exit_date=ddmmyyyy(DEFAULT_ENTRY + timedelta(days=DEFAULT_DAYS_PER_RUM)),
        exit_mode="8",
        postcode="75013",
        seances="00",
        dp="J189",
        extra=blank_extra(version),
        das=["I10"],
        acts=[make_act()],
    )
    return replace(rum, **overrides)


def make_rss(
    n_rums: int = 2,
    *,
    entry: date = DEFAULT_ENTRY,
    days_per_rum: int = DEFAULT_DAYS_PER_RUM,
    **overrides: Any,
) -> Rss:
    """A stay of `n_rums` properly chained RUMs, on consecutive lines starting at 1.

    RUM k (0-based) is in unit ``7500 + k``, from ``entry + k·days_per_rum`` to the next boundary;
    RUMs are linked by mutation (exit 6 / destination 1, then entry 6 / provenance 1) on the same
    date, the first entering from home and the last leaving home. Each act is dated on its RUM's
    entry date. `overrides` apply to every RUM after chaining (e.g. ``rss_number``, ``version``,
    ``grouped``, ``sex``); override dates or modes and the chaining is yours to keep.
    """
    if n_rums < 1:
        raise ValueError("an RSS has at least one RUM")
    rums: list[Rum] = []
    for k in range(n_rums):
        first, last = k == 0, k == n_rums - 1
        start = entry + timedelta(days=k * days_per_rum)
        chain: dict[str, Any] = {
            "line": k + 1,
            "rum_number": str(k + 1),
            "unit": str(7500 + k),
            "entry_date": ddmmyyyy(start),
            "entry_mode": "8" if first else "6",
            "provenance": "" if first else "1",
            "exit_date": ddmmyyyy(start + timedelta(days=days_per_rum)),
            "exit_mode": "8" if last else "6",
            "destination": "" if last else "1",
            "acts": [make_act(date=ddmmyyyy(start))],
        }
        rums.append(make_rum(**{**chain, **overrides}))
    return Rss(rums[0].rss_number, rums)
