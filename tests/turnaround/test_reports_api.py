"""GET /api/v1/turnaround and the weekly deliverable (JSON, CSV, XLSX), roles, unit scoping, audit,
and the Prometheus turnaround gauges."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter

from app.turnaround import metrics, reports
from app.turnaround.schemas import TurnaroundRead
from tests.turnaround.test_service_support import STRUCTURE, document, movement

pytestmark = pytest.mark.usefixtures("realistic")

AS_OF = "2022-02-14"
WEEK_PARAMS = {"week": "2022-W05", "as_of": AS_OF}

# stay, unit, discharge date, report reception date (None: no report)
STAYS = [
    ("O1", "7500", date(2022, 2, 1), date(2022, 2, 1)),  # j0
    ("O2", "7500", date(2022, 2, 2), date(2022, 2, 5)),  # j8, 3 days
    ("O3", "7500", date(2022, 2, 3), date(2022, 2, 14)),  # late, 11 days (received on as_of)
    ("O4", "7500", date(2022, 2, 4), None),  # missing (10 days)
    ("U1", "5520", date(2022, 2, 6), None),  # pending (8 days)
    ("U2", "5520", date(2022, 2, 5), date(2022, 2, 5)),  # j0
    ("C1", "7600", date(2022, 2, 2), date(2022, 2, 3)),  # 7600 is cardiology until 2022-02-02: j8, 1 day
    ("X1", "9999", date(2022, 2, 1), None),  # unknown UM, missing (13 days)
    ("W4", "7500", date(2022, 1, 30), date(2022, 1, 30)),  # week 4: not in the report
]


@pytest.fixture()
def loaded(client: Any, auth_headers: Any) -> Any:
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin")).status_code == 200
    ingest = auth_headers("ingest")
    stays, documents = [], []
    for stay, unit, discharge, received in STAYS:
        stays += [
            movement(f"{stay}-a", "admit", stay, discharge - timedelta(days=2), unit),
            movement(f"{stay}-d", "discharge", stay, discharge, hour=15),
        ]
        if received is not None:
            documents.append(document(f"{stay}-cr", stay, f"CR-{stay}", received, hour=17))
    assert client.post("/api/v1/stay-events", json={"events": stays}, headers=ingest).status_code == 201
    assert (
        client.post("/api/v1/document-events", json={"events": documents}, headers=ingest).status_code == 201
    )
    return client


def _row(
    group: str, label: str | None, counts: tuple[int, ...], rates: tuple[Any, Any], median: Any, p90: Any
) -> dict[str, Any]:
    names = ("stays", "on_time_j0", "on_time_j8", "late", "missing", "pending")
    return {
        "group": group,
        "label": label,
        **dict(zip(names, counts, strict=True)),
        "rate_j0": rates[0],
        "rate_j8": rates[1],
        "median_delay_days": median,
        "p90_delay_days": p90,
    }


def test_turnaround_by_service(loaded: Any, auth_headers: Any) -> None:
    params = {"from": "2022-01-31", "to": "2022-02-06", "as_of": AS_OF}
    body = loaded.get("/api/v1/turnaround", params=params, headers=auth_headers("reader")).json()
    assert (body["from"], body["to"], body["as_of"], body["group_by"], body["care_types"]) == (
        "2022-01-31",
        "2022-02-06",
        AS_OF,
        "service",
        ["complete", "zero_day"],
    )
    assert body["rows"] == [
        _row("CARDIO", "Cardiologie", (1, 0, 1, 0, 0, 0), (0.0, 1.0), 1.0, 1),
        _row("ONCO", "Oncologie", (4, 1, 2, 1, 1, 0), (0.25, 0.5), 3.0, 11),
        _row("URG", "Urgences", (2, 1, 1, 0, 0, 1), (1.0, 1.0), 0.0, 0),
        _row("unmapped", None, (1, 0, 0, 0, 1, 0), (0.0, 0.0), None, None),
    ]
    total = {
        key: value
        for key, value in _row("", None, (8, 2, 4, 1, 2, 1), (2 / 7, 4 / 7), 1.0, 11).items()
        if key not in ("group", "label")
    }
    assert body["total"] == total


def test_turnaround_body_is_the_response_models_json(loaded: Any, auth_headers: Any) -> None:
    # The route writes its JSON itself (no second validation of the model in the threadpool):
    # the bytes FastAPI writes for `response_model=TurnaroundRead`, aliases and key order included.
    params = {"from": "2022-01-31", "to": "2022-02-06", "as_of": AS_OF, "group_by": "unit"}
    response = loaded.get("/api/v1/turnaround", params=params, headers=auth_headers("reader"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    figures = TurnaroundRead.model_validate({**body, "date_from": body["from"], "date_to": body["to"]})
    assert response.content == TypeAdapter(TurnaroundRead).dump_json(figures, by_alias=True)
    assert response.content.startswith(
        b'{"from":"2022-01-31","to":"2022-02-06","as_of":"2022-02-14","group_by":"unit",'
        b'"care_types":["complete","zero_day"],"attribution":"discharge","rows":[{"stays":2,'
        b'"on_time_j0":1,"on_time_j8":1,"late":0,"missing":0,"pending":1,"rate_j0":1.0,"rate_j8":1.0,'
        b'"median_delay_days":0.0,"p90_delay_days":0,"group":"5520",'
        + '"label":"Unité surv. courte durée"}'.encode()
    )


def test_turnaround_by_pole_and_unit(loaded: Any, auth_headers: Any) -> None:
    params = {"from": "2022-01-31", "to": "2022-02-06", "as_of": AS_OF}
    reader = auth_headers("reader")
    poles = loaded.get("/api/v1/turnaround", params={**params, "group_by": "pole"}, headers=reader).json()
    assert [(r["group"], r["label"], r["stays"]) for r in poles["rows"]] == [
        ("MED", "Médecine", 5),
        ("URG", "Urgences", 2),
        ("unmapped", None, 1),
    ]
    units = loaded.get("/api/v1/turnaround", params={**params, "group_by": "unit"}, headers=reader).json()
    assert [(r["group"], r["label"], r["stays"]) for r in units["rows"]] == [
        ("5520", "Unité surv. courte durée", 2),
        ("7500", "Oncologie", 4),
        ("7600", "Cardiologie", 1),
        ("unmapped", None, 1),
    ]


def test_unit_restricted_token_sees_only_its_units(loaded: Any, auth_headers: Any) -> None:
    params = {"from": "2022-01-31", "to": "2022-02-06", "as_of": AS_OF}
    body = loaded.get(
        "/api/v1/turnaround", params=params, headers=auth_headers("reader", units=["5520"])
    ).json()
    assert [(r["group"], r["stays"]) for r in body["rows"]] == [("URG", 2)]
    assert body["total"]["stays"] == 2
    weekly = loaded.get(
        "/api/v1/reports/weekly-turnaround",
        params={**WEEK_PARAMS, "detail": "true"},
        headers=auth_headers("dim", units=["7500"]),
    ).json()
    assert [r["service"] for r in weekly["rows"]] == ["ONCO"]
    assert [s["stay_number"] for s in weekly["detail"]["missing"]] == ["O4"]


def test_as_of_defaults_to_today(loaded: Any, auth_headers: Any) -> None:
    body = loaded.get(
        "/api/v1/turnaround", params={"from": "2022-01-31", "to": "2022-02-06"}, headers=auth_headers("dim")
    ).json()
    assert body["as_of"] == reports.today().isoformat()
    assert body["total"]["pending"] == 0 and body["total"]["missing"] == 3


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"from": "2022-02-06", "to": "2022-01-31"}, 400),
        ({"from": "2022-01-31"}, 422),
        ({"from": "2022-01-31", "to": "2022-02-06", "group_by": "ward"}, 422),
        ({"from": "2022-01-31", "to": "2022-02-06", "attribution": "transfer"}, 422),
        ({"from": "2022-01-31", "to": "2022-02-06", "attribution": ""}, 422),
        ({"from": "2022-01-31", "to": "2022-02-06", "care_types": "complete,day"}, 400),
        ({"from": "31/01/2022", "to": "2022-02-06"}, 422),
    ],
)
def test_bad_turnaround_parameters(
    params: dict[str, str], status: int, client: Any, auth_headers: Any
) -> None:
    response = client.get("/api/v1/turnaround", params=params, headers=auth_headers("reader"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("role", "status"), [("reader", 200), ("dim", 200), ("admin", 200), ("ingest", 403)])
def test_turnaround_roles(role: str, status: int, client: Any, auth_headers: Any) -> None:
    params = {"from": "2022-01-31", "to": "2022-02-06"}
    assert client.get("/api/v1/turnaround", params=params, headers=auth_headers(role)).status_code == status
    weekly = client.get(
        "/api/v1/reports/weekly-turnaround", params={"week": "2022-W05"}, headers=auth_headers(role)
    )
    assert weekly.status_code == status
    assert client.get("/api/v1/turnaround", params=params).status_code == 401


# --------------------------------------------------------------------------- weekly deliverable


def _weekly(
    service_code: str,
    label: str | None,
    counts: tuple[int, ...],
    rates: tuple[Any, Any],
    median: Any,
    p90: Any,
) -> dict[str, Any]:
    row = _row(service_code, label, counts, rates, median, p90)
    row["service"] = row.pop("group")
    return row


def test_weekly_report_json(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get(
        "/api/v1/reports/weekly-turnaround", params=WEEK_PARAMS, headers=auth_headers("reader")
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["week"], body["from"], body["to"], body["as_of"], body["detail"]) == (
        "2022-W05",
        "2022-01-31",
        "2022-02-06",
        AS_OF,
        None,
    )
    assert body["rows"] == [
        _weekly("CARDIO", "Cardiologie", (1, 0, 1, 0, 0, 0), (0.0, 1.0), 1.0, 1),
        _weekly("ONCO", "Oncologie", (4, 1, 2, 1, 1, 0), (0.25, 0.5), 3.0, 11),
        _weekly("URG", "Urgences", (2, 1, 1, 0, 0, 1), (1.0, 1.0), 0.0, 0),
        _weekly("unmapped", None, (1, 0, 0, 0, 1, 0), (0.0, 0.0), None, None),
    ]
    # Rates as fractions, the rows and total of /turnaround by service over the same week.
    total = _weekly("", None, (8, 2, 4, 1, 2, 1), (2 / 7, 4 / 7), 1.0, 11)
    assert body["total"] == {key: value for key, value in total.items() if key not in ("service", "label")}
    week = {"from": "2022-01-31", "to": "2022-02-06", "as_of": AS_OF}
    turnaround = loaded.get("/api/v1/turnaround", params=week, headers=auth_headers("reader")).json()
    assert turnaround["total"] == body["total"]
    assert [
        {("service" if k == "group" else k): v for k, v in row.items()} for row in turnaround["rows"]
    ] == (body["rows"])


def test_weekly_report_is_reproducible_for_an_as_of(loaded: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    before = loaded.get("/api/v1/reports/weekly-turnaround", params=WEEK_PARAMS, headers=reader).json()
    late = [
        document("U1-cr", "U1", "CR-U1", date(2022, 2, 20)),
        document("O4-cr", "O4", "CR-O4", date(2022, 2, 21)),
    ]
    loaded.post("/api/v1/document-events", json={"events": late}, headers=auth_headers("ingest"))
    assert (
        loaded.get("/api/v1/reports/weekly-turnaround", params=WEEK_PARAMS, headers=reader).json() == before
    )
    after = loaded.get(
        "/api/v1/reports/weekly-turnaround", params={**WEEK_PARAMS, "as_of": "2022-03-01"}, headers=reader
    )
    assert after.json()["total"]["late"] == 3


def test_weekly_report_csv(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get(
        "/api/v1/reports/weekly-turnaround",
        params={**WEEK_PARAMS, "format": "csv"},
        headers=auth_headers("reader"),
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="delai-cr-2022-W05.csv"'
    assert response.content.decode("utf-8") == (
        "\ufeffService;Séjours;CR à J0;CR ≤ J8;En retard;Manquants;En attente;"
        "Taux J0;Taux J8;Délai médian;Délai p90\r\n"
        "Cardiologie;1;0;1;0;0;0;0,0;100,0;1,0;1\r\n"
        "Oncologie;4;1;2;1;1;0;25,0;50,0;3,0;11\r\n"
        "Urgences;2;1;1;0;0;1;100,0;100,0;0,0;0\r\n"
        "Non rattaché;1;0;0;0;1;0;0,0;0,0;;\r\n"
        "Total;8;2;4;1;2;1;28,6;57,1;1,0;11\r\n"
    )


def test_weekly_report_csv_with_detail(loaded: Any, auth_headers: Any) -> None:
    response = loaded.get(
        "/api/v1/reports/weekly-turnaround",
        params={**WEEK_PARAMS, "format": "csv", "detail": "true"},
        headers=auth_headers("dim"),
    )
    text = response.content.decode("utf-8")
    assert text.count("\ufeff") == 1
    assert text.split("\r\n\r\n")[1] == (
        "Statut;N° de séjour;Service;UM;Date de sortie;Jours écoulés\r\n"
        "En retard;O3;ONCO;7500;2022-02-03;11\r\n"
        "Manquant;O4;ONCO;7500;2022-02-04;10\r\n"
        "Manquant;X1;unmapped;9999;2022-02-01;13\r\n"
    )


def test_weekly_report_xlsx(loaded: Any, auth_headers: Any) -> None:
    from openpyxl import load_workbook

    response = loaded.get(
        "/api/v1/reports/weekly-turnaround",
        params={**WEEK_PARAMS, "format": "xlsx", "detail": "true"},
        headers=auth_headers("admin"),
    )
    assert response.status_code == 200
    assert (
        response.headers["content-type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Semaine 2022-W05", "Détail"]
    sheet = workbook["Semaine 2022-W05"]
    assert sheet["A1"].value == "Délai de réception des comptes rendus — semaine 2022-W05"
    assert sheet["A1"].font.bold
    assert sheet["A2"].value.startswith("Sorties du 31/01/2022 au 06/02/2022, situation au 14/02/2022")
    rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert rows == [
        [
            "Service",
            "Séjours",
            "CR à J0",
            "CR ≤ J8",
            "En retard",
            "Manquants",
            "En attente",
            "Taux J0",
            "Taux J8",
            "Délai médian",
            "Délai p90",
        ],
        ["Cardiologie", 1, 0, 1, 0, 0, 0, 0, 1, 1, 1],
        ["Oncologie", 4, 1, 2, 1, 1, 0, 0.25, 0.5, 3, 11],
        ["Urgences", 2, 1, 1, 0, 0, 1, 1, 1, 0, 0],
        ["Non rattaché", 1, 0, 0, 0, 1, 0, 0, 0, None, None],
        ["Total", 8, 2, 4, 1, 2, 1, 2 / 7, 4 / 7, 1, 11],
    ]
    assert {sheet.cell(row=r, column=c).number_format for r in range(5, 10) for c in (8, 9)} == {"0.0%"}
    assert all(cell.font.bold for cell in sheet[9])
    detail = [list(row) for row in workbook["Détail"].iter_rows(values_only=True)]
    assert [row[:4] + row[5:] for row in detail[1:]] == [
        ["En retard", "O3", "ONCO", "7500", 11],
        ["Manquant", "O4", "ONCO", "7500", 10],
        ["Manquant", "X1", "unmapped", "9999", 13],
    ]


def test_weekly_detail_needs_a_patient_reader_and_is_audited(loaded: Any, auth_headers: Any) -> None:
    params = {**WEEK_PARAMS, "detail": "true"}
    response = loaded.get("/api/v1/reports/weekly-turnaround", params=params, headers=auth_headers("reader"))
    assert response.status_code == 403
    response = loaded.get(
        "/api/v1/reports/weekly-turnaround", params=params, headers=auth_headers("dim", name="dr-dim")
    )
    assert response.status_code == 200
    detail = response.json()["detail"]
    assert detail["late"] == [
        {
            "stay_number": "O3",
            "service": "ONCO",
            "unit": "7500",
            "discharge_date": "2022-02-03",
            "days_elapsed": 11,
        }
    ]
    assert [(s["stay_number"], s["days_elapsed"]) for s in detail["missing"]] == [("O4", 10), ("X1", 13)]
    entries = loaded.get(
        "/api/v1/audit-log", params={"object_type": "stay"}, headers=auth_headers("admin")
    ).json()
    assert [(e["token_name"], e["action"], e["endpoint"], e["object_ids"]) for e in entries["items"]] == [
        ("dr-dim", "read", "/api/v1/reports/weekly-turnaround", ["O3", "O4", "X1"])
    ]
    # Aggregates alone are not patient-level reads.
    loaded.get("/api/v1/reports/weekly-turnaround", params=WEEK_PARAMS, headers=auth_headers("dim"))
    assert (
        len(
            loaded.get(
                "/api/v1/audit-log", params={"object_type": "stay"}, headers=auth_headers("admin")
            ).json()["items"]
        )
        == 1
    )


@pytest.mark.parametrize(
    ("week", "status"), [("2021-W53", 400), ("2022-W5", 422), ("2022-05", 422), ("2020-W53", 200)]
)
def test_weekly_report_week_validation(week: str, status: int, client: Any, auth_headers: Any) -> None:
    response = client.get(
        "/api/v1/reports/weekly-turnaround", params={"week": week}, headers=auth_headers("reader")
    )
    assert response.status_code == status


# --------------------------------------------------------------------------- Prometheus


def test_gauges_report_the_last_closed_week(client: Any, auth_headers: Any) -> None:
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=auth_headers("admin")).status_code == 200
    _week, monday, _sunday = reports.last_closed_week(reports.today())
    events = [movement("a", "admit", "G1", monday, "7500", hour=8), movement("d", "discharge", "G1", monday)]
    client.post("/api/v1/stay-events", json={"events": events}, headers=auth_headers("ingest"))
    client.post(
        "/api/v1/document-events",
        json={"events": [document("c", "G1", "CR", monday, hour=18)]},
        headers=auth_headers("ingest"),
    )
    metrics.COLLECTOR.invalidate()
    text = client.get("/metrics", headers=auth_headers("reader")).text
    assert 'dimqa_turnaround_rate_j0{service="ONCO"} 1.0' in text
    assert 'dimqa_turnaround_rate_j8{service="ONCO"} 1.0' in text
    # No closed stay: no sample rather than a false 0 (other gauges may label URG: the exhaustivity's).
    assert 'dimqa_turnaround_rate_j0{service="URG"}' not in text
    assert 'dimqa_turnaround_rate_j8{service="URG"}' not in text


def test_gauge_collector_caches_between_scrapes() -> None:
    calls = []

    def loader() -> dict[str, tuple[float | None, float | None]]:
        calls.append(1)
        return {"ONCO": (0.5, None)}

    collector = metrics.TurnaroundRateCollector(loader=loader, ttl=60)
    for _ in range(3):
        families = {family.name: family for family in collector.collect()}
    assert len(calls) == 1
    assert [(s.labels, s.value) for s in families["dimqa_turnaround_rate_j0"].samples] == [
        ({"service": "ONCO"}, 0.5)
    ]
    assert families["dimqa_turnaround_rate_j8"].samples == []


def test_gauge_collector_survives_a_failing_database() -> None:
    def broken() -> dict[str, tuple[float | None, float | None]]:
        raise ConnectionError("down")

    collector = metrics.TurnaroundRateCollector(loader=broken, ttl=60)
    assert [family.samples for family in collector.collect()] == [[], []]
