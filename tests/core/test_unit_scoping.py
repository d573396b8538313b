"""A `dim` token restricted to one unit, on every GET it may call, in every format: no UM code, RSS
number or stay number of another unit ever appears in the body."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest

from app.api.access_matrix import operations
from app.auth.schemas import Role
from app.ingestion.rhs.writer import write_rhs
from app.ingestion.writer import write_rss
from app.main import create_app
from tests.ingestion.builders import make_rss
from tests.ingestion.rhs_builders import make_rhs

MINE, FOREIGN = "7500", "Q9Z8"  # letters in the foreign UM: it cannot occur by chance in a number
# The foreign unit's identifiers: RSS numbers (accepted, and rejected after an earlier version),
# stay numbers of the RSS, of the movements and of the SSR stay.
FOREIGN_VALUES = [
    FOREIGN, "52999991", "52999992", "52999993", "62999991", "62999992", "62999993", "72999991", "8299991",
    "92999991",
]  # fmt: skip
DISCHARGE = date(2024, 3, 6)  # make_rss(1): 2024-03-04 -> 2024-03-06, ISO week 2024-W10
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}
WEEK = {"week": "2024-W10", "as_of": "2024-04-30"}

STRUCTURE = {
    "poles": [{"code": "MED", "label": "Médecine"}, {"code": "CHI", "label": "Chirurgie"}],
    "services": [
        {"code": "ONCO", "label": "Oncologie", "pole": "MED"},
        {"code": "ORTHO", "label": "Orthopédie", "pole": "CHI"},
    ],
    "units": [
        {"code": MINE, "label": "Oncologie", "pole": "MED", "service": "ONCO"},
        {"code": FOREIGN, "label": "Orthopédie", "pole": "CHI", "service": "ORTHO"},
    ],
}

# (path, extra query, formats): every GET a unit-restricted dim token may call on unit data.
CALLS: list[tuple[str, dict[str, str], tuple[str, ...]]] = [
    ("/api/v1/activity/units", PERIOD, ("json", "csv", "xlsx")),
    ("/api/v1/activity/care-types", PERIOD, ("json", "csv", "xlsx")),
    ("/api/v1/activity/seances", PERIOD, ("json", "csv", "xlsx")),
    ("/api/v1/activity/seances", {**PERIOD, "by": "ghm"}, ("json", "csv", "xlsx")),
    ("/api/v1/activity/ghm", PERIOD, ("json", "csv", "xlsx")),
    ("/api/v1/activity/ghm", {**PERIOD, "level": "cmd"}, ("json", "csv", "xlsx")),
    ("/api/v1/activity/ssr-cm", PERIOD, ("json", "csv", "xlsx")),
    ("/api/v1/turnaround", {**PERIOD, "as_of": WEEK["as_of"]}, ("json",)),
    ("/api/v1/turnaround", {**PERIOD, "as_of": WEEK["as_of"], "group_by": "unit"}, ("json",)),
    ("/api/v1/reports/weekly-turnaround", WEEK, ("json", "csv", "xlsx")),
    ("/api/v1/reports/weekly-turnaround", {**WEEK, "detail": "true"}, ("json", "csv", "xlsx")),
    ("/api/v1/findings", {}, ("json", "csv")),
    ("/api/v1/findings/summary", {}, ("json",)),
    ("/api/v1/rum-batches", {}, ("json",)),
    ("/api/v1/rum-batches/{batch_id}", {}, ("json",)),
    ("/api/v1/structure", {}, ("json",)),
    ("/api/v1/casemix", {**PERIOD, "group_by": "unit"}, ("json", "csv", "xlsx")),
    ("/api/v1/reports/annual", {"year": "2024"}, ("json", "xlsx")),
    ("/api/v1/exhaustivity", {**PERIOD, "as_of": WEEK["as_of"], "group_by": "unit"}, ("json", "csv", "xlsx")),
    ("/api/v1/exhaustivity", {**PERIOD, "as_of": WEEK["as_of"], "detail": "true"}, ("json", "csv", "xlsx")),
    # Events of the tests are stored on 2000-01-01 (tests/conftest.py): the window ends there.
    ("/api/v1/transmission", {"as_of": "2000-01-01"}, ("json", "csv", "xlsx")),
    ("/api/v1/reports/quarterly", {"quarter": "2024-Q1"}, ("json", "csv", "xlsx")),
]
# GETs open to dim that hold no unit data: the walk does not need them.
NOT_UNIT_DATA = {
    "/api/v1/me",
    "/api/v1/rules",
    "/api/v1/nomenclatures",
    "/api/v1/rhs-batches",  # RHS batches: counts and line errors, no stay numbers
    "/api/v1/rhs-batches/{batch_id}",
    "/api/v1/rss/{rss_number}",  # 404 outside the units, other units' RUMs withheld (tests/ingestion)
}
CASES = [
    pytest.param(path, params, fmt, id="-".join([path, *(f"{k}={v}" for k, v in params.items()), fmt]))
    for path, params, formats in CALLS
    for fmt in formats
]


def _text(response: Any) -> str:
    """The body as text; an xlsx workbook is a zip, so its cells are read back."""
    if not response.headers.get("content-type", "").startswith("application/vnd.openxmlformats"):
        return str(response.text)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    return " ".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
    )


def _rss_lines(*groups: Any) -> bytes:
    return ("\n".join(line for rss in groups for line in write_rss(rss)) + "\n").encode()


def _stays(unit: str, stay: str) -> list[dict[str, Any]]:
    def at(day: date, hour: int) -> str:
        return f"{day.isoformat()}T{hour:02d}:00:00+01:00"

    return [
        {"event_id": f"{stay}-a", "type": "admit", "stay_number": stay,
         "occurred_at": at(DISCHARGE - timedelta(days=2), 10), "unit": unit},
        {"event_id": f"{stay}-d", "type": "discharge", "stay_number": stay, "occurred_at": at(DISCHARGE, 15)},
    ]  # fmt: skip


@pytest.fixture()
def loaded(client: Any, auth_headers: Any) -> tuple[Any, int]:
    """Both units hold an RSS (with findings), a rejected RSS, a stay without report and an SSR week."""
    admin, ingest = auth_headers("admin"), auth_headers("ingest")
    text_plain = {**ingest, "Content-Type": "text/plain"}
    assert client.put("/api/v1/structure", json=STRUCTURE, headers=admin).status_code == 200
    # The DA "Z" is not a CIM-10 code shape: every RSS gets findings, whatever reference is loaded.
    first = _rss_lines(
        *(
            make_rss(1, rss_number=f"5{n}", admin_number=f"6{n}", unit=unit, das=["Z"], grouped=True)
            for unit, n in ((MINE, "1000001"), (MINE, "1000002"), (FOREIGN, "2999991"), (FOREIGN, "2999992"))
        ),
        *(
            make_rss(1, rss_number=f"5{n}", admin_number=f"6{n}", unit=unit, grouped=True, ghm="28Z17Z",
                     seances="02", days_per_rum=0)
            for unit, n in ((MINE, "1000003"), (FOREIGN, "2999993"))
        ),
    )  # fmt: skip
    assert client.post("/api/v1/rum-batches", content=first, headers=text_plain).status_code == 201
    # A second batch rejects one RSS of each unit (a truncated line): its errors name both numbers.
    mine = write_rss(make_rss(1, rss_number="51000002", admin_number="61000002", unit=MINE))
    foreign = write_rss(make_rss(1, rss_number="52999992", admin_number="62999992", unit=FOREIGN))
    second = "\n".join([mine[0][:-40], foreign[0][:-40]]).encode() + b"\n"
    response = client.post("/api/v1/rum-batches", content=second, headers=text_plain)
    assert response.status_code == 201, response.text
    batch = response.json()
    assert {e["rss_number"] for e in batch["errors"]} == {"51000002", "52999992"}

    events = _stays(MINE, "71000001") + _stays(FOREIGN, "72999991")
    assert client.post("/api/v1/stay-events", json={"events": events}, headers=ingest).status_code == 201
    # Their discharge reports: the transmission report names the services of both units.
    documents = [
        {"event_id": f"{stay}-r", "stay_number": stay, "document_id": f"CR-{stay}",
         "document_type": "11490-0", "action": "new",
         "received_at": f"{(DISCHARGE + timedelta(days=2)).isoformat()}T10:00:00+01:00"}
        for stay in ("71000001", "72999991")
    ]  # fmt: skip
    response = client.post("/api/v1/document-events", json={"events": documents}, headers=ingest)
    assert response.status_code == 201, response.text
    rhs = "\n".join(
        write_rhs(make_rhs(grouped=True, unit=unit, ssr_stay_number=stay, admin_number=admin_number,
                           monday=date(2024, 3, 4), stay_start_date="04032024", entry_date="04032024"))
        for unit, stay, admin_number in ((MINE, "8100001", "91000001"), (FOREIGN, "8299991", "92999991"))
    ).encode()  # fmt: skip
    assert client.post("/api/v1/rhs-batches", content=rhs, headers=text_plain).status_code == 201
    return client, int(batch["id"])


def test_the_walk_covers_every_get_a_dim_token_may_call() -> None:
    allowed = {
        op.path
        for op in operations(create_app())
        if op.method == "GET" and op.roles is not None and Role.DIM in op.roles and not op.all_units
    }
    walked = {path for path, _, _ in CALLS}
    assert walked <= allowed
    assert allowed - walked - NOT_UNIT_DATA == set(), "walk the new GET here, or declare it free of unit data"


@pytest.mark.parametrize(("path", "params", "fmt"), CASES)
def test_unit_restricted_dim_sees_nothing_of_other_units(
    loaded: tuple[Any, int], auth_headers: Any, path: str, params: dict[str, str], fmt: str
) -> None:
    client, batch_id = loaded
    url = path.replace("{batch_id}", str(batch_id))
    query = {**params, "format": fmt} if fmt != "json" else params
    everything = client.get(url, params=query, headers=auth_headers("dim"))
    restricted = client.get(url, params=query, headers=auth_headers("dim", units=[MINE]))
    assert (everything.status_code, restricted.status_code) == (200, 200), restricted.text
    body = _text(restricted)
    assert [value for value in FOREIGN_VALUES if value in body] == []
    # The other unit's data is there for an unrestricted token: the absence above is a filter.
    assert body != _text(everything), url
