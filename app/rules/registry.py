"""The rule registry: the one code -> Rule mapping that `run_rules` runs by default.

It imports neither the engine nor the catalogue, so dependencies go one way: the catalogue
(`app.rules.catalog`) imports the engine to declare its rules and fills this registry with them
(`install`); the engine reads the registry. The registry is empty until the catalogue is imported:
whatever runs the full catalogue (the rules service, the ingestion's block workers, the
benchmarks) imports `app.rules.catalog` explicitly.

`REGISTRY` is one read-only object, filled in place and never rebound, so that the engine can hold
it from import time and cache its plan by identity.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from app.rules.engine import Rule

_RULES: Final[dict[str, Rule]] = {}
REGISTRY: Final[Mapping[str, Rule]] = MappingProxyType(_RULES)


def install(rules: Mapping[str, Rule]) -> Mapping[str, Rule]:
    """Fill the registry with the catalogue (once) and return it.

    Raises ValueError when a different catalogue was already installed: two catalogues in one
    process would make the default depend on import order.
    """
    if _RULES:
        if dict(_RULES) != dict(rules):
            raise ValueError("the rule registry is already filled with another catalogue")
        return REGISTRY
    _RULES.update(rules)
    return REGISTRY
