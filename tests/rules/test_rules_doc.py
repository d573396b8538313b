"""docs/rules.md stays in step with the rule registry: every registered rule is named there, every
rule it names as an implementation is registered, and every official grouper code has a row.

The registry is read, not a list of codes: a rule added by any change must be documented (run
``python -m app.rules.coverage > docs/rules.md``).
"""

from __future__ import annotations

import csv
import re

from app.core.config import PROJECT_ROOT
from app.rules.catalog import REGISTRY
from app.rules.coverage import NOT_RULES, code_name, render, status
from app.rules.fg_labels import FG_LABELS
from tests.conftest import shared_file

DOC = PROJECT_ROOT / "docs" / "rules.md"
_ROW = re.compile(r"^\| ([CGIQ][0-9]{3}(?:/I[0-9]{3})?) \|(.*)$", re.M)
_RULE = re.compile(r"\b([CQ][0-9]{3}) `")


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for code, rest in _ROW.findall(DOC.read_text("utf-8")):
        assert code not in rows, f"{code} has two rows in docs/rules.md"
        rows[code] = [cell.strip() for cell in rest.rstrip("|").split(" | ")]
    return rows


def test_every_registered_rule_is_documented() -> None:
    rows = _rows()
    missing = sorted(
        code for code in REGISTRY if code not in rows and not _named_as_implementation(code, rows)
    )
    assert missing == [], "run `python -m app.rules.coverage > docs/rules.md`"


def _named_as_implementation(code: str, rows: dict[str, list[str]]) -> bool:
    return any(code in _RULE.findall(cells[2]) for cells in rows.values() if len(cells) > 2)


def test_registered_c_rules_are_implemented_rows() -> None:
    rows = _rows()
    for code in (code for code in REGISTRY if code.startswith("C")):
        label, found, rules = rows[code][:3]
        assert found == "implemented", code
        assert f"{code} `{REGISTRY[code].name}`" in rules, code


def test_every_implementation_named_is_registered() -> None:
    for code, cells in _rows().items():
        if code.startswith("Q"):
            assert code in REGISTRY, f"docs/rules.md documents {code}, which is not registered"
            continue
        found, rules = cells[1], cells[2]
        named = _RULE.findall(rules)
        assert (found == "implemented") == bool(named), code
        assert [rule for rule in named if rule not in REGISTRY] == [], code


def test_every_grouper_code_has_a_status_and_a_row_in_code_order() -> None:
    rows = [code for code in _rows() if not code.startswith("Q")]
    assert rows == [code_name(number) for number in sorted(FG_LABELS)]
    for number in FG_LABELS:
        status(number)  # KeyError: a code without a status
    # A code explained as not a rule is not also registered (its note would be stale).
    assert sorted(f"C{number}" for number in NOT_RULES if f"C{number}" in REGISTRY) == []


def test_every_code_of_the_official_list_is_covered() -> None:
    path = shared_file("fg_errors/fg_mco_codes_erreur.csv")
    with path.open(encoding="utf-8") as handle:
        official = {f"{int(row['code']):03d}" for row in csv.DictReader(handle)}
    assert sorted(official - set(FG_LABELS)) == []


def test_generated_table_lists_the_registry() -> None:
    # The generator itself names every registered rule (what a regeneration would write).
    text = render()
    assert [code for code in REGISTRY if code not in text] == []


def test_codes_sharing_a_note_get_it_each() -> None:
    # NOT_RULES writes a note once for the codes it explains (`_each`), or once with the code's
    # number filled in (`_own`): every code still gets its own status and note.
    assert NOT_RULES["084"] == NOT_RULES["099"]
    assert NOT_RULES["130"] == ("needs ATIH tables", "codes flagged O / Z37 by age in the FG diagnosis table")
    confirmed = (
        "table-free, not a rule",
        "information only (confirmation required and present): nothing to correct",
    )
    assert NOT_RULES["223"] == NOT_RULES["268"] == confirmed
    assert NOT_RULES["057"] == (
        "table-free, not a rule",
        "a structural line error of the parser (`fg_code` C057): the line cannot be cut",
    )
    assert NOT_RULES["009"] == ("not applicable", "grouper implementation (I009)")
    assert NOT_RULES["201"] == ("not applicable", "grouper tables error (G201)")
