"""Administrative fields the grouper only signals (non-blocking): FINESS number (C076) and the
patient's postcode (C081, C184).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from app.rules.catalog._common import WARNING, blank, fg, fg_rule, flagged, memo

# FINESS: 9 characters, a département (two digits, or 2A / 2B for Corsica) then 7 digits (the
# last one a check key, not verified: the FG control is on the format).
_FINESS_FORMAT: Final = re.compile(r"(?:[0-9]{2}|2A|2B)[0-9]{7}")


def _bad_finess(raw: str) -> bool:
    return _FINESS_FORMAT.fullmatch(raw) is None


_finess_bad: Final[Callable[[str], bool]] = memo(_bad_finess)


# fmt: off
finess_format: Final = fg_rule("C076", "administrative.finess_format", WARNING,
    "Numéro FINESS « {value} » de format incorrect (9 caractères : département puis 7 chiffres).",
    flagged("finess", _finess_bad),
    """The FINESS number of the RUM is nine characters: the département (two digits, 2A or 2B)
    then seven digits.

    Bad: finess = "75000001" (8 characters), or "75OOOOOO1" (letters O).
    Good: finess = "750000001", or "2A0000012".
    """, when=("admin",))
# fmt: on


def _postcode_not_numeric(raw: str) -> bool:
    return bool(raw) and not (raw.isdigit() and raw.isascii())


# fmt: off
postcode_not_numeric: Final = fg_rule("C081", "administrative.postcode_not_numeric", WARNING,
    "Code postal « {value} » non numérique.",
    flagged("postcode", _postcode_not_numeric),
    """The patient's postcode is made of digits: a French postcode (Corsica included: 20xxx) or
    99 followed by the INSEE code of the country of residence.

    Bad: postcode = "2A000", or "75 13".
    Good: postcode = "75013", or "99134" (Espagne).
    """, reference=fg("C081") + "; code postal français, ou 99 + code pays INSEE", when=("admin",))

postcode_missing: Final = fg_rule("C184", "administrative.postcode_missing", WARNING,
    "Code postal de résidence non renseigné.",
    blank("postcode"),
    """Every RUM gives the patient's postcode of residence.

    Bad: postcode = "".
    Good: postcode = "75013".
    """, when=("admin",))
# fmt: on


RULES = (
    finess_format,
    postcode_not_numeric,
    postcode_missing,
)
