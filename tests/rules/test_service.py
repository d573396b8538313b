from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.reference import service as reference_service
from app.reference.schemas import NomenclatureKind
from app.rules import service
from app.rules.models import Finding
from app.rules.service import FindingCounts
from app.structure.models import Unit
from tests.ingestion.builders import make_rss
from tests.rules.storage import ingest, with_dp

# The codes of the builders' default stay (DP J189, DA I10) and of a séance DP.
TINY_CIM = b"code;label;type_mco\nJ189;Pneumopathie, sans precision;0\nI10;Hypertension essentielle;0\n"


def load_cim(session: Session, data: bytes = TINY_CIM, year: int = 2024) -> None:
    reference_service.load(
        session, kind=NomenclatureKind.CIM10, year=year, data=data, source="test", loaded_by="test"
    )


def findings(session: Session, rule: str | None = None) -> list[Finding]:
    query = select(Finding).order_by(Finding.id).execution_options(populate_existing=True)
    if rule is not None:
        query = query.where(Finding.rule_code == rule)
    return list(session.scalars(query))


class TestFindingCounts:
    def test_addition_sums_severities_and_unites_skipped_rules(self) -> None:
        total = FindingCounts(1, 2, 3, frozenset({"C067"})) + FindingCounts(10, 0, 1, frozenset({"C073"}))
        assert total == FindingCounts(11, 2, 4, frozenset({"C067", "C073"}))
        assert total.total == 17
        assert total.as_dict() == {"blocking": 11, "warning": 2, "info": 4}
        assert FindingCounts() + total == total


class TestCheckAndStore:
    def test_findings_of_an_rss_are_stored_with_unit_and_exit_date(self, session: Session) -> None:
        load_cim(session)
        counts = ingest(session, with_dp(make_rss(2, rss_number="42"), "J189", "X999"))
        assert counts.blocking == 1
        assert "C067" not in counts.skipped
        [row] = findings(session)
        assert (row.rule_code, row.severity, row.rss_number, row.rum_number, row.rum_index) == (
            "C067",
            "blocking",
            "42",
            "2",
            1,
        )
        assert (row.field, row.value, row.unit, row.rss_exit_date) == ("dp", "X999", "7501", date(2024, 3, 8))
        assert row.message == "DP X999 : code n'ayant jamais existé dans la CIM-10 (à la date de sortie)."
        assert (row.status, row.closed_at) == ("open", None)

    def test_rule_needing_cim10_is_skipped_until_it_is_loaded(self, session: Session) -> None:
        counts = ingest(session, with_dp(make_rss(1, rss_number="1"), "X999"))
        assert counts == FindingCounts(0, 0, 0, counts.skipped)
        assert {"C067", "C070", "C073", "Q008"} <= counts.skipped
        assert findings(session) == []
        load_cim(session)
        counts = ingest(session, with_dp(make_rss(1, rss_number="2"), "X999"))
        assert "C067" not in counts.skipped
        assert [(f.rule_code, f.rss_number, f.value) for f in findings(session)] == [("C067", "2", "X999")]

    def test_new_version_carries_review_state_and_closes_fixed_findings(self, session: Session) -> None:
        load_cim(session)
        ingest(session, with_dp(make_rss(3, rss_number="7"), "X999", "X998", "J189"))
        first, second = findings(session)
        first.status, first.comment = "acknowledged", "vu avec le service"
        session.flush()

        # Version 2: RUM 1 still wrong, RUM 2 fixed, RUM 3 newly wrong.
        counts = ingest(session, with_dp(make_rss(3, rss_number="7"), "X999", "J189", "X997"))
        assert counts.blocking == 2
        kept, closed, opened = findings(session)
        current = session.scalar(select(Finding.rss_version_id).where(Finding.id == opened.id))
        assert (kept.id, kept.status, kept.comment, kept.closed_at) == (
            first.id,
            "acknowledged",
            "vu avec le service",
            None,
        )
        assert kept.rss_version_id == current
        assert closed.id == second.id and closed.closed_at is not None and closed.status == "open"
        assert closed.rss_version_id != current  # history: stays on the version that had it
        assert (opened.rum_number, opened.value, opened.status) == ("3", "X997", "open")

    def test_clean_new_version_closes_everything(self, session: Session) -> None:
        load_cim(session)
        ingest(session, with_dp(make_rss(1, rss_number="8"), "X999"))
        counts = ingest(session, make_rss(1, rss_number="8"))
        assert counts.total == 0
        assert all(row.closed_at is not None for row in findings(session))

    def test_same_fingerprint_twice_is_matched_one_to_one(self, session: Session) -> None:
        load_cim(session)
        rss = make_rss(1, rss_number="9")
        rss.rums[0].das = ["X999", "X999"]
        ingest(session, rss)
        assert [f.field for f in findings(session, "C070")] == ["das[0]", "das[1]"]
        rss = make_rss(1, rss_number="9")
        rss.rums[0].das = ["X999", "I10", "X999"]
        ingest(session, rss)
        rows = findings(session, "C070")
        # The field is part of the fingerprint: das[1] moved to das[2], so one closes, one opens.
        assert [(f.field, f.closed_at is None) for f in rows] == [
            ("das[0]", True),
            ("das[1]", False),
            ("das[2]", True),
        ]

    def test_findings_counter_is_incremented(self, session: Session) -> None:
        load_cim(session)
        labels = {"rule": "C067", "severity": "blocking"}
        before = REGISTRY.get_sample_value("dimqa_findings_total", labels) or 0.0
        ingest(session, with_dp(make_rss(2, rss_number="10"), "X999", "X998"))
        assert REGISTRY.get_sample_value("dimqa_findings_total", labels) == before + 2


