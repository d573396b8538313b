"""Meta-tests of the rule catalogue: declarations, documentation, cases coverage, skipping, engine."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from app.ingestion.records import Rss
from app.rules.catalog import FAMILIES, REGISTRY, build_registry, gated
from app.rules.catalog.ledger import ISSUED_CODES, RETIRED_CODES
from app.rules.engine import (
    BASE_PARAMS,
    CODE_PATTERN,
    NAME_PATTERN,
    REQUIREMENTS,
    AuthorisationHistory,
    CcamCode,
    CimCode,
    Hit,
    Requirement,
    Rule,
    RuleContext,
    Severity,
    UnitPeriods,
    conditions_met,
    fr_date,
    hit,
    rule,
    run_rules,
    split_doc,
    template_fields,
    validate_rule,
)
from app.rules.fg_labels import FG_LABELS, fg_label
from tests.conftest import shared_file
from tests.ingestion.builders import make_rss
from tests.rules.cases import ALL_CASES, BARE_CTX, FULL_CTX, Case
from tests.rules.test_cases import through_lines

RULES = list(REGISTRY.values())
CODES = [item.code for item in RULES]

# Which RuleContext member each requirement names.
CONTEXT_MEMBER: dict[Requirement, str] = {
    "cim10": "cim10",
    "ccam": "ccam",
    "ccam_activities": "ccam",  # a CCAM that lists activities; without any CCAM, none is listed
    "ghm": "ghm_labels",
    "structure": "units",
    "ium": "authorisations",
    "ghs_tariffs": "ghm_bounds",
}


def _triggering(code: str) -> Case:
    return next(case for case in ALL_CASES if case.code == code and case.triggers)


def _prepared(case: Case) -> Rss:
    return through_lines(case.rss) if case.roundtrip else case.rss


class TestDeclarations:
    def test_registry_is_keyed_by_code(self) -> None:
        assert all(code == item.code for code, item in REGISTRY.items())
        assert len(REGISTRY) == sum(len(rules) for _, rules in FAMILIES)

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_code_and_name_are_well_formed(self, item: Rule) -> None:
        assert CODE_PATTERN.match(item.code)
        assert NAME_PATTERN.match(item.name)
        assert item.code[0] in "CQ"

    def test_names_are_unique(self) -> None:
        names = [item.name for item in RULES]
        assert len(names) == len(set(names))

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_declaration_is_valid(self, item: Rule) -> None:
        assert validate_rule(item) == []

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_docstring_has_bad_then_good(self, item: Rule) -> None:
        lines = [line.strip() for line in item.doc.splitlines()]
        bad = [i for i, line in enumerate(lines) if line.startswith("Bad:")]
        good = [i for i, line in enumerate(lines) if line.startswith("Good:")]
        assert len(bad) == 1 and len(good) == 1 and bad[0] < good[0]
        sections = split_doc(item.doc)
        assert sections.summary and sections.bad and sections.good
        assert "Bad:" not in sections.summary + sections.details

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_message_is_french(self, item: Rule) -> None:
        words = set(re.findall(r"[a-zà-ÿ]+", item.message.lower()))
        french = {"de", "du", "des", "la", "le", "les", "un", "une", "au", "absent", "non", "pour", "sur"}
        assert re.search(r"[éèêàâçùûôîœ«»]", item.message) or words & french, item.message

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_message_uses_only_available_parameters(self, item: Rule) -> None:
        assert template_fields(item.message) <= BASE_PARAMS | set(item.params)

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_reference_and_needs(self, item: Rule) -> None:
        assert item.reference.strip()
        assert set(item.needs) <= set(REQUIREMENTS)
        if item.code.startswith("C"):
            assert item.code in item.reference  # official controls cite their FG code

    @pytest.mark.parametrize("item", RULES, ids=CODES)
    def test_serialisable_for_the_api(self, item: Rule) -> None:
        data = json.loads(json.dumps(item.as_dict()))
        assert data["code"] == item.code
        assert data["severity"] in {"blocking", "warning", "info"}
        assert data["summary"] and data["bad"] and data["good"]
        assert set(data) >= {"code", "name", "severity", "message", "reference", "needs", "details"}

    def test_official_severities(self) -> None:
        """Blocking ("Bloquante → 90Z00Z") controls are blocking, "Non bloquante" ones warnings."""
        text = shared_file("../spec/pmsi-formats.md").read_text("utf-8")
        table = text[text.index("### 6.2") : text.index("### 6.3")]  # the C-codes table
        effects = dict(re.findall(r"^\| (C\d{3}) \| [^|]+ \| ([^|]+) \|", table, re.M))
        checked = 0
        for item in RULES:
            effect = effects.get(item.code, "")
            if "Non bloquante" in effect:
                assert item.severity is Severity.WARNING, item.code
                checked += 1
            elif "Bloquante" in effect:
                assert item.severity is Severity.BLOCKING, item.code
                checked += 1
        # C189's effect is not described (title only in DRUIDES 2023): blocking, as drd makes it.
        undescribed = {"C189"}
        assert {code for code in undescribed if code in REGISTRY} == {
            code for code in undescribed if "?" in effects.get(code, "")
        }
        assert all(REGISTRY[code].severity is Severity.BLOCKING for code in undescribed if code in REGISTRY)
        assert checked == sum(
            1 for item in RULES if item.code.startswith("C") and item.code not in undescribed
        )


class TestCases:
    def test_every_rule_has_a_triggering_and_a_passing_case(self) -> None:
        for code in REGISTRY:
            kinds = {case.triggers for case in ALL_CASES if case.code == code}
            assert kinds == {True, False}, (
                f"{code} lacks a {'passing' if True in kinds else 'triggering'} case"
            )

    def test_no_orphan_case(self) -> None:
        assert {case.code for case in ALL_CASES} <= set(REGISTRY)

    def test_case_ids_are_unique(self) -> None:
        ids = [(case.code, case.id) for case in ALL_CASES]
        assert len(ids) == len(set(ids))


NEEDY = [item for item in RULES if item.needs]


class TestPreconditions:
    def test_preconditions_never_hide_a_hit(self) -> None:
        """A rule's `when` conditions hold on every case RSS where its check finds something."""
        for case in ALL_CASES:
            rss = _prepared(case)
            met = conditions_met(rss)
            for item in RULES:
                if list(item.check(rss, case.ctx or FULL_CTX)):
                    assert set(item.when) <= met, (item.code, case.code, case.id)

    def test_gates_never_hide_a_hit(self) -> None:
        """A rule's gate is true on every case RSS where its check finds something."""
        gated = [item for item in RULES if item.gate is not None]
        assert len(gated) == 33
        for case in ALL_CASES:
            rss = _prepared(case)
            ctx = case.ctx or FULL_CTX
            for item in gated:
                if list(item.check(rss, ctx)):
                    assert item.gate is not None and item.gate(rss, ctx), (item.code, case.code, case.id)

    def test_a_gated_code_must_exist(self) -> None:
        def never(rss: Rss, ctx: RuleContext) -> bool:
            return False

        with pytest.raises(ValueError, match=r"gated codes that no rule has: \['Q999'\]"):
            gated([[REGISTRY["C017"]]], {never: ("C017", "Q999")})
        assert gated([[REGISTRY["C017"]]], {never: ("C017",)})[0][0].gate is never

    def test_a_false_gate_spares_its_rules(self) -> None:
        def never(rss: Rss, ctx: RuleContext) -> bool:
            return False

        def always(rss: Rss, ctx: RuleContext) -> bool:
            return True

        found = replace(REGISTRY["C017"], gate=always)
        spared = replace(REGISTRY["C017"], gate=never)
        rss = make_rss(1, sex="M")
        assert [f.rule_code for f in run_rules(rss, BARE_CTX, [found])[0]] == ["C017"]
        assert run_rules(rss, BARE_CTX, [spared])[0] == []

    def test_conditions_of_a_stay(self) -> None:
        assert conditions_met(make_rss(1, das=[], acts=[])) == frozenset()
        grouped = make_rss(2, grouped=True, dr="C509", seances="01")
        assert conditions_met(grouped) == {"multi_rum", "grouped", "acts", "das", "dr", "seances"}

    @pytest.mark.parametrize(
        ("changes", "condition"),
        [
            ({"rss_number": ""}, "blank"),
            ({"sex": ""}, "blank"),
            ({"entry_mode": ""}, "blank"),
            ({"exit_mode": ""}, "blank"),
            ({"dp": ""}, "blank"),
            ({"unit": ""}, "blank"),
            ({"birth_date": ""}, "bad_date"),
            ({"entry_date": "04/03/24"}, "bad_date"),
            ({"exit_date": "31022024"}, "bad_date"),
            ({"birth_date": "\u0661\u0665\u0660\u0666\u0661\u0669\u0665\u0660"}, "bad_date"),
            ({"newborn_weight": "3250"}, "perinatal"),
            ({"gestational_age": "39"}, "perinatal"),
            ({"last_menstrual_date": "01062023"}, "perinatal"),
            ({"confirmation": "1"}, "flags"),
            ({"rt_machine": "2"}, "flags"),
            ({"rt_dosimetry": "2"}, "flags"),
            ({"extra": {"emergency": "5"}}, "flags"),
            ({"entry_mode": "N", "provenance": ""}, "newborn"),
            ({"dp": "P95"}, "newborn"),
            ({"birth_date": "06032024"}, "newborn"),
            ({"postcode": ""}, "admin"),
            ({"postcode": "2A000"}, "admin"),
            ({"finess": "2A0000012"}, "admin"),
            ({"finess": "75000001"}, "admin"),
        ],
    )
    def test_condition_met_by_one_rum(self, changes: dict[str, Any], condition: str) -> None:
        """Each field condition is met as soon as one RUM of the stay meets it, and not before."""
        rss = make_rss(2, das=[], acts=[])
        assert conditions_met(rss) == {"multi_rum"}
        rss.rums[1] = replace(rss.rums[1], **changes)
        assert conditions_met(rss) == {"multi_rum", condition}


