"""Issue 17, corrections from the review of the existing rules, with their exact messages:
Q005 leaves the IMG alone, C025 follows the dates at which entry modes N and O became valid, Q009
never prints "000 : libellé inconnu" for a blank return code; and the guide warnings Q006 / Q007
no longer repeat the blocking control C126 on the same defect."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.rules.catalog import REGISTRY
from app.rules.engine import Finding, run_rules
from tests.rules.cases import FULL_CTX
from tests.rules.cases._support import act, one, stay
from tests.rules.test_cases import through_lines


def _run(codes: list[str], rss: object) -> list[Finding]:
    return run_rules(through_lines(rss), FULL_CTX, [REGISTRY[code] for code in codes])[0]  # type: ignore[arg-type]


class TestQ005MedicalAbortion:
    @pytest.mark.parametrize("dp", ["O0491", "O0492", "O0493", "O0441", "O0453"])
    def test_img_is_not_a_medical_ivg(self, dp: str) -> None:
        assert _run(["Q005"], one(dp=dp, acts=[act(code="JNJP001")])) == []

    def test_legal_ivg_over_two_days(self) -> None:
        (finding,) = _run(["Q005"], one(dp="O0490", acts=[act(code="JNJP001")]))
        assert finding.message == (
            "IVG médicamenteuse (DP O0490, acte JNJP001) sur un RUM du 04/03/2024 au 06/03/2024 : "
            "entrée et sortie le même jour attendues."
        )


class TestC025EntryModeDates:
    def test_birth_before_its_mode_existed(self) -> None:
        (finding,) = _run(["C025"], one(entry_mode="N", entry_date="04022019", exit_date="06022019", acts=[]))
        assert (finding.field, finding.value) == ("entry_mode", "N")
        assert finding.message == (
            "Mode d'entrée / provenance « N » erroné "
            "(mode N valable pour les sorties à partir du 01/03/2019)."
        )

    def test_the_stay_exit_date_decides(self) -> None:
        # RUM 1 leaves in February, but the stay (its last RUM) is discharged in March 2019.
        rss = stay(2, {0: {"entry_mode": "N"}}, entry=date(2019, 2, 26))
        assert _run(["C025"], rss) == []

    def test_organ_procurement_before_2024(self) -> None:
        (finding,) = _run(["C025"], one(entry_mode="O", entry_date="28022024", exit_date="29022024", acts=[]))
        assert finding.message == (
            "Mode d'entrée / provenance « O » erroné "
            "(mode O valable pour les sorties à partir du 01/03/2024)."
        )
        assert _run(["C025"], one(entry_mode="O", entry_date="29022024", exit_date="01032024", acts=[])) == []

    def test_matrix_message_unchanged_in_substance(self) -> None:
        (finding,) = _run(["C025"], one(provenance="1"))
        assert (
            finding.message
            == "Mode d'entrée / provenance « 8-1 » erroné (combinaison hors de la table ATIH)."
        )


class TestQ009ReturnCode:
    def test_blank_return_code(self) -> None:
        (finding,) = _run(["Q009"], one(grouped=True, ghm="90Z00Z", return_code=""))
        assert finding.message == "RSS groupé en erreur (GHM 90Z00Z, CMD 90) ; code retour non renseigné."
        assert "libellé inconnu" not in finding.message

    def test_zero_return_code(self) -> None:
        (finding,) = _run(["Q009"], one(grouped=True, ghm="90Z00Z", return_code="000"))
        assert finding.message == (
            "RSS groupé en erreur (GHM 90Z00Z, CMD 90) ; code retour 000 (aucune erreur indiquée par la "
            "fonction groupage)."
        )

    def test_known_and_unknown_codes(self) -> None:
        (known,) = _run(["Q009"], one(grouped=True, ghm="90Z00Z", return_code="126"))
        assert known.message == (
            "RSS groupé en erreur (GHM 90Z00Z, CMD 90) ; code retour 126 : Âge gestationnel requis absent."
        )
        (unknown,) = _run(["Q009"], one(grouped=True, ghm="90Z00Z", return_code="999"))
        assert (
            unknown.message
            == "RSS groupé en erreur (GHM 90Z00Z, CMD 90) ; code retour 999 : libellé inconnu."
        )


class TestMessages:
    def test_childbirth_outside_cmd14(self) -> None:
        (finding,) = _run(["C261"], one(grouped=True, ghm="06C04A", sex="2", das=["I10", "O800"]))
        assert finding.message == (
            "Accouchement (DA O80.0) dans un séjour groupé en 06C04A, hors CMD 14 : confirmation du "
            "codage (position 145 du dernier RUM) requise mais absente."
        )

    def test_delivery_act_on_the_second_rum_after_a_z37(self) -> None:
        rss = stay(
            2,
            {0: {"das": ["Z370"]}, 1: {"acts": [act(code="JQGD010", date="")]}},
            sex="2",
            birth_date="15061990",
        )
        (finding,) = _run(["C142"], rss)
        assert (finding.rum_index, finding.field) == (1, "acts[0].date")

    def test_weight_required(self) -> None:
        (finding,) = _run(["C168"], one(birth_date="20022024"))
        assert finding.message == (
            "Poids d'entrée absent pour un patient âgé de 13 jour(s) à l'entrée (requis avant 29 jours)."
        )
        assert _run(["C168"], one(birth_date="20122023", entry_date="04012024", exit_date="05012024")) != []


class TestOneFindingPerDefect:
    def test_delivery_without_any_gestational_age_is_c126_only(self) -> None:
        rss = one(
            sex="2",
            birth_date="15061990",
            das=["Z370"],
            acts=[act(code="JQGD010")],
            last_menstrual_date="01062023",
        )
        findings = _run(["Q006", "Q007", "C126", "C174"], rss)
        assert [(f.rule_code, f.severity.value, f.message) for f in findings] == [
            (
                "C126",
                "blocking",
                "Âge gestationnel requis absent (acte d'accouchement JQGD010).",
            )
        ]

    def test_newborn_without_gestational_age_is_c126_only(self) -> None:
        rss = one(entry_mode="N", birth_date="04032024", dp="Z380", das=[], acts=[], newborn_weight="3250")
        findings = _run(["Q006", "Q007", "C126"], rss)
        assert [(f.rule_code, f.message) for f in findings] == [
            (
                "C126",
                "Âge gestationnel requis absent (nouveau-né : date d'entrée égale à la date de naissance).",
            )
        ]

    def test_stillbirth_leaving_home_is_c143_only(self) -> None:
        rss = one(
            entry_mode="N",
            birth_date="04032024",
            exit_date="04032024",
            exit_mode="8",
            dp="P95",
            das=[],
            acts=[],
            gestational_age="24",
        )
        findings = _run(["C143", "C147"], rss)
        assert [(f.rule_code, f.message) for f in findings] == [
            ("C143", "Mode de sortie 8 incohérent avec le DP P95 (mort-né) : sortie par décès (9) attendue.")
        ]


ISSUE_17_CODES = [
    "C076",
    "C081",
    "C126",
    "C129",
    "C142",
    "C143",
    "C145",
    "C147",
    "C162",
    "C163",
    "C164",
    "C165",
    "C166",
    "C168",
    "C174",
    "C179",
    "C184",
    "C189",
    "C190",
    "C191",
    "C253",
    "C261",
    "C262",
]


def test_the_served_catalogue_lists_the_new_controls(client: Any, auth_headers: Any) -> None:
    items = client.get("/api/v1/rules", headers=auth_headers("reader")).json()["items"]
    served = {item["code"]: item for item in items}
    assert [code for code in ISSUE_17_CODES if code not in served] == []
    # Table-free: they run with no reference loaded.
    assert [code for code in ISSUE_17_CODES if served[code]["skipped"] or served[code]["needs"]] == []
    assert served["C126"]["severity"] == "blocking" and served["C166"]["severity"] == "warning"
    assert served["C168"]["message"] == (
        "Poids d'entrée absent pour un patient âgé de {days} jour(s) à l'entrée (requis avant 29 jours)."
    )


def test_the_served_catalogue_lists_the_atypia_and_the_version_rule(client: Any, auth_headers: Any) -> None:
    items = client.get("/api/v1/rules", headers=auth_headers("reader")).json()["items"]
    served = {item["code"]: (item["name"], item["severity"], item["needs"]) for item in items}
    assert {code: served[code] for code in ("Q015", "Q016", "Q017", "Q018", "Q019", "Q020")} == {
        "Q015": ("versions.year_not_loaded", "info", []),
        "Q016": ("atypia.dr_equals_dp", "warning", []),
        "Q017": ("atypia.symptom_dp_explained", "warning", []),
        "Q018": ("atypia.los_below_level_minimum", "warning", []),
        "Q019": ("atypia.los_above_high_bound", "warning", ["ghs_tariffs"]),
        "Q020": ("atypia.los_below_low_bound", "warning", ["ghs_tariffs"]),
    }
