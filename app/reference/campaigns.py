"""Tariff campaigns: which one is in force on a day. Standard library only: the rules' block workers
import it (app.rules.catalog.atypia) without the database or web stack.

A campaign is named by its year (`anseqta`) and starts on 1 March of that year, unless its tariff
table says later (the 2023 campaign started on 1 May 2023).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

CAMPAIGN_MONTH: Final = 3  # campaigns start on 1 March


def campaign_of(day: date, starts: Mapping[int, date] | None = None) -> int:
    """The campaign in force on `day`: the latest campaign started by then.

    `starts` gives the known start of some campaigns (their effective date); any other campaign
    starts on 1 March of its year."""
    start = starts.get(day.year) if starts else None
    if start is None:
        start = date(day.year, CAMPAIGN_MONTH, 1)
    return day.year if day >= start else day.year - 1