class TestSkipped:
    @pytest.mark.parametrize("item", NEEDY, ids=[item.code for item in NEEDY])
    def test_missing_reference_skips_instead_of_passing(self, item: Rule) -> None:
        case = _triggering(item.code)
        rss = _prepared(case)
        for need in item.needs:
            without: dict[str, Any] = {CONTEXT_MEMBER[need]: None}
            ctx = replace(case.ctx or FULL_CTX, **without)
            findings, skipped = run_rules(rss, ctx, [item])
            assert findings == []
            assert skipped == {item.code}

    def test_bare_context_skips_exactly_the_rules_needing_references(self) -> None:
        _, skipped = run_rules(make_rss(1), BARE_CTX)
        assert skipped == {item.code for item in NEEDY}

    def test_full_context_skips_nothing(self) -> None:
        assert run_rules(make_rss(1), FULL_CTX)[1] == set()

    def test_ccam_without_activities_skips_the_activity_rules(self) -> None:
        assert FULL_CTX.ccam is not None
        without = {code: replace(entry, activities=None) for code, entry in FULL_CTX.ccam.items()}
        rss = _prepared(_triggering("C110"))  # activity 4 on a chest X-ray: C110 with activities
        findings, skipped = run_rules(rss, replace(FULL_CTX, ccam=without))
        assert skipped == {"C110", "C111"}  # not C073, C078, C079: the CCAM itself is loaded
        assert [f.rule_code for f in findings if f.rule_code in {"C110", "C111"}] == []
        findings, skipped = run_rules(rss, FULL_CTX)
        assert skipped == set()
        assert [(f.rule_code, f.field, f.value) for f in findings if f.rule_code in {"C110", "C111"}] == [
            ("C110", "acts[0].activity", "4")
        ]

    def test_one_act_listing_its_activities_is_enough(self) -> None:
        # The column exists; an act it leaves blank is just not checked (see _activity_hits).
        ccam = {
            "ZBQK002": CcamCode("ZBQK002", "Radiographie du thorax", frozenset({"1"})),
            "YYYY600": CcamCode("YYYY600"),
        }
        ctx = RuleContext(ccam=ccam, today=FULL_CTX.today)
        assert ctx.has("ccam_activities") and ctx.has("ccam")
        assert not RuleContext(ccam={"YYYY600": CcamCode("YYYY600")}).has("ccam_activities")
        assert not RuleContext().has("ccam_activities")
        rss = _prepared(_triggering("C110"))
        findings, skipped = run_rules(rss, ctx, [REGISTRY["C110"], REGISTRY["C111"]])
        assert skipped == set()
        assert [(f.rule_code, f.rum_index, f.field, f.value) for f in findings] == [
            ("C110", 0, "acts[0].activity", "4")
        ]
        assert findings[0].message == "Activité 4 (anesthésie) inexistante pour l'acte ZBQK002."


