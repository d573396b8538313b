"""Control characters in identifiers: refused wherever an identifier enters dimqa.

An event id, a stay number or a unit code holding a CR, an LF or a NUL is never a real value: it
comes from a broken export or from someone probing. Stored, it splits lines of the CSV exports
and of the logs, breaks an HL7 segment when echoed in an ACK, and a NUL is refused by PostgreSQL
(the whole batch failing, with a fragment of the value in the server log). So every C0 control
character (U+0000 to U+001F, tab included), DEL and the C1 controls (U+0080 to U+009F) are
refused in identifiers: a 422 problem naming the field (code `control_character`), or an ACK AE
for HL7 v2 (where the check runs after unescaping: `\\X0D\\` is a CR).

`NoControlStr` / `NoControlStrOrNone` are the annotated types for request bodies (`NO_CONTROL`
the validator itself); other parsers call `find_control`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

CONTROL_CHARACTER: Final = "control_character"
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def find_control(value: str) -> int | None:
    """0-based position of the first control character of `value`, None when there is none."""
    match = _CONTROL.search(value)
    return match.start() if match else None


def describe(value: str, position: int) -> str:
    """'U+000D at position 4' (1-based): names the character, never the value (patient data)."""
    return f"U+{ord(value[position]):04X} at position {position + 1}"


def _validate(value: Any) -> Any:
    # Before the type's own validation: a model that strips whitespace would otherwise hide a
    # trailing CR or LF, and the value is refused whole rather than silently trimmed.
    if not isinstance(value, str):
        return value  # the type's validation reports it
    position = find_control(value)
    if position is not None:
        raise PydanticCustomError(
            CONTROL_CHARACTER,
            "control character {character} is not allowed",
            {"character": describe(value, position)},
        )
    return value


# The validator, outermost in an `Annotated` (after any StringConstraints): it then sees the value
# as sent, and the length constraints keep their own error types (string_too_short...).
NO_CONTROL: Final = BeforeValidator(_validate)
NoControlStr = Annotated[str, NO_CONTROL]
NoControlStrOrNone = Annotated[str | None, NO_CONTROL]
