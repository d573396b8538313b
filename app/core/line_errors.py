"""Line-level input errors, shared by every parser (RSS, RHS, IUM, HL7 v2, FHIR, JSON).

They end up in batch responses and in the `errors` member of problem+json bodies.

`fg_code` names the official grouper (fonction groupage) control that makes the same check, so the
DIM recognises a structural rejection of the RSS parser as the control its grouper would raise
(README, "Input formats"). It is set only where the FG control really is that check: most line
errors (other parsers, control characters, JSON fields...) have none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from app.core.pickling import reduce_dataclass


@dataclass(frozen=True, slots=True)
class LineError:
    line: int | None  # 1-based line (or event index for JSON/FHIR), None for the whole body
    field: str | None  # layout field name, or JSON pointer-like path
    code: str  # stable machine code, snake_case: "line_length", "not_numeric", "unknown_format", ...
    message: str  # human-readable reason, naming the value when it is not patient data
    rss_number: str | None = None
    fg_code: str | None = None  # "C059"; None when no FG control is this check

    def __reduce__(self) -> tuple[type[Any], tuple[Any, ...]]:
        return reduce_dataclass(self)  # app.core.pickling: compiled frozen classes must be rebuilt

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
