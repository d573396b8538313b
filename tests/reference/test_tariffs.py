"""GHS tariffs per campaign and national mean LOS: readers, loads (API and CLI), repository look-ups."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.line_errors import LineError
from app.reference import repository
from app.reference.campaigns import campaign_of
from app.reference.models import GhmMeanStayEntry, GhsTariffEntry
from app.reference.tariffs import (
    GhmMeanStay,
    GhsTariff,
    campaign_start,
    mean_los_of,
    read_ghm_dms,
    read_ghs_tariffs,
)
from tests.conftest import shared_file

TARIFFS = (
    "anseqta,ghs,ghm,libelle_ghm,borne_basse,borne_haute,tarif_base,forfait_exb,tarif_exb,tarif_exh,date_effet\n"
    '2024,0022,01C031,"Craniotomies, niveau 1",0,11,4161.5,0,0,123.09,01/03/2024\n'
    "2024,0025,01C034,Craniotomies niveau 4,12,124,18069.12,0,450.98,334.74,01/03/2024\n"
    "2024,0065,01C041,Craniotomies UNV,9,13,9000,1200,0,80.5,01/03/2024\n"
    "2024,0026,01C041,Craniotomies,2,18,8000,0,0,90,01/03/2024\n"
    "2025,0022,01C031,Craniotomies niveau 1,0,11,4200.00,0,0,125,01/03/2025\n"
    "2025,9610,28Z11Z,Irradiation en séances,0,0,684.02,0,0,0,01/03/2024\n"
)
UNVALUED = "ghs,ghm,libelle_ghm\n9999,09Z02A,Chirurgie esthétique\n9999,15Z10E,Mort-nés\n"
DMS = (
    "anseqta,ghm,ghs,borne_basse,borne_haute,dms_n,rsavclass,noseqta\n"
    "2018,01C031,,1,22,4.6681,11,010\n"
    "2018,01C041,0065,9,13,11,11,010\n"
    "2018,01C041,0026,2,18,5.5695,11,010\n"
)
CSV = {"Content-Type": "text/csv"}


def _post(client: Any, headers: dict[str, str], kind: str, year: int, body: bytes | str) -> Any:
    return client.post(f"/api/v1/nomenclatures/{kind}?year={year}", content=body, headers={**headers, **CSV})


def _tariffs(text: str, campaign: int = 2024) -> list[GhsTariff | LineError]:
    return list(read_ghs_tariffs(io.StringIO(text), default_campaign=campaign))


class TestReaders:
    def test_tariff_rows(self) -> None:
        rows = _tariffs(TARIFFS)
        assert all(isinstance(row, GhsTariff) for row in rows)
        first = rows[1]
        assert first == GhsTariff(
            2024,
            "0025",
            "01C034",
            "Craniotomies niveau 4",
            12,
            124,
            Decimal("18069.12"),
            Decimal(0),
            Decimal("450.98"),
            Decimal("334.74"),
            date(2024, 3, 1),
        )
        # anseqta names the campaign, even when the tariff kept the previous campaign's date
        assert [(r.campaign, r.ghs) for r in rows if isinstance(r, GhsTariff)][-1] == (2025, "9610")

    def test_unvalued_list_has_no_money(self) -> None:
        rows = _tariffs(UNVALUED, 2025)
        assert rows == [
            GhsTariff(2025, "9999", "09Z02A", "Chirurgie esthétique", *(None,) * 7),
            GhsTariff(2025, "9999", "15Z10E", "Mort-nés", *(None,) * 7),
        ]
        assert not any(isinstance(row, GhsTariff) and row.valued for row in rows)

    def test_campaign_from_the_effective_date_without_anseqta(self) -> None:
        text = "ghs;ghm;tarif_base;borne_basse;borne_haute;date_effet\n22;01C031;100,5;0;3;15/02/2024\n"
        (row,) = _tariffs(text, 2030)
        assert isinstance(row, GhsTariff)
        assert (row.campaign, row.ghs, row.base, row.exh_daily) == (
            2023,
            "0022",
            Decimal("100.5"),
            Decimal(0),
        )

    def test_bad_rows_are_located(self) -> None:
        text = (
            "ghs,ghm,tarif_base,borne_basse,borne_haute,tarif_exh,date_effet\n"
            "ABC,01C031,1,0,1,0,\n"  # 2
            "0022,01C03,1,0,1,0,\n"  # 3
            "0022,01C031,,0,1,0,\n"  # 4
            "0022,01C031,1,5,1,0,\n"  # 5
            "0022,01C031,1.234,0,1,0,\n"  # 6
            "0022,01C031,1,0,x,0,\n"  # 7
            "0022,01C031,1,0,1,0,31/02/2024\n"  # 8
            "0022,01C031,1,0,1,0,\n"  # 9 good
            "0022,01C031,1,0,1,0,\n"  # 10 duplicate
        )
        errors = [(e.line, e.field, e.code) for e in _tariffs(text) if isinstance(e, LineError)]
        assert errors == [
            (2, "ghs", "invalid_code"),
            (3, "ghm", "invalid_code"),
            (4, "base", "missing_value"),
            (5, "high_bound", "invalid_range"),
            (6, "base", "invalid_value"),
            (7, "high_bound", "invalid_value"),
            (8, "effective_date", "invalid_date"),
            (10, "ghs", "duplicate_code"),
        ]
        assert _tariffs("foo,bar\n1,2\n")[0] == LineError(
            1,
            "ghs",
            "unknown_layout",
            "the GHS tariff header lacks the column(s) ghs, ghm; expected at least ghs,ghm",
        )

    def test_dms_rows(self) -> None:
        rows = list(read_ghm_dms(io.StringIO(DMS), default_year=2020))
        assert rows == [
            GhmMeanStay(2018, "01C031", "", 1, 22, Decimal("4.6681")),
            GhmMeanStay(2018, "01C041", "0065", 9, 13, Decimal("11")),
            GhmMeanStay(2018, "01C041", "0026", 2, 18, Decimal("5.5695")),
        ]
        bad = "ghm;dms\n01C031;abc\n1C031;2\n01C031;2\n01C031;3\n"
        read = list(read_ghm_dms(io.StringIO(bad), default_year=2020))
        assert [(e.line, e.field, e.code) for e in read if isinstance(e, LineError)] == [
            (2, "mean_los", "invalid_value"),
            (3, "ghm", "invalid_code"),
            (5, "ghm", "duplicate_code"),
        ]
        assert [r for r in read if isinstance(r, GhmMeanStay)] == [
            GhmMeanStay(2020, "01C031", "", None, None, Decimal(2))
        ]

    def test_mean_los_of(self) -> None:
        rows = [r for r in read_ghm_dms(io.StringIO(DMS), default_year=2020) if isinstance(r, GhmMeanStay)]
        split = [r for r in rows if r.ghm == "01C041"]
        assert mean_los_of(split) == Decimal("5.5695")  # lowest GHS: the standard one
        assert mean_los_of(split, "65") == Decimal("11")
        assert mean_los_of(split, "0999") == Decimal("5.5695")
        assert mean_los_of([r for r in rows if r.ghm == "01C031"], "0022") == Decimal("4.6681")
        assert mean_los_of([]) is None

    def test_campaign_dates(self) -> None:
        assert campaign_of(date(2024, 2, 29)) == 2023
        assert campaign_of(date(2024, 3, 1)) == 2024
        # the 2023 campaign started on 1 May 2023
        starts = {2023: date(2023, 5, 1)}
        assert campaign_of(date(2023, 4, 30), starts) == 2022
        assert campaign_of(date(2023, 5, 1), starts) == 2023
        assert campaign_start(2025, [date(2024, 3, 1), date(2025, 3, 1)]) == date(2025, 3, 1)
        assert campaign_start(2023, [date(2023, 5, 1)]) == date(2023, 5, 1)
        assert campaign_start(2026, []) == date(2026, 3, 1)

    def test_shared_files(self) -> None:
        public = shared_file("nomenclatures/tarifs_mco_ghs_public_2024_2025.csv")
        rows = list(read_ghs_tariffs(public, default_campaign=2024))
        assert not [row for row in rows if isinstance(row, LineError)]
        campaigns = [row.campaign for row in rows if isinstance(row, GhsTariff)]
        assert (campaigns.count(2024), campaigns.count(2025)) == (3698, 3698)
        unvalued = list(
            read_ghs_tariffs(shared_file("nomenclatures/tarifs_mco_ghs_9999.csv"), default_campaign=2024)
        )
        assert len(unvalued) == 9
        assert all(isinstance(row, GhsTariff) and row.ghs == "9999" for row in unvalued)
        dms = list(read_ghm_dms(shared_file("nomenclatures/ghm_dms_nationales_2018.csv"), default_year=2018))
        assert len(dms) == 2408
        assert not [row for row in dms if isinstance(row, LineError)]


class TestLoads:
    def test_campaigns_are_never_merged(self, client: Any, auth_headers: Any, session: Session) -> None:
        admin = auth_headers("admin")
        first = _post(client, admin, "ghs_tariffs", 2024, TARIFFS)
        assert first.status_code == 200, first.text
        assert (first.json()["kind"], first.json()["year"], first.json()["rows"]) == ("ghs_tariffs", 2024, 4)
        assert _post(client, admin, "ghs_tariffs", 2025, TARIFFS).json()["rows"] == 2
        # reloading 2025 with one row replaces 2025 only
        one = (
            TARIFFS.splitlines()[0]
            + "\n2025,0022,01C031,Craniotomies niveau 1,0,11,4300,0,0,125,01/03/2025\n"
        )
        assert _post(client, admin, "ghs_tariffs", 2025, one).json()["rows"] == 1
        counts = dict(
            session.execute(select(GhsTariffEntry.year, func.count()).group_by(GhsTariffEntry.year))
            .tuples()
            .all()
        )
        assert counts == {2024: 4, 2025: 1}
        assert repository.ghs_tariff(session, 2025, "22") == GhsTariff(
            2025,
            "0022",
            "01C031",
            "Craniotomies niveau 1",
            0,
            11,
            Decimal("4300.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            Decimal("125.00"),
            date(2025, 3, 1),
        )
        assert repository.ghs_tariff(session, 2024, "0022").base == Decimal("4161.50")  # type: ignore[union-attr]
        assert repository.ghs_tariff(session, 2023, "0022") is None
        assert repository.ghs_of_ghm(session, 2024, "01C041") == ["0026", "0065"]
        assert repository.ghs_of_ghm(session, 2025, "01C041") == []
        assert _post(client, admin, "ghs_tariffs", 2019, TARIFFS).status_code == 400  # no row for 2019

    def test_unvalued_list_and_tariffs_replace_their_own_part(
        self, client: Any, auth_headers: Any, session: Session
    ) -> None:
        admin = auth_headers("admin")
        _post(client, admin, "ghs_tariffs", 2024, TARIFFS)
        response = _post(client, admin, "ghs_tariffs", 2024, UNVALUED)
        assert response.json()["rows"] == 6  # 4 tariffs kept + 2 unvalued GHMs
        assert (
            _post(
                client, admin, "ghs_tariffs", 2024, UNVALUED.splitlines()[0] + "\n9999,15Z10E,Mort-nés\n"
            ).json()["rows"]
            == 5
        )
        assert _post(client, admin, "ghs_tariffs", 2024, TARIFFS).json()["rows"] == 5
        assert repository.ghs_of_ghm(session, 2024, "15Z10E") == ["9999"]
        unvalued = repository.ghs_tariff(session, 2024, "9999")
        assert unvalued is not None and not unvalued.valued and unvalued.high_bound is None
        listed = client.get("/api/v1/nomenclatures", headers=admin).json()["items"]
        assert [(i["kind"], i["year"], i["rows"]) for i in listed] == [("ghs_tariffs", 2024, 5)]

    def test_campaign_in_force(self, client: Any, auth_headers: Any, session: Session) -> None:
        admin = auth_headers("admin")
        assert repository.campaign_in_force(session, date(2024, 6, 1)) is None
        _post(client, admin, "ghs_tariffs", 2024, TARIFFS)
        assert repository.campaign_in_force(session, date(2024, 3, 1)) == 2024
        assert repository.campaign_in_force(session, date(2025, 2, 28)) == 2024
        assert repository.campaign_in_force(session, date(2024, 2, 29)) is None  # 2023 not loaded
        assert repository.campaign_in_force(session, date(2025, 3, 1)) is None  # 2025 not loaded
        _post(client, admin, "ghs_tariffs", 2025, TARIFFS)
        # 2025's carried-over 2024 tariff (9610) does not move the campaign's start
        assert repository.campaign_starts(session) == {2024: date(2024, 3, 1), 2025: date(2025, 3, 1)}
        assert repository.campaign_in_force(session, date(2025, 3, 1)) == 2025
        late = (
            "ghs;ghm;tarif_base;borne_basse;borne_haute;date_effet;anseqta\n22;01C031;1;0;3;01/05/2023;2023\n"
        )
        _post(client, admin, "ghs_tariffs", 2023, late)
        assert repository.campaign_in_force(session, date(2023, 4, 30)) is None  # 2022 in force, not loaded
        assert repository.campaign_in_force(session, date(2023, 5, 1)) == 2023

    def test_dms_load_and_lookup(self, client: Any, auth_headers: Any, session: Session) -> None:
        admin = auth_headers("admin")
        response = _post(client, admin, "ghm_dms", 2018, DMS)
        assert (response.status_code, response.json()["rows"]) == (200, 3)
        assert _post(client, admin, "ghm_dms", 2019, DMS).status_code == 400  # the file is 2018's
        other = "ghm;dms_n\n01C031;5,5\n"
        assert _post(client, admin, "ghm_dms", 2022, other).json()["rows"] == 1
        assert session.scalar(select(func.count()).select_from(GhmMeanStayEntry)) == 4
        assert repository.national_mean_los(session, "01C031") == Decimal("5.5000")
        assert repository.national_mean_los(session, "01C031", year=2021) == Decimal("4.6681")
        assert repository.national_mean_los(session, "01C031", year=2017) == Decimal("4.6681")
        assert repository.national_mean_los(session, "01C041", ghs="0065") == Decimal("11.0000")
        assert repository.national_mean_los(session, "01C041") == Decimal("5.5695")
        assert repository.national_mean_los(session, "99Z99Z") is None
        assert len(repository.ghm_mean_stays(session, 2018)) == 3

    def test_bad_row_loads_nothing(self, client: Any, auth_headers: Any, session: Session) -> None:
        response = _post(
            client, auth_headers("admin"), "ghs_tariffs", 2024, TARIFFS + "2024,0099,01C031,x,0,1,,0,0,0,\n"
        )
        assert response.status_code == 400
        assert [(e["line"], e["field"], e["code"]) for e in response.json()["errors"]] == [
            (8, "base", "missing_value")
        ]
        assert session.scalar(select(func.count()).select_from(GhsTariffEntry)) == 0

    def test_shared_files(self, client: Any, auth_headers: Any, session: Session) -> None:
        admin = auth_headers("admin")
        public = shared_file("nomenclatures/tarifs_mco_ghs_public_2024_2025.csv").read_bytes()
        assert _post(client, admin, "ghs_tariffs", 2024, public).json()["rows"] == 3698
        assert _post(client, admin, "ghs_tariffs", 2025, public).json()["rows"] == 3698
        unvalued = shared_file("nomenclatures/tarifs_mco_ghs_9999.csv").read_bytes()
        assert _post(client, admin, "ghs_tariffs", 2025, unvalued).json()["rows"] == 3698 + 9
        tariff = repository.ghs_tariff(session, 2024, "0025")
        assert tariff is not None
        assert (tariff.ghm, tariff.low_bound, tariff.high_bound, tariff.base, tariff.exb_daily) == (
            "01C034",
            12,
            124,
            Decimal("18069.12"),
            Decimal("450.98"),
        )
        assert repository.ghs_of_ghm(session, 2025, "28Z11Z") == [
            "9610",
            "9619",
            "9620",
            "9621",
            "9623",
            "9639",
        ]
        assert repository.campaign_in_force(session, date(2025, 3, 1)) == 2025
        dms = shared_file("nomenclatures/ghm_dms_nationales_2018.csv").read_bytes()
        assert _post(client, admin, "ghm_dms", 2018, dms).json()["rows"] == 2408
        assert repository.national_mean_los(session, "01C034") == Decimal("34.7960")


def test_cli_loads_a_campaign(
    database_url: str, clean_db: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, session: Session
) -> None:
    from typer.testing import CliRunner

    from app.cli import database as cli_database
    from app.cli.main import app
    from app.core.config import Settings
    from app.reference import cli as reference_cli

    monkeypatch.setattr(reference_cli, "get_settings", lambda: Settings(database_url=database_url))
    monkeypatch.setattr(cli_database.embedded_pg, "stop_all", lambda: None)
    path = tmp_path / "tarifs.csv"
    path.write_text(TARIFFS, encoding="utf-8")
    result = CliRunner().invoke(app, ["nomenclature", "load", "ghs_tariffs", str(path), "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "loaded 2 ghs_tariffs rows for 2025 from tarifs.csv" in result.output
    assert repository.ghs_of_ghm(session, 2025, "28Z11Z") == ["9610"]
