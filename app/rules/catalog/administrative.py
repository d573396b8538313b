"""Administrative fields the grouper only signals (non-blocking): FINESS number (C076) and the
patient's postcode (C081, C184).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import blank_hits, fg, memo, scan
from app.rules.engine import Hit, RuleContext, Severity, rule

# FINESS: 9 characters, a département (two digits, or 2A / 2B for Corsica) then 7 digits (the
# last one a check key, not verified: the FG control is on the format).
_FINESS_FORMAT: Final = re.compile(r"(?:[0-9]{2}|2A|2B)[0-9]{7}")


def _bad_finess(raw: str) -> bool:
    return _FINESS_FORMAT.fullmatch(raw) is None


_finess_bad: Final[Callable[[str], bool]] = memo(_bad_finess)
_FINESS = attrgetter("finess")
_POSTCODE = attrgetter("postcode")


@rule(
    "C076",
    "administrative.finess_format",
    Severity.WARNING,
    "Numéro FINESS « {value} » de format incorrect (9 caractères : département puis 7 chiffres).",
    reference=fg("C076"),
    when=("admin",),
)
def finess_format(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The FINESS number of the RUM is nine characters: the département (two digits, 2A or 2B)
    then seven digits.

    Bad: finess = "75000001" (8 characters), or "75OOOOOO1" (letters O).
    Good: finess = "750000001", or "2A0000012".
    """
    return scan(rss, _FINESS, _finess_bad, "finess")


def _postcode_not_numeric(raw: str) -> bool:
    return bool(raw) and not (raw.isdigit() and raw.isascii())


@rule(
    "C081",
    "administrative.postcode_not_numeric",
    Severity.WARNING,
    "Code postal « {value} » non numérique.",
    reference=fg("C081") + "; code postal français, ou 99 + code pays INSEE",
    when=("admin",),
)
def postcode_not_numeric(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The patient's postcode is made of digits: a French postcode (Corsica included: 20xxx) or
    99 followed by the INSEE code of the country of residence.

    Bad: postcode = "2A000", or "75 13".
    Good: postcode = "75013", or "99134" (Espagne).
    """
    return scan(rss, _POSTCODE, _postcode_not_numeric, "postcode")


@rule(
    "C184",
    "administrative.postcode_missing",
    Severity.WARNING,
    "Code postal de résidence non renseigné.",
    reference=fg("C184"),
    when=("admin",),
)
def postcode_missing(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Every RUM gives the patient's postcode of residence.

    Bad: postcode = "".
    Good: postcode = "75013".
    """
    return blank_hits(rss, _POSTCODE, "postcode")


RULES = (
    finess_format,
    postcode_not_numeric,
    postcode_missing,
)