class TestRegistry:
    def test_duplicate_code_is_rejected(self) -> None:
        first = RULES[0]
        with pytest.raises(ValueError, match="duplicate rule code"):
            build_registry([[first], [replace(first, name="other.name")]])

    def test_duplicate_name_is_rejected(self) -> None:
        first, second = RULES[0], RULES[1]
        with pytest.raises(ValueError, match="duplicate rule name"):
            build_registry([[first], [replace(second, name=first.name)]])

    def test_catalogue_rebuilds(self) -> None:
        assert dict(build_registry(gated(rules for _, rules in FAMILIES))) == dict(REGISTRY)


class TestLedger:
    """Rule codes are never reused: app/rules/catalog/ledger.py lists every code ever issued."""

    def test_every_registered_code_is_in_the_ledger(self) -> None:
        assert set(REGISTRY) - ISSUED_CODES == set()

    def test_no_registered_code_is_retired(self) -> None:
        assert set(REGISTRY) & RETIRED_CODES == set()

    def test_every_issued_code_is_registered_or_retired(self) -> None:
        # A removed rule moves its code to RETIRED_CODES; it never leaves the ledger.
        assert set(REGISTRY) | RETIRED_CODES == ISSUED_CODES
        assert RETIRED_CODES <= ISSUED_CODES

    def test_ledger_codes_are_well_formed(self) -> None:
        assert [code for code in sorted(ISSUED_CODES) if not CODE_PATTERN.match(code)] == []

    def test_ledger_only_grows(self) -> None:
        # 101 codes (89 FG controls, Q001-Q012) none retired, when the ledger was started.
        assert len(ISSUED_CODES) >= 101
        assert {f"Q{n:03}" for n in range(1, 13)} <= ISSUED_CODES

    def test_a_retired_code_cannot_be_registered_again(self) -> None:
        first = RULES[0]
        with pytest.raises(ValueError, match=f"rule code {first.code} is retired and can never be reused"):
            build_registry([[first]], retired=frozenset({first.code}))

    def test_a_code_missing_from_the_ledger_is_refused(self) -> None:
        newcomer = replace(RULES[0], code="Q999", name="guide.newcomer")
        with pytest.raises(ValueError, match="rule code Q999 is not in the ledger"):
            build_registry([RULES, [newcomer]])
        assert "Q999" in build_registry([[newcomer]], issued=ISSUED_CODES | {"Q999"})

    @pytest.mark.parametrize(
        ("code", "name", "message", "doc", "error"),
        [
            ("X001", "a.b", "Message {value}.", "S.\n\nBad: x\nGood: y", "code"),
            ("Q999", "NoDots", "Message {value}.", "S.\n\nBad: x\nGood: y", "name"),
            ("Q999", "a.b", "Message {nope}.", "S.\n\nBad: x\nGood: y", "undeclared"),
            ("Q999", "a.b", "Message {value}.", "S.\n\nGood: y\nBad: x", "docstring"),
            ("Q999", "a.b", "Message {value}.", "S.\n\nBad: x", "docstring"),
        ],
    )
    def test_decorator_rejects_malformed_rules(
        self, code: str, name: str, message: str, doc: str, error: str
    ) -> None:
        def check(rss: Rss, ctx: RuleContext) -> list[Hit]:
            return []

        check.__doc__ = doc
        with pytest.raises(ValueError, match=error):
            rule(code, name, Severity.INFO, message, reference="test")(check)


