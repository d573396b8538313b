"""Formula injection through every CSV and XLSX export endpoint (issue 15, defect 4).

Stay and RSS numbers, UM codes, structure and nomenclature labels and review comments come from the
hospital's systems and users. Each formula trigger the input can carry goes through each export
showing that input, and comes out neutralised: a single quote before it, XLSX cells typed as strings,
while counts stay numeric cells. Structure labels carry all six triggers (= + - @ tab CR);
nomenclature labels and review comments are stripped when stored (no leading tab or CR), and stay
numbers and RUM fields refuse control characters. The care-types
and SMR-by-CM exports show only built-in labels. NUL cannot be stored (PostgreSQL text): the helper
tests (tests/core/test_exports.py) cover it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.activity.test_activity_api import stay, store_batch
from tests.ingestion.builders import make_rss
from tests.rules.storage import ingest
from tests.turnaround.test_service_support import movement

TRIGGERS = ["=1+2", "+1+2", "-1+2", "@SUM(A1)", "\t=1+2", "\r=1+2"]
GHMS = ["28Z07Z", "28Z11Z", "28Z14Z", "28Z15Z"]


def _xlsx(response: Any, sheet: str | None = None) -> list[list[tuple[Any, str]]]:
    """(value, openpyxl data type) of every cell, row by row."""
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    worksheet = workbook[sheet] if sheet else workbook.active
    return [[(cell.value, cell.data_type) for cell in row] for row in worksheet.iter_rows()]


def _text(value: str) -> tuple[str, str]:
    """A neutralised text cell as read back (XML reads a CR as a line feed)."""
    return ("'" + value.replace("\r", "\n"), "s")


# --------------------------------------------------------------------------- activity


@pytest.fixture()
def activity(client: Any, auth_headers: Any, session: Session) -> Any:
    """One séance in each UM 7501-7506, whose UM and pôle labels are the triggers, plus one in the
    UM "-123" unknown to the structure; GHM labels loaded with the triggers."""
    admin = auth_headers("admin")
    structure = {
        "poles": [{"code": f"P{k}", "label": label} for k, label in enumerate(TRIGGERS, start=1)],
        "units": [
            {"code": f"750{k}", "label": label, "pole": f"P{k}"} for k, label in enumerate(TRIGGERS, start=1)
        ],
    }
    assert client.put("/api/v1/structure", json=structure, headers=admin).status_code == 200
    ghm_file = "ghm;label\n" + "".join(f"{g};{label}\n" for g, label in zip(GHMS, TRIGGERS, strict=False))
    response = client.post(
        "/api/v1/nomenclatures/ghm?year=2024",
        content=ghm_file,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    day = date(2024, 3, 4)
    stays = [
        stay(f"R{k}", [(f"750{k}", day, day)], ghm=GHMS[(k - 1) % len(GHMS)], seances=k) for k in range(1, 7)
    ]
    stays.append(stay("R9", [("-123", day, day)], ghm="28Z07Z", seances=1))
    store_batch(session, stays, name="injection")
    session.commit()
    return client


def _activity(client: Any, headers: dict[str, str], path: str, fmt: str, **params: str) -> Any:
    query = {"from": "2024-01-01", "to": "2024-12-31", "format": fmt, **params}
    return client.get(f"/api/v1/activity/{path}", params=query, headers=headers)


def test_units_export(activity: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    response = _activity(activity, reader, "units", "csv")
    assert response.content.decode("utf-8") == (
        "\ufeffPôle;Libellé du pôle;UM;Libellé de l'UM;RUM\r\n"
        "P1;'=1+2;7501;'=1+2;1\r\n"
        "P2;'+1+2;7502;'+1+2;1\r\n"
        "P3;'-1+2;7503;'-1+2;1\r\n"
        "P4;'@SUM(A1);7504;'@SUM(A1);1\r\n"
        "P5;'\t=1+2;7505;'\t=1+2;1\r\n"
        'P6;"\'\r=1+2";7506;"\'\r=1+2";1\r\n'
        "unmapped;UM inconnue de la structure;'-123;;1\r\n"
        "Total;;;;7\r\n"
    )
    cells = _xlsx(_activity(activity, reader, "units", "xlsx"))
    assert cells[1:-2] == [
        [(f"P{k}", "s"), _text(label), (f"750{k}", "s"), _text(label), (1, "n")]
        for k, label in enumerate(TRIGGERS, start=1)
    ]
    assert cells[-2] == [
        ("unmapped", "s"),
        ("UM inconnue de la structure", "s"),
        ("'-123", "s"),
        (None, "n"),
        (1, "n"),
    ]


def test_seances_by_unit_export(activity: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    response = _activity(activity, reader, "seances", "csv", by="unit")
    assert response.content.decode("utf-8") == (
        "\ufeffPôle;Libellé du pôle;UM;Libellé de l'UM;RSS-séances;Séances\r\n"
        "P1;'=1+2;7501;'=1+2;1;1\r\n"
        "P2;'+1+2;7502;'+1+2;1;2\r\n"
        "P3;'-1+2;7503;'-1+2;1;3\r\n"
        "P4;'@SUM(A1);7504;'@SUM(A1);1;4\r\n"
        "P5;'\t=1+2;7505;'\t=1+2;1;5\r\n"
        'P6;"\'\r=1+2";7506;"\'\r=1+2";1;6\r\n'
        "unmapped;UM inconnue de la structure;'-123;;1;1\r\n"
        "Total;;;;7;22\r\n"
    )
    cells = _xlsx(_activity(activity, reader, "seances", "xlsx", by="unit"))
    assert [row[1] for row in cells[1:7]] == [_text(label) for label in TRIGGERS]
    assert [row[3] for row in cells[1:7]] == [_text(label) for label in TRIGGERS]
    assert cells[7][2] == ("'-123", "s")
    assert cells[-1][4:] == [(7, "n"), (22, "n")]


def test_ghm_export(activity: Any, auth_headers: Any) -> None:
    reader = auth_headers("reader")
    response = _activity(activity, reader, "ghm", "csv")
    assert response.content.decode("utf-8") == (
        "\ufeffGHM;Libellé;RSS\r\n"
        "28Z07Z;'=1+2;3\r\n"
        "28Z11Z;'+1+2;2\r\n"
        "28Z14Z;'-1+2;1\r\n"
        "28Z15Z;'@SUM(A1);1\r\n"
        "Total;;7\r\n"
    )
    cells = _xlsx(_activity(activity, reader, "ghm", "xlsx"))
    assert cells[1:5] == [
        [(ghm, "s"), _text(label), (count, "n")]
        for ghm, label, count in zip(GHMS, TRIGGERS, (3, 2, 1, 1), strict=False)
    ]


# --------------------------------------------------------------------------- weekly turnaround


@pytest.fixture()
def turnaround(client: Any, auth_headers: Any) -> Any:
    """Services labelled with the triggers, one stay each, no report (all missing in week 2022-W05)."""
    structure = {
        "services": [{"code": f"S{k}", "label": label} for k, label in enumerate(TRIGGERS, start=1)],
        "units": [{"code": f"750{k}", "label": "UM", "service": f"S{k}"} for k in range(1, 7)],
    }
    assert client.put("/api/v1/structure", json=structure, headers=auth_headers("admin")).status_code == 200
    discharge = date(2022, 2, 1)
    events = []
    for k, number in enumerate(STAYS, start=1):
        events += [
            movement(f"e{k}-a", "admit", number, discharge - timedelta(days=2), f"750{k}"),
            movement(f"e{k}-d", "discharge", number, discharge, hour=15),
        ]
    response = client.post("/api/v1/stay-events", json={"events": events}, headers=auth_headers("ingest"))
    assert response.status_code == 201, response.text
    return client


# In the same order whatever the database's collation (bytes, or letters and digits first).
STAYS = ["+1", "-2", "=3", "@4", "S5", "S6"]
WEEKLY = {"week": "2022-W05", "as_of": "2022-02-14", "detail": "true"}


def test_weekly_turnaround_csv(turnaround: Any, auth_headers: Any) -> None:
    response = turnaround.get(
        "/api/v1/reports/weekly-turnaround", params={**WEEKLY, "format": "csv"}, headers=auth_headers("dim")
    )
    assert response.status_code == 200
    assert response.content.decode("utf-8") == (
        "\ufeffService;Séjours;CR à J0;CR ≤ J8;En retard;Manquants;En attente;"
        "Taux J0;Taux J8;Délai médian;Délai p90\r\n"
        "'=1+2;1;0;0;0;1;0;0,0;0,0;;\r\n"
        "'+1+2;1;0;0;0;1;0;0,0;0,0;;\r\n"
        "'-1+2;1;0;0;0;1;0;0,0;0,0;;\r\n"
        "'@SUM(A1);1;0;0;0;1;0;0,0;0,0;;\r\n"
        "'\t=1+2;1;0;0;0;1;0;0,0;0,0;;\r\n"
        '"\'\r=1+2";1;0;0;0;1;0;0,0;0,0;;\r\n'
        "Total;6;0;0;0;6;0;0,0;0,0;;\r\n"
        "\r\n"
        "Statut;N° de séjour;Service;UM;Date de sortie;Jours écoulés\r\n"
        "Manquant;'+1;S1;7501;2022-02-01;13\r\n"
        "Manquant;'-2;S2;7502;2022-02-01;13\r\n"
        "Manquant;'=3;S3;7503;2022-02-01;13\r\n"
        "Manquant;'@4;S4;7504;2022-02-01;13\r\n"
        "Manquant;S5;S5;7505;2022-02-01;13\r\n"
        "Manquant;S6;S6;7506;2022-02-01;13\r\n"
    )


def test_weekly_turnaround_xlsx(turnaround: Any, auth_headers: Any) -> None:
    response = turnaround.get(
        "/api/v1/reports/weekly-turnaround", params={**WEEKLY, "format": "xlsx"}, headers=auth_headers("dim")
    )
    summary = _xlsx(response)
    assert [row[:3] for row in summary[4:10]] == [[_text(label), (1, "n"), (0, "n")] for label in TRIGGERS]
    assert summary[10][:2] == [("Total", "s"), (6, "n")]
    detail = _xlsx(response, "Détail")
    assert [row[:2] + row[-1:] for row in detail[1:]] == [
        [("Manquant", "s"), ("'+1", "s"), (13, "n")],
        [("Manquant", "s"), ("'-2", "s"), (13, "n")],
        [("Manquant", "s"), ("'=3", "s"), (13, "n")],
        [("Manquant", "s"), ("'@4", "s"), (13, "n")],
        [("Manquant", "s"), ("S5", "s"), (13, "n")],
        [("Manquant", "s"), ("S6", "s"), (13, "n")],
    ]
    assert {row[4][1] for row in detail[1:]} == {"d"}


# --------------------------------------------------------------------------- findings


def test_findings_csv(client: Any, auth_headers: Any, session: Session) -> None:
    """Q008 (UM unknown to the structure) on RSS "=100", "-200"... each reviewed with a trigger."""
    admin = auth_headers("admin")
    structure = {"units": [{"code": "7500", "label": "Oncologie"}]}
    assert client.put("/api/v1/structure", json=structure, headers=admin).status_code == 200
    numbers = ["=100", "+200", "-300", "@400", "500", "600"]
    for number in numbers:
        ingest(session, make_rss(1, rss_number=number, unit="9999"))
    session.commit()
    dim = auth_headers("dim")
    comments = [*TRIGGERS[:4], '=HYPERLINK("http://example.invalid";"x")', "vu"]
    for finding_id, comment in enumerate(comments, start=1):
        response = client.patch(
            f"/api/v1/findings/{finding_id}", json={"status": "acknowledged", "comment": comment}, headers=dim
        )
        assert response.status_code == 200, response.text
    response = client.get("/api/v1/findings", params={"format": "csv"}, headers=dim)
    assert response.status_code == 200
    message = "UM 9999 inconnue de la structure de l'établissement au 06/03/2024 (date de sortie du RUM)."
    rows = [
        f"{k};Q008;warning;{number};1;unit;9999;{message};acknowledged;9999;2024-03-06;{comment}\r\n"
        for k, (number, comment) in enumerate(
            zip(
                ["'=100", "'+200", "'-300", "'@400", "500", "600"],
                [
                    "'=1+2",
                    "'+1+2",
                    "'-1+2",
                    "'@SUM(A1)",
                    '"\'=HYPERLINK(""http://example.invalid"";""x"")"',
                    "vu",
                ],
                strict=True,
            ),
            start=1,
        )
    ]
    assert response.content.decode("utf-8") == (
        "\ufeffid;rule;severity;rss_number;rum_number;field;value;message;status;unit;exit_date;comment\r\n"
        + "".join(rows)
    )
