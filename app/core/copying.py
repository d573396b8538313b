"""Building a record from another whose fields carry the same names.

Responses, events and summaries are often the stored row under another type: writing every field
twice (`Read(id=row.id, status=row.status, ...)`) hides the one or two fields that are renamed,
converted or computed. `copied(Read, row, errors=[...])` names only those.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pydantic import BaseModel

_T = TypeVar("_T")


# Per type, once: feeds build one event per JSON record with `copied`.
@functools.cache
def field_names(target: type[object]) -> tuple[str, ...]:
    """The names `target` is built from: a pydantic model's fields, a dataclass's init fields, a
    TypedDict's keys."""
    if issubclass(target, BaseModel):
        return tuple(target.model_fields)
    if dataclasses.is_dataclass(target):
        return tuple(field.name for field in dataclasses.fields(target) if field.init)
    keys = getattr(target, "__annotations__", None)
    if keys is None or not hasattr(target, "__total__"):
        raise TypeError(f"{target.__name__} is not a pydantic model, a dataclass or a TypedDict")
    return tuple(cast(dict[str, Any], keys))


def copied(target: Callable[..., _T], source: object, /, **values: Any) -> _T:
    """`target` built from `source`'s attributes of the same names; `values` are the fields that
    differ (renamed, converted, computed) and take precedence. A field `source` does not have must
    be in `values`, or the AttributeError says which."""
    names = field_names(cast(Any, target))  # a class: hashable, whatever mypy infers of type[...]
    unknown = [name for name in values if name not in names]
    if unknown:
        raise TypeError(f"{getattr(target, '__name__', target)} has no field {', '.join(sorted(unknown))}")
    return target(**{name: values[name] if name in values else getattr(source, name) for name in names})