GOOD_STAYS = [
    pytest.param(n, version, grouped, id=f"{n}rum-{version}{'-grouped' if grouped else ''}")
    for n in (1, 2, 3)
    for version in ("016", "017", "018", "019", "020", "021", "022", "023")
    for grouped in (False, True)
]


class TestOrdinaryData:
    @pytest.mark.parametrize(("n", "version", "grouped"), GOOD_STAYS)
    def test_valid_stay_has_no_finding(self, n: int, version: str, grouped: bool) -> None:
        rss = through_lines(make_rss(n, version=version, grouped=grouped))
        findings, skipped = run_rules(rss, FULL_CTX)
        assert findings == []
        assert skipped == set()

    def test_chemotherapy_seance_has_no_finding(self) -> None:
        rss = through_lines(make_rss(1, grouped=True, ghm="28Z07Z", dp="Z511", dr="C509", seances="01"))
        assert run_rules(rss, FULL_CTX)[0] == []


class TestEngine:
    def test_default_catalogue_is_the_registry(self) -> None:
        rss = through_lines(make_rss(1, dp=""))
        assert [f.rule_code for f in run_rules(rss, FULL_CTX)[0]] == ["C040"]

    def test_findings_carry_the_rum_and_a_rendered_message(self) -> None:
        rss = through_lines(make_rss(2, sex="1"))
        rss.rums[1].sex = "2"
        (finding,) = run_rules(rss, FULL_CTX, [REGISTRY["C046"]])[0]
        assert (finding.rum_index, finding.rum_number, finding.field, finding.value) == (1, "2", "sex", "2")
        assert finding.message == "Code sexe 2 différent de celui du RUM précédent (1)."
        assert finding.severity is Severity.BLOCKING

    def test_rss_level_finding_has_no_rum(self) -> None:
        rss = through_lines(make_rss(1, grouped=True, ghm="90Z00Z", return_code="040"))
        (finding,) = run_rules(rss, FULL_CTX, [REGISTRY["Q009"]])[0]
        assert finding.rum_index is None and finding.rum_number == ""
        assert (
            finding.message
            == "RSS groupé en erreur (GHM 90Z00Z, CMD 90) ; code retour 040 : Diagnostic principal absent."
        )

    def test_severity_override(self) -> None:
        ctx = RuleContext(today=date(2025, 1, 1), severities={"C040": Severity.INFO})
        (finding,) = run_rules(through_lines(make_rss(1, dp="")), ctx, [REGISTRY["C040"]])[0]
        assert finding.severity is Severity.INFO

    def test_dates_are_shown_in_french(self) -> None:
        rss = through_lines(make_rss(1, entry_date="06032024", exit_date="04032024"))
        (finding,) = run_rules(rss, FULL_CTX, [REGISTRY["C032"]])[0]
        assert finding.message == "Date de sortie 04/03/2024 antérieure à la date d'entrée 06/03/2024."
        assert fr_date("1234") == "1234"

    def test_missing_message_parameter_does_not_fail_the_batch(self) -> None:
        def check(rss: Rss, ctx: RuleContext) -> list[Hit]:
            return [hit(0, "dp", "X")]  # forgets the declared "detail"

        check.__doc__ = "S.\n\nBad: x\nGood: y"
        broken = rule(
            "Q998", "test.broken", Severity.INFO, "Manque {detail}.", reference="test", params=("detail",)
        )(check)
        (finding,) = run_rules(make_rss(1), FULL_CTX, [broken])[0]
        assert finding.message == "Manque ?."

    def test_unit_periods_inclusive_ends(self) -> None:
        units = UnitPeriods({"7500": [(date(2024, 1, 1), date(2024, 6, 30))]})
        assert units.unit_known("7500", date(2024, 6, 30))
        assert not units.unit_known("7500", date(2024, 7, 1))
        assert not units.unit_known("7500", date(2023, 12, 31))
        assert not units.unit_known("7501", date(2024, 3, 1))

    def test_authorisation_history_latest_effect_wins(self) -> None:
        history = AuthorisationHistory(
            [
                ("7500", date(2024, 1, 1), "88"),
                ("7500", date(2020, 1, 1), "29 "),
                ("7501", date(2021, 1, 1), "01A"),
            ]
        )
        assert history.types_on("7500", date(2019, 12, 31)) == ()
        assert history.types_on("7500", date(2023, 5, 1)) == ("29",)
        assert history.types_on("7500", date(2024, 1, 1)) == ("88",)
        assert history.types_on("9999", date(2024, 1, 1)) == ()

    def test_cim_validity(self) -> None:
        code = CimCode("X", valid_from=date(2020, 1, 1), valid_to=date(2024, 1, 1))
        assert code.valid_on(date(2020, 1, 1)) and code.valid_on(date(2023, 12, 31))
        assert not code.valid_on(date(2024, 1, 1)) and not code.valid_on(date(2019, 12, 31))
        assert not CimCode("Y", deleted=True).valid_on(None)


class TestFgLabels:
    def test_lookup_forms(self) -> None:
        assert fg_label("040") == fg_label("40") == fg_label("C040") == "Diagnostic principal absent"
        assert fg_label("000") == fg_label("") == fg_label("   ") == ""
        assert fg_label("999") == ""

    def test_every_official_control_of_the_catalogue_has_a_label(self) -> None:
        for code in REGISTRY:
            if code.startswith("C"):
                assert FG_LABELS.get(code[1:]), code

    def test_covers_the_official_return_codes(self) -> None:
        with shared_file("fg_errors/fg_mco_codes_erreur.csv").open(encoding="utf-8") as handle:
            official = {row["code"].zfill(3) for row in csv.DictReader(handle)}
        assert official - set(FG_LABELS) == set()
