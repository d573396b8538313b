"""Nomenclatures by year and GHS tariffs, as the rules service reads them from the database: each
stay judged by its year's CIM-10 and CCAM, a year without a version reported (Q015), and the GHM
bounds of the loaded tariff campaigns (Q019, Q020)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingestion.writer import write_rss
from app.reference import service as reference_service
from app.reference.schemas import NomenclatureKind
from app.rules import service
from app.rules.models import Finding
from tests.ingestion.builders import make_act, make_rss
from tests.rules.storage import ingest, with_dp

CIM = "code;label;type_mco\nJ189;Pneumopathie;0\nI10;Hypertension essentielle;0\n"
CCAM = "code;label;valid_from;valid_to\nZBQK002;Radiographie du thorax;2005-03-01;\n"
TARIFFS = (
    "anseqta;ghs;ghm;libelle_ghm;borne_basse;borne_haute;tarif_base;forfait_exb;tarif_exb;tarif_exh;date_effet\n"
    "2024;0022;01C031;Craniotomies niveau 1;0;11;4161.5;0;0;123.09;01/03/2024\n"
    "2024;0025;01C034;Craniotomies niveau 4;12;124;18069.12;0;450.98;334.74;01/03/2024\n"
    "2024;0026;01C041;Craniotomies;2;18;8000;0;0;90;01/03/2024\n"
    "2024;0065;01C041;Craniotomies UNV;9;13;9000;1200;0;80.5;01/03/2024\n"
    "2024;0027;01C042;Craniotomies niveau 2;2;36;9000;0;0;90;01/03/2024\n"
    "2024;5027;01C042;Craniotomies niveau 2 (bis);2;36;9100;0;0;90;01/03/2024\n"
)


def _load(session: Session, kind: NomenclatureKind, year: int, text: str) -> None:
    reference_service.load(session, kind=kind, year=year, data=text.encode(), source="test", loaded_by="test")


def _findings(session: Session) -> list[tuple[str, str, str, str]]:
    query = select(Finding.rss_number, Finding.rule_code, Finding.field, Finding.value).where(
        Finding.closed_at.is_(None)
    )
    return sorted(tuple(row) for row in session.execute(query))  # type: ignore[misc]


def test_each_stay_is_judged_by_its_years_version(session: Session) -> None:
    _load(session, NomenclatureKind.CIM10, 2023, CIM + "K358;Appendicite;0\n")
    _load(session, NomenclatureKind.CIM10, 2024, CIM)
    _load(session, NomenclatureKind.CCAM, 2023, CCAM)
    _load(session, NomenclatureKind.CCAM, 2024, CCAM + "GEQE007;Fibroscopie bronchique;2024-01-01;\n")
    ctx = service.load_context(session)
    assert ctx.cim10_years is not None and sorted(ctx.cim10_years) == [2023, 2024]
    assert ctx.cim10 is ctx.cim10_years[2024].cim10  # the newest year's is the context's own
    in_2023 = date(2023, 3, 4)
    ingest(session, with_dp(make_rss(1, rss_number="1", entry=in_2023, acts=[]), "K358"))  # known in 2023
    ingest(session, with_dp(make_rss(1, rss_number="2"), "K358"))  # not in 2024: C067
    gastroscopy = make_act(code="GEQE007", date="04032023")  # a 2024 act, dated 2023: C073
    ingest(session, make_rss(1, rss_number="3", entry=in_2023, acts=[gastroscopy]))
    ingest(session, with_dp(make_rss(1, rss_number="4", entry=date(2022, 3, 4), acts=[]), "X999"))
    service.run_validation(session)
    assert _findings(session) == [
        ("2", "C067", "dp", "K358"),
        ("3", "C073", "acts[0].code", "GEQE007"),
        ("4", "Q015", "cim10", "2022"),  # X999 not judged: no CIM-10 2022
    ]


def test_one_loaded_year_judges_every_stay(session: Session) -> None:
    _load(session, NomenclatureKind.CIM10, 2021, CIM)
    ctx = service.load_context(session)
    assert ctx.cim10_years is None and ctx.cim10 is not None
    ingest(session, with_dp(make_rss(1, rss_number="1"), "X999"))  # a 2024 stay, CIM-10 2021
    service.run_validation(session)
    assert _findings(session) == [("1", "C067", "dp", "X999")]


def test_tariff_bounds_in_the_context_and_the_findings(session: Session) -> None:
    assert service.load_context(session).ghm_bounds is None
    _load(session, NomenclatureKind.GHS_TARIFFS, 2024, TARIFFS)
    ctx = service.load_context(session)
    # 01C041 has two GHS with other bounds: not settled; 01C042's two GHS share theirs.
    assert ctx.ghm_bounds == {
        (2024, "01C031"): ("0022", 0, 11),
        (2024, "01C034"): ("0025", 12, 124),
        (2024, "01C042"): ("0027", 2, 36),
    }
    assert ctx.campaign_starts == {2024: date(2024, 3, 1)}
    grouped = {"grouped": True, "acts": []}
    ingest(session, make_rss(1, rss_number="1", ghm="01C031", days_per_rum=15, **grouped))
    ingest(session, make_rss(1, rss_number="2", ghm="01C034", days_per_rum=5, **grouped))
    ingest(session, make_rss(1, rss_number="3", ghm="01C041", days_per_rum=30, **grouped))
    ingest(
        session, make_rss(1, rss_number="4", ghm="01C031", entry=date(2024, 1, 2), days_per_rum=30, **grouped)
    )
    service.run_validation(session)
    messages = dict(
        session.execute(
            select(Finding.rss_number, Finding.message).where(Finding.rule_code.in_(["Q019", "Q020"]))
        )
        .tuples()
        .all()
    )
    assert messages == {
        "1": "Séjour de 15 jours au-delà de la borne haute du GHM 01C031 (GHS 0022, campagne 2024 : "
        "11 jours) : 4 journée(s) au-delà de la borne (EXH), à partir du 15/03/2024.",
        "2": "Séjour de 5 jour(s) sous la borne basse du GHM 01C034 (GHS 0025, campagne 2024 : 12 jours) : "
        "7 journée(s) manquante(s), tarif minoré (EXB).",
    }  # 3: two GHS with other bounds; 4: January, campaign 2023 not loaded


def test_a_context_with_versions_and_bounds_crosses_to_the_workers() -> None:
    """The per-year contexts and the GHM bounds pickle as the workers receive them (compiled or
    not), and judge alike after."""
    import pickle

    from app.ingestion.workers import sendable
    from app.rules.engine import run_rules
    from tests.rules.cases._support import GHM_BOUNDS, YEARS_CTX

    ctx = replace(YEARS_CTX, ghm_bounds=GHM_BOUNDS, campaign_starts={2024: date(2024, 3, 1)})
    copy = pickle.loads(pickle.dumps(sendable(ctx), protocol=pickle.HIGHEST_PROTOCOL))
    assert copy.cim10_years is not None and sorted(copy.cim10_years) == [2023, 2024]
    assert copy.ghm_bounds == GHM_BOUNDS
    stays = [
        with_dp(make_rss(1, rss_number="1", entry=date(2022, 3, 4), acts=[]), "X999"),
        make_rss(1, rss_number="2", ghm="01C031", grouped=True, days_per_rum=15),
        with_dp(make_rss(1, rss_number="3"), "K358"),
    ]
    for rss in stays:
        assert run_rules(rss, copy)[0] == run_rules(rss, ctx)[0]
    assert [f.rule_code for f in run_rules(stays[0], copy)[0]] == ["Q015"]


@pytest.mark.usefixtures("realistic")
def test_batches_through_the_workers_with_two_cim10_years(client: Any, auth_headers: Any) -> None:
    """The realistic configuration (CIM-10 2022, workers on) plus a CIM-10 2024: each batch's
    context, with its per-year versions, goes to the worker processes."""
    admin = {**auth_headers("admin"), "Content-Type": "text/csv"}
    response = client.post("/api/v1/nomenclatures/cim10?year=2024", content=CIM, headers=admin)
    assert response.status_code == 200, response.text
    stays = [
        with_dp(make_rss(1, rss_number="801"), "X999"),  # 2024: judged by CIM-10 2024
        make_rss(1, rss_number="802", entry=date(2023, 3, 4)),  # no CIM-10 2023
    ]
    body = "\n".join(line for rss in stays for line in write_rss(rss))
    ingest = {**auth_headers("ingest"), "Content-Type": "text/plain"}
    response = client.post("/api/v1/rum-batches", content=body, headers=ingest)
    assert response.status_code == 201, response.text
    found = client.get("/api/v1/findings", params={"limit": 100}, headers=auth_headers("dim")).json()
    codes = sorted((item["rss_number"], item["rule"], item["value"]) for item in found["items"])
    assert ("801", "C067", "X999") in codes and ("802", "Q015", "2023") in codes
    assert [code for code in codes if code[1] in {"C067", "Q015"}] == [
        ("801", "C067", "X999"),
        ("802", "Q015", "2023"),
    ]
