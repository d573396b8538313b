"""Which official grouper (fonction groupage, FG MCO) controls dimqa checks, and why not the others.

Every code of the FG return-code list (app/rules/fg_labels.py: the official list
/work/shared/data/fg_errors/fg_mco_codes_erreur.csv plus the controls DRUIDES 2023 adds) has a
status here. A code whose C-rule is registered is *implemented* by it, read from the registry; the
others are explained in `NOT_RULES` (or implemented by a dimqa Q rule, `IMPLEMENTED_AS`).

``python -m app.rules.coverage > docs/rules.md`` writes the documentation table, in code order;
tests/rules/test_rules_doc.py checks that docs/rules.md names every registered rule and only
registered ones as implementations.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Final, Literal, TypeAlias

from app.rules.catalog import REGISTRY
from app.rules.engine import Rule
from app.rules.fg_labels import FG_LABELS

Status: TypeAlias = Literal["implemented", "table-free, not a rule", "needs ATIH tables", "not applicable"]

# G-codes (errors of the GHM tree) and I-codes (grouper implementation) share the numbering.
_G_CODES: Final = frozenset(
    {"002", "003", "005", "006", "007", "080", "222"} | {str(n) for n in range(200, 217)}
)
_I_CODES: Final = frozenset({"008", "009", "500", "501", "502"})

# FG codes checked by a dimqa rule of another code (a G-code has no C-rule).
IMPLEMENTED_AS: Final[Mapping[str, tuple[str, str]]] = {
    "006": ("Q003", "the FG list D-145 of séance motives is built in"),
}

# What an implementation leaves out or assumes, where it differs from the grouper's own check.
IMPLEMENTED_NOTES: Final[Mapping[str, str]] = {
    "025": "modes N and O judged by the stay's exit date (N from 01/03/2019, O from 01/03/2024)",
    "126": "childbirth: the documented delivery acts (app/rules/catalog/guide.py) or a DA Z37",
    "129": "DRUIDES 2023 bounds (drd reads 32 and 28 weeks as below 33 and below 28)",
    "142": "the documented delivery acts; C102 leaves them to this control",
    "145": "0-day single-RUM stays without any act only: the acts the grouper tolerates are an FG "
    "table attribute",
    "162": "childbirth as for C126, or a grouped stay in CMD 14 outside roots 14C04 and 14M02",
    "165": "a warning, as ATIH lists it (drd blocks it for exits from 01/03/2016)",
    "174": "a stay without any gestational age is C126 only",
    "179": "documented acts JNJP001 (medical) and JNJD002 (aspiration)",
    "189": "effect not described by ATIH: blocking, as in drd",
    "261": "grouped lines (the GHM gives the CMD and root)",
}

_TREE: Final[Status] = "needs ATIH tables"
_FREE: Final[Status] = "table-free, not a rule"
_NA: Final[Status] = "not applicable"
_DIAGINFO = "diagnosis attributes of the FG table DIAGINFO (rare, age, sex, imprecise, not a usual DP)"
_CONFIRM_INFO = "information only (confirmation required and present): nothing to correct"


def _each(numbers: str, note: str) -> dict[str, str]:
    """The same note for each of the space-separated FG `numbers`."""
    return dict.fromkeys(numbers.split(), note)


def _own(numbers: str, note: str) -> dict[str, str]:
    """A note for each of the FG `numbers` that names the code (`note`'s ``{}``)."""
    return {number: note.format(number) for number in numbers.split()}


# Why each code that no rule implements is not one, by status.
_NEEDS_TABLES: Final[Mapping[str, str]] = {
    "002": "which CMD (12, 13, 14) a DP leads to: GHM decision tree",
    "003": "DP refused in some branches of the GHM decision tree",
    "005": "precision the GHM classification needs: GHM decision tree",
    "007": "weight ranges of the CMD 15 tree; C128, C129 and C168 check the documented bounds",
    "080": "list of minor operative acts of the GHM classification",
    **_each("084 085 086 087 088 090 091 092 093 096 097 098 099", _DIAGINFO),
    "112": "complementary gestures and their main acts: CCAM attributes of the FG tables",
    "120": "short but costly stay: GHM-root thresholds of the FG table RGHMINFO (C261, C262 done)",
    "124": "confirmation not needed: needs every case of C120, including RGHMINFO thresholds",
    **_each("130 131 132", "codes flagged O / Z37 by age in the FG diagnosis table"),
    **_each("133 134 135", "codes flagged P / Z38 by age in the FG diagnosis table"),
    "148": "acts reserved to one sex: CCAM attributes of the FG tables",
    "149": "acts reserved to newborns: CCAM attributes of the FG tables",
    "167": "acts whose activity 1 is mandatory: CCAM attributes of the FG tables",
    **_each(
        "180 181 182", "WHO codes reserved for urgent use: flag of the FG diagnosis table, changes by year"
    ),
    "186": "accepted ATIH extensions of each act: CCAM extension table",
    "192": "acts that have ATIH extensions: CCAM extension table",
    **_each("193 194", "validity dates of ATIH extensions: CCAM extension table"),
    "203": "peritoneal dialysis séances of the CMD 28 tree",
    "204": "childbirth branches of the CMD 14 tree (DP Z39.00 with a delivery act)",
    **_each("205 206", "childbirth diagnoses of the CMD 14 tree"),
    "207": "abortion acts and diagnoses of the CMD 14 tree",
    **_each("208 209", "ante-partum and post-partum diagnoses of the CMD 14 tree"),
    "210": "diagnoses leading to a root of the CMD 14 tree",
    "211": "perinatal DP outside CMD 15: age, weight and entry mode of the CMD 15 tree",
    "213": "weight / gestational age table of the GHM manual (C129 checks the documented bounds)",
    "214": "dialysis acts and extended codes of the CMD 28 tree",
    "215": "irradiation preparation acts of the CMD 28 tree",
    "216": "irradiation acts (CCAM chapter 17) of the CMD 28 tree",
    "222": "non-minor operative acts unrelated to the DP: GHM classification",
    **_each("241 242", "day-hospital gradation: eligible stays and their exemptions (FG lists)"),
    **_each("252 254", "scope of the non-programmed indicator (FG lists of the stays concerned)"),
    "260": "short but costly stay: GHM-root thresholds of the FG table RGHMINFO",
}
_TABLE_FREE: Final[Mapping[str, str]] = {
    "010": "dimqa cuts the RSS by their number: an RSS never holds two numbers",
    **_own(
        "055 056 057 058", "a structural line error of the parser (`fg_code` C{}): the line cannot be cut"
    ),
    "059": "a structural line error of the parser (`fg_code` C059): unknown format or length",
    "101": "the accepted dedicated-bed types changed over the years (only 08 in the 2024-2026 formats); "
    "left until the earlier lists are confirmed",
    **_each(
        "152 153", "needs the UM's hospitalisation mode (partial) from the fichier d'UM, not given to rules"
    ),
    "154": "needs the UM's hospitalisation mode (partial, mixed) from the fichier d'UM",
    **_each("175 176 177 178", "IVG variables of RUM 017 (2015-2016) only: obsolete"),
    "212": "DP Z51.00 with 0 séances: a 0-day stay without act is C145; other lengths are a candidate Q rule",
    **_each("223 265 266 267 268", _CONFIRM_INFO),
}
_NOT_APPLICABLE: Final[Mapping[str, str]] = {
    "004": "grouper tables damaged (G004 / I004): an error of the grouper itself",
    **_own("008 009", "grouper implementation (I{})"),
    **_own("200 201 202", "grouper tables error (G{})"),
    "500": "grouper implementation (I500: fichier d'UM not found)",
    "501": "grouper implementation (I501: fichier d'UM corrupted)",
    "502": "grouper implementation (I502: exit date outside the binary tables)",
}

NOT_RULES: Final[Mapping[str, tuple[Status, str]]] = {
    number: (found, note)
    for found, notes in ((_TREE, _NEEDS_TABLES), (_FREE, _TABLE_FREE), (_NA, _NOT_APPLICABLE))
    for number, note in sorted(notes.items())
}


def code_name(number: str) -> str:
    """The FG code as the manuals write it: C040, G006, I502 (G004/I004 for the shared 004)."""
    if number == "004":
        return "G004/I004"
    if number in _G_CODES:
        return f"G{number}"
    if number in _I_CODES:
        return f"I{number}"
    return f"C{number}"


def status(number: str, registry: Mapping[str, Rule] = REGISTRY) -> tuple[Status, tuple[str, ...], str]:
    """(status, dimqa rule codes, note) of one FG code; KeyError when it has none."""
    rule = registry.get(f"C{number}")
    if rule is not None and number not in _G_CODES | _I_CODES:
        return "implemented", (rule.code,), IMPLEMENTED_NOTES.get(number, "")
    if number in IMPLEMENTED_AS:
        code, note = IMPLEMENTED_AS[number]
        if code in registry:
            return "implemented", (code,), note
    found, note = NOT_RULES[number]
    return found, (), note


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(registry: Mapping[str, Rule] = REGISTRY) -> str:
    numbers = sorted(FG_LABELS)
    rows: list[str] = []
    counts: dict[str, int] = {}
    for number in numbers:
        found, codes, note = status(number, registry)
        counts[found] = counts.get(found, 0) + 1
        rules = ", ".join(
            f"{code} `{registry[code].name}` ({registry[code].severity.value})" for code in codes
        )
        rows.append(
            f"| {code_name(number)} | {_cell(FG_LABELS[number])} | {found} | {rules} | {_cell(note)} |"
        )
    own = [item for item in registry.values() if item.code.startswith("Q")]
    own_rows = [
        f"| {item.code} | `{item.name}` | {item.severity.value} | {_cell(item.summary)} |"
        for item in sorted(own, key=lambda item: item.code)
    ]
    summary = ", ".join(f"{counts.get(name, 0)} {name}" for name in _STATUSES)
    return "\n".join(
        [
            "# Coding rules",
            "",
            "Generated by `python -m app.rules.coverage > docs/rules.md` from the rule registry",
            "(app/rules/catalog) and the status of every other code (app/rules/coverage.py);",
            "tests/rules/test_rules_doc.py keeps it in step with the registry. Each rule's full",
            "documentation (message, reference, bad and good examples) is served by `GET /api/v1/rules`.",
            "",
            "## Grouper controls (fonction groupage MCO)",
            "",
            "Every return code of the official list (ATIH `fg_mco_codes_erreur.csv`, with the controls",
            "DRUIDES 2023 adds; labels as in app/rules/fg_labels.py), in code order. *implemented*: a",
            "dimqa rule makes the check (rules needing the CIM-10, the CCAM or the hospital structure are",
            "skipped, and said so, when that reference is not loaded); *table-free, not a rule*: no",
            "grouping table is needed, and the note says why dimqa has no rule; *needs ATIH tables*: the",
            "check reads the FG grouping tables (GHM tree, diagnosis or act attributes), which dimqa",
            "does not have; *not applicable*: an error of the grouper itself.",
            "",
            f"{len(numbers)} codes: {summary}.",
            "",
            "| Code | Official label | Status | dimqa rule | Notes |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "## dimqa's own rules (Q codes)",
            "",
            "Checks of the Guide méthodologique and of the grouped lines that the grouper does not make,",
            "the atypia a DIM audits before sending (app/rules/catalog/atypia.py: Q016-Q020, warnings;",
            "Q019 and Q020 need a GHS tariff table), and Q015, which names the nomenclature year a stay",
            "was not judged against (app/rules/catalog/versions.py).",
            "",
            "| Code | Rule | Severity | What it checks |",
            "|---|---|---|---|",
            *own_rows,
            "",
        ]
    )


_STATUSES: Final[tuple[Status, ...]] = (
    "implemented",
    "table-free, not a rule",
    "needs ATIH tables",
    "not applicable",
)


if __name__ == "__main__":
    sys.stdout.write(render())