class TestContext:
    def test_nomenclatures_are_cached_until_a_new_load(self, session: Session) -> None:
        load_cim(session)
        first = service.load_context(session)
        second = service.load_context(session)
        assert first.cim10 is second.cim10
        assert first.ccam is None and first.ghm_labels is None and first.units is None
        load_cim(session, TINY_CIM + b"Z511;Seance de chimiotherapie pour tumeur;0\n", year=2025)
        third = service.load_context(session)
        assert third.cim10 is not first.cim10
        assert third.cim10 is not None and set(third.cim10) == {"J189", "I10", "Z511"}

    def test_withdrawn_codes_are_flagged(self, session: Session) -> None:
        load_cim(session, TINY_CIM + b"A90;*** SU17 *** Dengue [dengue classique];3\n")
        ctx = service.load_context(session)
        assert ctx.cim10 is not None
        assert ctx.cim10["A90"].deleted and not ctx.cim10["J189"].deleted

    def test_today_is_the_hospitals_day(self, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
        # 23:30 UTC on 9 March is 00:30 on 10 March in Paris: an act of the 10th is not in the future.
        class LateEvening(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> LateEvening:
                instant = datetime(2024, 3, 9, 23, 30, tzinfo=UTC)
                return cls.fromtimestamp(instant.timestamp(), tz)

        monkeypatch.setattr(clock, "datetime", LateEvening)
        assert service.load_context(session).today == date(2024, 3, 10)
        assert service.load_context(session, today=date(2024, 1, 2)).today == date(2024, 1, 2)

    def test_structure_is_read_each_time(self, session: Session) -> None:
        assert service.load_context(session).units is None
        session.add(Unit(code="7500", label="Oncologie", valid_from=date(1900, 1, 1)))
        session.flush()
        units = service.load_context(session).units
        assert units is not None and units.unit_known("7500", date(2024, 1, 1))


class TestValidationRun:
    def test_counts_after_loading_a_nomenclature(self, session: Session) -> None:
        ingest(session, with_dp(make_rss(2, rss_number="1"), "X999", "X998"))
        ingest(session, with_dp(make_rss(1, rss_number="2"), "X999"))
        ingest(session, make_rss(1, rss_number="3"))
        assert findings(session) == []

        load_cim(session)
        result = service.run_validation(session, chunk=2)
        assert (result.rss_checked, result.findings_opened, result.findings_closed) == (3, 3, 0)
        assert result.findings_unchanged == 0
        assert "C067" not in result.skipped_rules and "Q008" in result.skipped_rules

        again = service.run_validation(session)
        assert (again.findings_opened, again.findings_closed, again.findings_unchanged) == (0, 0, 3)

        # A later CIM-10 year knows X999: the 2024 stays are still judged by the 2024 CIM-10.
        load_cim(session, TINY_CIM + b"X999;Code de test;0\n", year=2025)
        later = service.run_validation(session)
        assert (later.findings_opened, later.findings_closed, later.findings_unchanged) == (0, 0, 3)

        # The 2024 CIM-10 reloaded with X999: its findings close, their review would be history.
        load_cim(session, TINY_CIM + b"X999;Code de test;0\n", year=2024)
        after = service.run_validation(session)
        assert (after.findings_opened, after.findings_closed, after.findings_unchanged) == (0, 2, 1)
        assert [(f.value, f.closed_at is None) for f in findings(session)] == [
            ("X999", False),
            ("X998", True),
            ("X999", False),
        ]

    def test_only_current_versions_are_checked(self, session: Session) -> None:
        ingest(session, with_dp(make_rss(1, rss_number="5"), "X999"))
        ingest(session, with_dp(make_rss(1, rss_number="5"), "X998"))
        load_cim(session)
        result = service.run_validation(session)
        assert (result.rss_checked, result.findings_opened) == (1, 1)
        assert [f.value for f in findings(session)] == ["X998"]

    def test_nothing_stored(self, session: Session) -> None:
        result = service.run_validation(session)
        assert result.rss_checked == 0
        assert "C067" in result.skipped_rules
