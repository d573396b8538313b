"""MCO activity endpoints on a small synthetic year with exact expected figures.

The year (2024), written with the RUM builders and writer and stored as the ingestion stores it
(rss_version + rum, a later batch superseding an earlier version):

    R01  complete  7500 (exit 28/06) -> 7300 (exit 02/07, after its move to CHIR) -> 6100, exit 05/07
    R02  complete  7300, exit 24/06 (MED); its first version (7500, 04M052) is superseded
    R03  complete  7300 (exit 30/06, still MED) -> 5520, exit 01/07
    R04  0 jour    6200, 10/02
    R05  séance    7702, 28Z07Z, 1 séance       R06  séance  7702, 28Z07Z, 1 séance
    R07  séance    7702, 28Z17Z, 3 séances      R08  séance  7500, no GHM, 2 séances
    R09  complete  9999 (unknown UM)            R10  0 jour  5520, 31/12 (last day included)
    R11  exit 01/01/2025, R12 exit 31/12/2023: outside the period
    R13  exit 01/08/2024 in batch 1, moved to 05/01/2025 by batch 2: not counted

UM 7300 (Médecine polyvalente) belongs to pôle MED until 30/06/2024 and to CHIR from 01/07/2024.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.activity.models import RssDay, RssMonth, RumDay, RumMonth
from app.ingestion.models import RssVersion, Rum, RumBatch
from app.ingestion.records import Rss, as_date, as_int
from app.ingestion.writer import write_rum
from app.reference.models import GhmLabel
from tests.ingestion.builders import ddmmyyyy, make_rum

pytestmark = pytest.mark.usefixtures("realistic")

YEAR = {"from": "2024-01-01", "to": "2024-12-31"}

STRUCTURE = {
    "poles": [
        {"code": "CHIR", "label": "Mère-enfant-chirurgie"},
        {"code": "MED", "label": "Médecine"},
        {"code": "URG", "label": "Urgences"},
    ],
    "units": [
        {"code": "7500", "label": "Oncologie", "pole": "MED"},
        {"code": "7702", "label": "HDJ Oncologie", "pole": "MED"},
        {"code": "7300", "label": "Médecine polyvalente", "pole": "MED", "valid_to": "2024-06-30"},
        {"code": "7300", "label": "Médecine polyvalente", "pole": "CHIR", "valid_from": "2024-07-01"},
        {"code": "6100", "label": "Chirurgie viscérale", "pole": "CHIR"},
        {"code": "6200", "label": "Pédiatrie", "pole": "CHIR"},
        {"code": "5520", "label": "Unité de surveillance courte durée", "pole": "URG"},
    ],
}


def stay(
    number: str,
    segments: list[tuple[str, date, date]],
    *,
    ghm: str = "",
    seances: int = 0,
) -> Rss:
    """An RSS with one RUM per (unit, entry, exit) segment; grouped when `ghm` is given."""
    rums = []
    for k, (unit, entry, exit_) in enumerate(segments):
        first, last = k == 0, k == len(segments) - 1
        rums.append(
            make_rum(
                line=k + 1,
                rss_number=number,
                admin_number=f"NDA{number}",
                rum_number=str(k + 1),
                unit=unit,
                entry_date=ddmmyyyy(entry),
                exit_date=ddmmyyyy(exit_),
                entry_mode="8" if first else "6",
                provenance="" if first else "1",
                exit_mode="8" if last else "6",
                destination="" if last else "1",
                grouped=bool(ghm),
                ghm=ghm,
                classification_version="11" if ghm else "",
                return_code="000" if ghm else "",
                dp="Z511" if seances else "J189",
                seances=f"{seances:02d}" if first else "00",
                acts=[],
            )
        )
    return Rss(number, rums)


def store_batch(session: Session, stays: list[Rss], *, name: str) -> None:
    """Store RSS as the RUM ingestion does: one batch; a known RSS number gets a new current version."""
    batch = RumBatch(
        content_sha256=name.ljust(64, "0"),
        source="file",
        token_name="test",
        status="accepted",
        formats={},
        errors=[],
        findings={},
        skipped_rules=[],
    )
    session.add(batch)
    session.flush()
    for rss in stays:
        session.execute(
            update(RssVersion)
            .where(RssVersion.rss_number == rss.rss_number, RssVersion.is_current)
            .values(is_current=False, superseded_at=func.now())
        )
        version = RssVersion(
            rss_number=rss.rss_number,
            batch_id=batch.id,
            is_current=True,
            content_hash=name.ljust(64, "0"),
            finess=rss.first.finess,
            stay_number=rss.first.admin_number,
            format=rss.first.format_code,
            entry_date=rss.entry_date,
            exit_date=rss.exit_date,
            care_type=rss.care_type,
            ghm=rss.ghm or None,
            cmd=rss.ghm[:2] or None,
            return_code=rss.first.return_code or None,
            classification_version=rss.first.classification_version or None,
            seances=rss.seances,
            rum_count=len(rss.rums),
            exit_unit=rss.last.unit,
        )
        session.add(version)
        session.flush()
        session.add_all(
            Rum(
                rss_version_id=version.id,
                position=k,
                line=rum.line,
                line_text=write_rum(rum),
                rum_number=rum.rum_number,
                unit=rum.unit,
                entry_date=as_date(rum.entry_date),
                exit_date=as_date(rum.exit_date),
                rss_exit_date=rss.exit_date,
                care_type=rss.care_type,
                dp=rum.dp,
                dr=rum.dr,
                das=rum.das,
                seances=as_int(rum.seances) or 0,
                acts=[a.code for a in rum.acts],
            )
            for k, rum in enumerate(rss.rums)
        )
        session.flush()


D = date


def year_batches() -> tuple[list[Rss], list[Rss]]:
    first = [
        stay("R02", [("7500", D(2024, 6, 20), D(2024, 6, 24))], ghm="04M052"),
        stay("R13", [("6100", D(2024, 7, 29), D(2024, 8, 1))], ghm="06C041"),
        stay("R04", [("6200", D(2024, 2, 10), D(2024, 2, 10))], ghm="23M20T"),
        stay("R12", [("5520", D(2023, 12, 30), D(2023, 12, 31))], ghm="05M09T"),
    ]
    second = [
        stay(
            "R01",
            [
                ("7500", D(2024, 6, 25), D(2024, 6, 28)),
                ("7300", D(2024, 6, 28), D(2024, 7, 2)),
                ("6100", D(2024, 7, 2), D(2024, 7, 5)),
            ],
            ghm="06C041",
        ),
        stay("R02", [("7300", D(2024, 6, 20), D(2024, 6, 24))], ghm="04M051"),
        stay(
            "R03",
            [("7300", D(2024, 6, 27), D(2024, 6, 30)), ("5520", D(2024, 6, 30), D(2024, 7, 1))],
            ghm="04M051",
        ),
        stay("R05", [("7702", D(2024, 4, 2), D(2024, 4, 2))], ghm="28Z07Z", seances=1),
        stay("R06", [("7702", D(2024, 5, 14), D(2024, 5, 14))], ghm="28Z07Z", seances=1),
        stay("R07", [("7702", D(2024, 9, 1), D(2024, 9, 3))], ghm="28Z17Z", seances=3),
        stay("R08", [("7500", D(2024, 10, 10), D(2024, 10, 10))], seances=2),
        stay("R09", [("9999", D(2024, 11, 1), D(2024, 11, 4))], ghm="05M091"),
        stay("R10", [("5520", D(2024, 12, 31), D(2024, 12, 31))], ghm="05M09T"),
        stay("R11", [("5520", D(2024, 12, 30), D(2025, 1, 1))], ghm="05M09T"),
        stay("R13", [("6100", D(2024, 12, 29), D(2025, 1, 5))], ghm="06C041"),
    ]
    return first, second


@pytest.fixture()
def year(client: Any, auth_headers: Callable[..., dict[str, str]], session: Session) -> Any:
    response = client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin"))
    assert response.status_code == 200, response.text
    first, second = year_batches()
    store_batch(session, first, name="batch1")
    store_batch(session, second, name="batch2")
    session.commit()
    return client


def get(client: Any, headers: dict[str, str], path: str, **params: str) -> Any:
    response = client.get(f"/api/v1/activity/{path}", params={**YEAR, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response


class TestUnits:
    def test_rum_per_pole_and_unit_through_the_structure_valid_at_each_rum_exit(
        self, year: Any, auth_headers: Any
    ) -> None:
        body = get(year, auth_headers("reader"), "units").json()
        poles = {p["pole"]: p for p in body["poles"]}
        assert [p["pole"] for p in body["poles"]] == ["CHIR", "MED", "URG", "unmapped"]
        assert {k: p["rum"] for k, p in poles.items()} == {"MED": 7, "CHIR": 3, "URG": 2, "unmapped": 1}
        assert poles["MED"]["label"] == "Médecine"
        assert poles["MED"]["units"] == [
            {"unit": "7300", "label": "Médecine polyvalente", "rum": 2},
            {"unit": "7500", "label": "Oncologie", "rum": 2},
            {"unit": "7702", "label": "HDJ Oncologie", "rum": 3},
        ]
        assert poles["CHIR"]["units"] == [
            {"unit": "6100", "label": "Chirurgie viscérale", "rum": 1},
            {"unit": "6200", "label": "Pédiatrie", "rum": 1},
            {"unit": "7300", "label": "Médecine polyvalente", "rum": 1},
        ]
        assert poles["unmapped"] == {
            "pole": "unmapped",
            "label": "UM inconnue de la structure",
            "rum": 1,
            "units": [{"unit": "9999", "label": None, "rum": 1}],
        }
        assert body["total"] == {"rum": 13}
        assert body["period"] == YEAR
        assert body["scope"] == {"units": None}

    def test_a_shorter_period_counts_by_rss_discharge_date(self, year: Any, auth_headers: Any) -> None:
        # 1 to 3 July: R03 (its 7300 RUM exits on 30/06, so MED) only.
        body = get(year, auth_headers("reader"), "units", **{"from": "2024-07-01", "to": "2024-07-03"}).json()
        assert {p["pole"]: [(u["unit"], u["rum"]) for u in p["units"]] for p in body["poles"]} == {
            "MED": [("7300", 1)],
            "URG": [("5520", 1)],
        }

    def test_unit_restricted_token_counts_only_its_units(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader", units=["7702", "7300"]), "units").json()
        assert body["scope"] == {"units": ["7300", "7702"]}
        assert {p["pole"]: [(u["unit"], u["rum"]) for u in p["units"]] for p in body["poles"]} == {
            "CHIR": [("7300", 1)],
            "MED": [("7300", 2), ("7702", 3)],
        }
        assert body["total"] == {"rum": 6}

    def test_csv_is_semicolon_separated_utf8_with_bom(self, year: Any, auth_headers: Any) -> None:
        response = get(year, auth_headers("reader"), "units", format="csv")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert (
            'filename="activite-rum-par-um_2024-01-01_2024-12-31.csv"'
            in response.headers["content-disposition"]
        )
        lines = response.content.split(b"\r\n")
        assert lines[0] == "\ufeffPôle;Libellé du pôle;UM;Libellé de l'UM;RUM".encode()
        assert lines[1] == "CHIR;Mère-enfant-chirurgie;6100;Chirurgie viscérale;1".encode()
        assert lines[-2] == b"Total;;;;13"


class TestCareTypes:
    def test_rum_and_rss_per_type_of_care(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("dim"), "care-types").json()
        assert body["rows"] == [
            {"care_type": "complete", "label": "Hospitalisation complète", "rum": 7, "rss": 4},
            {"care_type": "zero_day", "label": "Hospitalisation 0 jour (hors séance)", "rum": 2, "rss": 2},
            {"care_type": "seance", "label": "Séances", "rum": 4, "rss": 4},
        ]
        assert body["total"] == {"rum": 13, "rss": 10}

    def test_unit_restricted_token_counts_rss_by_exit_unit(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader", units=["7702", "7300"]), "care-types").json()
        assert [(r["care_type"], r["rum"], r["rss"]) for r in body["rows"]] == [
            ("complete", 3, 1),
            ("zero_day", 0, 0),
            ("seance", 3, 3),
        ]

    def test_csv_exact_bytes(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader"), "care-types", format="csv").content
        assert body.startswith(
            b"\xef\xbb\xbfType de prise en charge;RUM;RSS\r\n" + "Hospitalisation complète;7;4\r\n".encode()
        )

    def test_xlsx_has_the_table_and_its_totals(self, year: Any, auth_headers: Any) -> None:
        response = get(year, auth_headers("reader"), "care-types", format="xlsx")
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [tuple(c.value for c in row) for row in sheet.iter_rows()]
        assert rows[0] == ("Type de prise en charge", "RUM", "RSS")
        assert rows[1] == ("Hospitalisation complète", 7, 4)
        assert rows[-1] == ("Total", 13, 10)
        assert sheet.cell(row=len(rows), column=1).font.bold


class TestSeances:
    def test_by_unit(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader"), "seances", by="unit").json()
        assert body["rows"] == [
            {
                "key": "7500",
                "label": "Oncologie",
                "pole": "MED",
                "pole_label": "Médecine",
                "rss": 1,
                "seances": 2,
            },
            {
                "key": "7702",
                "label": "HDJ Oncologie",
                "pole": "MED",
                "pole_label": "Médecine",
                "rss": 3,
                "seances": 5,
            },
        ]
        assert body["total"] == {"rss": 4, "seances": 7}

    def test_by_ghm_with_builtin_cmd28_labels(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader"), "seances", by="ghm").json()
        assert [(r["key"], r["label"], r["rss"], r["seances"]) for r in body["rows"]] == [
            ("28Z07Z", "Chimiothérapie pour tumeur, en séances", 2, 2),
            ("28Z17Z", "Chimiothérapie pour affection non tumorale, en séances", 1, 3),
            (None, "RSS non groupé (sans GHM)", 1, 2),
        ]
        assert body["total"] == {"rss": 4, "seances": 7}

    def test_xlsx_by_ghm(self, year: Any, auth_headers: Any) -> None:
        content = get(year, auth_headers("reader"), "seances", by="ghm", format="xlsx").content
        rows = [tuple(c.value for c in r) for r in load_workbook(io.BytesIO(content)).active.iter_rows()]
        assert rows[0] == ("GHM", "Libellé", "RSS-séances", "Séances")
        assert rows[-1] == ("Total", None, 4, 7)


class TestGhm:
    def test_case_mix_per_ghm(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader"), "ghm").json()
        assert [(r["key"], r["rss"]) for r in body["rows"]] == [
            ("04M051", 2),
            ("05M091", 1),
            ("05M09T", 1),
            ("06C041", 1),
            ("23M20T", 1),
            ("28Z07Z", 2),
            ("28Z17Z", 1),
            (None, 1),
        ]
        labels = {r["key"]: r["label"] for r in body["rows"]}
        # From the realistic configuration's GHM nomenclature (app/demo/data/ghm.csv).
        assert labels["04M051"] == "Pneumonies et pleurésies banales, âge supérieur à 17 ans, niveau 1"
        assert labels["28Z07Z"] == "Chimiothérapie pour tumeur, en séances"
        assert body["total"] == {"rss": 10}

    @pytest.mark.empty_configuration("loads its own GHM labels for several years, to see which year wins")
    def test_labels_from_the_loaded_nomenclature_of_the_closest_year(
        self, year: Any, auth_headers: Any, session: Session
    ) -> None:
        session.add_all(
            [
                GhmLabel(year=2023, ghm="04M051", label="Pneumonies (2023)"),
                GhmLabel(year=2024, ghm="04M051", label="Pneumonies et pleurésies banales, niveau 1"),
                GhmLabel(year=2025, ghm="04M051", label="Pneumonies (2025)"),
                GhmLabel(year=2022, ghm="05M091", label="Insuffisances cardiaques, niveau 1"),
            ]
        )
        session.commit()
        labels = {r["key"]: r["label"] for r in get(year, auth_headers("reader"), "ghm").json()["rows"]}
        assert labels["04M051"] == "Pneumonies et pleurésies banales, niveau 1"
        assert labels["05M091"] == "Insuffisances cardiaques, niveau 1"

    def test_per_cmd_with_builtin_labels(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader"), "ghm", level="cmd").json()
        assert [(r["key"], r["rss"]) for r in body["rows"]] == [
            ("04", 2),
            ("05", 2),
            ("06", 1),
            ("23", 1),
            ("28", 3),
            (None, 1),
        ]
        assert body["rows"][0]["label"] == "Affections de l'appareil respiratoire"
        assert body["rows"][4]["label"] == "Séances"

    def test_unit_restricted(self, year: Any, auth_headers: Any) -> None:
        body = get(year, auth_headers("reader", units=["7702", "7300"]), "ghm").json()
        assert [(r["key"], r["rss"]) for r in body["rows"]] == [("04M051", 1), ("28Z07Z", 2), ("28Z17Z", 1)]


class TestPeriodsAndRoles:
    def test_partial_months_read_the_day_summary(self, year: Any, auth_headers: Any) -> None:
        # 15 May - 5 September: R01, R02, R03 (July), R07 (September); R06 (14 May) is out.
        body = get(year, auth_headers("reader"), "ghm", **{"from": "2024-05-15", "to": "2024-09-05"}).json()
        assert [(r["key"], r["rss"]) for r in body["rows"]] == [("04M051", 2), ("06C041", 1), ("28Z17Z", 1)]

    def test_to_before_from_is_a_400(self, year: Any, auth_headers: Any) -> None:
        response = year.get(
            "/api/v1/activity/units",
            params={"from": "2024-12-31", "to": "2024-01-01"},
            headers=auth_headers("reader"),
        )
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"] == [
            {
                "line": None,
                "field": "to",
                "code": "invalid_period",
                "message": "`to` must be on or after `from`",
            }
        ]

    def test_missing_period_is_a_422(self, year: Any, auth_headers: Any) -> None:
        response = year.get("/api/v1/activity/units", headers=auth_headers("reader"))
        assert response.status_code == 422

    @pytest.mark.parametrize("path", ["units", "care-types", "seances", "ghm", "ssr-cm"])
    def test_ingest_role_is_refused_and_reader_allowed(self, year: Any, auth_headers: Any, path: str) -> None:
        url = f"/api/v1/activity/{path}"
        assert year.get(url, params=YEAR, headers=auth_headers("ingest")).status_code == 403
        assert year.get(url, params=YEAR).status_code == 401
        assert year.get(url, params=YEAR, headers=auth_headers("reader")).status_code == 200


class TestSummaries:
    """The trigger-maintained summaries always equal a recount of the current versions."""

    @staticmethod
    def assert_consistent(session: Session) -> None:
        session.flush()
        rum = session.execute(
            select(Rum.rss_exit_date, Rum.unit, Rum.care_type, func.count())
            .join(RssVersion, RssVersion.id == Rum.rss_version_id)
            .where(RssVersion.is_current)
            .group_by(Rum.rss_exit_date, Rum.unit, Rum.care_type)
        ).all()
        summary = session.execute(
            select(RumDay.rss_exit_date, RumDay.unit, RumDay.care_type, RumDay.rum_count).where(
                RumDay.rum_count != 0
            )
        ).all()
        assert sorted(summary) == sorted(rum)
        by_month: dict[tuple[date, str, str], int] = {}
        for exit_date, unit, care_type, n in rum:
            key = (exit_date.replace(day=1), unit, care_type)
            by_month[key] = by_month.get(key, 0) + n
        months = session.execute(
            select(RumMonth.month, RumMonth.unit, RumMonth.care_type, RumMonth.rum_count).where(
                RumMonth.rum_count != 0
            )
        ).all()
        assert sorted(months) == sorted((*k, n) for k, n in by_month.items())
        ghm = func.coalesce(RssVersion.ghm, "")
        rss = session.execute(
            select(
                RssVersion.exit_date,
                RssVersion.exit_unit,
                RssVersion.care_type,
                ghm,
                func.count(),
                func.sum(RssVersion.seances),
            )
            .where(RssVersion.is_current)
            .group_by(RssVersion.exit_date, RssVersion.exit_unit, RssVersion.care_type, ghm)
        ).all()
        day = session.execute(
            select(
                RssDay.exit_date,
                RssDay.exit_unit,
                RssDay.care_type,
                RssDay.ghm,
                RssDay.rss_count,
                RssDay.seances,
            ).where(RssDay.rss_count != 0)
        ).all()
        assert sorted(day) == sorted(rss)
        month = session.execute(
            select(RssMonth.month, RssMonth.care_type, RssMonth.ghm, RssMonth.rss_count).where(
                RssMonth.rss_count != 0
            )
        ).all()
        expected: dict[tuple[date, str, str], int] = {}
        for exit_date, _unit, care_type, code, n, _seances in rss:
            key = (exit_date.replace(day=1), care_type, code)
            expected[key] = expected.get(key, 0) + n
        assert sorted(month) == sorted((*k, n) for k, n in expected.items())

    def test_inserts_supersessions_and_deletions(self, session: Session) -> None:
        first, second = year_batches()
        store_batch(session, first, name="b1")
        self.assert_consistent(session)
        store_batch(session, second, name="b2")
        self.assert_consistent(session)
        # The batches added their own summaries (migration 0007) and gave writes back to the triggers.
        setting = session.execute(text("SELECT current_setting('dimqa.activity_batch', true)")).scalar()
        assert setting in (None, "")
        # Deleting a current version (its RUM go with it: statement trigger of migration 0008).
        session.execute(text("DELETE FROM rss_version WHERE rss_number = 'R07' AND is_current"))
        self.assert_consistent(session)
        # Reviving a superseded version.
        session.execute(
            text("UPDATE rss_version SET is_current = false WHERE rss_number = 'R02' AND is_current")
        )
        session.execute(
            text(
                "UPDATE rss_version SET is_current = true WHERE id = "
                "(SELECT min(id) FROM rss_version WHERE rss_number = 'R02')"
            )
        )
        self.assert_consistent(session)
        # Editing and deleting RUM rows directly.
        session.execute(text("UPDATE rum SET unit = '7777' WHERE unit = '7500'"))
        session.execute(text("DELETE FROM rum WHERE unit = '5520'"))
        self.assert_consistent(session)
        session.execute(text("SELECT activity_summary_rebuild()"))
        self.assert_consistent(session)
        session.rollback()

    def test_a_long_stay_spanning_a_structure_change_is_split_rum_by_rum(
        self, client: Any, auth_headers: Any, session: Session
    ) -> None:
        assert (
            client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin")).status_code == 200
        )
        # Both RSS discharged on 2 July from 7300: one RUM per side of the move in the same day group.
        start = D(2024, 6, 1)
        store_batch(
            session,
            [
                stay("L1", [("7300", start, D(2024, 6, 29)), ("6100", D(2024, 6, 29), D(2024, 7, 2))]),
                stay("L2", [("7300", start, D(2024, 7, 1)), ("6100", D(2024, 7, 1), D(2024, 7, 2))]),
                stay("L3", [("7300", start, D(2024, 6, 30)), ("7300", D(2024, 6, 30), D(2024, 7, 2))]),
            ],
            name="long",
        )
        session.commit()
        body = get(
            client, auth_headers("reader"), "units", **{"from": "2024-07-02", "to": "2024-07-02"}
        ).json()
        assert {p["pole"]: [(u["unit"], u["rum"]) for u in p["units"]] for p in body["poles"]} == {
            "CHIR": [("6100", 2), ("7300", 2)],
            "MED": [("7300", 2)],
        }
