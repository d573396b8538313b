"""The rule catalogue: every family module's `RULES`, joined into `REGISTRY` (code -> Rule).

Registration is explicit (imports are the registry): a new family module is added to `FAMILIES`.
Importing this package fills `app.rules.registry` (the default catalogue of `run_rules`); the
engine never imports it, the catalogue imports the engine.
Duplicate codes or names are refused at import time, so a clash can never reach production.

Codes: official grouper controls keep their FG number (``C040``); the service's own rules use
``Q`` + 3 digits. A code is never reused, even for a retired rule: every code is in the ledger
(`ledger.ISSUED_CODES`) and a retired one (`ledger.RETIRED_CODES`) is refused at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from types import MappingProxyType
from typing import Final

from app.rules.catalog import (
    acts,
    administrative,
    atypia,
    ccam,
    codes,
    consistency,
    counters,
    dates,
    fields_163,
    grouping,
    guide,
    identity,
    ledger,
    menstrual,
    modes,
    perinatal,
    seances,
    structure,
    versions,
)
from app.rules.engine import Rule
from app.rules.registry import install

FAMILIES: Final[tuple[tuple[str, tuple[Rule, ...]], ...]] = (
    ("identity", identity.RULES),
    ("dates", dates.RULES),
    ("modes", modes.RULES),
    ("counters", counters.RULES),
    ("seances", seances.RULES),
    ("codes", codes.RULES),
    ("ccam", ccam.RULES),
    ("acts", acts.RULES),
    ("fields_163", fields_163.RULES),
    ("structure", structure.RULES),
    ("grouping", grouping.RULES),
    ("guide", guide.RULES),
    ("perinatal", perinatal.RULES),
    ("menstrual", menstrual.RULES),
    ("consistency", consistency.RULES),
    ("administrative", administrative.RULES),
    ("versions", versions.RULES),
    ("atypia", atypia.RULES),
)


def build_registry(
    groups: Iterable[Iterable[Rule]],
    *,
    issued: Set[str] = ledger.ISSUED_CODES,
    retired: Set[str] = ledger.RETIRED_CODES,
) -> Mapping[str, Rule]:
    """Join rule groups into a read-only code -> Rule mapping, in declaration order.

    Raises ValueError on a duplicate code or name, a retired code, or a code missing from the
    ledger (`issued`).
    """
    registry: dict[str, Rule] = {}
    names: dict[str, str] = {}
    for group in groups:
        for item in group:
            if item.code in retired:
                raise ValueError(f"rule code {item.code} is retired and can never be reused ({item.name})")
            if item.code not in issued:
                raise ValueError(f"rule code {item.code} is not in the ledger (app/rules/catalog/ledger.py)")
            if item.code in registry:
                raise ValueError(f"duplicate rule code {item.code} ({registry[item.code].name}, {item.name})")
            if item.name in names:
                raise ValueError(f"duplicate rule name {item.name} ({names[item.name]}, {item.code})")
            registry[item.code] = item
            names[item.name] = item.code
    return MappingProxyType(registry)


REGISTRY: Final[Mapping[str, Rule]] = install(build_registry(rules for _, rules in FAMILIES))

__all__ = ["FAMILIES", "REGISTRY", "build_registry"]
