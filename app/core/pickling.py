"""Pickling of frozen dataclasses that mypyc compiles (app.core.compiled).

Pickle rebuilds a slotted dataclass by setting its attributes one by one, which a frozen native
class refuses. The classes that cross between the server and its ingestion workers (line errors,
findings, the rules' reference data) therefore rebuild themselves through their constructor.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any


def reduce_dataclass(instance: Any) -> tuple[type[Any], tuple[Any, ...]]:
    """`__reduce__` of a frozen dataclass whose constructor takes its init fields in order."""
    return type(instance), tuple(getattr(instance, item.name) for item in fields(instance) if item.init)
