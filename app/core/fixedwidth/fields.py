"""Fields of the ATIH fixed-width formats (RUM/RSS, RHS, IUM, RSA/TRA), and layouts derived version
from version.

Positions are 1-based and inclusive, exactly as printed in the ATIH "Formats" workbooks, so a layout
can be checked line by line against its documentation. Padding kinds follow the ATIH rule:
alphanumeric (and date) fields are left-aligned and space-filled, numeric fields right-aligned and
zero-filled (`text.pad`).

A new format version is usually the previous one with a few fields inserted, widened or renamed, the
later ones shifted: `derive` builds it that way, so only the change is written down, and checks every
position the documentation prints for the new fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    ALPHA = "A"  # left-aligned, space-filled (also dates: JJMMAAAA or blank)
    NUMERIC = "N"  # right-aligned, zero-filled


VALUE = "value"  # default role of a field: a value of the record (formats may use their own roles)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    start: int  # 1-based, as in the ATIH documents; 0 = "wherever it lands" (see `derive`)
    length: int
    kind: Kind = Kind.ALPHA
    # What the field is for, when a format needs more than "a value" (the RUM's Target: counter,
    # format code, filler...); a plain str so each format keeps its own enum.
    target: str = VALUE

    @property
    def end(self) -> int:
        """1-based inclusive end position."""
        return self.start + self.length - 1

    def shifted(self, offset: int) -> Field:
        return Field(self.name, self.start + offset, self.length, self.kind, self.target)

    def at(self, start: int) -> Field:
        return Field(self.name, start, self.length, self.kind, self.target)

    def slice(self, offset: int = 0) -> slice:
        """0-based Python slice of this field, `offset` characters further right (grouped lines)."""
        return slice(self.start - 1 + offset, self.start - 1 + offset + self.length)


def contiguous(specs: Iterable[tuple[str, int, Kind]], start: int = 1) -> tuple[Field, ...]:
    """Fields laid end to end from `start`: a repeated zone (acts, diagnoses) given by its lengths."""
    result: list[Field] = []
    position = start
    for name, length, kind in specs:
        result.append(Field(name, position, length, kind))
        position += length
    return tuple(result)


def check_contiguous(fields: Sequence[Field], what: str, start: int = 1) -> None:
    """A gap or an overlap would silently shift every later field: fail at import instead."""
    position = start
    for item in fields:
        if item.start != position or item.length <= 0:
            raise RuntimeError(
                f"layout {what}: field {item.name} starts at {item.start}, expected {position}"
            )
        position = item.end + 1


def derive(
    base: Sequence[Field],
    *,
    replace: Mapping[str, Sequence[Field]] | None = None,
    insert_after: Mapping[str, Sequence[Field]] | None = None,
    append: Sequence[Field] = (),
) -> tuple[Field, ...]:
    """Version N+1 from version N: `replace` a field by zero or more fields, `insert_after` a field,
    `append` at the end; every field is then laid out again end to end, so the later ones shift.

    The new fields keep their documented start: ValueError when it is not where they land (0 means
    not documented). Naming a field `base` does not have is a ValueError too."""
    replace = replace or {}
    insert_after = insert_after or {}
    names = {item.name for item in base}
    unknown = sorted((set(replace) | set(insert_after)) - names)
    if unknown:
        raise ValueError(f"derive: no field {', '.join(unknown)} in the base layout")
    laid: list[tuple[Field, bool]] = []  # (field, new: its start is the documented one)
    for item in base:
        if item.name in replace:
            laid.extend((new, True) for new in replace[item.name])
        else:
            laid.append((item, False))
        laid.extend((new, True) for new in insert_after.get(item.name, ()))
    laid.extend((new, True) for new in append)
    result: list[Field] = []
    position = base[0].start if base else 1
    for item, new in laid:
        if new and item.start and item.start != position:
            raise ValueError(f"derive: {item.name} is documented at {item.start} but lands at {position}")
        result.append(item if item.start == position else item.at(position))
        position += item.length
    return tuple(result)


def field_covering(fields: Iterable[Field], column: int) -> Field | None:
    """The field holding a 1-based column (for error messages), None outside them."""
    return next((item for item in fields if item.start <= column <= item.end), None)


def control_character_message(text: str, column: int, name: str | None) -> str:
    """How every fixed-width reader words a control character at a 1-based column: the byte, its
    column and, when known, the field holding it."""
    message = f"control character 0x{ord(text[column - 1]):02X} at column {column}"
    return message + (f" (field {name})" if name else "")


def control_character_at(fields: Iterable[Field], text: str, column: int) -> tuple[str | None, str]:
    """The field covering a control character at a 1-based column (None past the fields given)
    and its `control_character_message`."""
    item = field_covering(fields, column)
    name = item.name if item is not None else None
    return name, control_character_message(text, column, name)
