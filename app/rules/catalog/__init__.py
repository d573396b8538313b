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
from dataclasses import replace
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
from app.rules.catalog._common import seance_motive_or_cmd28, unusual_identity_or_dates
from app.rules.catalog.acts import unusual_act_zones
from app.rules.catalog.grouping import fg_signal
from app.rules.catalog.guide import special_acts
from app.rules.catalog.modes import unusual_modes
from app.rules.catalog.perinatal import obstetric
from app.rules.engine import Gate, Rule
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


# Each gate (`Rule.gate`, one test per RSS) and the rules it spares on the stays where it is false:
# rules that question rare values, which most stays do not have.
GATES: Final[Mapping[Gate, tuple[str, ...]]] = {
    unusual_identity_or_dates: ("C015", "C017", "C032", "C064", "C065", "C077", "C168", "C258"),
    unusual_modes: ("C025", "C026", "C034", "C035", "C050", "C053", "C054"),
    obstetric: ("C126", "C142", "C162", "C179", "C261"),
    seance_motive_or_cmd28: ("C145", "C187", "Q011"),
    fg_signal: ("Q009", "Q010"),
    unusual_act_zones: ("C052", "C103", "C170", "C173", "C185"),
    special_acts: ("Q004", "Q005", "Q006"),
}


def gated(
    groups: Iterable[Iterable[Rule]], gates: Mapping[Gate, tuple[str, ...]] = GATES
) -> list[list[Rule]]:
    """The rule groups with each rule's gate set from `gates`. Raises ValueError on a code of
    `gates` that no group declares."""
    by_code = {code: gate for gate, codes in gates.items() for code in codes}
    found = [
        [replace(item, gate=by_code[item.code]) if item.code in by_code else item for item in group]
        for group in groups
    ]
    unknown = set(by_code) - {item.code for group in found for item in group}
    if unknown:
        raise ValueError(f"gated codes that no rule has: {sorted(unknown)}")
    return found


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


REGISTRY: Final[Mapping[str, Rule]] = install(build_registry(gated(rules for _, rules in FAMILIES)))

__all__ = ["FAMILIES", "GATES", "REGISTRY", "build_registry", "gated"]
